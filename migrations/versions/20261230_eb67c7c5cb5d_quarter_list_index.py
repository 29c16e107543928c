"""Index for the quarters list's default order: hotline_quarters (period_start, id)

The list (newest quarter first, the id breaking ties) sorted all 132,469 rows at 100x for each
page of 100 (top-N heapsort over a hash join, ~100 ms on PostgreSQL); with this index the page
walks it backwards and stops after 100 rows. It also serves the year filter's min/max.

Revision ID: eb67c7c5cb5d
Revises: d16e5a7c9b42
Create Date: 2026-12-07 20:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "eb67c7c5cb5d"
down_revision = "d16e5a7c9b42"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_hotline_quarters_period_start_id",
        "hotline_quarters",
        ["period_start", "id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_hotline_quarters_period_start_id", table_name="hotline_quarters")
