"""SQLAlchemy models, one module per aggregate."""

from .instrument import Instrument
from .order import Order, Trade
from .user import User

__all__ = ["Instrument", "Order", "Trade", "User"]
