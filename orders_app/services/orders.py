"""Order use cases: place (and match), amend, cancel, record an execution report, read.

Every change to a pair's book runs under that pair's lock (services/books.py) and in one
transaction with the trades, order updates and money movements it causes; events go out after
the commit. Money follows the hold rules of domain/funds.py: an open order holds what it may still
spend, a trade pays out of that hold, and whatever the order will no longer need goes back to
available. Matching runs in memory before any balance is locked, so that every balance the change
touches is locked in one batch (services/ledger.py explains why).
"""

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from ..domain import orders as rules
from ..domain import funds
from ..domain.enums import EntryType, OrderStatus, OrderType, SelfTradePrevention, Settlement, Side
from ..domain.errors import Conflict, NotFound
from ..domain.funds import VENUE_ACCOUNT, InsufficientFunds
from ..engine import Taker, TakerOutcome
from ..extensions import db
from ..models import Order, Trade
from ..realtime import events
from . import books, instruments, ledger
from .unit_of_work import unit_of_work


def place_order(
    *,
    user_id,
    pair,
    side,
    type,
    amount,
    price=None,
    time_in_force=None,
    self_trade_prevention=SelfTradePrevention.EXPIRE_MAKER,
    client_order_id=None,
):
    """Validate, store and match a new order. Returns (order, created).

    `time_in_force` None takes the order type's default (GTC for LIMIT, IOC for MARKET).
    A clientOrderId the user has already used returns that order with created=False,
    provided the request is the same one; a different request under the same id is a Conflict.
    """
    time_in_force = rules.time_in_force_for(type, time_in_force)
    try:
        with unit_of_work() as uow:
            instrument = _lock_instrument(uow.session, pair)
            spec = instrument.spec
            amount = spec.checked_amount(amount)
            if type is OrderType.LIMIT:
                price = spec.checked_price(price)
                spec.checked_notional(amount, price)
            request = (pair, side, type, amount, price, time_in_force, self_trade_prevention)
            if client_order_id is not None:
                existing = _find_by_client_order_id(user_id, client_order_id)
                if existing is not None:
                    return _same_request_or_conflict(existing, request), False
            asset = funds.hold_asset(side, spec.base, spec.quote)
            available = ledger.available(uow.session, user_id, asset)
            budget = hold = None
            if type is OrderType.MARKET and side is Side.BUY:
                if available <= 0:
                    raise InsufficientFunds(f"Insufficient {asset}: none available to buy with.", field="amount")
                budget = available  # a MARKET BUY fills what the funds cover; the rest expires
            else:
                hold = funds.hold_for(side, type, amount, price)
                funds.ensure_available(asset, hold, available)
            book = books.checkout(uow, instrument)
            order = Order(
                id=uuid.uuid4(),
                user_id=user_id,
                client_order_id=client_order_id,
                pair=pair,
                instrument=instrument,
                side=side,
                type=type,
                amount=amount,
                price=price,
                time_in_force=time_in_force,
                self_trade_prevention=self_trade_prevention,
                status=OrderStatus.PENDING,
                filled_amount=Decimal(0),
                filled_quote=Decimal(0),
                created_at=uow.now,
                updated_at=uow.now,
                # A new order has no trades: say so, rather than have the first read query for them.
                buy_trades=[],
                sell_trades=[],
            )
            uow.session.add(order)
            uow.events.append(events.order_created(order, at=uow.now))
            result = _submit(book, order, amount, funds=budget)
            uow.ledger.lock(_balance_keys(instrument, order, result))
            if budget is not None:
                hold = funds.spend((fill.amount, fill.price) for fill in result.fills)
            _post_hold_change(uow, order, hold)
            _record_match(uow, instrument, order, result)
    except IntegrityError:
        # Two requests with the same clientOrderId raced; the unique index kept the first.
        existing = client_order_id and _find_by_client_order_id(user_id, client_order_id)
        if not existing:
            raise
        return _same_request_or_conflict(existing, request), False
    return order, True


def amend_order(*, user_id, order_id, price=None, amount=None):
    """Change an open LIMIT order's price and/or amount.

    Reducing the amount keeps the order's place in the queue; a new price or a larger amount
    sends it to the back of its (new) level, where it may match at once.
    """
    with unit_of_work() as uow:
        instrument, order = _lock_user_order(uow.session, user_id, order_id)
        rules.ensure_open(order.status, action="be amended")
        if order.type is not OrderType.LIMIT:
            raise Conflict("Only LIMIT orders can be amended.")
        spec = instrument.spec
        new_price = order.price if price is None else spec.checked_price(price)
        new_amount = order.amount if amount is None else spec.checked_amount(amount)
        if new_amount < order.filled_amount:
            raise Conflict(
                f"Amount {new_amount} is below what is already filled ({order.filled_amount}).", field="amount"
            )
        spec.checked_notional(new_amount, new_price)
        if (new_price, new_amount) == (order.price, order.amount):
            return order
        hold_change = _held_by(order, new_amount - order.filled_amount, new_price) - _held_by(order)
        if hold_change > 0:
            asset = _hold_asset(order)
            field = "amount" if amount is not None else "price"
            funds.ensure_available(asset, hold_change, ledger.available(uow.session, user_id, asset), field=field)
        keeps_priority = new_price == order.price and new_amount < order.amount
        book = books.checkout(uow, instrument)
        order.price, order.amount, order.updated_at = new_price, new_amount, uow.now
        uow.events.append(events.order_updated(order, at=uow.now))
        _bump_sequence(instrument)  # the amend is one change to the book, however it is carried out
        if order.remaining_amount == 0:
            # Down to what is already filled, at any price: nothing is left to trade, so the order is done.
            book.cancel(order.id)
            uow.ledger.lock(_balance_keys(instrument, order))
            _post_hold_change(uow, order, hold_change)
            _set_status(uow, order, OrderStatus.FILLED)
        elif keeps_priority:
            book.reduce(order.id, order.remaining_amount)
            uow.ledger.lock(_balance_keys(instrument, order))
            _post_hold_change(uow, order, hold_change)
        else:
            book.cancel(order.id)
            result = _submit(book, order, order.remaining_amount)
            uow.ledger.lock(_balance_keys(instrument, order, result))
            _post_hold_change(uow, order, hold_change)
            _record_match(uow, instrument, order, result, counts_as_change=False)
    return order


def cancel_order(*, user_id, order_id):
    """Cancel an open order; Conflict once it is filled, cancelled or otherwise closed."""
    with unit_of_work() as uow:
        instrument, order = _lock_user_order(uow.session, user_id, order_id)
        new_status = rules.cancel(order.status)
        book = books.checkout(uow, instrument)
        book.cancel(order.id)
        if _rests_in_book(order):
            _bump_sequence(instrument)
        uow.ledger.lock(_balance_keys(instrument, order))
        _release_all(uow, order)
        _set_status(uow, order, new_status)
    return order


def record_execution(*, user_id, order_id, executed_amount, executed_price):
    """Append an execution report to the order, move its fill and status, and take the fill
    out of the book. Returns (trade, order)."""
    with unit_of_work() as uow:
        instrument, order = _lock_user_order(uow.session, user_id, order_id)
        rules.ensure_open(order.status, action="trade")
        spec = instrument.spec
        fill_amount = spec.checked_amount(executed_amount, field="executedAmount", enforce_minimum=False)
        fill_price = spec.checked_price(executed_price, field="executedPrice")
        trade = Trade(
            id=uuid.uuid4(),
            pair=instrument.symbol,
            instrument=instrument,
            amount=fill_amount,
            price=fill_price,
            executed_at=uow.now,
            settled_at=_settled_at(instrument, uow.now),
        )
        # The book is checked out before the fill is written: rebuilt from the database after it, a stale
        # cache would no longer hold a now FILLED order, and the fill would not move the pair's sequence.
        book = books.checkout(uow, instrument)
        was_resting = _rests_in_book(order)
        _record_fill(uow, order, trade)
        uow.ledger.lock(_balance_keys(instrument, order, venue=True))
        _move_trade_funds(uow, instrument, trade, {order.side: order})
        if order.id in book:
            book.reduce(order.id, order.remaining_amount)
        if was_resting:
            # Decided from the order, not from this process's copy of the book: every process must see
            # the sequence move and catch up, whatever its cache held.
            _bump_sequence(instrument)
    return trade, order


def hold_for_existing_order(*, order_id):
    """Hold what an open order from before accounts existed needs. False, changing nothing, when
    its owner cannot cover it."""
    try:
        with unit_of_work() as uow:
            order = uow.session.get(Order, order_id)
            instrument = books.lock_pair(uow.session, order.pair)
            uow.ledger.lock(_balance_keys(instrument, order))
            _post_hold_change(uow, order, _held_by(order))
    except InsufficientFunds:
        return False
    return True


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


def _submit(book, order, amount, *, funds=None):
    """Run `order` (for `amount`) through the in-memory book; nothing is written yet."""
    return book.submit(
        Taker(
            order_id=order.id,
            user_id=order.user_id,
            side=order.side,
            type=order.type,
            price=order.price,
            amount=amount,
            time_in_force=order.time_in_force,
            self_trade_prevention=order.self_trade_prevention,
            funds=funds,
            lot_size=order.instrument.lot_size if funds is not None else None,
        )
    )


def _record_match(uow, instrument, order, result, counts_as_change=True):
    """Write what matching `order` did: cancelled makers, trades, money, and where the taker ended up.

    The balances involved must already be locked. Resting counts as a change to the book unless the
    caller already counted one (an amend).
    """
    maker_ids = {fill.maker_order_id for fill in result.fills} | {m.order_id for m in result.cancelled_makers}
    makers = _orders_by_id(uow.session, maker_ids)
    for cancelled in result.cancelled_makers:
        _bump_sequence(instrument)
        maker = makers[cancelled.order_id]
        _release_all(uow, maker)
        _set_status(uow, maker, OrderStatus.CANCELLED)
    for fill in result.fills:
        _bump_sequence(instrument)
        trade = Trade(
            id=uuid.uuid4(),
            pair=instrument.symbol,
            instrument=instrument,
            amount=fill.amount,
            price=fill.price,
            taker_side=fill.taker_side,
            sequence=instrument.sequence,
            executed_at=uow.now,
            settled_at=_settled_at(instrument, uow.now),
        )
        instrument.last_trade_price = fill.price
        maker = makers[fill.maker_order_id]
        # Both orders are linked before either owner's event is built, so each sees its counter order.
        _link(trade, maker)
        _link(trade, order)
        _record_fill(uow, maker, trade)
        _record_fill(uow, order, trade)
        _move_trade_funds(uow, instrument, trade, {maker.side: maker, order.side: order})
        uow.events.append(events.market_trade(trade, at=uow.now))
    if result.outcome is TakerOutcome.RESTED:
        if counts_as_change:
            _bump_sequence(instrument)
        order.priority = instrument.sequence
    elif result.outcome is TakerOutcome.EXPIRED:
        _release_all(uow, order)
        _set_status(uow, order, OrderStatus.EXPIRED)


def _move_trade_funds(uow, instrument, trade, orders_by_side):
    """Move a trade's money between its two sides (a missing side is the venue), and give the buyer
    back what its hold reserved beyond the trade price.

    An unsettled trade (its instrument settles later) credits the proceeds as pending.
    """
    buy_order, sell_order = orders_by_side.get(Side.BUY), orders_by_side.get(Side.SELL)
    buyer = buy_order.user_id if buy_order else VENUE_ACCOUNT
    seller = sell_order.user_id if sell_order else VENUE_ACCOUNT
    legs = funds.trade_legs(
        base=instrument.base,
        quote=instrument.quote,
        amount=trade.amount,
        price=trade.price,
        buyer=buyer,
        seller=seller,
        deferred=not trade.settled,
    )
    order_ids = {order.user_id: order.id for order in orders_by_side.values()}
    uow.ledger.post(EntryType.TRADE, legs, order_ids=order_ids, trade_id=trade.id)
    if buy_order is not None and buy_order.price is not None and trade.price < buy_order.price:
        improvement = trade.amount * (buy_order.price - trade.price)
        uow.ledger.post(
            EntryType.RELEASE,
            funds.release_legs(buyer, instrument.quote, improvement),
            order_id=buy_order.id,
            trade_id=trade.id,
        )


def _settled_at(instrument, now):
    """A trade settles in its own transaction unless its instrument defers settlement."""
    return None if instrument.settlement is Settlement.DEFERRED else now


def _held_by(order, remaining=None, price=None):
    """What `order` holds for its remaining amount, or would hold for another remaining and price."""
    return funds.hold_for(
        order.side,
        order.type,
        order.remaining_amount if remaining is None else remaining,
        order.price if price is None else price,
    )


def _hold_asset(order):
    spec = order.instrument.spec
    return funds.hold_asset(order.side, spec.base, spec.quote)


def _post_hold_change(uow, order, change):
    """Hold more (change > 0) or release some (change < 0) of `order`'s hold asset."""
    asset = _hold_asset(order)
    if change > 0:
        uow.ledger.post(EntryType.HOLD, funds.hold_legs(order.user_id, asset, change), order_id=order.id)
    elif change < 0:
        uow.ledger.post(EntryType.RELEASE, funds.release_legs(order.user_id, asset, -change), order_id=order.id)


def _release_all(uow, order):
    """Give back everything `order` still holds: it will not trade again."""
    _post_hold_change(uow, order, -_held_by(order))


def _balance_keys(instrument, order, result=None, *, venue=False):
    """The balances a change to `order` may move: both assets of the order's owner, of every maker
    the match met, and of the venue for an execution report."""
    accounts = {order.user_id}
    if result is not None:
        accounts |= {fill.maker_user_id for fill in result.fills}
        accounts |= {maker.user_id for maker in result.cancelled_makers}
    if venue:
        accounts.add(VENUE_ACCOUNT)
    return {(account, asset) for account in accounts for asset in (instrument.base, instrument.quote)}


def _record_fill(uow, order, trade):
    """Apply a trade to one of its orders: sums, status, and that owner's events."""
    result = rules.apply_fill(
        side=order.side,
        status=order.status,
        amount=order.amount,
        filled_amount=order.filled_amount,
        filled_quote=order.filled_quote,
        limit_price=order.price,
        fill_amount=trade.amount,
        fill_price=trade.price,
    )
    _link(trade, order)
    old_status = order.status
    order.filled_amount = result.filled_amount
    order.filled_quote = result.filled_quote
    order.status = result.status
    order.updated_at = uow.now
    uow.session.add(trade)  # linking from the trade's side does not cascade it into the session
    uow.events.append(events.trade_added(order, trade, at=uow.now))
    _announce_status_change(uow, order, old_status)


def _link(trade, order):
    # Setting the trade's side of the link, not appending to order.trades, spares loading every earlier
    # trade. The id is set too: events are built before the flush that would copy it over.
    if order.side is Side.BUY:
        trade.buy_order, trade.buy_order_id = order, order.id
    else:
        trade.sell_order, trade.sell_order_id = order, order.id


def _set_status(uow, order, status):
    old_status, order.status, order.updated_at = order.status, status, uow.now
    _announce_status_change(uow, order, old_status)


def _announce_status_change(uow, order, old_status):
    if order.status is not old_status:
        uow.events.append(events.order_status_changed(order, old_status, at=uow.now))


def _rests_in_book(order):
    """Whether `order` rests in its pair's book: every open LIMIT order does (books.load_book reads them so)."""
    return order.type is OrderType.LIMIT and order.status.is_open


def _bump_sequence(instrument):
    """One more change to the pair's book."""
    instrument.sequence += 1


def _lock_instrument(session, pair):
    return instruments.known(books.lock_pair(session, pair), pair)


def _lock_user_order(session, user_id, order_id):
    """(instrument, order) for the user's order, with the order's pair locked.

    The pair lock covers the order too: every change to an order takes its pair's lock first.
    """
    pair = session.scalar(select(Order.pair).where(Order.id == order_id, Order.user_id == user_id))
    if pair is None:
        raise NotFound(f"Order {order_id} not found.")
    instrument = books.lock_pair(session, pair)
    order = session.scalar(select(Order).where(Order.id == order_id).execution_options(populate_existing=True))
    return instrument, order


def _orders_by_id(session, order_ids):
    if not order_ids:
        return {}
    # The makers' earlier trades are not needed to record new ones.
    query = select(Order).where(Order.id.in_(order_ids)).options(lazyload(Order.buy_trades), lazyload(Order.sell_trades))
    return {order.id: order for order in session.scalars(query)}


def _find_by_client_order_id(user_id, client_order_id):
    return db.session.scalar(
        select(Order).where(Order.user_id == user_id, Order.client_order_id == client_order_id)
    )


def _same_request_or_conflict(existing, request):
    stored = (
        existing.pair,
        existing.side,
        existing.type,
        existing.amount,
        existing.price,
        existing.time_in_force,
        existing.self_trade_prevention,
    )
    if stored != request:
        raise Conflict(
            f"clientOrderId '{existing.client_order_id}' was already used for a different order.",
            field="clientOrderId",
        )
    return existing
