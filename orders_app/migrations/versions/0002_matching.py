"""matching: pair sequence, time in force, self-trade prevention, priority, taker side

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:07:21.467362

"""
from alembic import op
import sqlalchemy as sa

import orders_app.models.types


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_trade_price', orders_app.models.types.ExactDecimal(precision=38, scale=18), nullable=True))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_in_force', sa.Enum('GTC', 'IOC', 'FOK', name='timeinforce', native_enum=False, length=20), server_default='GTC', nullable=False))
        batch_op.add_column(sa.Column('self_trade_prevention', sa.Enum('EXPIRE_MAKER', 'EXPIRE_TAKER', 'EXPIRE_BOTH', name='selftradeprevention', native_enum=False, length=20), server_default='EXPIRE_MAKER', nullable=False))
        batch_op.add_column(sa.Column('priority', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index('ix_orders_pair_status', ['pair', 'status'], unique=False)

    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taker_side', sa.Enum('BUY', 'SELL', name='side', native_enum=False, length=20), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index('ix_trades_pair_seq', ['pair', 'seq'], unique=False)



def downgrade():
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.drop_index('ix_trades_pair_seq')
        batch_op.drop_column('sequence')
        batch_op.drop_column('taker_side')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_pair_status')
        batch_op.drop_column('priority')
        batch_op.drop_column('self_trade_prevention')
        batch_op.drop_column('time_in_force')

    with op.batch_alter_table('instruments', schema=None) as batch_op:
        batch_op.drop_column('last_trade_price')
        batch_op.drop_column('sequence')

