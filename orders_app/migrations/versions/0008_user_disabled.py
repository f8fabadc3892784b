"""users.disabled_at: an operator can disable an account

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:00:00.000000

One nullable column; every existing user stays enabled. Added and dropped without batch mode, so that
SQLite keeps the expression index of 0004, which batch mode cannot rebuild (SQLite 3.35+ drops a column).
"""
from alembic import op
import sqlalchemy as sa

import orders_app.models.types


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('disabled_at', orders_app.models.types.UTCDateTime(timezone=True), server_default=sa.text('NULL'), nullable=True))


def downgrade():
    op.drop_column('users', 'disabled_at')
