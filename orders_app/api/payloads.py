"""The JSON of an order, of a trade as one of its orders saw it, and of a public trade, built directly.

These are what the order commands answer and what their events carry, so they are built for every
order placed: plain functions here, rather than a marshmallow dump each, whose per-field machinery
cost more than the rest of an answer. They return exactly what OrderSchema, TradeSchema
(api/orders/schemas.py) and PublicTradeSchema (api/market/schemas.py) dump, key for key and in the
same key order; the schemas stay the documented contract (OpenAPI) and the dump of everything else,
and tests/api/test_payloads.py compares the two over orders of every kind, so they cannot drift
apart. A field added to one of those schemas must be added here too.
"""

from functools import lru_cache

from ..domain.decimals import fixed, places, trimmed
from ..domain.enums import Liquidity, Side
from .orders.schemas import AVERAGE_PRICE_EXTRA_PLACES


@lru_cache(maxsize=256)
def step_places(step):
    # A pair's tick and lot sizes are few and never change while the process runs.
    return places(step)


def _datetime(value):
    return None if value is None else value.isoformat()


def _uuid(value):
    return None if value is None else str(value)


def order_payload(order):
    """OrderSchema().dump(order): an Order or an OrderSnapshot, its trades included."""
    instrument = order.instrument
    amount_places = step_places(instrument.lot_size)
    price_places = step_places(instrument.tick_size)
    price = order.price
    amount = order.amount
    filled_amount = order.filled_amount
    client_order_id = order.client_order_id
    average_price = order.average_price
    return {
        "orderId": str(order.id),
        "clientOrderId": None if client_order_id is None else str(client_order_id),
        "pair": order.pair,
        "side": order.side.value,
        "type": order.type.value,
        "amount": fixed(amount, amount_places),
        "price": None if price is None else fixed(price, price_places),
        "filledAmount": fixed(filled_amount, amount_places),
        "remainingAmount": fixed(order.remaining_amount, amount_places),
        "averagePrice": None
        if average_price is None
        else trimmed(average_price, price_places, price_places + AVERAGE_PRICE_EXTRA_PLACES),
        "status": order.status.value,
        "timeInForce": order.time_in_force.value,
        "selfTradePrevention": order.self_trade_prevention.value,
        "createdAt": _datetime(order.created_at),
        "updatedAt": _datetime(order.updated_at),
        "trades": [fill_payload(trade, order) for trade in order.trades],
    }


def fill_payload(trade, order):
    """TradeSchema().dump(Fill(trade, order)): `trade` as `order` saw it."""
    # The order's instrument, not the trade's link to it: a later command of a batch may have read the trade
    # afresh and let go of that link before this answer is written (models.Fill does the same).
    instrument = order.instrument
    side = order.side
    taker_side = trade.taker_side
    if taker_side is None:
        liquidity = Liquidity.EXTERNAL
    else:
        liquidity = Liquidity.TAKER if taker_side is side else Liquidity.MAKER
    counter_order_id = trade.sell_order_id if side is Side.BUY else trade.buy_order_id
    return {
        "tradeId": str(trade.id),
        "pair": trade.pair,
        "side": side.value,
        "liquidity": liquidity.value,
        "counterOrderId": _uuid(counter_order_id),
        "executedAmount": _fixed_or_none(trade.amount, step_places(instrument.lot_size)),
        "executedPrice": _fixed_or_none(trade.price, step_places(instrument.tick_size)),
        "executedAt": _datetime(trade.executed_at),
        "settled": trade.settled_at is not None,
        "settledAt": _datetime(trade.settled_at),
    }


def public_trade_payload(trade):
    """PublicTradeSchema().dump(trade): a trade on the public tape."""
    instrument = trade.instrument
    taker_side = trade.taker_side
    sequence = trade.sequence
    return {
        "tradeId": str(trade.id),
        "pair": trade.pair,
        "price": _fixed_or_none(trade.price, step_places(instrument.tick_size)),
        "amount": _fixed_or_none(trade.amount, step_places(instrument.lot_size)),
        "takerSide": None if taker_side is None else taker_side.value,
        "buyOrderId": _uuid(trade.buy_order_id),
        "sellOrderId": _uuid(trade.sell_order_id),
        "sequence": None if sequence is None else int(sequence),
        "executedAt": _datetime(trade.executed_at),
        "settled": trade.settled_at is not None,
        "settledAt": _datetime(trade.settled_at),
    }


def _fixed_or_none(value, decimal_places):
    return None if value is None else fixed(value, decimal_places)

