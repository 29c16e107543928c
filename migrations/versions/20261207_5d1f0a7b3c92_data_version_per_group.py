"""data version per group of tables: a write invalidates only the figures that read them

Each group column holds the data version of the last write to a table of that group (the
counter only goes up, and a restore moves it past every version before, so a group's value is
never reused for other data). All start at the current version.

Revision ID: 5d1f0a7b3c92
Revises: e2f4a6b8c0d1
Create Date: 2026-12-07 06:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1f0a7b3c92'
down_revision = 'e2f4a6b8c0d1'
branch_labels = None
depends_on = None

GROUPS = (
    'audit', 'auth', 'funding', 'imports', 'network', 'partners', 'pillars', 'reference',
    'stats', 'training', 'other',
)


def upgrade():
    with op.batch_alter_table('data_version') as batch_op:
        for group in GROUPS:
            batch_op.add_column(
                sa.Column(f'{group}_version', sa.BigInteger(), nullable=False, server_default='0')
            )
    op.execute(
        "UPDATE data_version SET "
        + ", ".join(f"{group}_version = version" for group in GROUPS)
    )


def downgrade():
    with op.batch_alter_table('data_version') as batch_op:
        for group in GROUPS:
            batch_op.drop_column(f'{group}_version')
