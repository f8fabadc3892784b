"""Positions from fills by the average-cost method: size, entry price, realized and unrealized P&L."""

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_app.domain.enums import Side
from orders_app.domain.positions import Position, PositionFill, position_from_fills

D = Decimal


def buy(amount, price):
    return PositionFill(Side.BUY, D(amount), D(price))


def sell(amount, price):
    return PositionFill(Side.SELL, D(amount), D(price))


def test_no_fills_is_a_flat_position_with_nothing_realized():
    assert position_from_fills([]) == Position(D(0), None, D(0), D(0))


def test_buys_only_average_at_the_volume_weighted_price():
    position = position_from_fills([buy("1", "100"), buy("3", "200")], mark_price=D("210"))

    assert position.net_amount == D("4")
    assert position.average_entry_price == D("175")  # (100 + 600) / 4
    assert position.realized_pnl == 0
    assert position.unrealized_pnl == D("140")  # 4 * (210 - 175)


def test_selling_part_of_a_long_realizes_pnl_on_the_part_sold():
    position = position_from_fills([buy("2", "100"), buy("2", "200"), sell("1", "180")], mark_price=D("160"))

    assert position.net_amount == D("3")
    assert position.average_entry_price == D("150")  # reducing leaves the average where it was
    assert position.realized_pnl == D("30")  # (180 - 150) * 1
    assert position.unrealized_pnl == D("30")  # 3 * (160 - 150)


def test_selling_part_of_a_long_at_a_loss_realizes_a_negative_pnl():
    position = position_from_fills([buy("4", "50"), sell("1", "45")])

    assert position.realized_pnl == D("-5")
    assert position.average_entry_price == D("50")


def test_closing_a_long_completely_leaves_a_flat_position():
    position = position_from_fills([buy("1", "100"), buy("1", "110"), sell("2", "120")], mark_price=D("999"))

    assert position.net_amount == 0
    assert position.average_entry_price is None
    assert position.realized_pnl == D("30")  # 240 - 210
    assert position.unrealized_pnl == 0


def test_a_flat_position_has_zero_unrealized_pnl_even_without_a_mark_price():
    position = position_from_fills([buy("1", "100"), sell("1", "90")], mark_price=None)

    assert position.unrealized_pnl == 0
    assert position.realized_pnl == D("-10")


def test_selling_from_flat_opens_a_short():
    position = position_from_fills([sell("2", "100"), sell("2", "110")], mark_price=D("100"))

    assert position.net_amount == D("-4")
    assert position.average_entry_price == D("105")
    assert position.realized_pnl == 0
    assert position.unrealized_pnl == D("20")  # -4 * (100 - 105): the price fell, the short gained


def test_buying_back_part_of_a_short_realizes_avg_minus_price():
    position = position_from_fills([sell("4", "105"), buy("1", "100")], mark_price=D("110"))

    assert position.net_amount == D("-3")
    assert position.average_entry_price == D("105")
    assert position.realized_pnl == D("5")
    assert position.unrealized_pnl == D("-15")  # -3 * (110 - 105)


def test_selling_more_than_the_long_flips_to_a_short_opened_at_the_fill_price():
    position = position_from_fills([buy("2", "100"), sell("5", "120")], mark_price=D("115"))

    assert position.net_amount == D("-3")
    assert position.average_entry_price == D("120")
    assert position.realized_pnl == D("40")  # only the 2 that closed the long realize
    assert position.unrealized_pnl == D("15")  # -3 * (115 - 120)


def test_buying_more_than_the_short_flips_to_a_long_opened_at_the_fill_price():
    position = position_from_fills([sell("1", "50"), sell("1", "70"), buy("5", "40")], mark_price=D("45"))

    assert position.net_amount == D("3")
    assert position.average_entry_price == D("40")
    assert position.realized_pnl == D("40")  # (60 - 40) * 2
    assert position.unrealized_pnl == D("15")


def test_adding_after_a_flip_averages_with_the_flip_price_only():
    position = position_from_fills([buy("1", "100"), sell("2", "120"), sell("1", "90")])

    assert position.net_amount == D("-2")
    assert position.average_entry_price == D("105")  # (120 + 90) / 2; the closed long is gone
    assert position.realized_pnl == D("20")


def test_without_a_mark_price_an_open_position_has_no_unrealized_pnl():
    position = position_from_fills([buy("1", "100")])

    assert position.unrealized_pnl is None
    assert position.average_entry_price == D("100")


def test_realized_pnl_accumulates_across_round_trips():
    fills = [
        buy("1", "100"), sell("1", "110"),  # +10
        sell("2", "50"), buy("2", "55"),  # -10
        buy("3", "10"), sell("1", "20"), sell("2", "13"),  # +10 +6
    ]  # fmt: skip

    position = position_from_fills(fills)

    assert position.net_amount == 0
    assert position.realized_pnl == D("16")


def test_three_buys_at_awkward_prices_average_exactly():
    position = position_from_fills([buy("1", "1.10001"), buy("1", "1.10003"), buy("1", "1.09999")])

    assert position.average_entry_price == D("1.10001")


def test_average_that_does_not_terminate_is_rounded_half_even_to_18_places():
    position = position_from_fills([buy("1", "1"), buy("1", "1"), buy("1", "2")], mark_price=D("2"))

    assert position.average_entry_price == D("1.333333333333333333")
    assert position.unrealized_pnl == D("2")  # from the exact basis 4, not 3 x the rounded average


def test_partial_reduce_of_an_awkward_basis_keeps_the_remaining_average():
    fills = [buy("0.3", "1.10001"), buy("0.7", "1.10003"), sell("0.1", "1.2"), sell("0.4", "1.0")]

    position = position_from_fills(fills, mark_price=D("1.10002"))

    assert position.net_amount == D("0.5")
    assert position.average_entry_price == D("1.100024")  # (0.330003 + 0.770021) / 1
    assert position.realized_pnl == D("-0.030012")  # 0.1*(1.2-1.100024) + 0.4*(1.0-1.100024)
    assert position.unrealized_pnl == D("-0.000002")


def test_results_are_written_without_trailing_zeros_or_exponent():
    position = position_from_fills([buy("1.000", "100.00"), sell("0.500", "300.00")], mark_price=D("200.00"))

    assert str(position.average_entry_price) == "100"
    assert str(position.realized_pnl) == "100"
    assert str(position.unrealized_pnl) == "50"


def test_large_values_keep_all_their_digits():
    price = D("99999999999999999999.999999999999999999")

    position = position_from_fills([buy("1", price)], mark_price=price)

    assert position.average_entry_price == price
    assert position.unrealized_pnl == 0


@pytest.mark.parametrize(("amount", "price"), [("0", "1"), ("-1", "1"), ("1", "0"), ("1", "-1")])
def test_a_fill_without_a_positive_amount_and_price_is_refused(amount, price):
    with pytest.raises(ValueError):
        position_from_fills([buy(amount, price)])


# --- properties -------------------------------------------------------------

amounts = st.decimals(min_value=D("0.00000001"), max_value=D("1000000"), places=8)
prices = st.decimals(min_value=D("0.00001"), max_value=D("100000"), places=5)
fill_lists = st.lists(
    st.builds(PositionFill, side=st.sampled_from(Side), amount=amounts, price=prices), min_size=1, max_size=20
)
TOLERANCE = D("1e-15")


def signed(fill):
    return fill.amount if fill.side == Side.BUY else -fill.amount


def cash_flow(fills):
    """Quote received minus quote paid, exactly."""
    with localcontext(prec=80):
        return sum((-signed(fill) * fill.price for fill in fills), D(0))


@settings(max_examples=300, deadline=None)
@given(fill_lists)
def test_net_amount_is_the_signed_sum_of_the_fills(fills):
    with localcontext(prec=80):
        expected = sum((signed(fill) for fill in fills), D(0))

    assert position_from_fills(fills).net_amount == expected


@settings(max_examples=300, deadline=None)
@given(fill_lists)
def test_realized_plus_unrealized_at_the_last_price_is_the_cash_pnl_marked_to_market(fills):
    mark = fills[-1].price
    position = position_from_fills(fills, mark_price=mark)

    with localcontext(prec=80):
        marked_cash_pnl = cash_flow(fills) + position.net_amount * mark
        assert abs(position.realized_pnl + position.unrealized_pnl - marked_cash_pnl) <= TOLERANCE


@settings(max_examples=300, deadline=None)
@given(fill_lists)
def test_a_position_that_ends_flat_has_realized_exactly_its_cash_pnl(fills):
    # Close whatever is open with one last fill, so every drawn list ends flat.
    with localcontext(prec=80):
        net = sum((signed(fill) for fill in fills), D(0))
    if net != 0:
        fills = [*fills, PositionFill(Side.SELL if net > 0 else Side.BUY, abs(net), fills[-1].price)]

    position = position_from_fills(fills)

    assert position.net_amount == 0
    assert position.unrealized_pnl == 0
    with localcontext(prec=80):
        assert abs(position.realized_pnl - cash_flow(fills)) <= TOLERANCE
