"""user time zone

Every user gets an IANA time zone name; existing users get UTC, the zone they saw so far.

Revision ID: 4c860c9430e4
Revises: b5c1e0d2f7a3
Create Date: 2026-11-24 23:06:35.830341

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4c860c9430e4'
down_revision = 'b5c1e0d2f7a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
