"""metric definitions valid until a date; units content URLs and days

A metric definition's version runs from ``valid_from`` to ``valid_until`` (open: still in
force); a later version of the same code takes over from the day after. Units: reports
(``count``), content URLs, percent, days. Existing definitions stay open-ended.

On SQLite the table is rebuilt (batch mode) from its definition below, since SQLite reflects no
CHECK constraints; hotline statistics refer to it, so foreign keys are switched off around the
rebuild (SQLite's documented way to change a referenced table; ids are copied unchanged).

Revision ID: 3e7a91c5d2b8
Revises: 0176f3f552d9
Create Date: 2026-12-25 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e7a91c5d2b8'
down_revision = "3c5e7a9b1d24"
branch_labels = None
depends_on = None

UNIT_CHECK = 'ck_metric_definitions_metric_unit'
VALIDITY_CHECK = 'ck_metric_definitions_valid_until_after_from'
OLD_UNITS = "unit IN ('count', 'percent')"
NEW_UNITS = "unit IN ('count', 'urls', 'percent', 'days')"


def _table(units: str, *, with_valid_until: bool) -> sa.Table:
    """The table as it stands before the change, for SQLite's rebuild."""
    return sa.Table(
        'metric_definitions',
        sa.MetaData(),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('definition', sa.Text(), nullable=False),
        sa.Column('unit', sa.String(length=7), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        *([sa.Column('valid_until', sa.Date(), nullable=True)] if with_valid_until else []),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('version >= 1', name='ck_metric_definitions_version_positive'),
        sa.CheckConstraint(units, name=UNIT_CHECK),
        *(
            [sa.CheckConstraint('valid_until IS NULL OR valid_until >= valid_from', name=VALIDITY_CHECK)]
            if with_valid_until
            else []
        ),
        sa.PrimaryKeyConstraint('id', name='pk_metric_definitions'),
        sa.UniqueConstraint('code', 'version', name='uq_metric_definitions_code_version'),
    )


def _foreign_keys(on: bool) -> None:
    """SQLite: foreign keys off (or back on) between transactions; elsewhere nothing."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute('COMMIT')
    op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    op.execute('BEGIN')


def upgrade():
    _foreign_keys(False)
    with op.batch_alter_table(
        'metric_definitions', copy_from=_table(OLD_UNITS, with_valid_until=False)
    ) as batch_op:
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f(VALIDITY_CHECK), 'valid_until IS NULL OR valid_until >= valid_from'
        )
        batch_op.drop_constraint(op.f(UNIT_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(UNIT_CHECK), NEW_UNITS)
    _foreign_keys(True)


def downgrade():
    # Content URLs are counts; days have no unit before this revision: they go, with their values.
    op.execute("UPDATE metric_definitions SET unit = 'count' WHERE unit = 'urls'")
    op.execute(
        "DELETE FROM hotline_statistics WHERE metric_id IN "
        "(SELECT id FROM metric_definitions WHERE unit = 'days')"
    )
    op.execute("DELETE FROM metric_definitions WHERE unit = 'days'")
    _foreign_keys(False)
    with op.batch_alter_table(
        'metric_definitions', copy_from=_table(NEW_UNITS, with_valid_until=True)
    ) as batch_op:
        batch_op.drop_constraint(op.f(UNIT_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(UNIT_CHECK), OLD_UNITS)
        batch_op.drop_constraint(op.f(VALIDITY_CHECK), type_='check')
        batch_op.drop_column('valid_until')
    _foreign_keys(True)
