"""hotline users: the ``hotline`` role, the user ↔ hotline links, and one-time set-password links

A hotline user sees only the hotlines they are bound to (user_hotlines). An admin invites them:
the app makes a one-time, expiring set-password link, of which only the token's SHA-256 digest
is stored (set_password_links).

Revision ID: 9c1d2e3f4a5b
Revises: 0176f3f552d9
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c1d2e3f4a5b'
down_revision = '0176f3f552d9'
branch_labels = None
depends_on = None

OLD_ROLES = ("admin", "manager", "viewer")
NEW_ROLES = ("admin", "manager", "viewer", "hotline")


def _roles_check(roles):
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_user_role'), type_='check')
        batch_op.create_check_constraint('user_role', sa.text(_roles_check(NEW_ROLES)))
    op.create_table(
        'user_hotlines',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('hotline_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['hotline_id'], ['hotlines.id'],
            name=op.f('fk_user_hotlines_hotline_id_hotlines'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_user_hotlines_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', 'hotline_id', name=op.f('pk_user_hotlines')),
    )
    op.create_index(
        op.f('ix_user_hotlines_hotline_id'), 'user_hotlines', ['hotline_id'], unique=False
    )
    op.create_table(
        'set_password_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_set_password_links_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_set_password_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_set_password_links_token_hash')),
    )
    op.create_index(
        op.f('ix_set_password_links_user_id'), 'set_password_links', ['user_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_set_password_links_user_id'), table_name='set_password_links')
    op.drop_table('set_password_links')
    op.drop_index(op.f('ix_user_hotlines_hotline_id'), table_name='user_hotlines')
    op.drop_table('user_hotlines')
    op.execute("DELETE FROM users WHERE role = 'hotline'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_user_role'), type_='check')
        batch_op.create_check_constraint('user_role', sa.text(_roles_check(OLD_ROLES)))
