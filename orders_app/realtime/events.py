"""The events a committed change produces, built inside the transaction and published after it.

Each payload's `event` field equals the Socket.IO event name it is sent under.
"""

from dataclasses import dataclass
from uuid import UUID

from ..api.orders.schemas import OrderSchema, TradeSchema
from ..domain.decimals import fixed

ORDER_CREATED = "ORDER_CREATED"
TRADE_ADDED = "TRADE_ADDED"
ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"

_order_schema = OrderSchema()
_trade_schema = TradeSchema()


@dataclass(frozen=True)
class Event:
    user_id: UUID
    name: str
    payload: dict


def _event(subject, name, at, **fields):
    payload = {"event": name, "orderId": str(subject.id), **fields, "timestamp": at.isoformat()}
    return Event(user_id=subject.user_id, name=name, payload=payload)


def order_created(order, *, at):
    return _event(order, ORDER_CREATED, at, order=_order_schema.dump(order))


def trade_added(order, trade, *, at):
    amount_places = order.instrument.spec.amount_places
    return _event(
        order,
        TRADE_ADDED,
        at,
        trade=_trade_schema.dump(trade),
        newStatus=order.status.value,
        filledAmount=fixed(order.filled_amount, amount_places),
        remainingAmount=fixed(order.remaining_amount, amount_places),
    )


def order_status_changed(order, old_status, *, at):
    return _event(order, ORDER_STATUS_CHANGED, at, oldStatus=old_status.value, newStatus=order.status.value)
