from flask import jsonify
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required

from ... import limits
from ...services import orders
from ..common import COMMIT_FAILED_RESPONSE, Blueprint, SelectPage
from ..payloads import fill_payload, order_payload
from .schemas import (
    AmendSchema,
    ExecutionReportSchema,
    OrderCreateSchema,
    OrderQuerySchema,
    OrderSchema,
    StatusChangeSchema,
    TradeRecordedSchema,
)

blp = Blueprint(
    "orders", __name__, url_prefix="/orders", description="Place, read and cancel orders; record executions."
)


@blp.route("")
class Orders(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, OrderSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """The current user's orders, newest first"""
        return orders.orders_query(user_id=current_user.id, **filters)

    @limits.order_entry
    @blp.arguments(OrderCreateSchema)
    @blp.response(201, OrderSchema)
    @blp.alt_response(200, schema=OrderSchema, description="clientOrderId already used: the existing order")
    @blp.alt_response(409, description="clientOrderId already used for a different order")
    @blp.alt_response(429, **limits.RATE_LIMITED_RESPONSE)
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    def post(self, body):
        """Place an order; it starts PENDING"""
        order, created = orders.place_order(user_id=current_user.id, **body)
        return _answer(order_payload(order), 201 if created else 200)


@blp.route("/<uuid:order_id>")
class OrderById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, OrderSchema)
    @blp.alt_response(404, description="No such order for this user")
    def get(self, order_id):
        """One order with its trades, oldest trade first"""
        return orders.get_order(user_id=current_user.id, order_id=order_id)

    @limits.order_entry
    @blp.arguments(AmendSchema)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, description="No such order for this user")
    @blp.alt_response(409, description="The order is closed, not LIMIT, or the amount is below what is filled")
    @blp.alt_response(429, **limits.RATE_LIMITED_RESPONSE)
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    def put(self, changes, order_id):
        """Amend price and/or amount: a smaller amount keeps queue priority; a new price or a larger amount loses it"""
        return _answer(order_payload(orders.amend_order(user_id=current_user.id, order_id=order_id, **changes)))

    @limits.order_entry
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, description="No such order for this user")
    @blp.alt_response(409, description="The order is no longer open")
    @blp.alt_response(429, **limits.RATE_LIMITED_RESPONSE)
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    def delete(self, order_id):
        """Cancel an open order (same as PATCH .../status CANCELLED)"""
        return _answer(order_payload(orders.cancel_order(user_id=current_user.id, order_id=order_id)))


@blp.route("/<uuid:order_id>/status")
class OrderStatus(MethodView):
    decorators = [jwt_required()]

    @limits.order_entry
    @blp.arguments(StatusChangeSchema)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, description="No such order for this user")
    @blp.alt_response(409, description="The order is no longer open")
    @blp.alt_response(429, **limits.RATE_LIMITED_RESPONSE)
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    def patch(self, _body, order_id):
        """Cancel an open order (the only status a client may set)"""
        return _answer(order_payload(orders.cancel_order(user_id=current_user.id, order_id=order_id)))


@blp.route("/<uuid:order_id>/trades")
class OrderTrades(MethodView):
    decorators = [jwt_required()]

    @limits.order_entry
    @blp.arguments(ExecutionReportSchema)
    @blp.response(201, TradeRecordedSchema)
    @blp.alt_response(400, description="The fill exceeds the remaining amount; nothing changed")
    @blp.alt_response(404, description="No such order for this user")
    @blp.alt_response(409, description="The order is filled, cancelled or otherwise closed")
    @blp.alt_response(429, **limits.RATE_LIMITED_RESPONSE)
    @blp.alt_response(503, **COMMIT_FAILED_RESPONSE)
    def post(self, report, order_id):
        """Record an execution report: append the trade and move the order's fill and status"""
        trade, order = orders.record_execution(
            user_id=current_user.id,
            order_id=order_id,
            executed_amount=report["executed_amount"],
            executed_price=report["executed_price"],
        )
        return _answer({"trade": fill_payload(trade, order), "order": order_payload(order)}, 201)


def _answer(payload, status=200):
    """An order command's answer, already in its documented schema's shape (api/payloads.py): the
    schema on the route documents it, and flask-smorest passes a ready response through as it is."""
    return jsonify(payload), status
