"""A MARKET BUY limited by funds: whole lots at each maker's price while the funds cover them, then it expires.

Every test builds the book from asks, the only side a MARKET BUY trades against.
"""

from decimal import Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders_app.domain.enums import OrderType, SelfTradePrevention, Side, TimeInForce
from orders_app.domain.errors import InvalidInput
from orders_app.engine import OrderBook, RestingOrder, Taker, TakerOutcome

EXPIRE_MAKER = SelfTradePrevention.EXPIRE_MAKER
TAKER_USER = "taker-user"
ZERO = Decimal(0)


@pytest.fixture
def book():
    return OrderBook("BTC/USD")


def ask(book, price, amount, order_id, user=None):
    order = RestingOrder(order_id, user or f"user-of-{order_id}", Side.SELL, Decimal(price), Decimal(amount))
    book.add_resting(order)
    return order


def market_buy(amount, funds, lot_size="1", *, stp=EXPIRE_MAKER, order_id="taker", user=TAKER_USER):
    return Taker(
        order_id,
        user,
        Side.BUY,
        OrderType.MARKET,
        None,
        Decimal(amount),
        TimeInForce.IOC,
        stp,
        funds=None if funds is None else Decimal(funds),
        lot_size=None if lot_size is None else Decimal(lot_size),
    )


def funded(side, order_type, price, *, funds=Decimal("100")):
    """A taker of 1 with funds and a lot size of 1, whatever its side and type."""
    return Taker("taker", TAKER_USER, side, order_type, price, Decimal(1), funds=funds, lot_size=Decimal(1))


def traded(result):
    """[(maker order id, price, amount)] in execution order."""
    return [(fill.maker_order_id, fill.price, fill.amount) for fill in result.fills]


def spent(result):
    return sum((fill.amount * fill.price for fill in result.fills), ZERO)


def snapshot(book):
    return book.depth(100), len(book), book.best_bid(), book.best_ask()


# Funds that are enough


def test_funds_that_cover_everything_fill_like_a_plain_market_buy(book):
    ask(book, "100", "1", "a")
    ask(book, "101", "2", "b")
    ask(book, "103", "5", "c")
    plain_book = OrderBook("BTC/USD")
    ask(plain_book, "100", "1", "a")
    ask(plain_book, "101", "2", "b")
    ask(plain_book, "103", "5", "c")

    with_funds = book.submit(market_buy("4", funds="1000000"))
    without_funds = plain_book.submit(market_buy("4", funds=None, lot_size=None))

    assert traded(with_funds) == traded(without_funds) == [
        ("a", Decimal("100"), Decimal("1")),
        ("b", Decimal("101"), Decimal("2")),
        ("c", Decimal("103"), Decimal("1")),
    ]
    assert with_funds.fills == without_funds.fills
    assert with_funds.outcome is TakerOutcome.FILLED
    assert with_funds.taker_remaining == 0
    assert snapshot(book) == snapshot(plain_book)
    assert book.get("c").remaining == Decimal("4")


def test_funds_exactly_equal_to_the_cost_fill_completely(book):
    ask(book, "100", "1", "a")
    ask(book, "101", "2", "b")

    result = book.submit(market_buy("3", funds="302"))

    assert result.outcome is TakerOutcome.FILLED
    assert spent(result) == Decimal("302")
    assert len(book) == 0


def test_funds_that_outlast_the_book_expire_the_rest_as_a_plain_market_buy_does(book):
    ask(book, "100", "1", "a")

    result = book.submit(market_buy("5", funds="1000"))

    assert traded(result) == [("a", Decimal("100"), Decimal("1"))]
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("4")
    assert len(book) == 0
    assert book.best_ask() is None


def test_funds_far_larger_than_the_book_costs_fill_like_a_plain_market_buy():
    # Tick and lot of 0.000000001 together keep 18 decimal places, as instruments allow. The funds are
    # a balance well inside the storable range, and every value the match needs fits 28 digits; only
    # "how many lots could these funds buy at this price" does not (10**29), and it need not be asked
    # when the maker on offer costs far less than the funds.
    book = OrderBook("TINY/USD")
    ask(book, "0.000000001", "5", "cheap")

    result = book.submit(market_buy("1", funds="100000000000", lot_size="0.000000001"))

    assert traded(result) == [("cheap", Decimal("0.000000001"), Decimal("1"))]
    assert result.outcome is TakerOutcome.FILLED
    assert book.get("cheap").remaining == Decimal("4")


def test_funds_with_more_digits_than_the_default_precision_are_not_overspent_in_a_wide_enough_context():
    # The engine computes in the caller's context; 29 significant digits of funds need a wider one than
    # the default 28, or what is left after the first fill rounds up to cover the second.
    book = OrderBook("BIG/USD")
    ask(book, "10000000000", "1", "a")
    ask(book, "10000000001", "1", "b")
    funds = Decimal("20000000000.999999999999999999")

    with localcontext(prec=76):
        result = book.submit(market_buy("2", funds=funds))

    assert traded(result) == [("a", Decimal("10000000000"), Decimal("1"))]
    assert spent(result) <= funds
    assert result.outcome is TakerOutcome.EXPIRED
    assert book.get("b").remaining == Decimal("1")


# Funds that run out


def test_funds_running_out_mid_level_take_whole_lots_from_a_maker_that_keeps_its_place(book):
    ask(book, "100", "5", "first")
    ask(book, "100", "5", "second")
    ask(book, "100", "5", "third")
    ask(book, "101", "5", "behind")

    # 500 buys all of `first`; the 150 left buy one lot of `second`, and the last 50 buy nothing.
    result = book.submit(market_buy("12", funds="650"))

    assert traded(result) == [("first", Decimal("100"), Decimal("5")), ("second", Decimal("100"), Decimal("1"))]
    assert [fill.maker_remaining for fill in result.fills] == [0, Decimal("4")]
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("6")
    assert spent(result) == Decimal("600")
    assert "taker" not in book
    assert "first" not in book
    assert book.get("second").remaining == Decimal("4")
    assert book.get("third").remaining == Decimal("5")
    assert book.depth(10)[1] == [(Decimal("100"), Decimal("9"), 2), (Decimal("101"), Decimal("5"), 1)]

    # `second` is still at the front of its level.
    later = book.submit(market_buy("5", funds=None, lot_size=None, order_id="later", user="someone-else"))
    assert traded(later) == [("second", Decimal("100"), Decimal("4")), ("third", Decimal("100"), Decimal("1"))]


def test_funds_running_out_at_a_level_boundary_leave_the_next_level_untouched(book):
    ask(book, "100", "1", "a")
    ask(book, "100", "1", "b")
    ask(book, "101", "3", "next-level")

    result = book.submit(market_buy("5", funds="200"))

    assert traded(result) == [("a", Decimal("100"), Decimal("1")), ("b", Decimal("100"), Decimal("1"))]
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("3")
    assert spent(result) == Decimal("200")
    assert book.get("next-level").remaining == Decimal("3")
    assert book.depth(10)[1] == [(Decimal("101"), Decimal("3"), 1)]
    assert book.best_ask() == Decimal("101")


def test_funds_left_for_a_lot_at_one_price_but_not_at_the_next_stop_at_the_level_boundary(book):
    ask(book, "100", "1", "a")
    ask(book, "102", "4", "b")

    # After `a` the 101.99 left would buy a lot at 100, but not at 102.
    result = book.submit(market_buy("3", funds="201.99"))

    assert traded(result) == [("a", Decimal("100"), Decimal("1"))]
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("2")
    assert book.get("b").remaining == Decimal("4")


def test_funds_too_small_for_one_lot_at_the_best_price_leave_the_book_unchanged(book):
    ask(book, "100", "5", "best")
    ask(book, "101", "5", "next")
    before = snapshot(book)

    result = book.submit(market_buy("2", funds="99.99"))

    assert result.fills == []
    assert result.cancelled_makers == []
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("2")
    assert snapshot(book) == before
    assert "taker" not in book


def test_zero_funds_fill_nothing(book):
    ask(book, "100", "5", "maker")
    before = snapshot(book)

    result = book.submit(market_buy("1", funds="0"))

    assert (result.fills, result.cancelled_makers) == ([], [])
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("1")
    assert snapshot(book) == before


def test_zero_funds_against_an_empty_book_expire(book):
    result = book.submit(market_buy("1", funds="0"))

    assert (result.fills, result.outcome, result.taker_remaining) == ([], TakerOutcome.EXPIRED, Decimal("1"))
    assert len(book) == 0


# Lot sizes and prices


def test_fractional_lot_size_fills_whole_lots_at_the_maker_price(book):
    ask(book, "65000.00", "0.5000", "maker")

    # One lot costs 65000.00 x 0.0001 = 6.50; 1000.00 covers 153 of them (994.50).
    result = book.submit(market_buy("1.0000", funds="1000.00", lot_size="0.0001"))

    assert traded(result) == [("maker", Decimal("65000.00"), Decimal("0.0153"))]
    assert spent(result) == Decimal("994.50")
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("0.9847")
    assert book.get("maker").remaining == Decimal("0.4847")
    assert book.depth(1)[1] == [(Decimal("65000.00"), Decimal("0.4847"), 1)]


def test_lot_cost_follows_each_makers_price(book):
    ask(book, "65000.00", "0.0100", "cheaper")
    ask(book, "65000.50", "1.0000", "dearer")

    # 650.00 for `cheaper` leaves 350.00; a lot of `dearer` costs 6.50005, so 53 of them fit (344.50265).
    result = book.submit(market_buy("1.0000", funds="1000.00", lot_size="0.0001"))

    assert traded(result) == [
        ("cheaper", Decimal("65000.00"), Decimal("0.0100")),
        ("dearer", Decimal("65000.50"), Decimal("0.0053")),
    ]
    assert spent(result) == Decimal("994.50265")
    assert Decimal("1000.00") - spent(result) < Decimal("65000.50") * Decimal("0.0001")
    assert result.taker_remaining == Decimal("0.9847")
    assert book.get("dearer").remaining == Decimal("0.9947")


@pytest.mark.parametrize(
    ("funds", "expected_amounts"),
    [
        ("0", []),
        ("9.99", []),
        ("10", ["1"]),
        ("29.99", ["2"]),
        ("30", ["3"]),
        ("30.01", ["3"]),
        ("41.99", ["3"]),
        ("42", ["3", "1"]),
        ("65.99", ["3", "2"]),
        ("66", ["3", "3"]),
        ("1000", ["3", "3"]),
    ],
)
def test_funds_buy_as_many_whole_lots_as_they_cover_and_never_more(book, funds, expected_amounts):
    ask(book, "10", "3", "a")
    ask(book, "12", "5", "b")

    result = book.submit(market_buy("6", funds=funds))

    assert [fill.amount for fill in result.fills] == [Decimal(amount) for amount in expected_amounts]
    assert spent(result) <= Decimal(funds)
    left = Decimal(funds) - spent(result)
    if result.taker_remaining:
        # One more lot at the price the taker stopped at would have cost more than what was left.
        assert left < book.best_ask()  # times the lot size, 1


# Self-trade prevention


def test_self_trade_prevention_cancels_own_makers_without_spending_funds(book):
    ask(book, "100", "5", "own-cheap", user=TAKER_USER)
    ask(book, "101", "2", "other")
    ask(book, "101", "5", "own-behind", user=TAKER_USER)
    ask(book, "102", "5", "other-far")

    # 202 buys the 2 lots of `other`; its own orders on the way are cancelled and cost nothing. The 100
    # left cannot buy a lot of `other-far` at 102.
    result = book.submit(market_buy("5", funds="302", stp=EXPIRE_MAKER))

    assert traded(result) == [("other", Decimal("101"), Decimal("2"))]
    assert [(order.order_id, order.remaining) for order in result.cancelled_makers] == [
        ("own-cheap", Decimal("5")),
        ("own-behind", Decimal("5")),
    ]
    assert spent(result) == Decimal("202")
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("3")
    assert "own-cheap" not in book and "own-behind" not in book
    assert book.get("other-far").remaining == Decimal("5")


def test_self_trade_prevention_with_funds_that_cover_the_rest_fills(book):
    ask(book, "100", "5", "own", user=TAKER_USER)
    ask(book, "100", "3", "other")

    result = book.submit(market_buy("3", funds="300", stp=EXPIRE_MAKER))

    assert traded(result) == [("other", Decimal("100"), Decimal("3"))]
    assert [order.order_id for order in result.cancelled_makers] == ["own"]
    assert result.outcome is TakerOutcome.FILLED
    assert len(book) == 0


# Refusals


@pytest.mark.parametrize(
    "taker",
    [
        pytest.param(funded(Side.BUY, OrderType.LIMIT, Decimal("100")), id="limit-buy"),
        pytest.param(funded(Side.SELL, OrderType.LIMIT, Decimal("100")), id="limit-sell"),
        pytest.param(funded(Side.SELL, OrderType.MARKET, None), id="market-sell"),
        pytest.param(market_buy("1", funds="-0.01"), id="negative-funds"),
        pytest.param(market_buy("1", funds="NaN"), id="nan-funds"),
        pytest.param(market_buy("1", funds="sNaN"), id="signalling-nan-funds"),
        pytest.param(market_buy("1", funds="Infinity"), id="infinite-funds"),
        pytest.param(market_buy("1", funds="-Infinity"), id="negative-infinite-funds"),
        pytest.param(market_buy("1", funds="100", lot_size=None), id="no-lot-size"),
        pytest.param(market_buy("1", funds="100", lot_size="0"), id="zero-lot-size"),
        pytest.param(market_buy("1", funds="100", lot_size="-1"), id="negative-lot-size"),
        pytest.param(market_buy("1", funds="100", lot_size="NaN"), id="nan-lot-size"),
        pytest.param(market_buy("1", funds="100", lot_size="Infinity"), id="infinite-lot-size"),
    ],
)
def test_malformed_funds_are_refused_without_touching_the_book(book, taker):
    ask(book, "100", "5", "maker")
    ask(book, "100", "5", "own", user=TAKER_USER)
    before = snapshot(book)

    with pytest.raises(InvalidInput):
        book.submit(taker)

    assert snapshot(book) == before


@pytest.mark.parametrize("funds", [100, 100.0, "100"], ids=["int", "float", "str"])
def test_funds_that_are_not_a_decimal_are_refused(book, funds):
    ask(book, "100", "5", "maker")
    before = snapshot(book)
    taker = funded(Side.BUY, OrderType.MARKET, None, funds=funds)

    # Money is Decimal end to end, and amount, price and lot size are refused as InvalidInput otherwise.
    with pytest.raises(InvalidInput):
        book.submit(taker)

    assert snapshot(book) == before


# Random books and funds

LOT_SIZES = [Decimal("1"), Decimal("0.01"), Decimal("0.0001")]
PRICES = [Decimal(price) for price in ("99.50", "99.75", "100.00", "100.25", "100.50")]


@st.composite
def funded_buys(draw):
    """(lot size, asks as (price, amount, user), taker amount, funds): funds anywhere from nothing to
    a little more than the whole book costs, in cents, or exactly what the first few makers met cost."""
    lot_size = draw(st.sampled_from(LOT_SIZES))
    asks = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PRICES),
                st.integers(1, 40).map(lambda lots: lots * lot_size),
                st.sampled_from(["ann", "bob", "cat", TAKER_USER]),
            ),
            max_size=12,
        )
    )
    amount = draw(st.integers(1, 300)) * lot_size
    if draw(st.integers(0, 3)):
        book_cost = sum((price * size for price, size, _user in asks), ZERO)
        funds = Decimal(draw(st.integers(0, int(book_cost * 120) + 1000))) / 100
    else:
        # Price-time order is the order of (price, arrival); the taker's own orders cost nothing.
        met = [(price, size) for price, size, user in sorted(asks, key=lambda drawn: drawn[0]) if user != TAKER_USER]
        funds = sum((price * size for price, size in met[: draw(st.integers(0, len(met)))]), ZERO)
    return lot_size, asks, amount, funds


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(funded_buys())
def test_funds_are_never_overspent_and_stop_only_when_one_more_lot_would_overspend(scenario):
    lot_size, asks, amount, funds = scenario
    book = OrderBook("RANDOM/USD")
    for number, (price, size, user) in enumerate(asks):
        ask(book, price, size, f"ask-{number}", user=user)
    offered = sum((size for _price, size, _user in asks), ZERO)

    result = book.submit(market_buy(amount, funds, lot_size))

    cost = spent(result)
    filled = sum((fill.amount for fill in result.fills), ZERO)
    assert cost <= funds
    assert all(fill.amount > 0 and fill.amount % lot_size == 0 for fill in result.fills)
    assert all(fill.maker_user_id != TAKER_USER for fill in result.fills)
    assert [fill.price for fill in result.fills] == sorted(fill.price for fill in result.fills)
    assert filled + result.taker_remaining == amount
    cancelled = sum((order.remaining for order in result.cancelled_makers), ZERO)
    assert sum((total for _price, total, _count in book.depth(100)[1]), ZERO) == offered - filled - cancelled
    assert "taker" not in book
    if result.taker_remaining:
        assert result.outcome is TakerOutcome.EXPIRED
        next_price = book.best_ask()
        assert next_price is None or funds - cost < next_price * lot_size
    else:
        assert result.outcome is TakerOutcome.FILLED
