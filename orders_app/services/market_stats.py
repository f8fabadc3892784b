"""Candles and 24-hour tickers, built from the trade tape (the matched trades; execution reports stay off it).

Candles (GET /candles) are read from the database for the range asked, at most MAX_CANDLES buckets of
one interval, aggregated here rather than in SQL: SQLite stores decimals as text, so no arithmetic on
money runs in SQL, and one code path serves both databases.

The live streams (CANDLE, TICKER) and GET /ticker use each process's PairStats: the pair's trades of
the last 24 hours, folded into UTC-minute candles, together with the pair sequence they reflect. Like
the books (services/books.py), the stats catch up from the database by sequence: a trade's `sequence`
is the pair's sequence right after it, so the trades between the sequence the stats reflect and the
current one are exactly what they miss, whichever process committed them. A PairStats is never
changed once shared: catching up makes a new one, installed only if it is newer than the cached one.

The 24-hour window is counted in whole minutes: it starts at the beginning of the UTC minute 24 hours
before the current minute, so it spans between 24 hours and 24 hours and a minute.
"""

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from ..domain.decimals import fixed
from ..domain.errors import InvalidInput
from ..extensions import db
from ..models import Trade
from ..models.types import utcnow
from .instruments import get_instrument

INTERVALS = {"1m": 60, "5m": 300, "1h": 3600, "1d": 86400}
MAX_CANDLES = 1000
DEFAULT_CANDLES = 500
LIVE_INTERVAL = "1m"  # the interval CANDLE events carry; the larger ones are exact sums of it
WINDOW_MINUTES = 24 * 60
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
STATS_KEY = "orders_app.market_stats"


@dataclass(frozen=True)
class Candle:
    open_time: int  # seconds since the epoch, a multiple of the interval
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # base
    quote_volume: Decimal  # sum of amount x price
    trade_count: int

    @classmethod
    def first(cls, open_time, price, amount):
        return cls(open_time, price, price, price, price, amount, amount * price, 1)

    def with_trade(self, price, amount):
        return Candle(
            self.open_time,
            self.open,
            max(self.high, price),
            min(self.low, price),
            price,
            self.volume + amount,
            self.quote_volume + amount * price,
            self.trade_count + 1,
        )

    def merged(self, later):
        """This candle and the one right after it in time, as one."""
        return Candle(
            self.open_time,
            self.open,
            max(self.high, later.high),
            min(self.low, later.low),
            later.close,
            self.volume + later.volume,
            self.quote_volume + later.quote_volume,
            self.trade_count + later.trade_count,
        )


def epoch_seconds(moment):
    return int((moment - _EPOCH).total_seconds())


def bucket_start(moment, seconds):
    """The start (epoch seconds) of the UTC-aligned bucket of `seconds` that holds `moment`."""
    return epoch_seconds(moment) // seconds * seconds


def as_datetime(seconds):
    return _EPOCH + timedelta(seconds=seconds)


def candle_payload(candle, interval, spec):
    """A candle as the API shows it: Decimal strings at the instrument's places, UTC ISO-8601 times."""
    price, amount = spec.price_places, spec.amount_places
    return {
        "interval": interval,
        "open_time": as_datetime(candle.open_time).isoformat(),
        "close_time": as_datetime(candle.open_time + INTERVALS[interval]).isoformat(),
        "open": fixed(candle.open, price),
        "high": fixed(candle.high, price),
        "low": fixed(candle.low, price),
        "close": fixed(candle.close, price),
        "volume": fixed(candle.volume, amount),
        "quote_volume": fixed(candle.quote_volume, price + amount),
        "trade_count": candle.trade_count,
    }


def _matched_trades(pair):
    return select(Trade.price, Trade.amount, Trade.executed_at, Trade.sequence).where(
        Trade.pair == pair, Trade.taker_side.is_not(None)
    )


# --- GET /candles ------------------------------------------------------------------------------


def candles(*, pair, interval, start=None, end=None, limit=DEFAULT_CANDLES):
    """The pair's candles of `interval` whose open time lies in [start, end], oldest first, at most `limit`.

    With `start`, the first `limit` buckets from the one holding `start`; without it, the last `limit`
    buckets up to the one holding `end` (default: now). Buckets without a trade are left out.
    """
    spec = get_instrument(pair).spec
    seconds = INTERVALS[interval]
    if start is not None and end is not None and start > end:
        raise InvalidInput("Must not be after 'to'.", field="from")
    now = utcnow()
    end = now if end is None or end > now else end  # no trade lies in the future
    last = bucket_start(end, seconds)
    if start is not None:
        first = bucket_start(start, seconds)
        if start > as_datetime(first):
            first += seconds  # an open time before `start` is outside the range
        last = min(last, first + (limit - 1) * seconds)
    else:
        first = last - (limit - 1) * seconds
    first = max(first, 0)  # nor before 1970, and the range stays within what datetime holds
    if first > last:
        return []
    rows = db.session.execute(
        _matched_trades(pair)
        .where(Trade.executed_at >= as_datetime(first), Trade.executed_at < as_datetime(last + seconds))
        .order_by(Trade.seq)
        .execution_options(yield_per=1000)
    )
    buckets = {}
    for row in rows:
        key = bucket_start(row.executed_at, seconds)
        candle = buckets.get(key)
        buckets[key] = Candle.first(key, row.price, row.amount) if candle is None else candle.with_trade(row.price, row.amount)
    db.session.rollback()  # end the read; nothing here writes
    return [candle_payload(buckets[key], interval, spec) for key in sorted(buckets)]


# --- the live statistics of each pair ----------------------------------------------------------


@dataclass(frozen=True)
class PairStats:
    """A pair's trades of the last 24 hours as minute candles, as of pair sequence `sequence`."""

    sequence: int
    minutes: dict  # minute start (epoch seconds) -> Candle; never changed once the PairStats is shared
    touched: tuple = ()  # the minutes the trades of the last catch-up fell into, oldest first

    def window_start(self, now):
        return bucket_start(now, 60) - WINDOW_MINUTES * 60

    def candle(self, interval, open_time):
        """The `interval` candle opening at `open_time`, merged from the minutes it spans, or None."""
        span = range(open_time, open_time + INTERVALS[interval], 60)
        merged = None
        for minute in span:
            candle = self.minutes.get(minute)
            if candle is not None:
                merged = replace(candle, open_time=open_time) if merged is None else merged.merged(candle)
        return merged

    def day(self, now):
        """The window's trades as one candle (None when there were none)."""
        start = self.window_start(now)
        merged = None
        for minute in sorted(self.minutes):
            if minute >= start:
                candle = self.minutes[minute]
                merged = candle if merged is None else merged.merged(candle)
        return merged


class StatsRegistry:
    def __init__(self):
        self._stats = {}
        self._guard = threading.Lock()

    def cached(self, pair):
        return self._stats.get(pair)

    def install(self, pair, stats):
        """Keep `stats` unless what is cached is already as new."""
        with self._guard:
            cached = self._stats.get(pair)
            if cached is None or cached.sequence < stats.sequence:
                self._stats[pair] = stats

    def drop(self, pair):
        self._stats.pop(pair, None)


def init_app(app):
    app.extensions[STATS_KEY] = StatsRegistry()


def registry():
    return current_app.extensions[STATS_KEY]


def caught_up(session, pair, stats, sequence, now, *, note_after=None, trades_after_note=None):
    """PairStats at `sequence`: `stats` plus the trades it misses, or built afresh from the window's trades;
    its `touched` names the minutes of the trades after sequence `note_after` (default: none).

    The trades up to `sequence` must be visible to `session` (they are once `sequence` is committed, or
    inside the transaction that wrote them). `trades_after_note`, when given, are all the pair's matched
    trades after `note_after` (those a writer has just recorded): if `stats` is at `note_after`, they are
    what it misses, and nothing is read."""
    start = bucket_start(now, 60) - WINDOW_MINUTES * 60
    if stats is not None and stats.sequence == sequence:
        return replace(stats, touched=())
    if trades_after_note is not None and stats is not None and stats.sequence == note_after:
        minutes, rows = dict(stats.minutes), trades_after_note
    else:
        if stats is None or stats.sequence > sequence:
            minutes, query = {}, _matched_trades(pair).where(Trade.executed_at >= as_datetime(start))
        else:
            minutes, query = dict(stats.minutes), _matched_trades(pair).where(Trade.sequence > stats.sequence)
        rows = session.execute(query.where(Trade.sequence <= sequence).order_by(Trade.seq)).all()
    touched = []
    for row in rows:
        minute = bucket_start(row.executed_at, 60)
        if minute < start:
            continue
        candle = minutes.get(minute)
        minutes[minute] = Candle.first(minute, row.price, row.amount) if candle is None else candle.with_trade(row.price, row.amount)
        if note_after is not None and row.sequence > note_after:
            touched.append(minute)
    for minute in [minute for minute in minutes if minute < start]:
        del minutes[minute]
    return PairStats(sequence, minutes, tuple(dict.fromkeys(touched)))


def ticker_payload(pair, spec, stats, last_trade_price, top, now):
    """{pair, sequence, lastPrice, the 24-hour open/high/low/volume/change, best bid and ask} (snake_case keys)."""
    price, amount = spec.price_places, spec.amount_places

    def money(value, places):
        return None if value is None else fixed(value, places)

    day = stats.day(now)
    last = None if last_trade_price is None else Decimal(last_trade_price)
    change = change_percent = None
    if day is not None and last is not None:
        change = last - day.open
        change_percent = fixed(change * 100 / day.open, 2)
    best_bid, bid_amount, best_ask, ask_amount = top
    return {
        "pair": pair,
        "sequence": stats.sequence,
        "last_price": money(last, price),
        "open": money(day and day.open, price),
        "high": money(day and day.high, price),
        "low": money(day and day.low, price),
        "volume": fixed(day.volume if day else Decimal(0), amount),
        "quote_volume": fixed(day.quote_volume if day else Decimal(0), price + amount),
        "trade_count": day.trade_count if day else 0,
        "change": money(change, price),
        "change_percent": change_percent,
        "best_bid": money(best_bid, price),
        "best_bid_amount": money(bid_amount, amount),
        "best_ask": money(best_ask, price),
        "best_ask_amount": money(ask_amount, amount),
        "window_start": as_datetime(stats.window_start(now)).isoformat(),
        "timestamp": now.isoformat(),
    }


def ticker(*, pair):
    """GET /ticker: the pair's ticker at one sequence (its book's top and its trades up to that sequence)."""
    from . import books  # imported here: books' callers import this module

    spec = get_instrument(pair).spec
    snapshot = books.depth_snapshot(pair, 1)
    stats_registry = registry()
    now = utcnow()
    stats = caught_up(db.session, pair, stats_registry.cached(pair), snapshot.sequence, now)
    db.session.rollback()  # end the read; nothing here writes
    stats_registry.install(pair, stats)
    bid = snapshot.bids[0] if snapshot.bids else (None, None, 0)
    ask = snapshot.asks[0] if snapshot.asks else (None, None, 0)
    return ticker_payload(pair, spec, stats, snapshot.last_trade_price, (bid[0], bid[1], ask[0], ask[1]), now)
