"""What a fill or a cancel does to an order, and which ones are refused."""

from decimal import Decimal

import pytest

from orders_app.domain.decimals import trimmed
from orders_app.domain.enums import OPEN_STATUSES, OrderStatus, Side
from orders_app.domain.errors import Conflict, DomainError, InvalidInput, Overfill
from orders_app.domain.orders import apply_fill, average_price, cancel, is_worse_than_limit

CLOSED_STATUSES = [status for status in OrderStatus if status not in OPEN_STATUSES]


def fill(
    *,
    side=Side.BUY,
    status=OrderStatus.PENDING,
    amount="1000",
    filled="0",
    quote="0",
    limit="1.10000",
    fill_amount="250",
    fill_price="1.10000",
):
    """apply_fill on a BUY 1000 @ 1.10000 order unless told otherwise; decimals given as text."""
    return apply_fill(
        side=side,
        status=status,
        amount=Decimal(amount),
        filled_amount=Decimal(filled),
        filled_quote=Decimal(quote),
        limit_price=None if limit is None else Decimal(limit),
        fill_amount=Decimal(fill_amount),
        fill_price=Decimal(fill_price),
    )


def test_fill_smaller_than_remaining_marks_order_partially_filled():
    result = fill(fill_amount="250")
    assert result.status is OrderStatus.PARTIALLY_FILLED
    assert result.filled_amount == Decimal("250")


def test_fill_equal_to_remaining_marks_order_filled():
    result = fill(status=OrderStatus.PARTIALLY_FILLED, filled="750", quote="825", fill_amount="250")
    assert result.status is OrderStatus.FILLED
    assert result.filled_amount == Decimal("1000")


def test_single_fill_of_the_whole_amount_marks_order_filled():
    assert fill(fill_amount="1000").status is OrderStatus.FILLED


def test_fill_larger_than_remaining_is_refused():
    with pytest.raises(Overfill, match="exceeds the remaining amount 250") as refused:
        fill(status=OrderStatus.PARTIALLY_FILLED, filled="750", quote="825", fill_amount="300")
    assert refused.value.field == "executedAmount"


def test_fill_accumulates_quote_value_for_the_average():
    result = fill(
        status=OrderStatus.PARTIALLY_FILLED, filled="250", quote="275", fill_amount="500", fill_price="1.09990"
    )
    assert result.filled_quote == Decimal("824.95")


def test_buy_fill_above_limit_is_refused():
    with pytest.raises(InvalidInput, match="above the BUY limit") as refused:
        fill(side=Side.BUY, limit="1.10000", fill_price="1.10001")
    assert refused.value.field == "executedPrice"


def test_sell_fill_below_limit_is_refused():
    with pytest.raises(InvalidInput, match="below the SELL limit") as refused:
        fill(side=Side.SELL, limit="1.10000", fill_price="1.09999")
    assert refused.value.field == "executedPrice"


@pytest.mark.parametrize(
    ("side", "fill_price"),
    [(Side.BUY, "1.09000"), (Side.BUY, "1.10000"), (Side.SELL, "1.11000"), (Side.SELL, "1.10000")],
)
def test_fill_at_or_better_than_limit_is_accepted(side, fill_price):
    assert fill(side=side, limit="1.10000", fill_price=fill_price).status is OrderStatus.PARTIALLY_FILLED


def test_fill_without_a_limit_price_is_not_price_checked():
    assert fill(limit=None, fill_price="9.99999").status is OrderStatus.PARTIALLY_FILLED


@pytest.mark.parametrize(
    ("side", "price", "limit", "worse"),
    [
        (Side.BUY, "1.2", "1.1", True),
        (Side.BUY, "1.0", "1.1", False),
        (Side.SELL, "1.0", "1.1", True),
        (Side.SELL, "1.2", "1.1", False),
    ],
)
def test_worse_than_limit_means_paying_more_or_receiving_less(side, price, limit, worse):
    assert is_worse_than_limit(side, Decimal(price), Decimal(limit)) is worse


@pytest.mark.parametrize("status", CLOSED_STATUSES)
def test_fill_on_closed_order_conflicts(status):
    with pytest.raises(Conflict, match=status.value):
        fill(status=status)


def test_fill_on_cancelled_order_conflicts_before_price_is_checked():
    with pytest.raises(Conflict):
        fill(status=OrderStatus.CANCELLED, side=Side.BUY, limit="1.10000", fill_price="2.00000")


def test_fill_on_filled_order_conflicts_before_amount_is_checked():
    with pytest.raises(Conflict):
        fill(status=OrderStatus.FILLED, filled="1000", quote="1100", fill_amount="1")


def test_price_past_limit_is_reported_before_overfill():
    with pytest.raises(InvalidInput):
        fill(side=Side.BUY, limit="1.10000", fill_price="1.20000", fill_amount="5000")


def test_average_price_is_volume_weighted():
    first = fill(fill_amount="250", fill_price="1.10000")
    second = fill(
        status=first.status,
        filled=str(first.filled_amount),
        quote=str(first.filled_quote),
        fill_amount="500",
        fill_price="1.09990",
    )
    # (250 × 1.10000 + 500 × 1.09990) / 750
    assert trimmed(average_price(second.filled_amount, second.filled_quote), 5, 13) == "1.0999333333333"


def test_average_price_of_equal_fills_at_one_price_is_that_price():
    assert average_price(Decimal("1000"), Decimal("1100.00000")) == Decimal("1.1")


def test_average_price_is_none_before_the_first_fill():
    assert average_price(Decimal("0"), Decimal("0")) is None


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_open_order_can_be_cancelled(status):
    assert cancel(status) is OrderStatus.CANCELLED


@pytest.mark.parametrize("status", CLOSED_STATUSES)
def test_closed_order_cannot_be_cancelled(status):
    with pytest.raises(Conflict, match="only PENDING or PARTIALLY_FILLED orders can be cancelled"):
        cancel(status)


@pytest.mark.parametrize("status", list(OrderStatus))
def test_only_pending_and_partially_filled_orders_are_open(status):
    assert status.is_open is (status in {OrderStatus.PENDING, OrderStatus.PARTIALLY_FILLED})


def test_enum_values_are_the_api_strings():
    assert Side("SELL") is Side.SELL
    assert OrderStatus("PARTIALLY_FILLED") is OrderStatus.PARTIALLY_FILLED
    assert OrderStatus.FILLED == "FILLED"


@pytest.mark.parametrize("error_class", [Conflict, InvalidInput, Overfill])
def test_refusals_are_domain_errors_carrying_message_and_field(error_class):
    error = error_class("Too much.", field="executedAmount")
    assert isinstance(error, DomainError)
    assert (error.message, error.field, str(error)) == ("Too much.", "executedAmount", "Too much.")


def test_overfill_is_distinct_from_invalid_input():
    """They answer different statuses (400 and 422), so neither may be a subclass of the other."""
    assert not issubclass(Overfill, InvalidInput)
    assert not issubclass(InvalidInput, Overfill)


def test_sell_fill_far_above_limit_whose_value_would_reach_the_bound_is_refused():
    with pytest.raises(InvalidInput) as refused:
        fill(side=Side.SELL, amount="90000000000000000000", limit="1.00000",
             fill_amount="90000000000000000000", fill_price="2.00000")
    assert refused.value.field == "executedPrice"
