"""Who looks after what in the demo: owners of organizations, hotlines and funding commitments,
so each demo manager finds their own items on the home page (and a few are left unassigned).

- Organizations: law enforcement, NGOs, intergovernmental bodies and hotline operators go to
  the network manager; academia to the training manager; industry, foundations and
  governments to the partnerships manager. About one in six has nobody yet; the secretariat
  itself has no owner.
- Hotlines: the network manager is the liaison of most, the training manager of about one in
  four, and about one in eight has none.
- Funding commitments: about a third name the partnerships manager themselves; the others fall
  to their funder's owner (the needs-attention rule), so pledges of unowned funders are
  unassigned.
"""

from __future__ import annotations

import sqlalchemy as sa

from coordapp.demo import data
from coordapp.demo.context import DemoContext, seeded_random
from coordapp.funding.models import FundingCommitment
from coordapp.partners.models import OrganizationKind

_ORGANIZATION_OWNER = {
    OrganizationKind.LAW_ENFORCEMENT: "network",
    OrganizationKind.NGO: "network",
    OrganizationKind.INTERGOVERNMENTAL: "network",
    OrganizationKind.HOTLINE_OPERATOR: "network",
    OrganizationKind.ACADEMIC: "training",
    OrganizationKind.INDUSTRY: "partnerships",
    OrganizationKind.FOUNDATION: "partnerships",
    OrganizationKind.GOVERNMENT: "partnerships",
}


def assign_owners(ctx: DemoContext) -> None:
    """Owners for the organizations, hotlines and commitments loaded so far (reproducible)."""
    for name, org in sorted(ctx.orgs.items()):
        if name == data.SECRETARIAT_NAME or seeded_random("owner", name).random() < 1 / 6:
            continue
        org.owner = ctx.users[_ORGANIZATION_OWNER[org.kind]]
    for key, hotline in sorted(ctx.hotlines.items()):
        draw = seeded_random("liaison", key).random()
        if draw >= 1 / 8:
            hotline.owner = ctx.users["training" if draw < 1 / 8 + 1 / 4 else "network"]
    ctx.session.flush()
    commitments = ctx.session.scalars(sa.select(FundingCommitment).order_by(FundingCommitment.id))
    for commitment in commitments:
        if seeded_random("commitment owner", commitment.title).random() < 1 / 3:
            commitment.owner = ctx.users["partnerships"]
