"""Exact decimal helpers shared by validation and presentation."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

# Columns are NUMERIC(38, 18): 20 digits before the point, 18 after.
MAX_INTEGER_DIGITS = 20
MAX_FRACTION_DIGITS = 18
UPPER_BOUND = Decimal(10) ** MAX_INTEGER_DIGITS
# Enough significant digits that sums and products of stored values never round: amount x price
# and a balance plus an amount each need at most MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS digits.
EXACT_PRECISION = 2 * (MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS)
SMALLEST_STORED_UNIT = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)


def plain(value):
    """Text without exponent or trailing zeros: 0.00001, 1, 65000. Never rounds a stored value."""
    with localcontext(prec=EXACT_PRECISION):
        return f"{value.normalize():f}"


def places(step):
    """Decimal places a step such as 0.00001 (5) or 1 (0) is quoted in."""
    return max(0, -step.normalize().as_tuple().exponent)


def is_multiple_of(value, step):
    try:
        return value % step == 0
    except InvalidOperation:
        return False


def fixed(value, decimal_places):
    """Text with exactly `decimal_places` digits after the point: '1.10000'."""
    with localcontext(prec=EXACT_PRECISION):
        return f"{value.quantize(Decimal(1).scaleb(-decimal_places)):f}"


def trimmed(value, min_places, max_places):
    """Text rounded to `max_places`, trailing zeros dropped down to `min_places`."""
    text = fixed(value, max_places)
    if max_places > min_places:
        keep = len(text) - (max_places - min_places)
        text = text[:keep] + text[keep:].rstrip("0")
    return text.rstrip(".")


def rounded_to_stored_places(value):
    """`value` to MAX_FRACTION_DIGITS places, half to even, without trailing zeros, exponent or negative zero.

    Runs in the caller's context, which must be wide enough for `value`: in the default 28 digits,
    quantize and normalize would round or fail on values with more digits than that.
    """
    value = value.quantize(SMALLEST_STORED_UNIT, rounding=ROUND_HALF_EVEN)
    if value == 0:
        return Decimal(0)
    value = value.normalize()
    if value.as_tuple().exponent > 0:
        value = value.quantize(Decimal(1))  # 1E+2 back to 100
    return value
