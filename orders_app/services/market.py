"""Public market data: order-book depth and the trade tape."""

from sqlalchemy import select

from ..domain.decimals import fixed
from ..domain.errors import NotFound
from ..extensions import db
from ..models import Trade
from ..models.types import utcnow
from . import books
from .instruments import get_instrument


def order_book(*, pair, depth):
    """{pair, bids, asks, lastTradePrice, sequence, timestamp}, aggregated per price level."""
    spec = get_instrument(pair).spec
    snapshot = books.depth_snapshot(pair, depth)

    def levels(side):
        return [
            {"price": fixed(price, spec.price_places), "amount": fixed(amount, spec.amount_places), "order_count": count}
            for price, amount, count in side
        ]

    return {
        "pair": pair,
        "bids": levels(snapshot.bids),
        "asks": levels(snapshot.asks),
        "last_trade_price": None if snapshot.last_trade_price is None else fixed(snapshot.last_trade_price, spec.price_places),
        "sequence": snapshot.sequence,
        "timestamp": utcnow().isoformat(),
    }


def trades_query(*, pair, after_sequence=None):
    """The pair's matched trades as a select for the caller to page through: newest first, or with
    `after_sequence` those whose sequence is above it, oldest first (what a client missed)."""
    get_instrument(pair)
    matched = select(Trade).where(Trade.pair == pair, Trade.taker_side.is_not(None))
    if after_sequence is None:
        return matched.order_by(Trade.seq.desc())
    return matched.where(Trade.sequence > after_sequence).order_by(Trade.sequence)


def get_trade(*, trade_id):
    trade = db.session.scalar(select(Trade).where(Trade.id == trade_id, Trade.taker_side.is_not(None)))
    if trade is None:
        raise NotFound(f"Trade {trade_id} not found.")
    return trade
