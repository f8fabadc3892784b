"""Keeping the book: rebuilding it, cancelling, reducing, reading depth, and refusing misuse."""

import ast
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from orders_app.domain.enums import OrderType, Side, TimeInForce
from orders_app.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from orders_app.engine import OrderBook, RestingOrder, Taker, TakerOutcome

ENGINE_DIR = Path(__file__).resolve().parents[3] / "orders_app" / "engine"


@pytest.fixture
def book():
    return OrderBook("EUR/USD")


def resting(order_id, side, price, amount, user="maker"):
    return RestingOrder(order_id, user, side, Decimal(price), Decimal(amount))


def sell(amount, price=None, order_id="taker", user="taker-user", **terms):
    order_type = OrderType.MARKET if price is None else OrderType.LIMIT
    return Taker(order_id, user, Side.SELL, order_type, price and Decimal(price), Decimal(amount), **terms)


def fill_order(book, amount, price="1"):
    """The maker ids a SELL IOC of `amount` trades with, in order."""
    return [fill.maker_order_id for fill in book.submit(sell(amount, price, time_in_force=TimeInForce.IOC)).fills]


@pytest.fixture
def three_bids(book):
    for order_id in ("first", "middle", "last"):
        book.add_resting(resting(order_id, Side.BUY, "10", "1"))
    return book


# Rebuilding


def test_add_resting_appends_at_back_of_its_level(three_bids):
    three_bids.add_resting(resting("fourth", Side.BUY, "10", "1"))

    assert fill_order(three_bids, "4") == ["first", "middle", "last", "fourth"]


def test_add_resting_with_an_id_already_in_the_book_is_refused(three_bids):
    with pytest.raises(Conflict):
        three_bids.add_resting(resting("middle", Side.SELL, "11", "1"))
    assert len(three_bids) == 3


def test_submit_with_an_id_already_in_the_book_is_refused_before_matching(book):
    book.add_resting(resting("maker", Side.BUY, "10", "1"))
    book.add_resting(resting("dup", Side.SELL, "11", "1"))

    with pytest.raises(Conflict):
        book.submit(sell("1", "10", order_id="dup"))
    assert book.get("maker").remaining == Decimal("1")


def test_add_resting_never_matches_even_an_order_that_crosses(book):
    book.add_resting(resting("bid", Side.BUY, "10", "1"))

    book.add_resting(resting("ask", Side.SELL, "9", "1"))

    assert book.depth(5) == ([(Decimal("10"), Decimal("1"), 1)], [(Decimal("9"), Decimal("1"), 1)])
    assert book.best_bid() >= book.best_ask()


@pytest.mark.parametrize(
    "order",
    [
        resting("zero", Side.BUY, "10", "0"),
        resting("negative", Side.BUY, "10", "-1"),
        RestingOrder("no-price", "maker", Side.BUY, None, Decimal("1")),
        RestingOrder("side-not-an-enum", "maker", "BUY", Decimal("10"), Decimal("1")),
    ],
    ids=lambda order: order.order_id,
)
def test_malformed_resting_order_is_refused(book, order):
    with pytest.raises(InvalidInput):
        book.add_resting(order)
    assert len(book) == 0


# Cancelling


def test_cancel_removes_order_in_constant_time_by_id(three_bids):
    cancelled = three_bids.cancel("middle")

    assert cancelled == resting("middle", Side.BUY, "10", "1")
    assert "middle" not in three_bids
    assert three_bids.depth(1)[0] == [(Decimal("10"), Decimal("2"), 2)]
    assert fill_order(three_bids, "2") == ["first", "last"]


def test_cancel_returns_the_order_with_its_remaining(book):
    book.add_resting(resting("maker", Side.BUY, "10", "5"))
    book.submit(sell("2", "10"))

    assert book.cancel("maker").remaining == Decimal("3")


def test_cancel_of_an_order_not_in_the_book_returns_none(three_bids):
    assert three_bids.cancel("unknown") is None
    three_bids.cancel("first")
    assert three_bids.cancel("first") is None
    assert len(three_bids) == 2


def test_cancelling_the_last_order_of_the_best_level_moves_the_best_price(book):
    book.add_resting(resting("best", Side.BUY, "10", "1"))
    book.add_resting(resting("next", Side.BUY, "9", "1"))

    book.cancel("best")

    assert book.best_bid() == Decimal("9")
    assert book.depth(5)[0] == [(Decimal("9"), Decimal("1"), 1)]


# Reducing


def test_reduce_keeps_queue_priority(three_bids):
    reduced = three_bids.reduce("first", Decimal("0.5"))

    assert reduced.remaining == Decimal("0.5")
    assert three_bids.depth(1)[0] == [(Decimal("10"), Decimal("2.5"), 3)]
    assert fill_order(three_bids, "1") == ["first", "middle"]


def test_reduce_to_zero_removes(three_bids):
    reduced = three_bids.reduce("middle", Decimal("0"))

    assert reduced.remaining == 0
    assert "middle" not in three_bids
    assert three_bids.depth(1)[0] == [(Decimal("10"), Decimal("2"), 2)]


def test_reduce_of_a_lone_order_to_zero_removes_its_level(book):
    book.add_resting(resting("only", Side.SELL, "11", "1"))

    book.reduce("only", Decimal("0"))

    assert book.best_ask() is None
    assert book.depth(5) == ([], [])


def test_reduce_to_the_same_amount_changes_nothing(three_bids):
    three_bids.reduce("first", Decimal("1"))

    assert fill_order(three_bids, "1") == ["first"]


def test_reduce_upward_is_refused(three_bids):
    with pytest.raises(InvalidInput, match="cancel it and submit a new order"):
        three_bids.reduce("first", Decimal("1.01"))

    assert three_bids.get("first").remaining == Decimal("1")
    assert three_bids.depth(1)[0] == [(Decimal("10"), Decimal("3"), 3)]


@pytest.mark.parametrize("new_remaining", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity"), 0.5])
def test_reduce_to_a_malformed_amount_is_refused(three_bids, new_remaining):
    with pytest.raises(InvalidInput):
        three_bids.reduce("first", new_remaining)
    assert three_bids.get("first").remaining == Decimal("1")


def test_reduce_of_an_order_not_in_the_book_is_not_found(book):
    with pytest.raises(NotFound):
        book.reduce("unknown", Decimal("1"))


# Reading


def test_depth_aggregates_levels_best_first(book):
    for order_id, side, price, amount in [
        ("b1", Side.BUY, "9", "1"),
        ("b2", Side.BUY, "10", "2"),
        ("b3", Side.BUY, "9", "3"),
        ("b4", Side.BUY, "8", "4"),
        ("a1", Side.SELL, "12", "1.5"),
        ("a2", Side.SELL, "11", "2.5"),
        ("a3", Side.SELL, "11", "0.5"),
    ]:
        book.add_resting(resting(order_id, side, price, amount))

    bids, asks = book.depth(10)

    assert bids == [(Decimal("10"), Decimal("2"), 1), (Decimal("9"), Decimal("4"), 2), (Decimal("8"), Decimal("4"), 1)]
    assert asks == [(Decimal("11"), Decimal("3.0"), 2), (Decimal("12"), Decimal("1.5"), 1)]


def test_depth_returns_only_the_levels_asked_for(book):
    for price in range(1, 8):
        book.add_resting(resting(f"bid-{price}", Side.BUY, str(price), "1"))

    bids, asks = book.depth(2)

    assert [price for price, _total, _count in bids] == [Decimal("7"), Decimal("6")]
    assert asks == []
    assert book.depth(0) == ([], [])


def test_depth_follows_partial_fills(three_bids):
    three_bids.submit(sell("1.25", "10"))

    assert three_bids.depth(1)[0] == [(Decimal("10"), Decimal("1.75"), 2)]


def test_negative_depth_is_refused(book):
    with pytest.raises(InvalidInput):
        book.depth(-1)


def test_empty_book_has_no_best_prices_and_no_depth(book):
    assert (book.best_bid(), book.best_ask(), book.depth(5), len(book)) == (None, None, ([], []), 0)


def test_best_prices_length_membership_and_lookup(book):
    book.add_resting(resting("bid", Side.BUY, "10", "1"))
    book.add_resting(resting("ask", Side.SELL, "11", "2"))

    assert (book.best_bid(), book.best_ask()) == (Decimal("10"), Decimal("11"))
    assert len(book) == 2
    assert "bid" in book and "other" not in book
    assert book.get("ask") == resting("ask", Side.SELL, "11", "2")
    assert book.get("other") is None


@pytest.mark.parametrize(
    ("side", "prices", "best"),
    [(Side.BUY, ["9", "11", "10"], "11"), (Side.SELL, ["11", "9", "10"], "9")],
    ids=["bid", "ask"],
)
def test_a_better_price_becomes_the_best_and_a_worse_one_does_not(book, side, prices, best):
    for price in prices:
        book.add_resting(resting(f"at-{price}", side, price, "1"))

    assert (book.best_bid() if side is Side.BUY else book.best_ask()) == Decimal(best)
    assert [price for price, _total, _count in book.depth(3)[0 if side is Side.BUY else 1]][0] == Decimal(best)


def test_resting_orders_are_returned_as_the_book_keeps_them(book):
    order = resting("bid", Side.BUY, "10", "1")
    book.add_resting(order)

    assert book.get("bid") is order
    assert book.cancel("bid") is order


# Refusing malformed incoming orders


@pytest.mark.parametrize(
    "taker",
    [
        sell("0", "10"),
        sell("-1", "10"),
        sell("NaN", "10"),
        sell("Infinity", "10"),
        Taker("t", "u", Side.SELL, OrderType.LIMIT, Decimal("10"), 1),
        Taker("t", "u", Side.SELL, OrderType.LIMIT, None, Decimal("1")),
        sell("1", "0"),
        Taker("t", "u", Side.SELL, OrderType.MARKET, Decimal("10"), Decimal("1")),
        Taker("t", "u", "SELL", OrderType.LIMIT, Decimal("10"), Decimal("1")),
        Taker("t", "u", Side.SELL, "LIMIT", Decimal("10"), Decimal("1")),
        Taker("t", "u", Side.SELL, OrderType.LIMIT, Decimal("10"), Decimal("1"), time_in_force="GTC"),
        Taker("t", "u", Side.SELL, OrderType.LIMIT, Decimal("10"), Decimal("1"), self_trade_prevention="NONE"),
    ],
    ids=[
        "zero-amount",
        "negative-amount",
        "nan-amount",
        "infinite-amount",
        "amount-not-decimal",
        "limit-without-price",
        "zero-price",
        "market-with-price",
        "unknown-side",
        "unknown-type",
        "time-in-force-not-an-enum",
        "unknown-self-trade-prevention",
    ],
)
def test_malformed_incoming_order_is_refused_without_touching_the_book(three_bids, taker):
    with pytest.raises(InvalidInput) as refused:
        three_bids.submit(taker)

    assert isinstance(refused.value, DomainError)
    assert three_bids.depth(5) == ([(Decimal("10"), Decimal("3"), 3)], [])


def test_results_carry_the_taker_outcome_as_an_enum(book):
    assert book.submit(sell("1", "10")).outcome is TakerOutcome.RESTED


def test_books_are_independent(book):
    other = OrderBook("GBP/USD")
    book.add_resting(resting("bid", Side.BUY, "10", "1"))

    assert len(other) == 0
    assert other.submit(sell("1", "10")).fills == []


def test_engine_imports_only_the_standard_library_sortedcontainers_and_domain():
    allowed_third_party = {"sortedcontainers"}
    allowed_project = {"orders_app.domain.enums", "orders_app.domain.errors", "orders_app.domain.decimals"}
    imported = set()
    for source in ENGINE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    imported.add(node.module)
                elif node.level == 2:  # from ..domain.x: relative to orders_app
                    imported.add(f"orders_app.{node.module}")
                else:  # from .x: inside the engine
                    imported.add(f"orders_app.engine.{node.module}")

    project = {name for name in imported if name.split(".")[0] == "orders_app"}
    outside = {name for name in imported - project if name.split(".")[0] not in sys.stdlib_module_names}

    assert outside <= allowed_third_party
    assert {name for name in project if not name.startswith("orders_app.engine.")} <= allowed_project
