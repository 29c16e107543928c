"""Indexes for the quarters list: hotline_quarters (period_start, id) and (state, id)

The list's default order (newest quarter first, the id breaking ties) sorted all 132,469 rows
at 100x for each page of 100 (top-N heapsort over a hash join, ~100 ms on PostgreSQL); with
(period_start, id) the page walks the index backwards and stops after 100 rows. It also serves
the year filter's min/max. (state, id) does the same for the sort by state (~195 ms before).

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

INDEXES = (
    ("ix_hotline_quarters_period_start_id", ["period_start", "id"]),
    ("ix_hotline_quarters_state_id", ["state", "id"]),
)


def upgrade():
    for name, columns in INDEXES:
        op.create_index(name, "hotline_quarters", columns, unique=False)


def downgrade():
    for name, _ in reversed(INDEXES):
        op.drop_index(name, table_name="hotline_quarters")
