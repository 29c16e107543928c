"""training totals kept current on write: training_event_totals and training_reach

Derived tables the training figures read instead of every participation
(``coordapp.training.totals``): per unarchived event its participations added up, and per
hotline taking part in one the event's date, kind and pillar with the hotline's country. At
100x the demo network the figures grouped some 25,000 participations joined to their events
and hotlines (~40 ms on PostgreSQL); the event totals are a few thousand rows and the reach a
narrow table without joins. On PostgreSQL they are filled here from the rows already stored;
on SQLite they stay empty (the figures are computed from the rows there).

Revision ID: 70bdc97d981f
Revises: 3f8a1c6e2b90
Create Date: 2026-12-08 00:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "70bdc97d981f"
down_revision = "3f8a1c6e2b90"
branch_labels = None
depends_on = None

FILL_EVENTS = """
INSERT INTO training_event_totals
    (event_id, start_date, kind, pillar_id, people, taking_part, responses, weighted, weight)
SELECT e.id, e.start_date, CAST(e.kind AS VARCHAR), e.pillar_id,
       coalesce(sum(p.participants), 0), count(p.id), count(p.feedback_score),
       sum(p.feedback_score * p.participants),
       coalesce(sum(CASE WHEN p.feedback_score IS NOT NULL THEN p.participants ELSE 0 END), 0)
FROM training_events e LEFT JOIN training_participations p ON p.event_id = e.id
WHERE e.archived_at IS NULL
GROUP BY e.id
"""

FILL_REACH = """
INSERT INTO training_reach
    (event_id, hotline_id, country_code, start_date, kind, pillar_id, participants,
     first_of_country)
SELECT p.event_id, p.hotline_id, h.country_code, e.start_date, CAST(e.kind AS VARCHAR),
       e.pillar_id, p.participants,
       row_number() OVER (PARTITION BY p.event_id, h.country_code ORDER BY p.hotline_id) = 1
FROM training_participations p
JOIN training_events e ON e.id = p.event_id
JOIN hotlines h ON h.id = p.hotline_id
WHERE e.archived_at IS NULL
"""


def upgrade():
    op.create_table(
        "training_event_totals",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("pillar_id", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("taking_part", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("weighted", sa.Numeric(), nullable=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["training_events.id"],
            name=op.f("fk_training_event_totals_event_id_training_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pillar_id"], ["pillars.id"], name=op.f("fk_training_event_totals_pillar_id_pillars")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_training_event_totals")),
    )
    with op.batch_alter_table("training_event_totals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_event_totals_start_date"), ["start_date"], unique=False
        )
    op.create_table(
        "training_reach",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("pillar_id", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("first_of_country", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["training_events.id"],
            name=op.f("fk_training_reach_event_id_training_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hotline_id"], ["hotlines.id"], name=op.f("fk_training_reach_hotline_id_hotlines")
        ),
        sa.PrimaryKeyConstraint("event_id", "hotline_id", name=op.f("pk_training_reach")),
    )
    with op.batch_alter_table("training_reach", schema=None) as batch_op:
        batch_op.create_index("ix_training_reach_start_date", ["start_date"], unique=False)
        batch_op.create_index("ix_training_reach_hotline_id", ["hotline_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(FILL_EVENTS)
        op.execute(FILL_REACH)


def downgrade():
    with op.batch_alter_table("training_reach", schema=None) as batch_op:
        batch_op.drop_index("ix_training_reach_hotline_id")
        batch_op.drop_index("ix_training_reach_start_date")
    op.drop_table("training_reach")
    with op.batch_alter_table("training_event_totals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_event_totals_start_date"))
    op.drop_table("training_event_totals")
