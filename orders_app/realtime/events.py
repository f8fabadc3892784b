"""The events a committed change produces, built inside the transaction and published after it.

Each payload's `event` field equals the Socket.IO event name it is sent under. Private events
go to the owner's room in /orders; market events go to the pair's room in /market. A private event
names its account: services/event_log.py numbers it (`eventSeq`) and stores it before the commit. Orders
and trades in payloads are what the API answers for them (api/payloads.py: the schemas' dumps, built directly).
"""

from dataclasses import dataclass

from ..api.payloads import fill_payload, order_payload, public_trade_payload, step_places
from ..domain.decimals import fixed, plain
from ..models.types import utcnow
from .rooms import MARKET_NAMESPACE, ORDERS_NAMESPACE, market_channel_room, market_room, user_room

ORDER_CREATED = "ORDER_CREATED"
ORDER_UPDATED = "ORDER_UPDATED"
TRADE_ADDED = "TRADE_ADDED"
ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
BALANCE_UPDATED = "BALANCE_UPDATED"
TRADE = "TRADE"
BOOK_SNAPSHOT = "BOOK_SNAPSHOT"
# Sent by the /orders namespace itself (realtime/replay.py), never stored.
SNAPSHOT = "SNAPSHOT"
REPLAY_COMPLETE = "REPLAY_COMPLETE"
REPLAY_ERROR = "REPLAY_ERROR"
BOOK_DELTA = "BOOK_DELTA"
CANDLE = "CANDLE"
TICKER = "TICKER"
HEARTBEAT = "HEARTBEAT"


@dataclass(frozen=True)
class Event:
    namespace: str
    room: str
    name: str
    payload: dict
    account_id: object = None  # the owner of a private event; None for public market data

    @property
    def private(self):
        return self.account_id is not None

    def with_payload(self, payload):
        """The same event carrying `payload` (dataclasses.replace, without its per-call introspection)."""
        return Event(self.namespace, self.room, self.name, payload, self.account_id)


def _order_event(subject, name, at, **fields):
    payload = {"event": name, "orderId": str(subject.id), **fields, "timestamp": at.isoformat()}
    return Event(ORDERS_NAMESPACE, user_room(subject.user_id), name, payload, subject.user_id)


def _amount(order, value):
    return fixed(value, step_places(order.instrument.lot_size))


def order_created(order, *, at):
    return _order_event(order, ORDER_CREATED, at, order=order_payload(order))


def order_updated(order, *, at):
    return _order_event(
        order,
        ORDER_UPDATED,
        at,
        price=fixed(order.price, step_places(order.instrument.tick_size)),
        amount=_amount(order, order.amount),
        remainingAmount=_amount(order, order.remaining_amount),
    )


def trade_added(order, trade, *, at):
    return _order_event(
        order,
        TRADE_ADDED,
        at,
        trade=fill_payload(trade, order),
        newStatus=order.status.value,
        filledAmount=_amount(order, order.filled_amount),
        remainingAmount=_amount(order, order.remaining_amount),
    )


def order_status_changed(order, old_status, *, at):
    return _order_event(order, ORDER_STATUS_CHANGED, at, oldStatus=old_status.value, newStatus=order.status.value)


def _buckets(balance):
    """One asset of an account as GET /balances shows it."""
    return {
        "asset": balance.asset,
        "available": plain(balance.available),
        "held": plain(balance.held),
        "pending": plain(balance.pending),
        "total": plain(balance.total),
    }


def balance_updated(balance, *, at):
    payload = {"event": BALANCE_UPDATED, **_buckets(balance), "timestamp": at.isoformat()}
    return Event(ORDERS_NAMESPACE, user_room(balance.account_id), BALANCE_UPDATED, payload, balance.account_id)


def market_trade(trade, *, at):
    payload = {"event": TRADE, **public_trade_payload(trade), "timestamp": at.isoformat()}
    return Event(MARKET_NAMESPACE, market_room(trade.pair), TRADE, payload)


def snapshot(event_seq, open_orders, balances):
    """SNAPSHOT: the account as of the event `event_seq` (the payload, sent to one connection)."""
    return {
        "event": SNAPSHOT,
        "eventSeq": event_seq,
        "openOrders": [order_payload(order) for order in open_orders],
        "balances": [_buckets(balance) for balance in balances],
        "timestamp": utcnow().isoformat(),
    }
def book_delta(pair, spec, first_sequence, last_sequence, bids, asks, *, at):
    """Every price level one commit changed: [[price, amount now], ...] best first, "0" for a level gone."""

    def levels(side):
        return [[fixed(price, spec.price_places), fixed(amount, spec.amount_places)] for price, amount in side]

    payload = {
        "event": BOOK_DELTA,
        "pair": pair,
        "firstSequence": first_sequence,
        "lastSequence": last_sequence,
        "bids": levels(bids),
        "asks": levels(asks),
        "timestamp": at.isoformat(),
    }
    return Event(MARKET_NAMESPACE, market_channel_room(pair, "book"), BOOK_DELTA, payload)


def _camel(key):
    head, *rest = key.split("_")
    return head + "".join(word.title() for word in rest)


def candle(pair, sequence, candle_fields, *, at):
    """A candle as it stands after a commit (services/market_stats.candle_payload's fields)."""
    payload = {
        "event": CANDLE,
        "pair": pair,
        "sequence": sequence,
        **{_camel(key): value for key, value in candle_fields.items()},
        "timestamp": at.isoformat(),
    }
    return Event(MARKET_NAMESPACE, market_channel_room(pair, "candles"), CANDLE, payload)


def ticker(ticker_fields):
    """The pair's ticker after a commit (services/market_stats.ticker_payload's fields)."""
    payload = {"event": TICKER, **{_camel(key): value for key, value in ticker_fields.items()}}
    return Event(MARKET_NAMESPACE, market_channel_room(ticker_fields["pair"], "ticker"), TICKER, payload)


def heartbeat(*, at):
    return {"event": HEARTBEAT, "serverTime": at.isoformat()}
