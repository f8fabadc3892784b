from flask.views import MethodView

from ...services import market, market_stats
from ..common import Blueprint, SelectPage
from .schemas import (
    CandleSchema,
    CandlesQuerySchema,
    OrderBookQuerySchema,
    OrderBookSchema,
    PublicTradeSchema,
    TickerQuerySchema,
    TickerSchema,
    TradesQuerySchema,
)

blp = Blueprint(
    "market", __name__, description="Public market data: order book, trades, candles, ticker. No token needed."
)


@blp.route("/orderbook")
class OrderBook(MethodView):
    @blp.doc(security=[])
    @blp.arguments(OrderBookQuerySchema, location="query")
    @blp.response(200, OrderBookSchema)
    def get(self, query):
        """Aggregated price levels, best first, with the book's sequence"""
        return market.order_book(pair=query["pair"], depth=query["depth"])


@blp.route("/trades")
class Trades(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TradesQuerySchema, location="query")
    @blp.response(200, PublicTradeSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query):
        """The pair's trades, newest first; with afterSequence, those after it, oldest first"""
        return market.trades_query(pair=query["pair"], after_sequence=query.get("after_sequence"))


@blp.route("/trades/<uuid:trade_id>")
class TradeById(MethodView):
    @blp.doc(security=[])
    @blp.response(200, PublicTradeSchema)
    @blp.alt_response(404, description="No such trade")
    def get(self, trade_id):
        """One trade of the public tape"""
        return market.get_trade(trade_id=trade_id)


@blp.route("/candles")
class Candles(MethodView):
    @blp.doc(security=[])
    @blp.arguments(CandlesQuerySchema, location="query")
    @blp.response(200, CandleSchema(many=True))
    def get(self, query):
        """OHLCV candles from the trade tape, UTC-aligned, oldest first"""
        return market_stats.candles(
            pair=query["pair"], interval=query["interval"], start=query.get("start"), end=query.get("end"), limit=query["limit"]
        )


@blp.route("/ticker")
class Ticker(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TickerQuerySchema, location="query")
    @blp.response(200, TickerSchema)
    def get(self, query):
        """Last price, 24-hour statistics, best bid and ask"""
        return market_stats.ticker(pair=query["pair"])
