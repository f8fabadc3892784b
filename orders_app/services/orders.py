"""Order use cases: place, cancel, record an execution report, read."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain import orders as rules
from ..domain.enums import OrderStatus, OrderType
from ..domain.errors import Conflict, NotFound
from ..extensions import db
from ..models import Order, Trade
from ..realtime import events
from .instruments import get_instrument
from .unit_of_work import unit_of_work


def place_order(*, user_id, pair, side, type, amount, price=None, client_order_id=None):
    """Validate and store a new order. Returns (order, created).

    A clientOrderId the user has already used returns that order with created=False,
    provided the request is the same one; a different request under the same id is a Conflict.
    """
    try:
        with unit_of_work() as uow:
            spec = get_instrument(pair).spec
            amount = spec.checked_amount(amount)
            price = spec.checked_price(price) if type is OrderType.LIMIT else None
            if price is not None:
                spec.checked_notional(amount, price)
            if client_order_id is not None:
                existing = _find_by_client_order_id(user_id, client_order_id)
                if existing is not None:
                    return _same_request_or_conflict(existing, pair, side, type, amount, price), False
            order = Order(
                user_id=user_id,
                client_order_id=client_order_id,
                pair=pair,
                side=side,
                type=type,
                amount=amount,
                price=price,
                status=OrderStatus.PENDING,
                created_at=uow.now,
                updated_at=uow.now,
            )
            uow.session.add(order)
            uow.session.flush()
            uow.events.append(events.order_created(order, at=uow.now))
    except IntegrityError:
        # Two requests with the same clientOrderId raced; the unique index kept the first.
        existing = client_order_id and _find_by_client_order_id(user_id, client_order_id)
        if not existing:
            raise
        return _same_request_or_conflict(existing, pair, side, type, amount, price), False
    return order, True


def cancel_order(*, user_id, order_id):
    """Cancel an open order; Conflict once it is filled, cancelled or otherwise closed."""
    with unit_of_work() as uow:
        order = _lock_order(user_id, order_id)
        old_status = order.status
        order.status = rules.cancel(old_status)
        order.updated_at = uow.now
        uow.events.append(events.order_status_changed(order, old_status, at=uow.now))
    return order


def record_execution(*, user_id, order_id, executed_amount, executed_price):
    """Append an execution report to the order and move its fill and status. Returns (trade, order)."""
    with unit_of_work() as uow:
        order = _lock_order(user_id, order_id)
        rules.ensure_open(order.status, action="trade")
        spec = order.instrument.spec
        fill_amount = spec.checked_amount(executed_amount, field="executedAmount", enforce_minimum=False)
        fill_price = spec.checked_price(executed_price, field="executedPrice")
        result = rules.apply_fill(
            side=order.side,
            status=order.status,
            amount=order.amount,
            filled_amount=order.filled_amount,
            filled_quote=order.filled_quote,
            limit_price=order.price,
            fill_amount=fill_amount,
            fill_price=fill_price,
        )
        trade = Trade(pair=order.pair, amount=fill_amount, price=fill_price, executed_at=uow.now)
        order.trades.append(trade)
        old_status = order.status
        order.filled_amount = result.filled_amount
        order.filled_quote = result.filled_quote
        order.status = result.status
        order.updated_at = uow.now
        uow.session.flush()
        uow.events.append(events.trade_added(order, trade, at=uow.now))
        if order.status is not old_status:
            uow.events.append(events.order_status_changed(order, old_status, at=uow.now))
    return trade, order


def get_order(*, user_id, order_id):
    order = db.session.scalar(select(Order).where(Order.id == order_id, Order.user_id == user_id))
    if order is None:
        raise NotFound(f"Order {order_id} not found.")
    return order


def orders_query(*, user_id, status=None, pair=None, side=None):
    """The user's orders, newest first, as a select for the caller to page through."""
    query = select(Order).where(Order.user_id == user_id)
    if status is not None:
        query = query.where(Order.status == status)
    if pair is not None:
        query = query.where(Order.pair == pair)
    if side is not None:
        query = query.where(Order.side == side)
    return query.order_by(Order.created_at.desc(), Order.id.desc())


def _lock_order(user_id, order_id):
    """The user's order, locked for the rest of the transaction (row lock on PostgreSQL;
    SQLite's BEGIN IMMEDIATE already holds the database write lock)."""
    order = db.session.scalar(
        select(Order)
        .where(Order.id == order_id, Order.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(f"Order {order_id} not found.")
    return order


def _find_by_client_order_id(user_id, client_order_id):
    return db.session.scalar(
        select(Order).where(Order.user_id == user_id, Order.client_order_id == client_order_id)
    )


def _same_request_or_conflict(existing, pair, side, type, amount, price):
    if (existing.pair, existing.side, existing.type, existing.amount, existing.price) != (pair, side, type, amount, price):
        raise Conflict(
            f"clientOrderId '{existing.client_order_id}' was already used for a different order.",
            field="clientOrderId",
        )
    return existing
