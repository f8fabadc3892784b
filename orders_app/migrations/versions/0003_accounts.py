"""accounts: balances, ledger, roles, settlement

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 12:00:32.530055

Trades recorded before this revision settled in their own transaction, so they are marked settled
at their execution time. Balances for users who predate it are opened by `flask init-db`, which
knows the STARTING_BALANCES setting (see services/balances.py: open_missing_accounts).

"""
from alembic import op
import sqlalchemy as sa

import orders_app.models.types


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('balances',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('asset', sa.String(length=10), nullable=False),
    sa.Column('available', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('held', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('pending', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('updated_at', orders_app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'asset')
    )
    op.create_table('ledger_entries',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('movement_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.Enum('DEPOSIT', 'HOLD', 'RELEASE', 'TRADE', 'SETTLEMENT', name='entrytype', native_enum=False, length=20), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('asset', sa.String(length=10), nullable=False),
    sa.Column('bucket', sa.Enum('AVAILABLE', 'HELD', 'PENDING', name='bucket', native_enum=False, length=20), nullable=False),
    sa.Column('amount', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('balance_after', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('trade_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', orders_app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_account_seq', ['account_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_movement_id'), ['movement_id'], unique=False)
        batch_op.create_index('ix_ledger_entries_order', ['order_id'], unique=False)
        batch_op.create_index('ix_ledger_entries_trade', ['trade_id'], unique=False)

    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settlement', sa.Enum('IMMEDIATE', 'DEFERRED', name='settlement', native_enum=False, length=20), server_default='IMMEDIATE', nullable=False))

    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settled_at', orders_app.models.types.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE trades SET settled_at = executed_at")

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.Enum('USER', 'OPERATOR', name='role', native_enum=False, length=20), server_default='USER', nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('role')

    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.drop_column('settled_at')

    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.drop_column('settlement')

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_trade')
        batch_op.drop_index('ix_ledger_entries_order')
        batch_op.drop_index(batch_op.f('ix_ledger_entries_movement_id'))
        batch_op.drop_index('ix_ledger_entries_account_seq')

    op.drop_table('ledger_entries')
    op.drop_table('balances')
