"""The levels a BOOK_DELTA carries: exactly the price levels whose total a change moved, with their new totals.

services/books.CheckedOutBook notes each level as a change first touches it; level_changes() compares with
the book afterwards. Checked against the plain difference of the whole book before and after, over random
streams of submits (crossing, resting, IOC, MARKET, self-trades), cancels and reductions.
"""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders_app.domain.enums import OrderType, SelfTradePrevention, Side, TimeInForce
from orders_app.domain.errors import DomainError
from orders_app.engine import OrderBook, RestingOrder, Taker
from orders_app.services.books import CheckedOutBook

PRICES = [Decimal(price) for price in ("99.50", "99.75", "100.00", "100.25", "100.50")]
USERS = ["ann", "bob", "cat"]
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def whole_book(book):
    bids, asks = book.depth(10_000)
    return {Side.BUY: {p: a for p, a, _ in bids}, Side.SELL: {p: a for p, a, _ in asks}}


def expected_changes(before, after):
    """(bids, asks) as level_changes() gives them: each level whose total differs, 0 when gone, best first."""
    changes = {}
    for side in (Side.BUY, Side.SELL):
        prices = set(before[side]) | set(after[side])
        moved = [(p, after[side].get(p, Decimal(0))) for p in prices if before[side].get(p) != after[side].get(p)]
        changes[side] = sorted(moved, reverse=side is Side.BUY)
    return changes[Side.BUY], changes[Side.SELL]


def taker(order_id, user, side, price, amount, type=OrderType.LIMIT, time_in_force=TimeInForce.GTC, stp=None):
    return Taker(
        order_id=order_id,
        user_id=user,
        side=side,
        type=type,
        price=price if type is OrderType.LIMIT else None,
        amount=amount,
        time_in_force=time_in_force,
        self_trade_prevention=stp or SelfTradePrevention.EXPIRE_MAKER,
    )


operation = st.one_of(
    st.tuples(
        st.just("submit"),
        st.sampled_from(USERS),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.sampled_from(PRICES),
        st.integers(1, 12).map(Decimal),
        st.sampled_from(["GTC", "GTC", "IOC", "MARKET"]),
        st.sampled_from(list(SelfTradePrevention)),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 200)),
    st.tuples(st.just("reduce"), st.integers(0, 200), st.integers(0, 12).map(Decimal)),
)


@SETTINGS
@given(
    resting=st.lists(
        st.tuples(st.sampled_from(USERS), st.sampled_from([Side.BUY, Side.SELL]), st.sampled_from(PRICES), st.integers(1, 9)),
        max_size=12,
    ),
    changes=st.lists(st.lists(operation, min_size=1, max_size=8), min_size=1, max_size=5),
)
def test_level_changes_are_exactly_the_levels_whose_total_moved(resting, changes):
    book = OrderBook("X/Y")
    for number, (user, side, price, amount) in enumerate(resting):
        # A crossed starting book would be unusual but is allowed: add_resting never matches.
        book.add_resting(RestingOrder(f"r{number}", user, side, price, Decimal(amount)))
    sent = [f"r{number}" for number in range(len(resting))]
    for change_number, operations in enumerate(changes):
        before = whole_book(book)
        checked_out = CheckedOutBook(book)  # one transaction: one checkout, many commands
        for op_number, op in enumerate(operations):
            try:
                if op[0] == "submit":
                    _, user, side, price, amount, kind, stp = op
                    order_id = f"t{change_number}-{op_number}"
                    sent.append(order_id)
                    if kind == "MARKET":
                        checked_out.submit(taker(order_id, user, side, price, amount, OrderType.MARKET, TimeInForce.IOC, stp))
                    else:
                        checked_out.submit(taker(order_id, user, side, price, amount, time_in_force=TimeInForce[kind], stp=stp))
                elif op[0] == "cancel" and sent:
                    checked_out.cancel(sent[op[1] % len(sent)])
                elif op[0] == "reduce" and sent:
                    order_id = sent[op[1] % len(sent)]
                    resting_order = book.get(order_id)
                    if resting_order is not None:
                        checked_out.reduce(order_id, min(op[2], resting_order.remaining))
            except DomainError:
                pass
        assert checked_out.level_changes() == expected_changes(before, whole_book(book))


def test_a_sweep_reports_each_level_it_took_and_where_the_taker_rests():
    book = OrderBook("X/Y")
    book.add_resting(RestingOrder("a", "ann", Side.SELL, Decimal("100.00"), Decimal(5)))
    book.add_resting(RestingOrder("b", "ann", Side.SELL, Decimal("100.25"), Decimal(5)))
    book.add_resting(RestingOrder("c", "ann", Side.SELL, Decimal("100.50"), Decimal(5)))
    checked_out = CheckedOutBook(book)

    checked_out.submit(taker("t", "bob", Side.BUY, Decimal("100.25"), Decimal(12)))

    assert checked_out.level_changes() == (
        [(Decimal("100.25"), Decimal(2))],
        [(Decimal("100.00"), Decimal(0)), (Decimal("100.25"), Decimal(0))],
    )
    assert checked_out.fill_count == 2


def test_a_level_emptied_and_refilled_to_the_same_total_is_no_change():
    book = OrderBook("X/Y")
    book.add_resting(RestingOrder("a", "ann", Side.BUY, Decimal("99.50"), Decimal(5)))
    checked_out = CheckedOutBook(book)

    checked_out.cancel("a")
    checked_out.submit(taker("b", "bob", Side.BUY, Decimal("99.50"), Decimal(5)))

    assert checked_out.level_changes() == ([], [])


def test_the_top_of_the_book_before_the_change_is_kept():
    book = OrderBook("X/Y")
    book.add_resting(RestingOrder("a", "ann", Side.BUY, Decimal("99.50"), Decimal(5)))
    checked_out = CheckedOutBook(book)

    checked_out.submit(taker("b", "bob", Side.SELL, Decimal("100.00"), Decimal(3)))

    assert checked_out.top_before == (Decimal("99.50"), Decimal(5), None, None)
    assert book.top() == (Decimal("99.50"), Decimal(5), Decimal("100.00"), Decimal(3))
