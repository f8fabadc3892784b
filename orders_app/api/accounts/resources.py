from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required

from ...services import balances, portfolio
from ..common import Blueprint, SelectPage
from .schemas import (
    BalanceSchema,
    PortfolioQuerySchema,
    PortfolioSchema,
    PositionSchema,
    TransactionQuerySchema,
    TransactionSchema,
)

blp = Blueprint(
    "accounts", __name__, description="The current user's money: balances, ledger, positions and portfolio value."
)


@blp.route("/balances")
class Balances(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, BalanceSchema(many=True))
    def get(self):
        """The current user's balance in every asset, by asset"""
        return balances.list_balances(user_id=current_user.id)


@blp.route("/balances/<string:asset>")
class BalanceByAsset(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, BalanceSchema)
    @blp.alt_response(404, description="No such asset")
    def get(self, asset):
        """The current user's balance in one asset"""
        return balances.get_balance(user_id=current_user.id, asset=asset)


@blp.route("/transactions")
class Transactions(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(TransactionQuerySchema, location="query")
    @blp.response(200, TransactionSchema(many=True))
    @blp.alt_response(422, description="A filter is not valid, or 'from' is after 'to'")
    @blp.paginate(SelectPage)
    def get(self, filters):
        """The current user's ledger entries, newest first"""
        return balances.transactions_query(user_id=current_user.id, **filters)


@blp.route("/positions")
class Positions(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, PositionSchema(many=True))
    def get(self):
        """The current user's position in every pair they have traded, by pair"""
        return portfolio.positions(user_id=current_user.id)


@blp.route("/portfolio")
class Portfolio(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(PortfolioQuerySchema, location="query")
    @blp.response(200, PortfolioSchema)
    @blp.alt_response(422, description="Unknown valuationAsset")
    def get(self, query):
        """The current user's balances valued in one asset at last trade prices"""
        return portfolio.portfolio(user_id=current_user.id, valuation_asset=query["valuation_asset"])
