"""Validation of prices and amounts against an instrument's tick size, lot size and minimum."""

from dataclasses import dataclass
from decimal import Decimal, localcontext

from .decimals import EXACT_PRECISION, MAX_FRACTION_DIGITS, UPPER_BOUND, is_multiple_of, places, plain
from .errors import InvalidInput


@dataclass(frozen=True)
class InstrumentSpec:
    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    lot_size: Decimal
    min_amount: Decimal

    @property
    def price_places(self):
        return places(self.tick_size)

    @property
    def amount_places(self):
        return places(self.lot_size)

    def checked_price(self, value, *, field="price"):
        """The price on the tick grid, or InvalidInput naming `field`."""
        return _on_grid(value, self.tick_size, field, "tick size")

    def checked_notional(self, amount, price):
        """amount x price, or InvalidInput when it is too large to account for."""
        notional = amount * price
        if notional >= UPPER_BOUND:
            raise InvalidInput(f"Order value (amount x price) must be less than {plain(UPPER_BOUND)}.", field="amount")
        return notional

    def checked_amount(self, value, *, field="amount", enforce_minimum=True):
        """The amount on the lot grid and at least the minimum, or InvalidInput naming `field`."""
        amount = _on_grid(value, self.lot_size, field, "lot size")
        if enforce_minimum and amount < self.min_amount:
            raise InvalidInput(
                f"Must be at least the minimum amount {plain(self.min_amount)} for {self.symbol}.", field=field
            )
        return amount


def _on_grid(value, step, field, step_name):
    if not value.is_finite() or value <= 0:
        raise InvalidInput("Must be a positive, finite number.", field=field)
    if value >= UPPER_BOUND:
        raise InvalidInput(f"Must be less than {plain(UPPER_BOUND)}.", field=field)
    # Bounded above and in its decimal places, a value has at most 38 digits, so in this context the
    # remainder and the rounding below are exact: nothing underflows to zero or overflows the precision.
    with localcontext(prec=EXACT_PRECISION):
        if places(value) > MAX_FRACTION_DIGITS or not is_multiple_of(value, step):
            raise InvalidInput(f"Must be a multiple of the {step_name} {plain(step)}.", field=field)
        # Store the canonical form: exactly as many places as the step has.
        return value.quantize(Decimal(1).scaleb(-places(step)))
