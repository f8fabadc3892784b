"""What goes into the book and what comes out of a match."""

from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from orders_app.domain.enums import OrderType, SelfTradePrevention, Side, TimeInForce


@dataclass(slots=True)
class RestingOrder:
    """An order waiting in the book. The book owns it: change it through OrderBook.reduce, never directly,
    or the level totals stop adding up."""

    order_id: Hashable
    user_id: Hashable
    side: Side
    price: Decimal
    remaining: Decimal


@dataclass(frozen=True, slots=True)
class Taker:
    """An incoming order; `amount` is what it still wants to fill. A MARKET order is IOC or FOK: without a
    limit there is no price to rest at, so GTC is refused.

    A MARKET BUY may also carry `funds`, the most quote it may spend, with the pair's `lot_size`: it then
    fills whole lots while the funds cover them, and the rest expires.
    """

    order_id: Hashable
    user_id: Hashable
    side: Side
    type: OrderType
    price: Decimal | None
    amount: Decimal
    time_in_force: TimeInForce = TimeInForce.GTC
    self_trade_prevention: SelfTradePrevention = SelfTradePrevention.EXPIRE_MAKER
    funds: Decimal | None = None
    lot_size: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """One trade, always at the maker's price. `maker_remaining` is 0 when the maker has left the book."""

    maker_order_id: Hashable
    maker_user_id: Hashable
    taker_order_id: Hashable
    taker_user_id: Hashable
    taker_side: Side
    price: Decimal
    amount: Decimal
    maker_remaining: Decimal


class TakerOutcome(str, Enum):
    RESTED = "RESTED"  # a GTC LIMIT remainder is now in the book
    FILLED = "FILLED"  # nothing remains
    EXPIRED = "EXPIRED"  # the remainder was dropped: IOC, MARKET, a FOK that could not fill, self-trade prevention, funds


@dataclass(slots=True)
class MatchResult:
    fills: list[Fill]
    # Resting orders removed by self-trade prevention, in the order met, with their remaining at removal.
    cancelled_makers: list[RestingOrder]
    taker_remaining: Decimal
    outcome: TakerOutcome
