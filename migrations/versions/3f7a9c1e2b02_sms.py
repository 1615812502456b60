"""SMS messages, opt-outs and the campaign channel

Revision ID: 3f7a9c1e2b02
Revises: 3f7a9c1e2b01
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa

import app.models.base

# revision identifiers, used by Alembic.
revision = '3f7a9c1e2b02'
down_revision = '3f7a9c1e2b01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('OUT', 'IN', name='smsdirection', native_enum=False), nullable=False),
    sa.Column('to_number', sa.String(length=40), nullable=False),
    sa.Column('from_number', sa.String(length=40), server_default='', nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.Enum('QUEUED', 'SENDING', 'SENT', 'DELIVERED', 'FAILED', 'RECEIVED', name='smsstatus', native_enum=False), nullable=False),
    sa.Column('provider', sa.String(length=20), server_default='', nullable=False),
    sa.Column('provider_id', sa.String(length=64), server_default='', nullable=False),
    sa.Column('error_code', sa.String(length=20), server_default='', nullable=False),
    sa.Column('error', sa.String(length=500), server_default='', nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('campaign_recipient_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('ticket_comment_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('sent_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sms_messages_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_recipient_id'], ['campaign_recipients.id'], name=op.f('fk_sms_messages_campaign_recipient_id_campaign_recipients'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sms_messages_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_comment_id'], ['ticket_comments.id'], name=op.f('fk_sms_messages_ticket_comment_id_ticket_comments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_sms_messages_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_sms_messages_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sms_messages_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_messages'))
    )
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.create_index('ix_sms_messages_direction', ['direction', 'id'], unique=False)
        batch_op.create_index('ix_sms_messages_status', ['status', 'id'], unique=False)
        batch_op.create_index('ix_sms_messages_campaign', ['campaign_id', 'status'], unique=False)
        batch_op.create_index('ix_sms_messages_provider_id', ['provider_id'], unique=False)
        batch_op.create_index('ix_sms_messages_ticket', ['ticket_id', 'id'], unique=False)
        batch_op.create_index('ix_sms_messages_to_number', ['to_number', 'id'], unique=False)

    op.create_table('sms_preferences',
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('consent', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('consent_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('consent_source', sa.String(length=40), server_default='', nullable=False),
    sa.Column('opted_out_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('opt_out_keyword', sa.String(length=20), server_default='', nullable=False),
    sa.Column('opt_out_source', sa.String(length=40), server_default='', nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_sms_preferences'))
    )

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_body', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('sms_body')

    op.drop_table('sms_preferences')
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_messages_to_number')
        batch_op.drop_index('ix_sms_messages_ticket')
        batch_op.drop_index('ix_sms_messages_provider_id')
        batch_op.drop_index('ix_sms_messages_campaign')
        batch_op.drop_index('ix_sms_messages_status')
        batch_op.drop_index('ix_sms_messages_direction')

    op.drop_table('sms_messages')
