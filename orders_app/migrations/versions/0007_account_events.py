"""account_events: every private event as published, numbered per account, for replay

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:00:00.000000

New tables only; nothing existing changes. Accounts start at eventSeq 0: their first event after the
upgrade is 1, and nothing before it was ever numbered.
"""
from alembic import op
import sqlalchemy as sa

import orders_app.models.types


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_events',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('event_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', orders_app.models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'event_seq')
    )
    op.create_table('account_event_sequences',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('last_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pruned_through', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )


def downgrade():
    op.drop_table('account_event_sequences')
    op.drop_table('account_events')
