"""interaction log: meetings, calls and e-mails with an organization, their participants
(contacts of the organization) and follow-ups (due date, owner, done on)

"Last contacted" is derived from the log from now on; ``contacts.last_contacted_on`` stays
as the date recorded by hand before the log existed and counts only while a contact has no
interaction (no data is changed here).

Revision ID: 5b8e2f41c7a3
Revises: 859c65b20f17
Create Date: 2026-12-07 15:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b8e2f41c7a3'
down_revision = '859c65b20f17'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('interactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('meeting', 'call', 'email', 'other', name='interaction_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('follow_up_owner_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_done_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(follow_up_on IS NULL) = (follow_up_owner_id IS NULL)', name=op.f('ck_interactions_follow_up_complete')),
    sa.CheckConstraint('follow_up_done_on IS NULL OR follow_up_on IS NOT NULL', name=op.f('ck_interactions_done_needs_follow_up')),
    sa.ForeignKeyConstraint(['follow_up_owner_id'], ['users.id'], name=op.f('fk_interactions_follow_up_owner_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_interactions_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interactions'))
    )
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.create_index('ix_interactions_follow_up_on', ['follow_up_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_interactions_follow_up_owner_id'), ['follow_up_owner_id'], unique=False)
        batch_op.create_index('ix_interactions_organization_id_occurred_on', ['organization_id', 'occurred_on'], unique=False)

    op.create_table('interaction_participants',
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_interaction_participants_contact_id_contacts')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_interaction_participants_interaction_id_interactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('interaction_id', 'contact_id', name=op.f('pk_interaction_participants'))
    )
    with op.batch_alter_table('interaction_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_participants_contact_id'), ['contact_id'], unique=False)


def downgrade():
    with op.batch_alter_table('interaction_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interaction_participants_contact_id'))
    op.drop_table('interaction_participants')
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index('ix_interactions_organization_id_occurred_on')
        batch_op.drop_index(batch_op.f('ix_interactions_follow_up_owner_id'))
        batch_op.drop_index('ix_interactions_follow_up_on')
    op.drop_table('interactions')
