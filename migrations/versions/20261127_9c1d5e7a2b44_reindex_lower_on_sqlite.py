"""SQLite: rebuild the lower(name) indexes with the Unicode-aware lower()

The app now replaces SQLite's ASCII-only lower() with Python's on every connection; indexes
built before hold the old keys for names such as "Hotline Éire". PostgreSQL's lower() already
folds Unicode: nothing to do there.

Revision ID: 9c1d5e7a2b44
Revises: 4b7e2f1c9a30
Create Date: 2026-11-27 00:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "9c1d5e7a2b44"
down_revision = "4b7e2f1c9a30"
branch_labels = None
depends_on = None

INDEXES = ("ix_organizations_name_lower", "ix_contacts_email_lower", "ix_hotlines_name_lower")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in INDEXES:
            op.execute(f"REINDEX {name}")


def downgrade():
    pass  # the rebuilt indexes are as valid for the earlier revision
