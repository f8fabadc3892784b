"""every order amount and price, and every trade amount and price, is positive

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 11:10:00.000000

Input validation and the fill rules already refuse anything else; these CHECK constraints make a
zero or negative trade impossible even for code that bypasses them. The comparison goes through
CAST(... AS NUMERIC) because SQLite stores these columns as text (models/types.py: ExactDecimal), where
a plain `amount > 0` would compare text with a number and always hold.

Rows that break a constraint (a trade recorded at price 0 through an underflowing input, say) make the
upgrade refuse to run and name them, so that the operator decides what they were; nothing is changed.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

CHECKS = {
    'orders': {
        'ck_orders_amount_positive': 'CAST(amount AS NUMERIC) > 0',
        'ck_orders_price_positive': 'price IS NULL OR CAST(price AS NUMERIC) > 0',
        'ck_orders_filled_not_negative': 'CAST(filled_amount AS NUMERIC) >= 0',
    },
    'trades': {
        'ck_trades_amount_positive': 'CAST(amount AS NUMERIC) > 0',
        'ck_trades_price_positive': 'CAST(price AS NUMERIC) > 0',
    },
}


def upgrade():
    bind = op.get_bind()
    _refuse_rows_that_break_the_checks(bind)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks.items():
                batch_op.create_check_constraint(name, condition)


def downgrade():
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in checks:
                batch_op.drop_constraint(name, type_='check')


def _refuse_rows_that_break_the_checks(bind):
    broken = []
    for table, checks in CHECKS.items():
        for condition in checks.values():
            ids = bind.execute(sa.text(f'SELECT id FROM {table} WHERE NOT ({condition}) ORDER BY id')).scalars().all()
            broken += [f'{table} {row_id} breaks {condition}' for row_id in ids[:20]]
    if broken:
        raise RuntimeError(
            'Amounts and prices must be positive, but these rows are not: ' + '; '.join(broken)
            + '. Correct or delete them, then run `flask --app orders_app init-db` again. Nothing has been changed.'
        )
