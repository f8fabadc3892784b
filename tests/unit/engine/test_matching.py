"""How an incoming order trades against the book: priority, prices, time in force, self-trade prevention.

Every rule runs for a buyer and for a seller (the `side` fixture): prices are written as "ticks worse
for the incoming order than 100", which is above 100 for a buyer (asks) and below it for a seller (bids).
"""

from decimal import Decimal

import pytest

from orders_app.domain.enums import OrderType, SelfTradePrevention, Side, TimeInForce
from orders_app.domain.errors import InvalidInput
from orders_app.engine import Fill, OrderBook, RestingOrder, Taker, TakerOutcome

GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK
EXPIRE_MAKER = SelfTradePrevention.EXPIRE_MAKER
EXPIRE_TAKER = SelfTradePrevention.EXPIRE_TAKER
EXPIRE_BOTH = SelfTradePrevention.EXPIRE_BOTH
TAKER_USER = "taker-user"


@pytest.fixture(params=[Side.BUY, Side.SELL], ids=["buy", "sell"])
def side(request):
    """The incoming order's side."""
    return request.param


@pytest.fixture
def book():
    return OrderBook("EUR/USD")


def other(side):
    return Side.SELL if side is Side.BUY else Side.BUY


def px(side, ticks_worse):
    """A price `ticks_worse` ticks worse than 100 for an incoming order on `side`."""
    return Decimal(100) + ticks_worse if side is Side.BUY else Decimal(100) - ticks_worse


def rest(book, side, ticks_worse, amount, order_id, user=None):
    """A resting order that an incoming order on `side` can trade with."""
    order = RestingOrder(order_id, user or f"user-of-{order_id}", other(side), px(side, ticks_worse), Decimal(amount))
    book.add_resting(order)
    return order


def limit(side, ticks_worse, amount, *, tif=GTC, stp=EXPIRE_MAKER, order_id="taker", user=TAKER_USER):
    return Taker(order_id, user, side, OrderType.LIMIT, px(side, ticks_worse), Decimal(amount), tif, stp)


def market(side, amount, *, tif=IOC, stp=EXPIRE_MAKER, order_id="taker", user=TAKER_USER):
    return Taker(order_id, user, side, OrderType.MARKET, None, Decimal(amount), tif, stp)


def traded(result):
    """[(maker order id, price, amount)] in execution order."""
    return [(fill.maker_order_id, fill.price, fill.amount) for fill in result.fills]


def snapshot(book):
    return book.depth(100), len(book), book.best_bid(), book.best_ask()


# Priority and price


def test_better_priced_order_fills_first(book, side):
    rest(book, side, 1, "5", "worse")
    rest(book, side, 0, "5", "better")

    result = book.submit(limit(side, 1, "3"))

    assert traded(result) == [("better", px(side, 0), Decimal("3"))]
    assert book.get("worse").remaining == Decimal("5")


def test_earlier_order_at_same_price_fills_first(book, side):
    rest(book, side, 0, "2", "first")
    rest(book, side, 0, "2", "second")
    rest(book, side, 0, "2", "third")

    result = book.submit(limit(side, 0, "3"))

    assert [maker for maker, _price, _amount in traded(result)] == ["first", "second"]
    assert "first" not in book
    assert book.get("second").remaining == Decimal("1")
    assert book.get("third").remaining == Decimal("2")


def test_trade_executes_at_maker_price(book, side):
    rest(book, side, 0, "1", "maker")

    # The incoming order would accept a price 5 ticks worse; it still trades at the resting price.
    result = book.submit(limit(side, 5, "1"))

    assert result.fills == [
        Fill(
            maker_order_id="maker",
            maker_user_id="user-of-maker",
            taker_order_id="taker",
            taker_user_id=TAKER_USER,
            taker_side=side,
            price=px(side, 0),
            amount=Decimal("1"),
            maker_remaining=Decimal("0"),
        )
    ]


def test_incoming_order_sweeps_several_levels(book, side):
    rest(book, side, 0, "1", "a")
    rest(book, side, 1, "2", "b")
    rest(book, side, 1, "1", "c")
    rest(book, side, 2, "4", "d")

    result = book.submit(limit(side, 2, "6"))

    assert traded(result) == [
        ("a", px(side, 0), Decimal("1")),
        ("b", px(side, 1), Decimal("2")),
        ("c", px(side, 1), Decimal("1")),
        ("d", px(side, 2), Decimal("2")),
    ]
    assert result.outcome is TakerOutcome.FILLED
    assert result.taker_remaining == 0
    assert [fill.maker_remaining for fill in result.fills] == [0, 0, 0, Decimal("2")]
    assert len(book) == 1


def test_limit_order_does_not_trade_past_its_price(book, side):
    rest(book, side, 0, "1", "within")
    rest(book, side, 1, "1", "beyond")

    result = book.submit(limit(side, 0, "3"))

    assert traded(result) == [("within", px(side, 0), Decimal("1"))]
    assert book.get("beyond").remaining == Decimal("1")


def test_order_that_does_not_cross_rests_untouched(book, side):
    rest(book, side, 0, "1", "maker")

    # One tick better than the best resting price for the incoming side means it does not reach it.
    result = book.submit(limit(side, -1, "2"))

    assert result.fills == []
    assert result.outcome is TakerOutcome.RESTED
    assert result.taker_remaining == Decimal("2")
    assert book.get("taker") == RestingOrder("taker", TAKER_USER, side, px(side, -1), Decimal("2"))
    assert book.get("maker").remaining == Decimal("1")


def test_orders_on_the_same_side_never_trade(book, side):
    book.add_resting(RestingOrder("same-side", "someone", side, px(side, 0), Decimal("1")))

    result = book.submit(limit(side, 0, "1"))

    assert result.fills == []
    assert result.outcome is TakerOutcome.RESTED


def test_partially_filled_maker_keeps_its_place_at_the_front(book, side):
    rest(book, side, 0, "5", "first")
    rest(book, side, 0, "5", "second")
    book.submit(limit(side, 0, "2", order_id="t1"))

    result = book.submit(limit(side, 0, "4", order_id="t2"))

    assert traded(result) == [("first", px(side, 0), Decimal("3")), ("second", px(side, 0), Decimal("1"))]


def test_fully_filled_maker_leaves_the_book(book, side):
    rest(book, side, 0, "2", "maker")

    result = book.submit(limit(side, 0, "2"))

    assert result.fills[0].maker_remaining == 0
    assert "maker" not in book
    assert "taker" not in book
    assert len(book) == 0


def test_empty_levels_disappear(book, side):
    rest(book, side, 0, "1", "a")
    rest(book, side, 0, "1", "b")
    rest(book, side, 1, "1", "c")

    book.submit(limit(side, 0, "2", tif=IOC))

    resting_side = book.depth(10)[0 if side is Side.SELL else 1]
    assert resting_side == [(px(side, 1), Decimal("1"), 1)]
    best = book.best_bid() if side is Side.SELL else book.best_ask()
    assert best == px(side, 1)


# Time in force


def test_gtc_remainder_rests_at_its_limit_price(book, side):
    rest(book, side, 0, "1", "maker")

    result = book.submit(limit(side, 0, "3"))

    assert traded(result) == [("maker", px(side, 0), Decimal("1"))]
    assert result.outcome is TakerOutcome.RESTED
    assert result.taker_remaining == Decimal("2")
    assert book.get("taker") == RestingOrder("taker", TAKER_USER, side, px(side, 0), Decimal("2"))
    own_side = book.depth(10)[0 if side is Side.BUY else 1]
    assert own_side == [(px(side, 0), Decimal("2"), 1)]


def test_gtc_remainder_rests_at_back_of_its_level(book, side):
    book.add_resting(RestingOrder("already-waiting", "someone", side, px(side, 0), Decimal("1")))

    result = book.submit(limit(side, 0, "3"))

    assert result.outcome is TakerOutcome.RESTED
    own_side = book.depth(10)[0 if side is Side.BUY else 1]
    assert own_side == [(px(side, 0), Decimal("4"), 2)]
    later = Taker("later", "someone-else", other(side), OrderType.LIMIT, px(side, 0), Decimal("2"))
    fills = book.submit(later).fills
    assert [(fill.maker_order_id, fill.amount) for fill in fills] == [("already-waiting", 1), ("taker", 1)]


def test_ioc_remainder_expires_keeping_its_fills(book, side):
    rest(book, side, 0, "1", "maker")

    result = book.submit(limit(side, 0, "3", tif=IOC))

    assert traded(result) == [("maker", px(side, 0), Decimal("1"))]
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("2")
    assert "taker" not in book
    assert len(book) == 0


def test_ioc_that_fills_completely_is_filled(book, side):
    rest(book, side, 0, "5", "maker")

    result = book.submit(limit(side, 0, "3", tif=IOC))

    assert result.outcome is TakerOutcome.FILLED
    assert result.taker_remaining == 0


def test_ioc_that_does_not_cross_expires_without_touching_the_book(book, side):
    rest(book, side, 1, "5", "maker")
    before = snapshot(book)

    result = book.submit(limit(side, 0, "3", tif=IOC))

    assert (result.fills, result.outcome, result.taker_remaining) == ([], TakerOutcome.EXPIRED, Decimal("3"))
    assert snapshot(book) == before


def test_fok_that_cannot_fill_completely_changes_nothing(book, side):
    rest(book, side, 0, "1", "a")
    rest(book, side, 1, "1", "b")
    rest(book, side, 2, "5", "beyond-limit")
    before = snapshot(book)

    result = book.submit(limit(side, 1, "3", tif=FOK))

    assert result.fills == []
    assert result.cancelled_makers == []
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("3")
    assert snapshot(book) == before
    assert "taker" not in book


def test_fok_that_can_fill_completes_at_once(book, side):
    rest(book, side, 0, "1", "a")
    rest(book, side, 1, "3", "b")

    result = book.submit(limit(side, 1, "3", tif=FOK))

    assert traded(result) == [("a", px(side, 0), Decimal("1")), ("b", px(side, 1), Decimal("2"))]
    assert result.outcome is TakerOutcome.FILLED
    assert book.get("b").remaining == Decimal("1")


def test_fok_for_exactly_the_available_amount_fills(book, side):
    rest(book, side, 0, "1.5", "a")
    rest(book, side, 0, "1.5", "b")

    result = book.submit(limit(side, 0, "3", tif=FOK))

    assert result.outcome is TakerOutcome.FILLED
    assert len(book) == 0


def test_fok_against_an_empty_side_expires(book, side):
    result = book.submit(limit(side, 0, "1", tif=FOK))

    assert (result.fills, result.outcome) == ([], TakerOutcome.EXPIRED)
    assert len(book) == 0


def test_market_order_takes_until_book_is_empty_then_expires(book, side):
    rest(book, side, 0, "1", "a")
    rest(book, side, 50, "1", "far-away")

    result = book.submit(market(side, "5"))

    assert traded(result) == [("a", px(side, 0), Decimal("1")), ("far-away", px(side, 50), Decimal("1"))]
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("3")
    assert len(book) == 0
    assert book.best_bid() is None and book.best_ask() is None


def test_market_order_that_finds_enough_is_filled(book, side):
    rest(book, side, 0, "1", "a")
    rest(book, side, 3, "4", "b")

    result = book.submit(market(side, "2"))

    assert result.outcome is TakerOutcome.FILLED
    assert book.get("b").remaining == Decimal("3")


def test_market_ioc_order_fills_what_the_book_has_and_expires_the_rest(book, side):
    rest(book, side, 0, "1", "a")

    result = book.submit(market(side, "2", tif=IOC))

    assert traded(result) == [("a", px(side, 0), Decimal("1"))]
    assert result.outcome is TakerOutcome.EXPIRED
    assert "taker" not in book


def test_market_fok_order_that_cannot_fill_completely_expires_with_no_trades(book, side):
    rest(book, side, 0, "1", "a")

    result = book.submit(market(side, "2", tif=FOK))

    assert (result.fills, result.outcome, result.taker_remaining) == ([], TakerOutcome.EXPIRED, Decimal("2"))
    assert book.get("a").remaining == Decimal("1")


def test_market_fok_order_fills_completely_across_levels(book, side):
    rest(book, side, 0, "1", "a")
    rest(book, side, 5, "3", "b")

    result = book.submit(market(side, "2", tif=FOK))

    assert traded(result) == [("a", px(side, 0), Decimal("1")), ("b", px(side, 5), Decimal("1"))]
    assert result.outcome is TakerOutcome.FILLED


def test_market_buy_fok_whose_funds_cannot_cover_the_whole_amount_expires_with_no_trades(book):
    rest(book, Side.BUY, 0, "5", "a")
    taker = Taker("taker", TAKER_USER, Side.BUY, OrderType.MARKET, None, Decimal(2), FOK, funds=Decimal("199.99"), lot_size=Decimal(1))

    result = book.submit(taker)

    assert (result.fills, result.outcome) == ([], TakerOutcome.EXPIRED)
    assert book.get("a").remaining == Decimal("5")


def test_market_buy_fok_whose_funds_cover_the_whole_amount_fills(book):
    rest(book, Side.BUY, 0, "5", "a")
    taker = Taker("taker", TAKER_USER, Side.BUY, OrderType.MARKET, None, Decimal(2), FOK, funds=Decimal("200"), lot_size=Decimal(1))

    result = book.submit(taker)

    assert traded(result) == [("a", Decimal(100), Decimal(2))]
    assert result.outcome is TakerOutcome.FILLED


def test_market_gtc_order_is_refused_because_it_has_no_price_to_rest_at(book, side):
    rest(book, side, 0, "1", "a")

    with pytest.raises(InvalidInput, match="IOC or FOK"):
        book.submit(market(side, "1", tif=GTC))
    assert book.get("a").remaining == Decimal("1")


def test_market_order_on_an_empty_side_expires(book, side):
    result = book.submit(market(side, "1"))

    assert (result.fills, result.outcome, result.taker_remaining) == ([], TakerOutcome.EXPIRED, Decimal("1"))


# Self-trade prevention


def test_self_trade_expire_maker_cancels_resting_and_continues(book, side):
    rest(book, side, 0, "1", "other-1")
    rest(book, side, 0, "2", "own-1", user=TAKER_USER)
    rest(book, side, 1, "2", "own-2", user=TAKER_USER)
    rest(book, side, 1, "2", "other-2")

    result = book.submit(limit(side, 1, "2", stp=EXPIRE_MAKER))

    assert traded(result) == [("other-1", px(side, 0), Decimal("1")), ("other-2", px(side, 1), Decimal("1"))]
    assert [(order.order_id, order.remaining) for order in result.cancelled_makers] == [
        ("own-1", Decimal("2")),
        ("own-2", Decimal("2")),
    ]
    assert result.outcome is TakerOutcome.FILLED
    assert "own-1" not in book and "own-2" not in book
    assert book.get("other-2").remaining == Decimal("1")


def test_self_trade_prevention_is_expire_maker_by_default(book, side):
    rest(book, side, 0, "1", "own", user=TAKER_USER)
    taker = Taker("taker", TAKER_USER, side, OrderType.LIMIT, px(side, 0), Decimal("1"))

    result = book.submit(taker)

    assert [order.order_id for order in result.cancelled_makers] == ["own"]
    assert result.outcome is TakerOutcome.RESTED


def test_self_trade_expire_taker_keeps_resting_order(book, side):
    rest(book, side, 0, "1", "other")
    rest(book, side, 0, "2", "own", user=TAKER_USER)
    rest(book, side, 0, "2", "behind-own")

    result = book.submit(limit(side, 0, "5", stp=EXPIRE_TAKER))

    assert traded(result) == [("other", px(side, 0), Decimal("1"))]
    assert result.cancelled_makers == []
    # Expired even though it is GTC: it would otherwise rest against its own order.
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("4")
    assert "taker" not in book
    assert book.get("own").remaining == Decimal("2")
    assert book.get("behind-own").remaining == Decimal("2")


def test_self_trade_expire_both(book, side):
    rest(book, side, 0, "1", "other")
    rest(book, side, 0, "2", "own", user=TAKER_USER)
    rest(book, side, 0, "2", "behind-own")

    result = book.submit(limit(side, 0, "5", stp=EXPIRE_BOTH))

    assert traded(result) == [("other", px(side, 0), Decimal("1"))]
    assert [(order.order_id, order.remaining) for order in result.cancelled_makers] == [("own", Decimal("2"))]
    assert result.outcome is TakerOutcome.EXPIRED
    assert result.taker_remaining == Decimal("4")
    assert "own" not in book and "taker" not in book
    assert book.get("behind-own").remaining == Decimal("2")


def test_self_trade_prevention_applies_to_market_orders(book, side):
    rest(book, side, 0, "1", "own", user=TAKER_USER)
    rest(book, side, 1, "1", "other")

    result = book.submit(market(side, "1", stp=EXPIRE_MAKER))

    assert traded(result) == [("other", px(side, 1), Decimal("1"))]
    assert [order.order_id for order in result.cancelled_makers] == ["own"]


def test_orders_of_other_users_are_never_cancelled_by_self_trade_prevention(book, side):
    rest(book, side, 0, "1", "other")

    result = book.submit(limit(side, 0, "1", stp=EXPIRE_BOTH))

    assert traded(result) == [("other", px(side, 0), Decimal("1"))]
    assert result.cancelled_makers == []
    assert result.outcome is TakerOutcome.FILLED


@pytest.mark.parametrize(
    ("stp", "amount", "fills"),
    [
        # Own orders are skipped, so only the other users' 1 + 2 count.
        (EXPIRE_MAKER, "3", True),
        (EXPIRE_MAKER, "3.5", False),
        # Matching would stop at the own order, so only the 1 before it counts.
        (EXPIRE_TAKER, "1", True),
        (EXPIRE_TAKER, "2", False),
        (EXPIRE_BOTH, "1", True),
        (EXPIRE_BOTH, "2", False),
    ],
)
def test_fok_counts_liquidity_as_stp_would(book, side, stp, amount, fills):
    rest(book, side, 0, "1", "other-1")
    rest(book, side, 0, "5", "own", user=TAKER_USER)
    rest(book, side, 1, "2", "other-2")
    before = snapshot(book)

    result = book.submit(limit(side, 1, amount, tif=FOK, stp=stp))

    if fills:
        assert result.outcome is TakerOutcome.FILLED
        assert sum(fill.amount for fill in result.fills) == Decimal(amount)
    else:
        assert (result.fills, result.cancelled_makers, result.outcome) == ([], [], TakerOutcome.EXPIRED)
        assert snapshot(book) == before
        assert book.get("own").remaining == Decimal("5")


def test_fok_that_fills_cancels_the_own_orders_it_meets_under_expire_maker(book, side):
    rest(book, side, 0, "5", "own", user=TAKER_USER)
    rest(book, side, 0, "2", "other")

    result = book.submit(limit(side, 0, "2", tif=FOK, stp=EXPIRE_MAKER))

    assert result.outcome is TakerOutcome.FILLED
    assert [order.order_id for order in result.cancelled_makers] == ["own"]
    assert len(book) == 0


def test_fok_that_fills_just_before_its_own_order_under_expire_taker(book, side):
    rest(book, side, 0, "2", "other")
    rest(book, side, 0, "5", "own", user=TAKER_USER)

    result = book.submit(limit(side, 0, "2", tif=FOK, stp=EXPIRE_TAKER))

    assert result.outcome is TakerOutcome.FILLED
    assert book.get("own").remaining == Decimal("5")
