"""push subscriptions: the hash of the secret a service worker renews its subscription with

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 17:05:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN in place (no batch copy: see 0020); phones subscribed before have none
    # until their alerts page is opened again
    op.add_column('push_subscriptions',
                  sa.Column('renew_token_hash', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('push_subscriptions', 'renew_token_hash')
