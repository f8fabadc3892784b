"""trades: indexes for market data, by pair and sequence (the tape's gaps) and by pair and time (candles)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:00:00.000000

Indexes only; no data changes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_trades_pair_sequence', 'trades', ['pair', 'sequence'], unique=False)
    op.create_index('ix_trades_pair_executed_at', 'trades', ['pair', 'executed_at'], unique=False)


def downgrade():
    op.drop_index('ix_trades_pair_executed_at', table_name='trades')
    op.drop_index('ix_trades_pair_sequence', table_name='trades')
