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


def trades_query(*, pair):
    """The pair's matched trades, newest first, as a select for the caller to page through."""
    get_instrument(pair)
    return (
        select(Trade)
        .where(Trade.pair == pair, Trade.taker_side.is_not(None))
        .order_by(Trade.seq.desc())
    )


def get_trade(*, trade_id):
    trade = db.session.scalar(select(Trade).where(Trade.id == trade_id, Trade.taker_side.is_not(None)))
    if trade is None:
        raise NotFound(f"Trade {trade_id} not found.")
    return trade
