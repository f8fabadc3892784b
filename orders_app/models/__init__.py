"""SQLAlchemy models, one module per aggregate."""

from .instrument import Instrument
from .order import Fill, Order, Trade
from .user import User

__all__ = ["Fill", "Instrument", "Order", "Trade", "User"]
