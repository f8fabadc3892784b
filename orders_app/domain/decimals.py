"""Exact decimal helpers shared by validation and presentation."""

from decimal import Decimal, InvalidOperation

# Columns are NUMERIC(38, 18): 20 digits before the point, 18 after.
MAX_INTEGER_DIGITS = 20
MAX_FRACTION_DIGITS = 18
UPPER_BOUND = Decimal(10) ** MAX_INTEGER_DIGITS


def plain(value):
    """Text without exponent or trailing zeros: 0.00001, 1, 65000."""
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
    return f"{value.quantize(Decimal(1).scaleb(-decimal_places)):f}"


def trimmed(value, min_places, max_places):
    """Text rounded to `max_places`, trailing zeros dropped down to `min_places`."""
    text = fixed(value, max_places)
    if max_places > min_places:
        keep = len(text) - (max_places - min_places)
        text = text[:keep] + text[keep:].rstrip("0")
    return text.rstrip(".")
