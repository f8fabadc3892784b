"""book_changes: each pair's log of changes to its book, for processes to catch up from

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00.000000

A new table only; nothing existing changes. A process that finds the log does not reach back to its
cached book rebuilds the book from the open orders, so an empty log after the upgrade is correct.
"""
from alembic import op
import sqlalchemy as sa

import orders_app.models.types


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('book_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('pair', sa.String(length=16), nullable=False),
    sa.Column('from_sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('side', sa.Enum('BUY', 'SELL', name='side', native_enum=False, length=20), nullable=True),
    sa.Column('price', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=True),
    sa.Column('remaining', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('requeued', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_book_changes_pair_sequence', 'book_changes', ['pair', 'sequence'], unique=False)


def downgrade():
    op.drop_index('ix_book_changes_pair_sequence', table_name='book_changes')
    op.drop_table('book_changes')
