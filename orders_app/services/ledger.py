"""Posting money movements: the balances a transaction changes, locked once, and their ledger entries.

Lock order. Every use case that changes money first takes its pair's lock (if it has one), then locks
all the balance rows it will change in ONE statement, ordered by key. Because no transaction ever
takes a second batch, two transactions can only wait for each other in key order, so they never
deadlock, whatever pairs and users they touch. That is why matching runs in memory first: the
makers' balances are known, and locked together with the taker's, before anything is posted.
On SQLite the write transaction already holds the database lock, and FOR UPDATE is a no-op.
"""

import uuid
from decimal import Decimal

from sqlalchemy import insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..domain.decimals import UPPER_BOUND, plain
from ..domain.enums import Bucket
from ..domain.errors import InvalidInput
from ..domain.funds import check_balanced, ensure_available, is_system_account
from ..models import Balance, LedgerEntry
from ..realtime import events

ZERO = Decimal(0)


class Ledger:
    """The balances one unit of work changes, and the movements it posts to them."""

    def __init__(self, uow):
        self._uow = uow
        self._balances = None
        self._before = {}  # each locked balance's buckets as the transaction found them
        self._changed = {}  # users' balances posted to, in order of first change
        self._entries = []  # ledger rows, written in one statement before the commit
        uow.before_commit(self._write_entries)
        uow.before_commit(self._announce_balances)

    def lock(self, keys):
        """Lock the balances for `keys` ((account_id, asset) pairs), creating any that do not exist yet."""
        if self._balances is not None:
            raise RuntimeError("Balances are locked once per transaction, in one batch; see the module docstring.")
        keys = set(keys)
        session = self._uow.session
        self._balances = _select_for_update(session, keys)
        missing = keys - self._balances.keys()
        if missing:
            _insert_empty(session, missing)
            self._balances.update(_select_for_update(session, missing))
        self._before = {key: _buckets(balance) for key, balance in self._balances.items()}
        return self._balances

    def balance(self, account_id, asset):
        try:
            return self._balances[(account_id, asset)]
        except (KeyError, TypeError):
            raise RuntimeError(f"Balance {account_id}/{asset} was not locked before use.") from None

    def post(self, entry_type, legs, *, order_ids=None, order_id=None, trade_id=None):
        """Apply a balanced movement and record its entries. Returns the movement id.

        `order_ids` maps an account to the order its legs belong to (a trade has two); `order_id`
        names one order for every leg. Users' buckets never go below zero: available falling short
        is InsufficientFunds, anything else is a broken invariant.
        """
        legs = [leg for leg in legs if leg.amount]
        if not legs:
            return None
        check_balanced(legs)
        movement_id = uuid.uuid4()
        now = self._uow.now
        for leg in legs:
            balance = self.balance(leg.account_id, leg.asset)
            before = balance.bucket(leg.bucket)
            after = before + leg.amount
            if after < 0 and not is_system_account(leg.account_id):
                if leg.bucket is Bucket.AVAILABLE:
                    ensure_available(leg.asset, -leg.amount, before)
                raise RuntimeError(f"{leg.bucket.value} {leg.asset} of {leg.account_id} would become {after}.")
            if abs(after) >= UPPER_BOUND:
                # Every balance, the system accounts' included, must fit the NUMERIC(38, 18) column.
                raise InvalidInput(
                    f"This would take a {leg.asset} balance to {plain(UPPER_BOUND)} or more, the most an account holds.",
                    field="amount",
                )
            balance.set_bucket(leg.bucket, after)
            balance.updated_at = now
            self._entries.append(
                {
                    "movement_id": movement_id,
                    "type": entry_type,
                    "account_id": leg.account_id,
                    "asset": leg.asset,
                    "bucket": leg.bucket,
                    "amount": leg.amount,
                    "balance_after": after,
                    "order_id": order_ids.get(leg.account_id) if order_ids else order_id,
                    "trade_id": trade_id,
                    "created_at": now,
                }
            )
            if not is_system_account(leg.account_id):
                self._changed.setdefault((leg.account_id, leg.asset), balance)
        return movement_id

    def _write_entries(self):
        # One bulk INSERT rather than an ORM object per entry: a trade alone writes six. The balance rows
        # stay locked until the commit, so each balance's entries are still numbered in the order applied.
        if self._entries:
            self._uow.session.execute(insert(LedgerEntry), self._entries)

    def _announce_balances(self):
        # Last in the transaction's events: a client sees the orders and trades, then what they did to its money.
        # A hold released in the same transaction (a FOK that could not fill) leaves nothing to announce.
        for key, balance in self._changed.items():
            if _buckets(balance) != self._before[key]:
                self._uow.events.append(events.balance_updated(balance, at=self._uow.now))


def available(session, account_id, asset):
    """What the account has available now, read without a lock: a pre-check only. The posting under
    lock decides, so a concurrent spend between the two is still refused."""
    value = session.scalar(select(Balance.available).where(Balance.account_id == account_id, Balance.asset == asset))
    return ZERO if value is None else value


def _buckets(balance):
    return balance.available, balance.held, balance.pending


def _select_for_update(session, keys):
    if not keys:
        return {}
    rows = session.scalars(
        select(Balance)
        .where(tuple_(Balance.account_id, Balance.asset).in_(sorted(keys)))
        .order_by(Balance.account_id, Balance.asset)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {(row.account_id, row.asset): row for row in rows}


def _insert_empty(session, keys):
    """Create zero balances; one that another transaction created meanwhile is left as it is."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [
        {"account_id": account_id, "asset": asset, "available": ZERO, "held": ZERO, "pending": ZERO}
        for account_id, asset in sorted(keys)
    ]
    session.execute(insert(Balance).values(rows).on_conflict_do_nothing(index_elements=["account_id", "asset"]))
