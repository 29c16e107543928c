"""lower(name) indexes: organizations and hotlines by name, contacts by email, any case

The services (and the importer, once per row) look these up case-insensitively.

Revision ID: 4b7e2f1c9a30
Revises: 751ced89ac75
Create Date: 2026-11-26 21:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4b7e2f1c9a30"
down_revision = "751ced89ac75"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_organizations_name_lower", "organizations", [sa.text("lower(name)")])
    op.create_index("ix_contacts_email_lower", "contacts", [sa.text("lower(email)")])
    op.create_index("ix_hotlines_name_lower", "hotlines", [sa.text("lower(name)")])


def downgrade():
    op.drop_index("ix_hotlines_name_lower", table_name="hotlines")
    op.drop_index("ix_contacts_email_lower", table_name="contacts")
    op.drop_index("ix_organizations_name_lower", table_name="organizations")
