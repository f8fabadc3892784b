"""Exact decimal helpers: how prices and amounts are counted, checked and written out."""

from decimal import Decimal

import pytest

from orders_app.domain.decimals import fixed, is_multiple_of, places, trimmed


@pytest.mark.parametrize(
    ("step", "expected"),
    [("0.00001", 5), ("0.001", 3), ("0.01", 2), ("0.0001", 4), ("1", 0), ("0.25", 2)],
)
def test_places_counts_the_digits_a_step_is_quoted_in(step, expected):
    assert places(Decimal(step)) == expected


@pytest.mark.parametrize("step", ["0.000010", "1E-5", "0.00001000"])
def test_places_ignores_how_the_step_was_written(step):
    assert places(Decimal(step)) == 5


@pytest.mark.parametrize("step", ["1.0", "10", "1E+2"])
def test_places_is_never_negative_for_whole_steps(step):
    assert places(Decimal(step)) == 0


@pytest.mark.parametrize(
    ("value", "step"),
    [("1.10000", "0.00001"), ("1.1", "0.00001"), ("1000", "1"), ("0.0002", "0.0001"), ("0.75", "0.25")],
)
def test_value_on_the_grid_is_a_multiple_of_the_step(value, step):
    assert is_multiple_of(Decimal(value), Decimal(step))


@pytest.mark.parametrize(
    ("value", "step"),
    [("1.100005", "0.00001"), ("1000.5", "1"), ("0.00015", "0.0001"), ("0.8", "0.25"), ("1E-30", "0.00001")],
)
def test_value_off_the_grid_is_not_a_multiple_of_the_step(value, step):
    assert not is_multiple_of(Decimal(value), Decimal(step))


def test_multiple_check_too_large_for_exact_arithmetic_answers_no_instead_of_raising():
    assert is_multiple_of(Decimal("1E+40"), Decimal("0.00001")) is False


@pytest.mark.parametrize(
    ("value", "decimal_places", "expected"),
    [
        ("1.1", 5, "1.10000"),
        ("750", 0, "750"),
        ("750.000", 0, "750"),
        ("0.2", 4, "0.2000"),
        ("0", 2, "0.00"),
    ],
)
def test_fixed_writes_exactly_the_given_places(value, decimal_places, expected):
    assert fixed(Decimal(value), decimal_places) == expected


@pytest.mark.parametrize(
    ("value", "decimal_places", "expected"),
    [("1E+3", 2, "1000.00"), ("1E-7", 8, "0.00000010"), ("6.5E+4", 2, "65000.00")],
)
def test_fixed_never_writes_exponent_notation(value, decimal_places, expected):
    assert fixed(Decimal(value), decimal_places) == expected


def test_fixed_rounds_extra_digits_half_to_even():
    assert fixed(Decimal("1.000005"), 5) == "1.00000"
    assert fixed(Decimal("1.000015"), 5) == "1.00002"


@pytest.mark.parametrize(
    ("value", "min_places", "max_places", "expected"),
    [
        ("1.1", 5, 13, "1.10000"),
        ("1.0999333333333333333333", 5, 13, "1.0999333333333"),
        ("1.099933", 5, 13, "1.099933"),
        ("750", 0, 8, "750"),
        ("0.5", 0, 8, "0.5"),
        ("100", 0, 0, "100"),
        ("1.123456789", 2, 4, "1.1235"),
    ],
)
def test_trimmed_drops_trailing_zeros_but_keeps_the_minimum_places(value, min_places, max_places, expected):
    assert trimmed(Decimal(value), min_places, max_places) == expected


@pytest.mark.parametrize("precision", [28, 76])
def test_fixed_and_plain_write_the_same_in_any_caller_context_as_in_an_exact_one(precision):
    """fixed() and plain() compute in their own EXACT_PRECISION context: whatever context the caller runs in
    (a request's 28 digits, a unit of work's wider one), the text is the one an exact computation gives."""
    from decimal import localcontext

    from orders_app.domain.decimals import EXACT_PRECISION, plain

    values = [
        Decimal("0"), Decimal("-0"), Decimal("1E+2"), Decimal("0.000000000000000001"), Decimal("123.4500"),
        Decimal("99999999999999999999.999999999999999999"), Decimal("-1.5"), Decimal("2.5"), Decimal("1E-18"),
        Decimal("1.0000166666666666666666666666666666666667"), Decimal("65000.005"),
    ]
    for value in values:
        with localcontext(prec=EXACT_PRECISION):
            expected_plain = f"{value.normalize():f}"
            expected_fixed = {
                places_: f"{value.quantize(Decimal(1).scaleb(-places_)):f}" for places_ in (0, 1, 2, 5, 8, 18, 26)
            }
        with localcontext(prec=precision):
            assert plain(value) == expected_plain
            for places_, expected in expected_fixed.items():
                assert fixed(value, places_) == expected
