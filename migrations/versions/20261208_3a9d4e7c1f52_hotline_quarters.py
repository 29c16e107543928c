"""hotline_quarters: a hotline's quarter is submitted, returned, approved (locked) or reopened

Existing figures: every ended quarter that holds figures of a hotline is approved here. Until
now the secretariat itself typed every quarter and the dashboards counted them as final, so
calling them approved keeps every figure leadership has seen (the dashboards count approved
quarters only) and locks them against casual edits; a manager reopens one, with a reason, to
correct it. Quarters not yet ended (none can hold figures) and quarters without figures stay
drafts (no row). The approvals are stamped with the migration's time and no person.

Revision ID: 3a9d4e7c1f52
Revises: 0176f3f552d9
Create Date: 2026-12-08 09:00:00

"""

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "3a9d4e7c1f52"
down_revision = "3e7a91c5d2b8"
branch_labels = None
depends_on = None

STATES = ("draft", "submitted", "returned", "approved", "reopened")
CHUNK = 5000


def _quarter(day: date) -> tuple[date, date]:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    following = (
        date(start.year + 1, 1, 1) if start.month == 10 else date(start.year, start.month + 3, 1)
    )
    return start, following - timedelta(days=1)


def upgrade():
    quarters = op.create_table(
        "hotline_quarters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*STATES, name="quarter_state", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("first_submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_hotline_quarters_period_end_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["hotline_id"], ["hotlines.id"], name=op.f("fk_hotline_quarters_hotline_id_hotlines")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["users.id"],
            name=op.f("fk_hotline_quarters_submitted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_hotline_quarters_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_quarters")),
        sa.UniqueConstraint(
            "hotline_id", "period_start", name=op.f("uq_hotline_quarters_hotline_id_period_start")
        ),
    )
    op.create_index(
        "ix_hotline_quarters_state_submitted_at",
        "hotline_quarters",
        ["state", "submitted_at"],
    )
    op.create_index(
        "ix_hotline_quarters_hotline_id_state",
        "hotline_quarters",
        ["hotline_id", "state", "period_start"],
    )

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    today = now.date()
    bind = op.get_bind()
    # Distinct (hotline, period start) pairs: a quarter's three months fold into one quarter.
    pairs = bind.execute(
        sa.text("SELECT DISTINCT hotline_id, period_start FROM hotline_statistics")
    ).all()
    seen: set[tuple[int, date]] = set()
    rows = []
    for hotline_id, period_start in pairs:
        if isinstance(period_start, str):
            period_start = date.fromisoformat(period_start)
        start, end = _quarter(period_start)
        if end >= today or (hotline_id, start) in seen:
            continue
        seen.add((hotline_id, start))
        rows.append(
            {
                "hotline_id": hotline_id,
                "period_start": start,
                "period_end": end,
                "state": "approved",
                "decided_at": now,
                "comment": "Approved when sign-off began: entered by the secretariat.",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    for first in range(0, len(rows), CHUNK):
        bind.execute(sa.insert(quarters), rows[first : first + CHUNK])


def downgrade():
    op.drop_index("ix_hotline_quarters_hotline_id_state", table_name="hotline_quarters")
    op.drop_index("ix_hotline_quarters_state_submitted_at", table_name="hotline_quarters")
    op.drop_table("hotline_quarters")
