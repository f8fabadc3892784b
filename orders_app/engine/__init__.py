"""Pure-Python matching engine: one OrderBook per pair, price-time priority, no Flask and no database."""

from .book import OrderBook
from .orders import Fill, MatchResult, RestingOrder, Taker, TakerOutcome

__all__ = ["Fill", "MatchResult", "OrderBook", "RestingOrder", "Taker", "TakerOutcome"]
