"""hotline activity totals kept current on write: activity_totals and activity_presence

Derived tables the hotline-activity figures read instead of every statistic
(``coordapp.stats.activity_totals``): per metric version, period, hotline country and whether
the values count (their quarter approved), the values' sum, count and small count (above 0,
below the disclosure threshold stored with them); and per metric version, year and hotline,
that the hotline has counted values. On PostgreSQL they are filled here from the rows already
stored, with the rule of ``coordapp.stats.quarters.counted`` as it stands at this revision. On
SQLite they stay empty (the figures are computed from the rows there).

Revision ID: a3c8e5f17b20
Revises: 70bdc97d981f
Create Date: 2026-12-08 00:30:00

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app, has_app_context


# revision identifiers, used by Alembic.
revision = "a3c8e5f17b20"
down_revision = "70bdc97d981f"
branch_labels = None
depends_on = None

DEFAULT_THRESHOLD = 5  # coordapp.disclosure.DEFAULT_THRESHOLD

TOTALS = """
INSERT INTO activity_totals (metric_id, period_start, country_code, counted, value_sum,
                             value_count, small_count, small_below)
SELECT s.metric_id, s.period_start, h.country_code, q.id IS NOT NULL, sum(s.value), count(*),
       count(*) FILTER (WHERE s.value > 0 AND s.value < :threshold), :threshold
FROM hotline_statistics s
JOIN hotlines h ON h.id = s.hotline_id
LEFT JOIN hotline_quarters q
  ON q.hotline_id = s.hotline_id
 AND q.period_start = CAST(date_trunc('quarter', s.period_start) AS DATE)
 AND q.state = 'approved'
GROUP BY s.metric_id, s.period_start, h.country_code, q.id IS NOT NULL
"""

PRESENCE = """
INSERT INTO activity_presence (metric_id, year, hotline_id)
SELECT DISTINCT s.metric_id, CAST(EXTRACT(YEAR FROM s.period_start) AS integer), s.hotline_id
FROM hotline_statistics s
JOIN hotline_quarters q
  ON q.hotline_id = s.hotline_id
 AND q.period_start = CAST(date_trunc('quarter', s.period_start) AS DATE)
 AND q.state = 'approved'
"""


def upgrade():
    op.create_table(
        "activity_totals",
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("value_sum", sa.Numeric(), nullable=False),
        sa.Column("value_count", sa.Integer(), nullable=False),
        sa.Column("small_count", sa.Integer(), nullable=False),
        sa.Column("small_below", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.alpha2"],
            name=op.f("fk_activity_totals_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metric_definitions.id"],
            name=op.f("fk_activity_totals_metric_id_metric_definitions"),
        ),
        sa.PrimaryKeyConstraint(
            "metric_id", "period_start", "country_code", "counted", name=op.f("pk_activity_totals")
        ),
    )
    op.create_index(
        "ix_activity_totals_country_code_period_start",
        "activity_totals",
        ["country_code", "period_start"],
        unique=False,
    )
    op.create_table(
        "activity_presence",
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotline_id"], ["hotlines.id"], name=op.f("fk_activity_presence_hotline_id_hotlines")
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["metric_definitions.id"],
            name=op.f("fk_activity_presence_metric_id_metric_definitions"),
        ),
        sa.PrimaryKeyConstraint("metric_id", "year", "hotline_id", name=op.f("pk_activity_presence")),
    )
    op.create_index(
        "ix_activity_presence_hotline_id_year",
        "activity_presence",
        ["hotline_id", "year"],
        unique=False,
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        threshold = DEFAULT_THRESHOLD
        if has_app_context():
            threshold = int(current_app.config.get("SMALL_COUNT_THRESHOLD", DEFAULT_THRESHOLD))
        bind.execute(sa.text(TOTALS), {"threshold": threshold})
        bind.execute(sa.text(PRESENCE))


def downgrade():
    op.drop_index("ix_activity_presence_hotline_id_year", table_name="activity_presence")
    op.drop_table("activity_presence")
    op.drop_index("ix_activity_totals_country_code_period_start", table_name="activity_totals")
    op.drop_table("activity_totals")
