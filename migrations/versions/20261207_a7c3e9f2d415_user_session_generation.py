"""users.session_generation: a per-user counter that every session and remember-me cookie carries

Signing out, a password change, a role change and deactivation move it on, which ends every
session of that user at once. Existing users start at 1 (their current sessions, which carry
no generation, end at the upgrade: they sign in once more).

Revision ID: a7c3e9f2d415
Revises: 5e2b7c9d1f08
Create Date: 2026-12-07 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f2d415'
down_revision = '5e2b7c9d1f08'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_generation', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
