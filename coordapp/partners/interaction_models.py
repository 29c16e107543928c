"""The interaction log: meetings, calls and e-mails with an organization, who took part, and
the follow-up owed afterwards. "Last contacted" is derived from it
(``coordapp.partners.interactions``)."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import AuditedRow, link_table, str_enum
from coordapp.partners.models import Contact, Organization

if TYPE_CHECKING:
    from coordapp.auth.models import User


class InteractionKind(enum.StrEnum):
    MEETING = "meeting"
    CALL = "call"
    EMAIL = "email"
    OTHER = "other"


# Indexed by contact too: a contact's "last contacted" reads its interactions by contact.
interaction_participants = link_table(
    "interaction_participants",
    ("interaction_id", "interactions"),
    ("contact_id", "contacts"),
    index_other=True,
)


class Interaction(AuditedRow):
    """One meeting, call or e-mail with an organization on a day, with an optional follow-up
    (due date and owner) until it is marked done."""

    def __str__(self) -> str:
        kind = self.kind.value.capitalize() if self.kind else "Interaction"
        on = self.occurred_on.isoformat() if self.occurred_on else "?"
        return f"{kind} on {on}"

    __tablename__ = "interactions"
    __table_args__ = (
        sa.CheckConstraint(
            "(follow_up_on IS NULL) = (follow_up_owner_id IS NULL)", name="follow_up_complete"
        ),
        sa.CheckConstraint(
            "follow_up_done_on IS NULL OR follow_up_on IS NOT NULL", name="done_needs_follow_up"
        ),
        # The organization's timeline and its last contact.
        sa.Index("ix_interactions_organization_id_occurred_on", "organization_id", "occurred_on"),
        # Needs-attention: open follow-ups by due date.
        sa.Index("ix_interactions_follow_up_on", "follow_up_on"),
    )

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), nullable=False)
    occurred_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    kind: Mapped[InteractionKind] = mapped_column(
        str_enum(InteractionKind, "interaction_kind"), nullable=False
    )
    note: Mapped[str | None] = mapped_column(sa.String(2000))
    follow_up_on: Mapped[date | None] = mapped_column(sa.Date)
    follow_up_owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    follow_up_done_on: Mapped[date | None] = mapped_column(sa.Date)

    organization: Mapped[Organization] = relationship()
    participants: Mapped[list[Contact]] = relationship(
        secondary=interaction_participants, order_by=Contact.full_name
    )
    follow_up_owner: Mapped[User | None] = relationship()
