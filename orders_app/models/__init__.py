"""SQLAlchemy models, one module per aggregate."""

from .account import Balance, LedgerEntry
from .book_change import BookChange
from .instrument import Instrument
from .order import Fill, Order, Trade
from .user import User

__all__ = ["Balance", "BookChange", "Fill", "Instrument", "LedgerEntry", "Order", "Trade", "User"]
