"""Exact decimal helpers shared by validation and presentation, and the one grammar for decimal input."""

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from functools import lru_cache

# Columns are NUMERIC(38, 18): 20 digits before the point, 18 after.
MAX_INTEGER_DIGITS = 20
MAX_FRACTION_DIGITS = 18
UPPER_BOUND = Decimal(10) ** MAX_INTEGER_DIGITS
# Enough significant digits that sums and products of stored values never round: amount x price
# and a balance plus an amount each need at most MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS digits.
EXACT_PRECISION = 2 * (MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS)
SMALLEST_STORED_UNIT = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
# What plain() and fixed() compute in: the default context with EXACT_PRECISION digits, passed to each call
# rather than entered with localcontext(), which costs more than the formatting (they run for every amount
# of every answer and event).
_EXACT = Context(prec=EXACT_PRECISION)

# Decimal input as clients write it: ASCII digits, an optional fraction, an optional exponent of at most
# three digits. Decimal() alone would also take "1_000", Arabic-Indic or fullwidth digits, spaces, NaN and
# Infinity, and an exponent such as 1e-999999999 that underflows to zero in any arithmetic.
DECIMAL_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{1,3})?")
MAX_DECIMAL_TEXT_LENGTH = 64
DECIMAL_GRAMMAR = "a decimal number such as 1.25 or 1.25e3: ASCII digits, an optional fraction and exponent"


def parse_decimal(value):
    """Client input (text, or a JSON number already read as Decimal) as a Decimal that fits the columns.

    Raises ValueError with a message for the client: off the grammar, not finite, more than
    MAX_FRACTION_DIGITS decimal places, or UPPER_BOUND or more in size. Sign and grid are the caller's.
    """
    if isinstance(value, str):
        if len(value) > MAX_DECIMAL_TEXT_LENGTH or not DECIMAL_TEXT.fullmatch(value):
            raise ValueError(f"Must be {DECIMAL_GRAMMAR}.")
        value = Decimal(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    elif not isinstance(value, Decimal):
        raise ValueError(f"Must be {DECIMAL_GRAMMAR}.")
    if not value.is_finite():
        raise ValueError("Must be a finite number.")
    if places(value) > MAX_FRACTION_DIGITS:
        raise ValueError(f"Must have at most {MAX_FRACTION_DIGITS} decimal places.")
    if integer_digits(value) > MAX_INTEGER_DIGITS:
        raise ValueError(f"Must be less than {plain(UPPER_BOUND)}.")
    return value


def plain(value):
    """Text without exponent or trailing zeros: 0.00001, 1, 65000. Never rounds a stored value."""
    return f"{value.normalize(_EXACT):f}"


def places(value):
    """Decimal places a value such as 0.00001 (5), 1.50 (1) or 1E+2 (0) needs, trailing zeros aside.

    Read off the digits, with no arithmetic: exact for any finite value, 1E-999999999 included, which
    normalize() would round to zero in a context of ordinary range.
    """
    _, digits, exponent = value.as_tuple()
    significant = len(digits) - _trailing_zeros(digits)
    if not significant:
        return 0
    return max(0, -(exponent + len(digits) - significant))


def integer_digits(value):
    """Digits before the point: 0 for 0.5, 3 for 123.4, 21 for 1E+20."""
    _, digits, exponent = value.as_tuple()
    if len(digits) == _trailing_zeros(digits):
        return 0
    return max(0, len(digits) + exponent)


def _trailing_zeros(digits):
    count = 0
    for digit in reversed(digits):
        if digit:
            break
        count += 1
    return count


def is_multiple_of(value, step):
    try:
        return value % step == 0
    except InvalidOperation:
        return False


def fixed(value, decimal_places):
    """Text with exactly `decimal_places` digits after the point: '1.10000'."""
    return f"{value.quantize(_quantum(decimal_places), context=_EXACT):f}"


@lru_cache(maxsize=64)
def _quantum(decimal_places):
    return Decimal(1).scaleb(-decimal_places, _EXACT)


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
