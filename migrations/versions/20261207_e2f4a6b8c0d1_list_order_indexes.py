"""Indexes for the lists' default orders: funding_commitments.pledged_on, and
hotline_statistics (period_start, id) in place of (period_start)

Revision ID: e2f4a6b8c0d1
Revises: c4e81b5a9d37
Create Date: 2026-12-07 06:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "e2f4a6b8c0d1"
down_revision = "c4e81b5a9d37"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_funding_commitments_pledged_on", "funding_commitments", ["pledged_on"], unique=False
    )
    op.create_index(
        "ix_hotline_statistics_period_start_id",
        "hotline_statistics",
        ["period_start", "id"],
        unique=False,
    )
    op.drop_index("ix_hotline_statistics_period_start", table_name="hotline_statistics")


def downgrade():
    op.create_index(
        "ix_hotline_statistics_period_start", "hotline_statistics", ["period_start"], unique=False
    )
    op.drop_index("ix_hotline_statistics_period_start_id", table_name="hotline_statistics")
    op.drop_index("ix_funding_commitments_pledged_on", table_name="funding_commitments")
