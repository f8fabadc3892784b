"""The in-memory order books of this process, kept honest against the database.

The database is the record. Each process caches one engine OrderBook per pair together with
the pair's sequence it reflects. Every change to a pair's book locks the pair's row first
(SELECT ... FOR UPDATE; on SQLite the write transaction already holds the database lock), then
compares sequences: if another process moved the book since, the cache catches up before
matching, from the pair's change log when the log reaches back to it, else by rebuilding the book
from the open orders. A change that rolls back drops the cache, which the engine had already
changed. So no process ever matches against a book another process has changed behind its back.

The change log (models/book_change.py, HLD.md section 8): every transaction that moves a pair's
sequence writes, just before its commit and in one INSERT, one row per order whose place in the book
it changed, as the order stands afterwards, each row naming the sequence the transaction started and
ended at. Catching up applies the rows of the transactions since the cached sequence, provided they
chain from it to the current sequence without a gap; the log keeps BOOK_CHANGE_LOG_RETENTION
sequences per pair.

Lock order is always: the pair's row in the database, then this process's lock for the pair.
Readers take only the process lock and never wait on the database while holding it.
"""

import threading
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import delete, insert, select

from ..domain.enums import OPEN_STATUSES, OrderType, Side
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..engine import OrderBook, RestingOrder, TakerOutcome
from ..extensions import db
from ..models import BookChange, Instrument, Order
from . import market_feed

# How many prunes a retention period holds: the log grows to at most 1.1 times the retention.
_PRUNES_PER_RETENTION = 10


@dataclass
class CachedBook:
    book: OrderBook
    sequence: int


class BookRegistry:
    """One process's books, one lock per pair."""

    def __init__(self):
        self._books = {}
        self._locks = {}
        self._guard = threading.Lock()

    def lock(self, pair):
        with self._guard:
            return self._locks.setdefault(pair, threading.Lock())

    def cached(self, pair):
        return self._books.get(pair)

    def install(self, pair, book, sequence):
        self._books[pair] = CachedBook(book, sequence)

    def drop(self, pair):
        self._books.pop(pair, None)


REGISTRY_KEY = "orders_app.books"


def init_app(app):
    """Give the app its books; an app is one process's view of the market."""
    app.extensions[REGISTRY_KEY] = BookRegistry()


def registry():
    """The books of the current app."""
    return current_app.extensions[REGISTRY_KEY]


def lock_pair(session, pair):
    """The instrument row, locked until the transaction ends: the per-pair serialisation point."""
    return session.scalar(
        select(Instrument).where(Instrument.symbol == pair).with_for_update().execution_options(populate_existing=True)
    )


class CheckedOutBook:
    """A pair's book during one change: the engine book, noting each order whose place in it the change
    touches (and whether it joined the back of its level), for the change log."""

    def __init__(self, book):
        self.book = book
        self.touched = {}  # order id -> requeued; in the order first touched
        # For the public market data (services/market_feed.py): each price level the change touched, with
        # the amount resting there before the change first touched it; the top of the book before; fills.
        self.levels_before = {}  # (side, price) -> amount
        self.top_before = book.top()
        self.fill_count = 0

    def __contains__(self, order_id):
        return order_id in self.book

    def get(self, order_id):
        return self.book.get(order_id)

    def submit(self, taker):
        if taker.price is not None:
            self._note_level(taker.side, taker.price)
        result = self.book.submit(taker)
        # The levels the taker met: what rests there now, plus what it took or self-trade prevention cancelled.
        taken = {}
        for maker in result.cancelled_makers:
            self._touch(maker.order_id)
            taken[maker.price] = taken.get(maker.price, Decimal(0)) + maker.remaining
        for fill in result.fills:
            self._touch(fill.maker_order_id)
            taken[fill.price] = taken.get(fill.price, Decimal(0)) + fill.amount
        maker_side = Side.SELL if taker.side is Side.BUY else Side.BUY
        for price, amount in taken.items():
            self.levels_before.setdefault((maker_side, price), self.book.level_amount(maker_side, price) + amount)
        self.fill_count += len(result.fills)
        self._touch(taker.order_id, requeued=result.outcome is TakerOutcome.RESTED)
        return result

    def cancel(self, order_id):
        self._touch(order_id)
        self._note_order_level(order_id)
        return self.book.cancel(order_id)

    def reduce(self, order_id, new_remaining):
        self._touch(order_id)
        self._note_order_level(order_id)
        return self.book.reduce(order_id, new_remaining)

    def _note_order_level(self, order_id):
        resting = self.book.get(order_id)
        if resting is not None:
            self._note_level(resting.side, resting.price)

    def _note_level(self, side, price):
        key = (side, price)
        if key not in self.levels_before:
            self.levels_before[key] = self.book.level_amount(side, price)

    def level_changes(self):
        """(bids, asks): [(price, amount now)] for every level whose amount the change moved, best first;
        an amount of 0 means the level is gone."""
        bids, asks = [], []
        for (side, price), before in self.levels_before.items():
            after = self.book.level_amount(side, price)
            if after != before:
                (bids if side is Side.BUY else asks).append((price, after))
        bids.sort(reverse=True)
        asks.sort()
        return bids, asks

    def _touch(self, order_id, requeued=False):
        if requeued:
            # Last in line now, and last in the log too: catching up requeues in the order of the rows.
            self.touched.pop(order_id, None)
            self.touched[order_id] = True
        else:
            self.touched[order_id] = self.touched.get(order_id, False)

    def changes(self, pair, from_sequence, sequence):
        """The change log rows for these touches: each order as it now stands, 0 remaining once gone."""

        def row(order_id=None, resting=None, requeued=False):
            gone = resting is None
            return dict(
                pair=pair,
                from_sequence=from_sequence,
                sequence=sequence,
                order_id=order_id,
                user_id=None if gone else resting.user_id,
                side=None if gone else resting.side,
                price=None if gone else resting.price,
                remaining=Decimal(0) if gone else resting.remaining,
                requeued=requeued and not gone,
            )

        rows = [row(order_id, self.book.get(order_id), requeued) for order_id, requeued in self.touched.items()]
        # A sequence step with no order behind it still gets a row, so the chain shows no gap.
        return rows or [row()]


def checkout(uow, instrument):
    """The pair's book for a change inside `uow`; the pair's row must already be locked.

    Holds the process lock for the pair until the transaction ends; the commands of one batch share
    one checkout. Just before the commit the change is written to the pair's change log; on commit
    the cache is recorded at the new sequence, on rollback it is dropped.
    """
    pair = instrument.symbol
    if pair in uow.books:
        return uow.books[pair]
    books = registry()
    lock = books.lock(pair)
    lock.acquire()

    def release(committed):
        try:
            if committed:
                books.install(pair, checked_out.book, instrument.sequence)
            else:
                books.drop(pair)
        finally:
            lock.release()

    try:
        from_sequence = instrument.sequence
        book = _caught_up(uow.session, books, pair, from_sequence)
        if book is None:
            book = load_book(uow.session, pair).book
    except BaseException:
        lock.release()
        raise
    checked_out = uow.books[pair] = CheckedOutBook(book)
    uow.on_end(release)
    uow.before_commit(lambda: _log_changes(uow.session, instrument, from_sequence, checked_out))
    uow.before_commit(lambda: market_feed.collect(uow, instrument, from_sequence, checked_out))
    return checked_out


def _caught_up(session, books, pair, sequence):
    """The cached book brought to `sequence` (under the process lock), or None when it cannot be."""
    cached = books.cached(pair)
    if cached is None or cached.sequence > sequence:
        return None
    if cached.sequence == sequence:
        return cached.book
    changes = _changes_between(session, pair, cached.sequence, sequence)
    if changes is None or not _apply(cached.book, changes):
        books.drop(pair)  # half caught up, it must not be mistaken for a book at its old sequence
        return None
    return cached.book


def _changes_between(session, pair, start, end):
    """The change log rows taking the pair's book from sequence `start` to `end`, in the order to apply
    them, or None when the log does not hold every transaction between the two (pruned, or older)."""
    rows = session.execute(
        select(
            BookChange.from_sequence,
            BookChange.sequence,
            BookChange.order_id,
            BookChange.user_id,
            BookChange.side,
            BookChange.price,
            BookChange.remaining,
            BookChange.requeued,
        )
        .where(BookChange.pair == pair, BookChange.sequence > start, BookChange.sequence <= end)
        .order_by(BookChange.sequence, BookChange.id)
    ).all()
    # One transaction's rows share (from_sequence, sequence); the transactions must chain start -> end.
    reached, transaction = start, None
    for row in rows:
        if (row.from_sequence, row.sequence) == transaction:
            continue
        if row.from_sequence != reached:
            return None
        transaction, reached = (row.from_sequence, row.sequence), row.sequence
    return rows if reached == end else None


def _apply(book, changes):
    """Apply change log rows to `book`; False if they do not fit it (the book is then unusable)."""
    try:
        for change in changes:
            if change.order_id is None:
                continue
            if not change.remaining:
                book.cancel(change.order_id)
            elif change.requeued:
                book.cancel(change.order_id)
                book.add_resting(
                    RestingOrder(change.order_id, change.user_id, change.side, change.price, change.remaining)
                )
            else:
                book.reduce(change.order_id, change.remaining)  # a fill or smaller amend keeps its place
    except (Conflict, InvalidInput, NotFound):
        return False
    return True


def _log_changes(session, instrument, from_sequence, checked_out):
    """Write the transaction's change log rows (only if it moved the sequence), pruning now and then."""
    sequence = instrument.sequence
    if sequence == from_sequence:
        return
    pair = instrument.symbol
    # Rows as parameters, not a VALUES list: the statement then compiles once and is cached.
    # Core on the session's connection (the batch has written its rows by now): no ORM bookkeeping per row.
    session.flush()
    session.connection().execute(insert(BookChange.__table__), checked_out.changes(pair, from_sequence, sequence))
    retention = current_app.config["BOOK_CHANGE_LOG_RETENTION"]
    every = max(1, retention // _PRUNES_PER_RETENTION)
    if from_sequence // every != sequence // every:
        session.execute(delete(BookChange).where(BookChange.pair == pair, BookChange.sequence <= sequence - retention))


@dataclass(frozen=True)
class StoredBook:
    book: OrderBook
    sequence: int
    last_trade_price: object


def load_book(session, pair):
    """Rebuild a pair's book from its open LIMIT orders, in time priority, with the sequence and last
    trade price it stands at. One statement, so all of it comes from one snapshot of the database."""
    open_limit = (Order.pair == Instrument.symbol) & Order.status.in_(OPEN_STATUSES) & (Order.type == OrderType.LIMIT)
    rows = session.execute(
        select(
            Instrument.sequence,
            Instrument.last_trade_price,
            Order.id,
            Order.user_id,
            Order.side,
            Order.price,
            Order.amount,
            Order.filled_amount,
            Order.priority,
            Order.created_at,
        )
        .select_from(Instrument)
        .outerjoin(Order, open_limit)
        .where(Instrument.symbol == pair)
    ).all()
    orders = [row for row in rows if row.id is not None]
    # Orders from before matching existed have no priority; they queue first, by age.
    orders.sort(key=lambda row: (row.priority if row.priority is not None else -1, row.created_at))
    book = OrderBook(pair)
    for row in orders:
        book.add_resting(
            RestingOrder(
                order_id=row.id, user_id=row.user_id, side=row.side, price=row.price, remaining=row.amount - row.filled_amount
            )
        )
    return StoredBook(book, rows[0].sequence, rows[0].last_trade_price)


@dataclass(frozen=True)
class DepthSnapshot:
    bids: list
    asks: list
    sequence: int
    last_trade_price: object


def depth_snapshot(pair, levels):
    """The top `levels` of a pair's book with its sequence, consistent and read-only, for market data.

    Uses this process's cache when it is current. Otherwise it reads the change log since the cached
    sequence (the process lock released meanwhile) and applies it to the cache, provided no writer
    replaced the cache in between; failing that it rebuilds from the database (and caches the result
    unless a writer got there first).
    """
    session = db.session
    sequence, last_trade_price = session.execute(
        select(Instrument.sequence, Instrument.last_trade_price).where(Instrument.symbol == pair)
    ).one()
    books = registry()
    lock = books.lock(pair)
    with lock:
        cached = books.cached(pair)
        if cached and cached.sequence == sequence:
            return DepthSnapshot(*cached.book.depth(levels), sequence, last_trade_price)
    if cached and cached.sequence < sequence:
        changes = _changes_between(session, pair, cached.sequence, sequence)
        session.rollback()  # end the read; nothing here writes
        # A writer holds the lock for its whole transaction and installs a new entry when it ends, so the
        # same entry under the lock means no writer has the book: applying the log is the reader's to do.
        with lock:
            if changes is not None and books.cached(pair) is cached:
                if _apply(cached.book, changes):
                    books.install(pair, cached.book, sequence)
                    return DepthSnapshot(*cached.book.depth(levels), sequence, last_trade_price)
                books.drop(pair)
    stored = load_book(session, pair)
    session.rollback()  # end the read; nothing here writes
    bids, asks = stored.book.depth(levels)  # before installing: once shared, only writers may touch it unlocked
    with lock:
        cached = books.cached(pair)
        if not cached or cached.sequence < stored.sequence:
            books.install(pair, stored.book, stored.sequence)
    return DepthSnapshot(bids, asks, stored.sequence, stored.last_trade_price)
