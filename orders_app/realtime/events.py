"""The events a committed change produces, built inside the transaction and published after it.

Each payload's `event` field equals the Socket.IO event name it is sent under. Private events
go to the owner's room in /orders; market events go to the pair's room in /market. Orders and trades
in payloads are what the API answers for them (api/payloads.py: the schemas' dumps, built directly).
"""

from dataclasses import dataclass

from ..api.payloads import fill_payload, order_payload, public_trade_payload, step_places
from ..domain.decimals import fixed, plain
from .rooms import MARKET_NAMESPACE, ORDERS_NAMESPACE, market_room, user_room

ORDER_CREATED = "ORDER_CREATED"
ORDER_UPDATED = "ORDER_UPDATED"
TRADE_ADDED = "TRADE_ADDED"
ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
BALANCE_UPDATED = "BALANCE_UPDATED"
TRADE = "TRADE"
BOOK_SNAPSHOT = "BOOK_SNAPSHOT"


@dataclass(frozen=True)
class Event:
    namespace: str
    room: str
    name: str
    payload: dict


def _order_event(subject, name, at, **fields):
    payload = {"event": name, "orderId": str(subject.id), **fields, "timestamp": at.isoformat()}
    return Event(ORDERS_NAMESPACE, user_room(subject.user_id), name, payload)


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


def balance_updated(balance, *, at):
    payload = {
        "event": BALANCE_UPDATED,
        "asset": balance.asset,
        "available": plain(balance.available),
        "held": plain(balance.held),
        "pending": plain(balance.pending),
        "total": plain(balance.total),
        "timestamp": at.isoformat(),
    }
    return Event(ORDERS_NAMESPACE, user_room(balance.account_id), BALANCE_UPDATED, payload)


def market_trade(trade, *, at):
    payload = {"event": TRADE, **public_trade_payload(trade), "timestamp": at.isoformat()}
    return Event(MARKET_NAMESPACE, market_room(trade.pair), TRADE, payload)
