"""what public outputs show: a case's approved summary and "private" flag; photos' owner
report ("me too") and "public" flag

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # not in batch mode: on SQLite that would copy the table every case row hangs from,
    # which its foreign keys refuse once there are cases; ADD COLUMN needs no copy
    op.add_column('feedback', sa.Column('public_summary', sa.Text(), nullable=True))
    op.add_column('feedback', sa.Column('private', sa.Boolean(), server_default=sa.false(),
                                        nullable=False))

    # photos already stored are not public (nobody chose them); a "me too" photo stored
    # before this revision cannot be told from the first visitor's and stays with it
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_token_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('public', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_photos_case_token_id'), ['case_token_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_photos_case_token_id_case_tokens'), 'case_tokens', ['case_token_id'], ['id'])


def downgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_photos_case_token_id_case_tokens'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_photos_case_token_id'))
        batch_op.drop_column('public')
        batch_op.drop_column('case_token_id')

    # not in batch mode either (SQLite 3.35+ and PostgreSQL drop a column in place)
    op.execute('ALTER TABLE feedback DROP COLUMN private')
    op.execute('ALTER TABLE feedback DROP COLUMN public_summary')
