"""funding totals kept current on write: funding_year_totals and funding_funder_totals

Derived tables the funding figures read instead of every pledge, receipt and allocation
(``coordapp.funding.totals``). On PostgreSQL they are filled here from the rows already stored,
with the rule of ``coordapp.funding.conversion`` as it stands at this revision: each row at the
latest rate between its currency and EUR on or before its date (stored either way; on one date
the one stored towards EUR wins), a rate stored away from EUR as 1 / rate to 28 significant
digits, products and sums exact. On SQLite they stay empty (the figures are computed from the
rows there).

Revision ID: 0176f3f552d9
Revises: 5d1f0a7b3c92
Create Date: 2026-12-07 11:10:00

"""
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0176f3f552d9'
down_revision = "b8e3d51a6c20"
branch_labels = None
depends_on = None

PART = sa.Enum(
    'pledged', 'received', name='funding_figure_part', native_enum=False, create_constraint=True
)

# The rows behind the figures: part, pillar (NULL: the whole amount), funder, currency, amount,
# day. A receipt's pillar share is its amount times allocation / commitment amount.
ROWS = """
    SELECT 'pledged' AS part, NULL::integer AS pillar_id, c.funder_id, c.currency_code,
           c.amount AS native, c.pledged_on AS day
    FROM funding_commitments c
    WHERE c.archived_at IS NULL AND c.status <> 'cancelled'
    UNION ALL
    SELECT 'received', NULL, c.funder_id, r.currency_code, r.amount, r.received_on
    FROM funding_receipts r JOIN funding_commitments c ON c.id = r.commitment_id
    WHERE r.archived_at IS NULL
    UNION ALL
    SELECT 'pledged', a.pillar_id, NULL, c.currency_code, a.amount, c.pledged_on
    FROM funding_commitments c JOIN funding_allocations a ON a.commitment_id = c.id
    WHERE c.archived_at IS NULL AND c.status <> 'cancelled'
    UNION ALL
    SELECT 'received', a.pillar_id, NULL, r.currency_code,
           r.amount * (a.amount / NULLIF(c.amount, 0)), r.received_on
    FROM funding_receipts r
    JOIN funding_commitments c ON c.id = r.commitment_id
    JOIN funding_allocations a ON a.commitment_id = c.id
    WHERE r.archived_at IS NULL
"""

# Summed per day first; each (currency, day) then gets the date of its rate to EUR.
SUMMED = """
WITH figure_rows AS ({rows}),
day_sums AS (
    SELECT part, pillar_id, funder_id, currency_code, day, sum(native) AS native
    FROM figure_rows GROUP BY part, pillar_id, funder_id, currency_code, day
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
SELECT s.part, CAST(EXTRACT(YEAR FROM s.day) AS integer) AS year, s.pillar_id, s.funder_id,
       s.currency_code, r.rate_on, sum(s.native) AS native
FROM day_sums s LEFT JOIN day_rates r ON r.currency_code = s.currency_code AND r.day = s.day
GROUP BY s.part, CAST(EXTRACT(YEAR FROM s.day) AS integer), s.pillar_id, s.funder_id,
         s.currency_code, r.rate_on
"""


def upgrade():
    op.create_table(
        'funding_year_totals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('part', PART, nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('pillar_id', sa.Integer(), nullable=True),
        sa.Column('currency_code', sa.String(length=3), nullable=False),
        sa.Column('rate_on', sa.Date(), nullable=True),
        sa.Column('native', sa.Numeric(), nullable=True),
        sa.ForeignKeyConstraint(
            ['currency_code'], ['currencies.code'],
            name=op.f('fk_funding_year_totals_currency_code_currencies'),
        ),
        sa.ForeignKeyConstraint(
            ['pillar_id'], ['pillars.id'], name=op.f('fk_funding_year_totals_pillar_id_pillars')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_year_totals')),
    )
    with op.batch_alter_table('funding_year_totals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_year_totals_year'), ['year'], unique=False)
    op.create_table(
        'funding_funder_totals',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('funder_id', sa.Integer(), nullable=False),
        sa.Column('part', PART, nullable=False),
        sa.Column('eur', sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ['funder_id'], ['organizations.id'],
            name=op.f('fk_funding_funder_totals_funder_id_organizations'),
        ),
        sa.PrimaryKeyConstraint('year', 'funder_id', 'part', name=op.f('pk_funding_funder_totals')),
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        _fill(bind)


def _fill(bind):
    year_totals = {}
    funder_rows = []
    with localcontext(Context(prec=200)):
        for part, year, pillar_id, funder_id, code, rate_on, native in bind.execute(
            sa.text(SUMMED.format(rows=ROWS))
        ):
            # The whole amounts (a funder, no pillar) count per funder and in the year's total.
            if funder_id is not None:
                funder_rows.append((part, year, funder_id, code, rate_on, native))
            key = (part, year, pillar_id, code, rate_on)
            if native is None:  # a share of a commitment of 0: as SQL's sum, NULL alone
                year_totals.setdefault(key, None)
            else:
                year_totals[key] = (year_totals.get(key) or 0) + native
    if year_totals:
        bind.execute(
            sa.text(
                'INSERT INTO funding_year_totals (part, year, pillar_id, currency_code, rate_on,'
                ' native) VALUES (:part, :year, :pillar_id, :code, :rate_on, :native)'
            ),
            [
                {'part': p, 'year': y, 'pillar_id': pl, 'code': c, 'rate_on': on, 'native': n}
                for (p, y, pl, c, on), n in year_totals.items()
            ],
        )
    _fill_funders(bind, funder_rows)


def _fill_funders(bind, funder_rows):
    factors = {}
    digits = Context(prec=28, rounding=ROUND_HALF_EVEN)
    for base, quote, day, rate in bind.execute(
        sa.text(
            "SELECT base_code, quote_code, rate_date, rate FROM exchange_rates "
            "WHERE (quote_code = 'EUR' OR base_code = 'EUR') AND base_code <> quote_code"
        )
    ):
        if quote == 'EUR':
            factors[(base, day)] = rate  # stored towards EUR: wins a tie on one date
        else:
            factors.setdefault((quote, day), digits.divide(1, rate))
    eur = defaultdict(Decimal)
    with localcontext(Context(prec=200)):
        for part, year, funder_id, code, rate_on, native in funder_rows:
            key = (part, year, funder_id)
            if code == 'EUR':
                eur[key] += native
            elif rate_on is None:
                eur[key] += 0  # no rate yet: left out, the funder still has a total
            else:
                eur[key] += native * factors[(code, rate_on)]
    if eur:
        bind.execute(
            sa.text(
                'INSERT INTO funding_funder_totals (year, funder_id, part, eur)'
                ' VALUES (:year, :funder_id, :part, :eur)'
            ),
            [
                {'year': y, 'funder_id': f, 'part': p, 'eur': amount}
                for (p, y, f), amount in eur.items()
            ],
        )


def downgrade():
    op.drop_table('funding_funder_totals')
    with op.batch_alter_table('funding_year_totals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_year_totals_year'))
    op.drop_table('funding_year_totals')
