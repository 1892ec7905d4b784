"""parks: a stable public code (park_code), the address of the park's board /p/<park_code>

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-03 19:30:00

"""
import re
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _slug(name: str) -> str:
    """"Ritan Park" -> "ritan-park"; '' when the English name gives nothing usable."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32].strip("-")


def upgrade():
    # not in batch mode: on SQLite that would copy the table the spots and cases hang from,
    # which their foreign keys refuse; ADD COLUMN needs no copy (so the column stays
    # nullable in the schema; every row gets a code here and from the model's default)
    op.add_column('parks', sa.Column('park_code', sa.String(length=32), nullable=True))
    connection = op.get_bind()
    taken = set()
    for park_id, name_en in connection.execute(
            sa.text("SELECT id, name_en FROM parks ORDER BY id")).all():
        code = _slug(name_en or "")
        while not code or code in taken:
            code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        taken.add(code)
        connection.execute(sa.text("UPDATE parks SET park_code = :code WHERE id = :id"),
                           {"code": code, "id": park_id})
    op.create_index('ix_parks_park_code', 'parks', ['park_code'], unique=True)


def downgrade():
    op.drop_index('ix_parks_park_code', table_name='parks')
    op.execute('ALTER TABLE parks DROP COLUMN park_code')
