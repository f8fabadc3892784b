"""What orders hold and how trades move money: pure rules, written as balanced ledger legs.

Every movement is a list of legs whose amounts sum to zero per asset, so money is only ever moved
between accounts, never made or lost. Users' accounts must stay non-negative in every bucket; the
system accounts are the other side of what enters and leaves the user economy and may go negative:
DEPOSITS is debited for every credit to a user, VENUE is the external counterparty of execution reports.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from .decimals import plain
from .enums import Bucket, OrderType, Side
from .errors import InvalidInput

DEPOSITS_ACCOUNT = uuid.UUID(int=1)
VENUE_ACCOUNT = uuid.UUID(int=2)
SYSTEM_ACCOUNTS = {DEPOSITS_ACCOUNT: "DEPOSITS", VENUE_ACCOUNT: "VENUE"}

ZERO = Decimal(0)


class InsufficientFunds(InvalidInput):
    """An order or amend needs more than the user has available."""


def ensure_available(asset, needed, available, *, field="amount"):
    """InsufficientFunds, naming `field`, unless `available` covers `needed`."""
    if needed > available:
        raise InsufficientFunds(
            f"Insufficient {asset}: {plain(needed)} needed, {plain(available)} available.", field=field
        )


def is_system_account(account_id):
    return account_id in SYSTEM_ACCOUNTS


@dataclass(frozen=True)
class Leg:
    account_id: uuid.UUID
    asset: str
    bucket: Bucket
    amount: Decimal  # signed: + credits the bucket, - debits it


def check_balanced(legs):
    """Raise unless the legs sum to zero in every asset."""
    sums = defaultdict(Decimal)
    for leg in legs:
        sums[leg.asset] += leg.amount
    unbalanced = {asset: total for asset, total in sums.items() if total}
    if unbalanced:
        raise ValueError(f"Unbalanced movement: {unbalanced}")


def hold_asset(side, base, quote):
    """A BUY spends the quote asset, a SELL the base asset."""
    return quote if side is Side.BUY else base


def hold_for(side, type, remaining, price):
    """What an order with `remaining` left to fill holds: remaining x limit for a BUY, remaining for a SELL.

    A MARKET BUY has no limit to hold against; it holds exactly what its fills spend (see spend()).
    """
    if side is Side.SELL:
        return remaining
    if type is OrderType.MARKET:
        return ZERO
    return remaining * price


def spend(fills):
    """The quote a list of (amount, price) fills costs."""
    return sum((amount * price for amount, price in fills), ZERO)


def deposit_legs(account_id, asset, amount):
    return [Leg(DEPOSITS_ACCOUNT, asset, Bucket.AVAILABLE, -amount), Leg(account_id, asset, Bucket.AVAILABLE, amount)]


def hold_legs(account_id, asset, amount):
    return [Leg(account_id, asset, Bucket.AVAILABLE, -amount), Leg(account_id, asset, Bucket.HELD, amount)]


def release_legs(account_id, asset, amount):
    return [Leg(account_id, asset, Bucket.HELD, -amount), Leg(account_id, asset, Bucket.AVAILABLE, amount)]


def trade_legs(*, base, quote, amount, price, buyer, seller, deferred):
    """A trade: the buyer pays amount x price of quote, the seller delivers amount of base.

    A user pays out of what their order holds and receives into available, or into pending when the
    pair settles later; the venue pays and receives in available.
    """
    value = amount * price
    return [
        Leg(buyer, quote, _pays_from(buyer), -value),
        Leg(seller, quote, _receives_into(seller, deferred), value),
        Leg(seller, base, _pays_from(seller), -amount),
        Leg(buyer, base, _receives_into(buyer, deferred), amount),
    ]


def settlement_legs(*, base, quote, amount, price, buyer, seller):
    """Settling a deferred trade makes each user's pending proceeds available; the venue has none waiting."""
    legs = []
    for account_id, asset, received in ((buyer, base, amount), (seller, quote, amount * price)):
        if not is_system_account(account_id):
            legs += [Leg(account_id, asset, Bucket.PENDING, -received), Leg(account_id, asset, Bucket.AVAILABLE, received)]
    return legs


def _pays_from(account_id):
    return Bucket.AVAILABLE if is_system_account(account_id) else Bucket.HELD


def _receives_into(account_id, deferred):
    return Bucket.PENDING if deferred and not is_system_account(account_id) else Bucket.AVAILABLE
