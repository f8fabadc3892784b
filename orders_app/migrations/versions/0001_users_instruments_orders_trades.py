"""users, instruments, orders and trades

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 09:45:35.729446

"""
from alembic import op
import sqlalchemy as sa

import orders_app.models.types


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instruments',
    sa.Column('symbol', sa.String(length=16), nullable=False),
    sa.Column('base', sa.String(length=10), nullable=False),
    sa.Column('quote', sa.String(length=10), nullable=False),
    sa.Column('tick_size', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('lot_size', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('min_amount', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.PrimaryKeyConstraint('symbol')
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', orders_app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('client_order_id', sa.String(length=64), nullable=True),
    sa.Column('pair', sa.String(length=16), nullable=False),
    sa.Column('side', sa.Enum('BUY', 'SELL', name='side', native_enum=False, length=20), nullable=False),
    sa.Column('type', sa.Enum('LIMIT', 'MARKET', name='ordertype', native_enum=False, length=20), nullable=False),
    sa.Column('amount', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('price', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=True),
    sa.Column('filled_amount', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('filled_quote', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED', name='orderstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', orders_app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', orders_app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair'], ['instruments.symbol'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'client_order_id', name='uq_orders_user_client_order_id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('trades',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('pair', sa.String(length=16), nullable=False),
    sa.Column('amount', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('price', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=False),
    sa.Column('buy_order_id', sa.Uuid(), nullable=True),
    sa.Column('sell_order_id', sa.Uuid(), nullable=True),
    sa.Column('executed_at', orders_app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('buy_order_id IS NOT NULL OR sell_order_id IS NOT NULL', name='ck_trades_has_order'),
    sa.ForeignKeyConstraint(['buy_order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['pair'], ['instruments.symbol'], ),
    sa.ForeignKeyConstraint(['sell_order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id')
    )
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trades_buy_order_id'), ['buy_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trades_sell_order_id'), ['sell_order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trades_sell_order_id'))
        batch_op.drop_index(batch_op.f('ix_trades_buy_order_id'))

    op.drop_table('trades')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_user_created')

    op.drop_table('orders')
    op.drop_table('users')
    op.drop_table('instruments')
