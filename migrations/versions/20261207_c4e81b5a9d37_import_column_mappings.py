"""import_column_mappings: how a file's columns were read, remembered for the next file with
the same header

Revision ID: c4e81b5a9d37
Revises: a7c3e9f1b2d4
Create Date: 2026-12-07 05:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "c4e81b5a9d37"
down_revision = "a7c3e9f1b2d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_column_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_type", sa.String(length=40), nullable=False),
        sa.Column("header_hash", sa.String(length=64), nullable=False),
        sa.Column("header", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["users.id"],
            name=op.f("fk_import_column_mappings_saved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_column_mappings")),
        sa.UniqueConstraint(
            "import_type",
            "header_hash",
            name=op.f("uq_import_column_mappings_import_type_header_hash"),
        ),
    )


def downgrade():
    op.drop_table("import_column_mappings")
