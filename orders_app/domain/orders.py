"""What a fill does to an order: the rules shared by execution reports and, later, matching."""

from dataclasses import dataclass
from decimal import Decimal

from .decimals import UPPER_BOUND, plain
from .enums import OrderStatus, OrderType, Side, TimeInForce
from .errors import Conflict, InvalidInput, Overfill


@dataclass(frozen=True)
class FillResult:
    filled_amount: Decimal
    filled_quote: Decimal
    status: OrderStatus


def apply_fill(*, side, status, amount, filled_amount, filled_quote, limit_price, fill_amount, fill_price):
    """The order's state after a fill of `fill_amount` at `fill_price`, or the rule it breaks.

    Checks run from the broadest to the narrowest: a closed order (409) before a price
    past the limit (422) before a fill too large for what is left (400).
    """
    ensure_open(status, action="trade")
    # Input validation keeps both positive already; checked here too, so that no caller can ever
    # record a trade that moves nothing or gives something away.
    if not fill_amount > 0:
        raise InvalidInput("A trade's amount must be positive.", field="executedAmount")
    if not fill_price > 0:
        raise InvalidInput("A trade's price must be positive.", field="executedPrice")
    if limit_price is not None and is_worse_than_limit(side, fill_price, limit_price):
        direction = "above" if side is Side.BUY else "below"
        raise InvalidInput(
            f"Executed price {fill_price} is {direction} the {side.value} limit {limit_price}.",
            field="executedPrice",
        )
    remaining = amount - filled_amount
    if fill_amount > remaining:
        raise Overfill(
            f"Executed amount {fill_amount} exceeds the remaining amount {remaining}.", field="executedAmount"
        )
    new_filled = filled_amount + fill_amount
    new_quote = filled_quote + fill_amount * fill_price
    if new_quote >= UPPER_BOUND:
        # A SELL may fill above its limit, so its value can outgrow what the order was checked for.
        raise InvalidInput(
            f"The order's filled value (amount x price) would reach {plain(UPPER_BOUND)}.", field="executedPrice"
        )
    return FillResult(
        filled_amount=new_filled,
        filled_quote=new_quote,
        status=OrderStatus.FILLED if new_filled == amount else OrderStatus.PARTIALLY_FILLED,
    )


def time_in_force_for(order_type, requested):
    """The time in force an order of `order_type` runs with when the client asked for `requested` (None:
    the type's default), or InvalidInput when the type cannot take it.

    A LIMIT order rests by default (GTC). A MARKET order has no price to rest at: it is IOC unless it
    asks to fill completely or not at all (FOK), and GTC is refused rather than quietly run as IOC.
    """
    if requested is None:
        return TimeInForce.GTC if order_type is OrderType.LIMIT else TimeInForce.IOC
    if order_type is OrderType.MARKET and requested is TimeInForce.GTC:
        raise InvalidInput(
            "A MARKET order has no price to rest at: its time in force is IOC (the default) or FOK.",
            field="timeInForce",
        )
    return requested


def is_worse_than_limit(side, price, limit_price):
    """A buyer never pays above the limit; a seller never receives below it."""
    return price > limit_price if side is Side.BUY else price < limit_price


def average_price(filled_amount, filled_quote):
    """Volume-weighted average fill price, None before the first fill."""
    if not filled_amount:
        return None
    return filled_quote / filled_amount


def cancel(status):
    """The status a cancel leads to, or Conflict if the order is no longer open."""
    ensure_open(status, action="be cancelled")
    return OrderStatus.CANCELLED


def ensure_open(status, *, action):
    """Conflict unless the order can still `action` (trade, be cancelled)."""
    if not status.is_open:
        raise Conflict(f"Order is {status.value}; only PENDING or PARTIALLY_FILLED orders can {action}.")
