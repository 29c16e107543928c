"""funding quarter totals and funder totals of all years, kept current on write

funding_quarter_totals: a derived table the cash by quarter figure (instalments expected against money received per
quarter) reads instead of every instalment and receipt (``coordapp.funding.totals``). On
PostgreSQL it is filled here from the rows already stored, with the rate look-up of
``coordapp.funding.conversion`` as it stands at this revision: each row's currency and the
date of the latest rate between that currency and EUR on or before the row's date (stored either
way), the native amounts summed exactly. On SQLite it stays empty (the figure is computed from
the rows there).

funding_funder_all_years: each funder's pledged and received in EUR summed over every year of
funding_funder_totals (exact), with the number of years: a range of years reads every year less
the few outside it. Filled from funding_funder_totals.

Revision ID: 088f8ef3edff
Revises: eb67c7c5cb5d
Create Date: 2026-12-08 00:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "088f8ef3edff"
down_revision = "eb67c7c5cb5d"
branch_labels = None
depends_on = None

PART = sa.Enum(
    "expected", "received", name="funding_cash_part", native_enum=False, create_constraint=True
)
FIGURE_PART = sa.Enum(
    "pledged", "received", name="funding_figure_part", native_enum=False, create_constraint=True
)

# The figure's rows (instalments of commitments not cancelled or archived, in the commitment's
# currency; receipts not archived) summed per day; each (currency, day) then gets the date of
# its rate to EUR; the sums are summed again per quarter and rate date.
FILL = """
INSERT INTO funding_quarter_totals (part, year, quarter, currency_code, rate_on, native)
WITH cash_rows AS (
    SELECT 'expected' AS part, c.currency_code, i.amount AS native, i.expected_on AS day
    FROM funding_instalments i JOIN funding_commitments c ON c.id = i.commitment_id
    WHERE c.archived_at IS NULL AND c.status <> 'cancelled'
    UNION ALL
    SELECT 'received', r.currency_code, r.amount, r.received_on
    FROM funding_receipts r
    WHERE r.archived_at IS NULL
),
day_sums AS (
    SELECT part, currency_code, day, sum(native) AS native
    FROM cash_rows GROUP BY part, currency_code, day
),
rate_dates AS (
    SELECT CASE WHEN quote_code = 'EUR' THEN base_code ELSE quote_code END AS code, rate_date
    FROM exchange_rates
    WHERE (quote_code = 'EUR' OR base_code = 'EUR') AND base_code <> quote_code
),
day_rates AS (
    SELECT d.currency_code, d.day,
           (SELECT max(rate_date) FROM rate_dates
            WHERE rate_dates.code = d.currency_code AND rate_dates.rate_date <= d.day) AS rate_on
    FROM (SELECT DISTINCT currency_code, day FROM day_sums WHERE currency_code <> 'EUR') d
)
SELECT s.part, CAST(EXTRACT(YEAR FROM s.day) AS integer),
       CAST(EXTRACT(QUARTER FROM s.day) AS integer), s.currency_code, r.rate_on, sum(s.native)
FROM day_sums s LEFT JOIN day_rates r ON r.currency_code = s.currency_code AND r.day = s.day
GROUP BY s.part, CAST(EXTRACT(YEAR FROM s.day) AS integer),
         CAST(EXTRACT(QUARTER FROM s.day) AS integer), s.currency_code, r.rate_on
"""


def upgrade():
    op.create_table(
        "funding_quarter_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part", PART, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("rate_on", sa.Date(), nullable=True),
        sa.Column("native", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ["currency_code"],
            ["currencies.code"],
            name=op.f("fk_funding_quarter_totals_currency_code_currencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_quarter_totals")),
    )
    with op.batch_alter_table("funding_quarter_totals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funding_quarter_totals_year"), ["year"], unique=False)
    op.create_table(
        "funding_funder_all_years",
        sa.Column("funder_id", sa.Integer(), nullable=False),
        sa.Column("part", FIGURE_PART, nullable=False),
        sa.Column("eur", sa.Numeric(), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["funder_id"],
            ["organizations.id"],
            name=op.f("fk_funding_funder_all_years_funder_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("funder_id", "part", name=op.f("pk_funding_funder_all_years")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FILL)
        op.execute(
            "INSERT INTO funding_funder_all_years (funder_id, part, eur, years) "
            "SELECT funder_id, part, sum(eur), count(*) FROM funding_funder_totals "
            "GROUP BY funder_id, part"
        )


def downgrade():
    op.drop_table("funding_funder_all_years")
    with op.batch_alter_table("funding_quarter_totals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_quarter_totals_year"))
    op.drop_table("funding_quarter_totals")
