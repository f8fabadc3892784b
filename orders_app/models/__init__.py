"""SQLAlchemy models, one module per aggregate."""

from .account import Balance, LedgerEntry
from .account_event import AccountEvent, AccountEventSequence
from .book_change import BookChange
from .instrument import Instrument
from .order import Fill, Order, Trade
from .user import User

__all__ = ["AccountEvent", "AccountEventSequence", "Balance", "BookChange", "Fill", "Instrument", "LedgerEntry", "Order", "Trade", "User"]
