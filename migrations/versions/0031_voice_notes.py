"""visitors' voice notes: stored re-encoded (AAC in MP4), with an optional transcript

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 07:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'voice_notes',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('feedback_id', BIG_ID, nullable=False),
        sa.Column('storage_name', sa.String(length=64), nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.Column('case_token_id', BIG_ID, nullable=True),
        sa.Column('transcript_state', sa.String(length=8), nullable=True),
        sa.Column('transcript', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'],
                                name=op.f('fk_voice_notes_feedback_id_feedback')),
        sa.ForeignKeyConstraint(['case_token_id'], ['case_tokens.id'],
                                name=op.f('fk_voice_notes_case_token_id_case_tokens')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_notes')),
        sa.UniqueConstraint('storage_name', name=op.f('uq_voice_notes_storage_name')),
    )
    op.create_index(op.f('ix_voice_notes_feedback_id'), 'voice_notes', ['feedback_id'])
    op.create_index(op.f('ix_voice_notes_case_token_id'), 'voice_notes', ['case_token_id'])
    op.create_index(op.f('ix_voice_notes_transcript_state'), 'voice_notes',
                    ['transcript_state'])


def downgrade():
    op.drop_index(op.f('ix_voice_notes_transcript_state'), table_name='voice_notes')
    op.drop_index(op.f('ix_voice_notes_case_token_id'), table_name='voice_notes')
    op.drop_index(op.f('ix_voice_notes_feedback_id'), table_name='voice_notes')
    op.drop_table('voice_notes')
