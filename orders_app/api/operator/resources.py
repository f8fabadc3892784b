from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required

from ...realtime import socket_sessions
from ...services import accounts, balances, settlement
from ..common import COMMIT_FAILED_RESPONSE, Blueprint
from ..market.schemas import PublicTradeSchema
from .schemas import DepositRequestSchema, DepositSchema, UserStatusSchema

blp = Blueprint(
    "operator",
    __name__,
    description="Operator actions: credit funds, settle trades, disable and enable users. Operator role only.",
)


def operator_only():
    accounts.ensure_operator(user_id=current_user.id)


@blp.route("/admin/deposits")
class Deposits(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(DepositRequestSchema)
    @blp.response(201, DepositSchema)
    @blp.alt_response(403, description="The caller is not an operator")
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    @blp.alt_response(404, description="No such user")
    @blp.alt_response(422, description="Unknown asset, or an amount that is not positive")
    def post(self, body):
        """Credit funds to a user's available balance"""
        operator_only()
        user, balance, movement_id = balances.deposit(**body)
        return {"deposit_id": movement_id, "username": user.username, "asset": balance.asset, "amount": body["amount"], "balance": balance}


@blp.route("/trades/<uuid:trade_id>/settle")
class SettleTrade(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, PublicTradeSchema)
    @blp.alt_response(403, description="The caller is not an operator")
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    @blp.alt_response(404, description="No such trade")
    @blp.alt_response(409, description="The trade is already settled")
    def post(self, trade_id):
        """Settle a trade: its pending proceeds become available"""
        operator_only()
        return settlement.settle_trade(trade_id=trade_id)


@blp.route("/admin/users/<string:username>/disable")
class DisableUser(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, UserStatusSchema)
    @blp.alt_response(403, description="The caller is not an operator")
    @blp.alt_response(404, description="No such user")
    @blp.alt_response(409, description="An operator cannot disable their own account")
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    def post(self, username):
        """Disable a user: login and refresh answer 401, their open sockets close at once in every process,
        and access tokens already issued stop working for REST when they expire (at most
        JWT_ACCESS_TOKEN_MINUTES)"""
        operator_only()
        user = accounts.disable_user(username=username, by_user_id=current_user.id)
        socket_sessions.close_user_sockets(user.id)
        return user


@blp.route("/admin/users/<string:username>/enable")
class EnableUser(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, UserStatusSchema)
    @blp.alt_response(403, description="The caller is not an operator")
    @blp.alt_response(404, description="No such user")
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    def post(self, username):
        """Enable a disabled user again: they log in as before"""
        operator_only()
        return accounts.enable_user(username=username)
