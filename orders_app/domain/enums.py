from enum import Enum


class Side(str, Enum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(str, Enum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"


class OrderStatus(str, Enum):
    PENDING = "PENDING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    # No REJECTED: an order that fails a check is refused (4xx) and never stored.
    EXPIRED = "EXPIRED"

    @property
    def is_open(self):
        """An open order can still trade or be cancelled."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.PARTIALLY_FILLED})


class TimeInForce(str, Enum):
    GTC = "GTC"  # good till cancelled: the remainder rests in the book
    IOC = "IOC"  # immediate or cancel: the remainder expires
    FOK = "FOK"  # fill or kill: fills completely at once, or expires with no trades


class SelfTradePrevention(str, Enum):
    EXPIRE_MAKER = "EXPIRE_MAKER"  # cancel the resting order of the same user and keep matching
    EXPIRE_TAKER = "EXPIRE_TAKER"  # expire the incoming order's remainder
    EXPIRE_BOTH = "EXPIRE_BOTH"  # both


class Liquidity(str, Enum):
    MAKER = "MAKER"
    TAKER = "TAKER"
    EXTERNAL = "EXTERNAL"  # an execution report from outside the book


class Role(str, Enum):
    USER = "USER"
    OPERATOR = "OPERATOR"  # may credit funds and settle trades


class Settlement(str, Enum):
    IMMEDIATE = "IMMEDIATE"  # proceeds are spendable in the trade's own transaction
    DEFERRED = "DEFERRED"  # proceeds wait as pending until the trade is settled


class Bucket(str, Enum):
    """The parts of one balance: total = available + held + pending."""

    AVAILABLE = "AVAILABLE"
    HELD = "HELD"  # reserved by open orders
    PENDING = "PENDING"  # bought or sold, awaiting settlement


class EntryType(str, Enum):
    DEPOSIT = "DEPOSIT"
    HOLD = "HOLD"
    RELEASE = "RELEASE"
    TRADE = "TRADE"
    SETTLEMENT = "SETTLEMENT"
