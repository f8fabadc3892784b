"""usernames are unique whatever their case

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:00:00.000000

The unique constraint on users.username becomes a unique index on lower(username): `alice` and `ALICE`
are one account, and names keep the case their owners chose. Existing users are kept as they are. If
two existing names differ only by case the upgrade refuses to run and names them, since only the
operator can decide who keeps the name; nothing is changed until they are renamed.

SQLite: batch mode cannot reflect an index on an expression (SQLAlchemy warns "Skipped unsupported
reflection" whenever it reflects users), so a later migration that rebuilds the users table there must
create this index again.

"""
from itertools import groupby

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INDEX = 'uq_users_username_lower'
# SQLite's constraint from 0001 has no name; this convention gives it one so that batch mode can drop it.
NAMING_CONVENTION = {'uq': 'uq_%(table_name)s_%(column_0_name)s'}
UNNAMED_CONSTRAINT = 'uq_users_username'


def upgrade():
    bind = op.get_bind()
    _refuse_names_differing_only_by_case(bind)
    [constraint] = [
        unique['name'] or UNNAMED_CONSTRAINT
        for unique in sa.inspect(bind).get_unique_constraints('users')
        if unique['column_names'] == ['username']
    ]
    with op.batch_alter_table('users', schema=None, naming_convention=NAMING_CONVENTION) as batch_op:
        batch_op.drop_constraint(constraint, type_='unique')
    op.create_index(INDEX, 'users', [sa.text('lower(username)')], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_unique_constraint(UNNAMED_CONSTRAINT, ['username'])


def _refuse_names_differing_only_by_case(bind):
    clashing = bind.execute(sa.text(
        'SELECT username FROM users WHERE lower(username) IN '
        '(SELECT lower(username) FROM users GROUP BY lower(username) HAVING count(*) > 1)'
    )).scalars().all()
    if not clashing:
        return
    clashing.sort(key=lambda name: (name.lower(), name))  # in Python: the databases' collations differ
    groups = [' / '.join(names) for _, names in groupby(clashing, key=str.lower)]
    raise RuntimeError(
        'Usernames are becoming case-insensitive, but these existing users have names that differ only by '
        f'case: {"; ".join(groups)}. Rename all but one user in each group (for example '
        f"UPDATE users SET username = '{clashing[-1]}_2' WHERE username = '{clashing[-1]}'), "
        'then run `flask --app orders_app init-db` again. Nothing has been changed.'
    )
