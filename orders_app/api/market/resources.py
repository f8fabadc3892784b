from flask.views import MethodView

from ...services import market
from ..common import Blueprint, SelectPage
from .schemas import OrderBookQuerySchema, OrderBookSchema, PublicTradeSchema, TradesQuerySchema

blp = Blueprint("market", __name__, description="Public market data: order book and trades. No token needed.")


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
        """The pair's trades, newest first"""
        return market.trades_query(pair=query["pair"])


@blp.route("/trades/<uuid:trade_id>")
class TradeById(MethodView):
    @blp.doc(security=[])
    @blp.response(200, PublicTradeSchema)
    @blp.alt_response(404, description="No such trade")
    def get(self, trade_id):
        """One trade of the public tape"""
        return market.get_trade(trade_id=trade_id)
