"""hotline users: the ``hotline`` role, the user ↔ hotline links, and one-time set-password links

A hotline user sees only the hotlines they are bound to (user_hotlines). An admin invites them:
the app makes a one-time, expiring set-password link, of which only the token's SHA-256 digest
is stored (set_password_links).

Revision ID: 9c1d2e3f4a5b
Revises: 0176f3f552d9
Create Date: 2026-12-08 09:00:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c1d2e3f4a5b'
down_revision = '3a9d4e7c1f52'
branch_labels = None
depends_on = None

OLD_ROLES = ("admin", "manager", "viewer")
NEW_ROLES = ("admin", "manager", "viewer", "hotline")


def _roles_check(roles):
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


def _replace_roles_check(roles):
    if op.get_bind().dialect.name == "sqlite":
        _replace_sqlite_check(roles)
        return
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_user_role'), type_='check')
        batch_op.create_check_constraint('user_role', sa.text(_roles_check(roles)))


def _replace_sqlite_check(roles):
    """SQLite would copy the table to change a CHECK, and dropping the old one deletes its rows
    first, which cascades to the users' API tokens (foreign keys cannot be turned off inside the
    migration's transaction). A wider CHECK changes nothing stored, so the table's definition is
    edited in place instead: the procedure SQLite's ALTER TABLE documentation gives for changes
    that do not affect the content on disk (writable_schema, then a new schema_version)."""
    conn = op.get_bind()
    table_sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'"
    ).scalar_one()
    pattern = re.compile(r"CONSTRAINT ck_users_user_role CHECK \(role IN \([^)]*\)\)")
    assert len(pattern.findall(table_sql)) == 1, table_sql
    new_sql = pattern.sub(f"CONSTRAINT ck_users_user_role CHECK ({_roles_check(roles)})", table_sql)
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (new_sql,)
    )
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    _replace_roles_check(NEW_ROLES)
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
    # Hotline users cannot exist without the role: they become inactive viewers, who keep
    # what they did (audit) and see nothing until an admin decides.
    op.execute("UPDATE users SET role = 'viewer', active = false WHERE role = 'hotline'")
    _replace_roles_check(OLD_ROLES)
