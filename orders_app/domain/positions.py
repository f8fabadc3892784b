"""A user's position in one pair from their fills, by the average-cost method."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from .decimals import EXACT_PRECISION, rounded_to_stored_places
from .enums import Side

@dataclass(frozen=True)
class PositionFill:
    side: Side  # the user's side in that fill
    amount: Decimal  # base amount, > 0
    price: Decimal  # quote per base


@dataclass(frozen=True)
class Position:
    net_amount: Decimal  # + long, - short, in base; exact
    average_entry_price: Decimal | None  # None when flat
    realized_pnl: Decimal  # in quote
    unrealized_pnl: Decimal | None  # net_amount * (mark - average); 0 when flat, None without a mark

    @property
    def is_flat(self):
        return self.net_amount == 0


def position_from_fills(fills: Iterable[PositionFill], mark_price: Decimal | None = None) -> Position:
    """The position after `fills` (oldest first), marked at `mark_price` when given."""
    # Sums and products of amounts and prices fit this precision exactly; only the share of cost basis
    # given up on a partial reduce is a true division, and its error stays far below the 18 places kept.
    with localcontext(prec=EXACT_PRECISION):
        net_amount = Decimal(0)
        # What the open amount cost, always >= 0 whichever way the position points. Kept as a sum of
        # exact products while adding, so the average is a single division of exact numbers.
        open_cost = Decimal(0)
        realized_pnl = Decimal(0)

        for fill in fills:
            _check(fill)
            direction = 1 if fill.side == Side.BUY else -1
            open_amount = abs(net_amount)
            position_direction = (net_amount > 0) - (net_amount < 0)

            if position_direction in (0, direction):
                open_cost += fill.amount * fill.price
                net_amount += direction * fill.amount
                continue

            reduced = min(fill.amount, open_amount)
            if reduced == open_amount:
                cost_given_up = open_cost  # a full close takes the whole basis: no division, no residue
            else:
                cost_given_up = open_cost * reduced / open_amount
            # Long: sold `reduced` for reduced*price that cost cost_given_up. Short: the reverse.
            realized_pnl += position_direction * (reduced * fill.price - cost_given_up)
            open_cost -= cost_given_up

            excess = fill.amount - reduced
            if excess > 0:
                open_cost = excess * fill.price  # the flip opens the other way at the fill price
            net_amount += direction * fill.amount

        if net_amount == 0:
            return Position(
                net_amount=net_amount,
                average_entry_price=None,
                realized_pnl=rounded_to_stored_places(realized_pnl),
                unrealized_pnl=Decimal(0),
            )

        signed_open_cost = open_cost if net_amount > 0 else -open_cost
        # net * (mark - open_cost/|net|) without dividing: net*mark - signed cost.
        unrealized_pnl = None if mark_price is None else net_amount * mark_price - signed_open_cost
        return Position(
            net_amount=net_amount,
            average_entry_price=rounded_to_stored_places(open_cost / abs(net_amount)),
            realized_pnl=rounded_to_stored_places(realized_pnl),
            unrealized_pnl=None if unrealized_pnl is None else rounded_to_stored_places(unrealized_pnl),
        )


def _check(fill):
    if not fill.amount.is_finite() or fill.amount <= 0:
        raise ValueError(f"Fill amount must be positive, got {fill.amount}.")
    if not fill.price.is_finite() or fill.price <= 0:
        raise ValueError(f"Fill price must be positive, got {fill.price}.")
