"""Posting money movements: the balances a transaction changes, locked, and their ledger entries.

Lock order. Every transaction that changes money first takes its pair's lock (if it has one), then
waits for balance locks in ONE statement only, ordered by key: a single use case locks every balance
it will change that way; a batch of the book writer locks those it already knows that way, and takes
the rest without waiting (Ledger explains how). Two transactions can therefore only wait for each
other in key order, so they never deadlock, whatever pairs and users they touch. On SQLite the write
transaction already holds the database lock, and FOR UPDATE is a no-op.
"""

import uuid
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, insert, select, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..domain.decimals import UPPER_BOUND, plain
from ..domain.enums import Bucket
from ..domain.errors import InvalidInput
from ..domain.funds import check_balanced, ensure_available, is_system_account
from ..models import Balance, LedgerEntry
from ..realtime import events

ZERO = Decimal(0)
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for FOR UPDATE NOWAIT meeting a held lock


class BalancesMoved(Exception):
    """Balances this transaction read without a lock changed (or were locked) before it could lock them:
    what it decided from them may be wrong, so it must not commit. `keys` names them."""

    def __init__(self, keys):
        super().__init__(f"{len(keys)} balance(s) moved under an optimistic read")
        self.keys = keys


class Ledger:
    """The balances one unit of work changes, and the movements it posts to them.

    A single use case locks the balances it needs once, in one batch (lock()). A batch of the book
    writer cannot know them up front: which makers its orders meet is only known as they match, one
    command after another. So it reads them as it goes (load()) and, when that read took no lock
    (PostgreSQL: `optimistic`), verify() locks them all in one statement in key order, without
    waiting, just before the batch writes its rows, and checks that none moved meanwhile; otherwise
    BalancesMoved, and the writer runs the batch again with them locked up front. A transaction therefore
    only ever waits for balance locks in its first, key-ordered statement, and two transactions cannot
    deadlock.
    On SQLite the write transaction holds the database lock, so every read is already a locked one.
    """

    def __init__(self, uow, *, optimistic=False):
        self._uow = uow
        self._optimistic = optimistic
        self._balances = {}
        self._locked_once = False
        self._unverified = set()  # keys read without a lock, for verify()
        self._before = {}  # each balance's buckets as the transaction found them
        self._announced = {}  # each balance's buckets as last announced (or found)
        self._changed = {}  # users' balances posted to since the last announcement, in order of first change
        self._entries = []  # ledger rows, written in one statement before the commit
        self.changes_made = 0  # legs applied: a command that refuses must not have moved this
        uow.before_commit(self._write_entries)
        uow.before_commit(self.announce)

    def lock(self, keys):
        """Lock the balances for `keys` ((account_id, asset) pairs), creating any that do not exist yet.

        A use case locks once, before it reads any balance; see the class docstring."""
        if self._locked_once or self._balances:
            raise RuntimeError("Balances are locked once per transaction, in one batch; see the class docstring.")
        self._locked_once = True
        self._read(set(keys), lock=True)
        return self._balances

    def load(self, keys):
        """Make the balances for `keys` available to this transaction, reading the ones it does not have."""
        missing = {key for key in keys if key not in self._balances}
        if missing:
            self._read(missing, lock=not self._optimistic)
            if self._optimistic:
                self._unverified |= missing
        return self._balances

    def _read(self, keys, *, lock):
        if not keys:
            return
        session = self._uow.session
        found = _select(session, keys, lock=lock)
        missing = keys - found.keys()
        if missing:
            _insert_empty(session, missing)
            found.update(_select(session, missing, lock=lock))
        self._balances.update(found)
        for key, balance in found.items():
            self._before[key] = self._announced[key] = _buckets(balance)

    def verify(self):
        """Lock the balances read without a lock, and check that none moved since (see the class docstring)."""
        keys = self._unverified
        if not keys:
            return
        self._unverified = set()
        try:
            current = _current_buckets(self._uow.session, keys)
        except OperationalError as error:
            if getattr(error.orig, "pgcode", None) == LOCK_NOT_AVAILABLE:
                raise BalancesMoved(keys) from None
            raise
        if any(current.get(key) != self._before[key] for key in keys):
            raise BalancesMoved(keys)  # all of them: the next run locks every one up front

    def balance(self, account_id, asset):
        try:
            return self._balances[(account_id, asset)]
        except KeyError:
            raise RuntimeError(f"Balance {account_id}/{asset} was not locked before use.") from None

    def available(self, account_id, asset):
        """What the account has available in this transaction's running state."""
        return self.load({(account_id, asset)})[(account_id, asset)].available

    def post(self, entry_type, legs, *, order_ids=None, order_id=None, trade_id=None):
        """Apply a balanced movement and record its entries. Returns the movement id.

        `order_ids` maps an account to the order its legs belong to (a trade has two); `order_id`
        names one order for every leg. Users' buckets never go below zero: available falling short
        is InsufficientFunds, anything else is a broken invariant. Every leg is checked before any
        is applied, so a refused movement changes nothing.
        """
        legs = [leg for leg in legs if leg.amount]
        if not legs:
            return None
        check_balanced(legs)
        afters = {}
        for leg in legs:
            balance = self.balance(leg.account_id, leg.asset)
            slot = (leg.account_id, leg.asset, leg.bucket)
            before = afters.get(slot, balance.bucket(leg.bucket))
            after = afters[slot] = before + leg.amount
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
        movement_id = uuid.uuid4()
        now = self._uow.now
        for leg in legs:
            balance = self.balance(leg.account_id, leg.asset)
            after = balance.bucket(leg.bucket) + leg.amount
            balance.set_bucket(leg.bucket, after)
            balance.updated_at = now
            self.changes_made += 1
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

    def announce(self):
        """Queue a BALANCE_UPDATED for each user's balance changed since the last announcement.

        Called after each command of a batch and before the commit, so a client sees the orders and
        trades, then what they did to its money. A hold released by the same command (a FOK that could
        not fill) leaves nothing to announce.
        """
        for key, balance in self._changed.items():
            buckets = _buckets(balance)
            if buckets != self._announced[key]:
                self._announced[key] = buckets
                self._uow.events.append(events.balance_updated(balance, at=self._uow.now))
        self._changed = {}

    def _write_entries(self):
        # One bulk INSERT rather than an ORM object per entry: a trade alone writes six. The balance rows
        # stay locked until the commit, so each balance's entries are still numbered in the order applied.
        # Core, on the session's connection: the ORM's bulk path would only add per-row bookkeeping to it.
        if self._entries:
            session = self._uow.session
            session.flush()  # whatever else the use case changed goes first, as the ORM statement would have it
            session.connection().execute(insert(LedgerEntry.__table__), self._entries)


def _buckets(balance):
    return balance.available, balance.held, balance.pending


def _select(session, keys, *, lock):
    rows = session.scalars(_balances_statement(lock), {"keys": sorted(keys)})
    return {(row.account_id, row.asset): row for row in rows}


@cache
def _balances_statement(lock):
    """The balances named by the `keys` parameter ((account, asset) pairs), locked in key order when
    `lock`. Built once: a batch reads balances several times, and building a statement and its cache
    key each time cost more than SQLAlchemy's compiled-statement cache saves."""
    query = select(Balance).where(tuple_(Balance.account_id, Balance.asset).in_(bindparam("keys", expanding=True)))
    if lock:
        query = query.order_by(Balance.account_id, Balance.asset).with_for_update()
    return query.execution_options(populate_existing=True)


def _current_buckets(session, keys):
    """The buckets of `keys` as committed, locked in key order without waiting: a lock another
    transaction holds is an error (LOCK_NOT_AVAILABLE), not a wait."""
    query = (
        select(Balance.account_id, Balance.asset, Balance.available, Balance.held, Balance.pending)
        .where(tuple_(Balance.account_id, Balance.asset).in_(sorted(keys)))
        .order_by(Balance.account_id, Balance.asset)
        .with_for_update(nowait=True)
    )
    # On the connection, not the session: nothing may be flushed before these rows are locked.
    rows = session.connection().execute(query)
    return {(row.account_id, row.asset): (row.available, row.held, row.pending) for row in rows}


def _insert_empty(session, keys):
    """Create zero balances; one that another transaction created meanwhile is left as it is."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [
        {"account_id": account_id, "asset": asset, "available": ZERO, "held": ZERO, "pending": ZERO}
        for account_id, asset in sorted(keys)
    ]
    session.execute(insert(Balance).values(rows).on_conflict_do_nothing(index_elements=["account_id", "asset"]))
