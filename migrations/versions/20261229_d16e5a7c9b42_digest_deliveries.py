"""digest deliveries: which weekly digests were sent (one per user and ISO week)

Revision ID: d16e5a7c9b42
Revises: 1b59b933fb49
Create Date: 2026-12-07 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd16e5a7c9b42'
down_revision = "1b59b933fb49"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('digest_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.CheckConstraint('item_count >= 0', name=op.f('ck_digest_deliveries_item_count_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_deliveries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_deliveries')),
    sa.UniqueConstraint('user_id', 'week_start', name=op.f('uq_digest_deliveries_user_id_week_start'))
    )


def downgrade():
    op.drop_table('digest_deliveries')
