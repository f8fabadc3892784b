"""The in-memory order books of this process, kept honest against the database.

The database is the record. Each process caches one engine OrderBook per pair together with
the pair's sequence it reflects. Every change to a pair's book locks the pair's row first
(SELECT ... FOR UPDATE; on SQLite the write transaction already holds the database lock), then
compares sequences: if another process moved the book since, the cache is rebuilt from the open
orders before matching. A change that rolls back drops the cache, which the engine had already
changed. So no process ever matches against a book another process has changed behind its back.

Lock order is always: the pair's row in the database, then this process's lock for the pair.
Readers take only the process lock and never wait on the database while holding it.
"""

import threading
from dataclasses import dataclass

from sqlalchemy import select

from ..domain.enums import OPEN_STATUSES, OrderType
from ..engine import OrderBook, RestingOrder
from ..extensions import db
from ..models import Instrument, Order


@dataclass
class CachedBook:
    book: OrderBook
    sequence: int


class BookRegistry:
    """This process's books, one lock per pair."""

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

    def clear(self):
        self._books.clear()


registry = BookRegistry()


def lock_pair(session, pair):
    """The instrument row, locked until the transaction ends: the per-pair serialisation point."""
    return session.scalar(
        select(Instrument).where(Instrument.symbol == pair).with_for_update().execution_options(populate_existing=True)
    )


def checkout(uow, instrument):
    """The pair's book for a change inside `uow`; the pair's row must already be locked.

    Holds the process lock for the pair until the transaction ends; on commit the cache is
    recorded at the new sequence, on rollback it is dropped.
    """
    pair = instrument.symbol
    lock = registry.lock(pair)
    lock.acquire()

    def release(committed):
        try:
            if committed:
                registry.install(pair, book, instrument.sequence)
            else:
                registry.drop(pair)
        finally:
            lock.release()

    try:
        cached = registry.cached(pair)
        book = cached.book if cached and cached.sequence == instrument.sequence else load_book(uow.session, pair).book
    except BaseException:
        lock.release()
        raise
    uow.on_end(release)
    return book


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

    Uses this process's cache when it is current; otherwise rebuilds from the database (and
    caches the result unless a writer got there first).
    """
    session = db.session
    sequence, last_trade_price = session.execute(
        select(Instrument.sequence, Instrument.last_trade_price).where(Instrument.symbol == pair)
    ).one()
    lock = registry.lock(pair)
    with lock:
        cached = registry.cached(pair)
        if cached and cached.sequence == sequence:
            return DepthSnapshot(*cached.book.depth(levels), sequence, last_trade_price)
    stored = load_book(session, pair)
    session.rollback()  # end the read; nothing here writes
    bids, asks = stored.book.depth(levels)  # before installing: once shared, only writers may touch it unlocked
    with lock:
        cached = registry.cached(pair)
        if not cached or cached.sequence < stored.sequence:
            registry.install(pair, stored.book, stored.sequence)
    return DepthSnapshot(bids, asks, stored.sequence, stored.last_trade_price)
