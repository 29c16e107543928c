"""data version counter: one row that every data-changing flush increments

Dashboard caches are keyed on it. The row is created here, starting at 0.

Revision ID: 751ced89ac75
Revises: d3a8c4de4fe3
Create Date: 2026-11-26 18:51:06.173895

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '751ced89ac75'
down_revision = 'd3a8c4de4fe3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_data_version_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")


def downgrade():
    op.drop_table('data_version')
    # ### end Alembic commands ###
