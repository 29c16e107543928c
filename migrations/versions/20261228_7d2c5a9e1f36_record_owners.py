"""owners of organizations, hotlines and funding commitments

Who looks after a record (issue #18, "my work"): a nullable ``owner_id`` (a user) with an index
on organizations, hotlines and funding commitments. The needs-attention rules resolve each item's
owner from these (and from partnerships' and expansion targets' own owners).

On SQLite the column is added with an inline, named foreign key (``ALTER TABLE ... ADD COLUMN
... REFERENCES``, which SQLite allows for a column that defaults to NULL) instead of a batch
rebuild: rebuilding these tables would need their full definitions, since others refer to them.

Revision ID: 7d2c5a9e1f36
Revises: 5b8e2f41c7a3
Create Date: 2026-12-28 16:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7d2c5a9e1f36'
down_revision = "5b8e2f41c7a3"
branch_labels = None
depends_on = None

TABLES = ('organizations', 'hotlines', 'funding_commitments')


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in TABLES:
        fk = f'fk_{table}_owner_id_users'
        if sqlite:
            op.execute(
                f'ALTER TABLE {table} ADD COLUMN owner_id INTEGER '
                f'CONSTRAINT {fk} REFERENCES users (id)'
            )
        else:
            op.add_column(table, sa.Column('owner_id', sa.Integer(), nullable=True))
            op.create_foreign_key(fk, table, 'users', ['owner_id'], ['id'])
        op.create_index(f'ix_{table}_owner_id', table, ['owner_id'], unique=False)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in reversed(TABLES):
        op.drop_index(f'ix_{table}_owner_id', table_name=table)
        if sqlite:
            op.execute(f'ALTER TABLE {table} DROP COLUMN owner_id')
        else:
            op.drop_constraint(f'fk_{table}_owner_id_users', table, type_='foreignkey')
            op.drop_column(table, 'owner_id')
