"""What a commit publishes on the public /market streams: BOOK_DELTA, CANDLE and TICKER.

Built just before the commit of every transaction that moved a pair's sequence (services/books.checkout
registers it), from the book as the transaction left it, and published after the commit with the
transaction's other events, by the process that committed it, through the message queue: never on
rollback, and once per subscriber however many processes run.

- BOOK_DELTA: every price level whose total the transaction changed, with its new total ("0": gone),
  and the sequences it spans (firstSequence = the sequence it started at + 1, lastSequence = the one it
  ended at). Every sequence move of a pair happens in such a transaction, so deltas chain without gaps.
  A transaction that moved the sequence but left every level's total as it was (an order cancelled and
  another of the same size placed at its price) still sends a delta, with no level, to keep the chain.
- CANDLE: after a transaction with trades, the 1-minute candle of each minute its trades fell into.
- TICKER: after a transaction with trades or a new top of the book (best price or its amount).
"""

import logging
from dataclasses import replace

from sqlalchemy.exc import SQLAlchemyError

from ..realtime import events
from . import market_stats

log = logging.getLogger(__name__)


def collect(uow, instrument, from_sequence, checked_out):
    """Queue the market events of the transaction in `uow` on `instrument`'s book; the pair is locked.

    A fault here must not cost the orders their commit: it is logged and the transaction goes on without
    its market events, which subscribers see as a gap in the sequences and resynchronise from. Database
    errors still end the transaction, which they may have broken."""
    if instrument.sequence == from_sequence:
        return
    try:
        _collect(uow, instrument, from_sequence, checked_out)
    except SQLAlchemyError:
        raise
    except Exception:
        log.exception("No market data for %s %d..%d", instrument.symbol, from_sequence + 1, instrument.sequence)


def _collect(uow, instrument, from_sequence, checked_out):
    sequence = instrument.sequence
    pair, spec, now = instrument.symbol, instrument.spec, uow.now
    bids, asks = checked_out.level_changes()
    uow.events.append(events.book_delta(pair, spec, from_sequence + 1, sequence, bids, asks, at=now))
    traded = checked_out.fill_count > 0
    top = checked_out.book.top()
    top_moved = top != checked_out.top_before
    stats_registry = market_stats.registry()
    cached = stats_registry.cached(pair)
    if not traded and cached is not None and cached.sequence == from_sequence:
        # Only matching makes trades, so the statistics stay as they were: they move to the new sequence
        # without a read, and the next batch finds them current.
        stats = replace(cached, sequence=sequence, touched=())
    elif traded or top_moved:
        recorded = [trade for trade in uow.trades if trade.pair == pair]
        stats = market_stats.caught_up(
            uow.session, pair, cached, sequence, now, note_after=from_sequence, trades_after_note=recorded
        )
    else:
        return  # nothing to send; the statistics catch up when next needed
    uow.on_end(lambda committed: committed and stats_registry.install(pair, stats))
    if not traded and not top_moved:
        return
    for minute in stats.touched:
        candle = stats.minutes.get(minute)
        if candle is not None:
            fields = market_stats.candle_payload(candle, market_stats.LIVE_INTERVAL, spec)
            uow.events.append(events.candle(pair, sequence, fields, at=now))
    uow.events.append(events.ticker(market_stats.ticker_payload(pair, spec, stats, instrument.last_trade_price, top, now)))
