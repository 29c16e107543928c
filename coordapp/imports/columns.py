"""What several import types' columns share: the owner column, and the organization their
example rows name."""

from __future__ import annotations

from coordapp.imports.types import ImportColumn, Kind

# The organization the organizations example creates, and the other examples name (as partner,
# funder, operator, organizer or participant).
EXAMPLE_ORGANIZATION = "Example Trust & Safety Ltd"

# The manager responsible for a record, by email.
OWNER = ImportColumn(
    "owner",
    "owner_id",
    Kind.USER,
    aliases=("owner_email",),
    names=("user",),
    example="manager@coordapp.example",
)
