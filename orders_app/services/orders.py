"""Order use cases: place (and match), amend, cancel, record an execution report, read.

Every change to a pair's book is a command of that book's writer (services/book_writer.py): it runs
under the pair's lock (services/books.py), in the writer's batch transaction, together with the
trades, order updates and money movements it causes; its answer and events follow the batch's commit.
A command decides every refusal before it changes anything, against the batch's running state, so a
refused command leaves the rest of its batch as if it had never been sent.

Money follows the hold rules of domain/funds.py: an open order holds what it may still spend, a trade
pays out of that hold, and whatever the order will no longer need goes back to available. A command
reads the balances it needs into the batch's ledger as it learns of them (the makers only once it has
matched); services/ledger.py explains how they are locked without deadlocks.
"""

import uuid
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from ..domain import orders as rules
from ..domain import funds
from ..domain.enums import EntryType, OrderStatus, OrderType, SelfTradePrevention, Settlement, Side
from ..domain.errors import Conflict, NotFound
from ..domain.funds import VENUE_ACCOUNT, InsufficientFunds
from ..engine import Taker, TakerOutcome
from ..extensions import db
from ..models import Order, Trade
from ..realtime import events
from . import book_writer, books, instruments
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
    request = (pair, side, type, amount, price, time_in_force, self_trade_prevention)

    def place(uow):
        order, created = _place(uow, user_id, request, client_order_id)
        return _answerable(order), created

    def balances(uow):
        return _balance_keys(_lock_instrument(uow, pair), user_id)

    try:
        return book_writer.submit(book_writer.lane_key(pair), place, balances=balances)
    except IntegrityError:
        # Two processes placed under the same clientOrderId at once; the unique index kept the first.
        existing = client_order_id and _find_by_client_order_id(db.session, user_id, client_order_id)
        if not existing:
            raise
        return _same_request_or_conflict(existing, _checked_request(existing.instrument.spec, request)), False


def _place(uow, user_id, request, client_order_id):
    pair, side, type, amount, price, time_in_force, self_trade_prevention = request
    instrument = _lock_instrument(uow, pair)
    request = _checked_request(instrument.spec, request)
    amount, price = request[3], request[4]
    if client_order_id is not None:
        existing = uow.client_orders.get((user_id, client_order_id)) or _find_by_client_order_id(
            uow.session, user_id, client_order_id
        )
        if existing is not None:
            return _same_request_or_conflict(existing, request), False
    spec = instrument.spec
    asset = funds.hold_asset(side, spec.base, spec.quote)
    uow.ledger.load(_balance_keys(instrument, user_id))
    available = uow.ledger.available(user_id, asset)
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
    )
    # A new order has no trades: say so, rather than have the first read query for them.
    _with_loaded(order, instrument=instrument, buy_trades=[], sell_trades=[])
    uow.session.add(order)
    uow.orders[order.id] = order
    if client_order_id is not None:
        uow.client_orders[(user_id, client_order_id)] = order
    uow.events.append(events.order_created(order, at=uow.now))
    result = _submit(book, order, amount, funds=budget)
    uow.ledger.load(_balance_keys(instrument, user_id, result))
    if budget is not None:
        hold = funds.spend((fill.amount, fill.price) for fill in result.fills)
    _post_hold_change(uow, order, hold)
    _record_match(uow, instrument, order, result)
    return order, True


def _checked_request(spec, request):
    """The request with its amount and price checked against the instrument's lot, tick and notional."""
    pair, side, type, amount, price, time_in_force, self_trade_prevention = request
    amount = spec.checked_amount(amount)
    if type is OrderType.LIMIT:
        price = spec.checked_price(price)
        spec.checked_notional(amount, price)
    return pair, side, type, amount, price, time_in_force, self_trade_prevention


def amend_order(*, user_id, order_id, price=None, amount=None):
    """Change an open LIMIT order's price and/or amount.

    Reducing the amount keeps the order's place in the queue; a new price or a larger amount
    sends it to the back of its (new) level, where it may match at once.
    """
    return book_writer.submit(
        _lane_of_order(user_id, order_id), lambda uow: _answerable(_amend(uow, user_id, order_id, price, amount))
    )


def _amend(uow, user_id, order_id, price, amount):
    instrument, order = _lock_user_order(uow, user_id, order_id)
    rules.ensure_open(order.status, action="be amended")
    if order.type is not OrderType.LIMIT:
        raise Conflict("Only LIMIT orders can be amended.")
    spec = instrument.spec
    new_price = order.price if price is None else spec.checked_price(price)
    new_amount = order.amount if amount is None else spec.checked_amount(amount)
    if new_amount < order.filled_amount:
        raise Conflict(f"Amount {new_amount} is below what is already filled ({order.filled_amount}).", field="amount")
    spec.checked_notional(new_amount, new_price)
    if (new_price, new_amount) == (order.price, order.amount):
        return order
    hold_change = _held_by(order, new_amount - order.filled_amount, new_price) - _held_by(order)
    uow.ledger.load(_balance_keys(instrument, user_id))
    if hold_change > 0:
        asset = _hold_asset(order)
        field = "amount" if amount is not None else "price"
        funds.ensure_available(asset, hold_change, uow.ledger.available(user_id, asset), field=field)
    keeps_priority = new_price == order.price and new_amount < order.amount
    book = books.checkout(uow, instrument)
    order.price, order.amount, order.updated_at = new_price, new_amount, uow.now
    uow.events.append(events.order_updated(order, at=uow.now))
    _bump_sequence(instrument)  # the amend is one change to the book, however it is carried out
    if order.remaining_amount == 0:
        # Down to what is already filled, at any price: nothing is left to trade, so the order is done.
        book.cancel(order.id)
        _post_hold_change(uow, order, hold_change)
        _set_status(uow, order, OrderStatus.FILLED)
    elif keeps_priority:
        book.reduce(order.id, order.remaining_amount)
        _post_hold_change(uow, order, hold_change)
    else:
        book.cancel(order.id)
        result = _submit(book, order, order.remaining_amount)
        uow.ledger.load(_balance_keys(instrument, user_id, result))
        _post_hold_change(uow, order, hold_change)
        _record_match(uow, instrument, order, result, counts_as_change=False)
    return order


def cancel_order(*, user_id, order_id):
    """Cancel an open order; Conflict once it is filled, cancelled or otherwise closed."""
    return book_writer.submit(
        _lane_of_order(user_id, order_id), lambda uow: _answerable(_cancel(uow, user_id, order_id))
    )


def _cancel(uow, user_id, order_id):
    instrument, order = _lock_user_order(uow, user_id, order_id)
    new_status = rules.cancel(order.status)
    uow.ledger.load(_balance_keys(instrument, user_id))
    book = books.checkout(uow, instrument)
    book.cancel(order.id)
    if _rests_in_book(order):
        _bump_sequence(instrument)
    _release_all(uow, order)
    _set_status(uow, order, new_status)
    return order


def record_execution(*, user_id, order_id, executed_amount, executed_price):
    """Append an execution report to the order, move its fill and status, and take the fill
    out of the book. Returns (trade, order)."""
    def execute(uow):
        trade, order = _execute(uow, user_id, order_id, executed_amount, executed_price)
        return trade, _answerable(order)

    return book_writer.submit(_lane_of_order(user_id, order_id), execute)


def _execute(uow, user_id, order_id, executed_amount, executed_price):
    instrument, order = _lock_user_order(uow, user_id, order_id)
    rules.ensure_open(order.status, action="trade")
    spec = instrument.spec
    fill_amount = spec.checked_amount(executed_amount, field="executedAmount", enforce_minimum=False)
    fill_price = spec.checked_price(executed_price, field="executedPrice")
    _fill_result(order, fill_amount, fill_price)  # every refusal before anything changes
    uow.ledger.load(_balance_keys(instrument, user_id, venue=True))
    trade = _new_trade(uow, instrument, amount=fill_amount, price=fill_price)
    # The book is checked out before the fill is written: rebuilt from the database after it, a stale
    # cache would no longer hold a now FILLED order, and the fill would not move the pair's sequence.
    book = books.checkout(uow, instrument)
    was_resting = _rests_in_book(order)
    _link(trade, order)
    _record_fill(uow, order, trade)
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
            uow.ledger.lock(_balance_keys(instrument, order.user_id))
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
    makers = _orders_by_id(uow, maker_ids)
    for cancelled in result.cancelled_makers:
        _bump_sequence(instrument)
        maker = makers[cancelled.order_id]
        _release_all(uow, maker)
        _set_status(uow, maker, OrderStatus.CANCELLED)
    for fill in result.fills:
        _bump_sequence(instrument)
        trade = _new_trade(
            uow, instrument, amount=fill.amount, price=fill.price, taker_side=fill.taker_side, sequence=instrument.sequence
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
        uow.trades.append(trade)
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


def _balance_keys(instrument, user_id, result=None, *, venue=False):
    """The balances a change to an order of `user_id` may move: both assets of the order's owner, of
    every maker the match met, and of the venue for an execution report."""
    accounts = {user_id}
    if result is not None:
        accounts |= {fill.maker_user_id for fill in result.fills}
        accounts |= {maker.user_id for maker in result.cancelled_makers}
    if venue:
        accounts.add(VENUE_ACCOUNT)
    return {(account, asset) for account in accounts for asset in (instrument.base, instrument.quote)}


def _fill_result(order, fill_amount, fill_price):
    """`order`'s sums and status after a fill of `fill_amount` at `fill_price`, or the rule it breaks, raised."""
    return rules.apply_fill(
        side=order.side,
        status=order.status,
        amount=order.amount,
        filled_amount=order.filled_amount,
        filled_quote=order.filled_quote,
        limit_price=order.price,
        fill_amount=fill_amount,
        fill_price=fill_price,
    )


def _new_trade(uow, instrument, *, amount, price, **columns):
    """A trade of `instrument` executed now, in the session; its orders are linked to it by the caller
    (_link), which does not add it: linking from the trade's side cascades nothing into the session."""
    trade = Trade(
        id=uuid.uuid4(),
        pair=instrument.symbol,
        amount=amount,
        price=price,
        executed_at=uow.now,
        settled_at=_settled_at(instrument, uow.now),
        **columns,
    )
    _with_loaded(trade, instrument=instrument)
    uow.session.add(trade)
    return trade


def _record_fill(uow, order, trade):
    """Apply a trade, already linked to the order (_link), to the order: sums, status, and that owner's
    events."""
    result = _fill_result(order, trade.amount, trade.price)
    old_status = order.status
    order.filled_amount = result.filled_amount
    order.filled_quote = result.filled_quote
    order.status = result.status
    order.updated_at = uow.now
    uow.events.append(events.trade_added(order, trade, at=uow.now))
    _announce_status_change(uow, order, old_status)


def _with_loaded(instance, **relationships):
    """Give a new row's relationships as if loaded with it, not as changes to it: the batch writes the
    row's columns itself (UnitOfWork.write_rows), and set through the constructor, the instrument and the
    two empty trade lists of a new order cost the ORM's change tracking more than all its columns."""
    for key, value in relationships.items():
        set_committed_value(instance, key, value)


def _link(trade, order):
    # Setting the trade's side of the link, not appending to order.trades, spares loading every earlier
    # trade. The id is set too: events are built before the rows are written, and the batch writes the
    # trade's columns as they stand (UnitOfWork.write_rows), with no ORM flush to copy it over.
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


def _lock_instrument(uow, pair):
    """The pair's instrument row, locked for the rest of `uow` (once per batch)."""
    instrument = uow.instruments.get(pair)
    if instrument is None:
        instrument = uow.instruments[pair] = instruments.known(books.lock_pair(uow.session, pair), pair)
    return instrument


def _lock_user_order(uow, user_id, order_id):
    """(instrument, order) for the user's order, with the order's pair locked.

    The pair lock covers the order too: every change to an order takes its pair's lock first. An order
    the batch already holds is taken as the batch left it, trades included.
    """
    order = uow.orders.get(order_id)
    if order is not None:
        if order.user_id != user_id:
            raise NotFound(f"Order {order_id} not found.")
        return _lock_instrument(uow, order.pair), order
    session = uow.session
    pair = session.scalar(select(Order.pair).where(Order.id == order_id, Order.user_id == user_id))
    if pair is None:
        raise NotFound(f"Order {order_id} not found.")
    instrument = _lock_instrument(uow, pair)
    order = uow.orders[order_id] = session.scalar(
        select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    )
    return instrument, order


def _answerable(order):
    """`order` as its command left it, everything its answer shows loaded: later commands of the batch
    may change it, and the answer is written once the batch has let go of its objects."""
    for trade in order.trades:
        trade.instrument  # noqa: B018 (the pair's row, already in the session: no query)
    return order.snapshot()


def _lane_of_order(user_id, order_id):
    """The writer of the order's book. On SQLite there is one for every pair, so the pair is not read."""
    if book_writer.one_writer_for_the_database():
        return book_writer.WHOLE_DATABASE
    # On a connection of its own, given back at once: a request waiting in a writer's queue must not hold
    # one of the pool's connections, and the caller's session is left as it was.
    with db.engine.connect() as connection:
        pair = connection.scalar(select(Order.pair).where(Order.id == order_id, Order.user_id == user_id))
    if pair is None:
        raise NotFound(f"Order {order_id} not found.")
    return pair


def _orders_by_id(uow, order_ids):
    """The orders, from the batch where it holds them, else read (and kept in the batch)."""
    found = {order_id: uow.orders[order_id] for order_id in order_ids if order_id in uow.orders}
    missing = [order_id for order_id in order_ids if order_id not in found]
    if missing:
        for order in uow.session.scalars(_orders_without_trades(), {"ids": missing}):
            found[order.id] = uow.orders[order.id] = order
    return found


@cache
def _orders_without_trades():
    """The orders whose ids the `ids` parameter lists, without their earlier trades (recording new ones
    does not need them). Built once, as the makers of every crossing command are read with it."""
    return (
        select(Order)
        .where(Order.id.in_(bindparam("ids", expanding=True)))
        .options(lazyload(Order.buy_trades), lazyload(Order.sell_trades))
    )


def _find_by_client_order_id(session, user_id, client_order_id):
    return session.scalar(select(Order).where(Order.user_id == user_id, Order.client_order_id == client_order_id))


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
