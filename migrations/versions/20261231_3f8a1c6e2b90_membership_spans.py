"""membership spans kept current on write: hotline_membership_spans

A derived table (``coordapp.network.membership``): each hotline's membership status from the
day it starts to the day the next one starts (NULL: still in force), one row per day with
events, with the hotline's first admission on each row. A hotline's status on a date is a
range look-up through the primary key (hotline_id, starts_on), the whole network's a scan of
this compact table, instead of a ranking of every hotline's events. Filled here from the events
already stored, by the rule as it stands at this revision: on one day, the later lifecycle step
(applicant < provisional < full < suspended < withdrawn), then the later row, wins.

Revision ID: 3f8a1c6e2b90
Revises: 088f8ef3edff
Create Date: 2026-12-08 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3f8a1c6e2b90"
down_revision = "088f8ef3edff"
branch_labels = None
depends_on = None

STATUS = sa.Enum(
    "applicant", "provisional", "full", "suspended", "withdrawn",
    name="membership_status", native_enum=False, create_constraint=True,
)

FILL = """
INSERT INTO hotline_membership_spans (hotline_id, starts_on, ends_on, status, admitted_on)
SELECT hotline_id, event_date,
       LEAD(event_date) OVER (PARTITION BY hotline_id ORDER BY event_date),
       status, admitted_on
FROM (
    SELECT hotline_id, event_date, status,
           ROW_NUMBER() OVER (
               PARTITION BY hotline_id, event_date
               ORDER BY CASE status WHEN 'applicant' THEN 0 WHEN 'provisional' THEN 1
                                    WHEN 'full' THEN 2 WHEN 'suspended' THEN 3
                                    WHEN 'withdrawn' THEN 4 END DESC,
                        id DESC
           ) AS latest,
           MIN(CASE WHEN status IN ('provisional', 'full') THEN event_date END)
               OVER (PARTITION BY hotline_id) AS admitted_on
    FROM hotline_membership_events
) AS event_days
WHERE latest = 1
"""


def upgrade():
    op.create_table(
        "hotline_membership_spans",
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hotline_id"], ["hotlines.id"],
            name=op.f("fk_hotline_membership_spans_hotline_id_hotlines"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hotline_id", "starts_on", name=op.f("pk_hotline_membership_spans")),
    )
    op.execute(FILL)


def downgrade():
    op.drop_table("hotline_membership_spans")
