"""An instrument's grid: which prices and amounts it accepts, and the canonical form it stores."""

from decimal import Decimal

import pytest

from orders_app.domain.errors import InvalidInput
from orders_app.domain.instruments import InstrumentSpec

EUR_USD = InstrumentSpec("EUR/USD", "EUR", "USD", Decimal("0.00001"), Decimal("1"), Decimal("1"))
USD_JPY = InstrumentSpec("USD/JPY", "USD", "JPY", Decimal("0.001"), Decimal("1"), Decimal("1"))
BTC_USD = InstrumentSpec("BTC/USD", "BTC", "USD", Decimal("0.01"), Decimal("0.0001"), Decimal("0.0001"))
# A pair whose minimum is larger than its lot, so the minimum can be tested apart from the grid.
BLOCK_PAIR = InstrumentSpec("XAU/USD", "XAU", "USD", Decimal("0.01"), Decimal("1"), Decimal("100"))

UNUSABLE_VALUES = [
    "1E+30",
    "100000000000000000000",
    "1E-30",
    "1E-1000030",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "-0",
    "0",
    "-1.10000",
]


def canonical(value):
    """A Decimal's exact text, so 1.1 and 1.10000 are told apart."""
    return str(value)


def test_instrument_quotes_prices_and_amounts_in_its_step_places():
    assert (EUR_USD.price_places, EUR_USD.amount_places) == (5, 0)
    assert (BTC_USD.price_places, BTC_USD.amount_places) == (2, 4)


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (EUR_USD, "1.1", "1.10000"),
        (EUR_USD, "1.10000", "1.10000"),
        (USD_JPY, "150", "150.000"),
        (BTC_USD, "6.5E+4", "65000.00"),
    ],
)
def test_canonical_price_has_tick_places(spec, value, expected):
    assert canonical(spec.checked_price(Decimal(value))) == expected


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (EUR_USD, "1000.000", "1000"),
        (EUR_USD, "1E+3", "1000"),
        (BTC_USD, "0.5", "0.5000"),
        (BTC_USD, "0.0001", "0.0001"),
    ],
)
def test_canonical_amount_has_lot_places(spec, value, expected):
    assert canonical(spec.checked_amount(Decimal(value))) == expected


@pytest.mark.parametrize(("spec", "value"), [(EUR_USD, "1.100001"), (USD_JPY, "150.0005"), (BTC_USD, "65000.001")])
def test_price_off_tick_grid_is_invalid(spec, value):
    with pytest.raises(InvalidInput, match="tick size") as refused:
        spec.checked_price(Decimal(value))
    assert refused.value.field == "price"


@pytest.mark.parametrize(("spec", "value"), [(EUR_USD, "1000.5"), (BTC_USD, "0.00015")])
def test_amount_off_lot_grid_is_invalid(spec, value):
    with pytest.raises(InvalidInput, match="lot size") as refused:
        spec.checked_amount(Decimal(value))
    assert refused.value.field == "amount"


def test_amount_below_minimum_is_invalid():
    with pytest.raises(InvalidInput, match="minimum amount 100") as refused:
        BLOCK_PAIR.checked_amount(Decimal("99"))
    assert refused.value.field == "amount"


def test_amount_equal_to_minimum_is_accepted():
    assert canonical(BLOCK_PAIR.checked_amount(Decimal("100"))) == "100"


def test_fill_amount_below_order_minimum_is_accepted_when_minimum_is_not_enforced():
    assert canonical(BLOCK_PAIR.checked_amount(Decimal("5"), enforce_minimum=False)) == "5"


def test_refusal_names_the_field_it_was_asked_to_check():
    with pytest.raises(InvalidInput) as price_refused:
        EUR_USD.checked_price(Decimal("1.100001"), field="executedPrice")
    with pytest.raises(InvalidInput) as amount_refused:
        EUR_USD.checked_amount(Decimal("0.5"), field="executedAmount", enforce_minimum=False)
    assert (price_refused.value.field, amount_refused.value.field) == ("executedPrice", "executedAmount")


@pytest.mark.parametrize("value", UNUSABLE_VALUES)
def test_huge_value_is_invalid_not_an_exception(value):
    """Extremes, specials and non-positive values: a 422 for the client, never a crash or a zero."""
    with pytest.raises(InvalidInput):
        EUR_USD.checked_price(Decimal(value))
    with pytest.raises(InvalidInput):
        EUR_USD.checked_amount(Decimal(value), enforce_minimum=False)


def test_largest_value_under_the_bound_is_accepted():
    assert canonical(EUR_USD.checked_price(Decimal("99999999999999999999.99999"))) == "99999999999999999999.99999"


def test_large_price_on_a_fine_non_decimal_tick_is_checked_exactly():
    """A configured tick such as 0.0000000025 must not turn a large price into a server error."""
    fine_tick = InstrumentSpec("FINE/USD", "FINE", "USD", Decimal("0.0000000025"), Decimal("1"), Decimal("1"))
    # 1E+19 is 4E+27 ticks: on the grid, so it comes back exact with the tick's ten places.
    assert fine_tick.checked_price(Decimal("1E+19")) == Decimal("10000000000000000000.0000000000")
    with pytest.raises(InvalidInput):
        fine_tick.checked_price(Decimal("10000000000000000000.0000000001"))

def test_order_value_below_the_bound_is_returned_exactly():
    assert EUR_USD.checked_notional(Decimal("1000"), Decimal("1.10000")) == Decimal("1100.00000")


def test_order_value_reaching_the_bound_is_invalid():
    with pytest.raises(InvalidInput) as refused:
        EUR_USD.checked_notional(Decimal("99999999999999999999"), Decimal("1.10000"))
    assert refused.value.field == "amount"
