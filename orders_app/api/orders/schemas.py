import marshmallow as ma
from marshmallow import ValidationError, fields, validate, validates_schema

from ...domain.enums import Liquidity, OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from ..common import DecimalInput, InstrumentDecimal

CLIENT_ORDER_ID_RULE = validate.Regexp(
    r"^[A-Za-z0-9._:/-]{1,64}\Z", error="Must be 1 to 64 characters of letters, digits, '.', '_', ':', '/' or '-'."
)
# Average prices are shown to this many places beyond the tick, so a weighted mean is not rounded onto the grid.
AVERAGE_PRICE_EXTRA_PLACES = 8


class TradeSchema(ma.Schema):
    """A trade as one of its orders saw it (dumps models.Fill)."""

    trade_id = fields.UUID(attribute="id", data_key="tradeId")
    pair = fields.String(metadata={"example": "EUR/USD"})
    side = fields.Enum(Side, by_value=True, metadata={"description": "This order's side"})
    liquidity = fields.Enum(
        Liquidity, by_value=True, metadata={"description": "MAKER or TAKER for matches, EXTERNAL for execution reports"}
    )
    counter_order_id = fields.UUID(
        data_key="counterOrderId", allow_none=True, metadata={"description": "The other order of a match"}
    )
    executed_amount = InstrumentDecimal("lot_size", attribute="amount", data_key="executedAmount")
    executed_price = InstrumentDecimal("tick_size", attribute="price", data_key="executedPrice")
    executed_at = fields.DateTime(data_key="executedAt", metadata={"description": "UTC, ISO-8601"})
    settled = fields.Boolean(metadata={"description": "False while the proceeds of a deferred-settlement pair are pending"})
    settled_at = fields.DateTime(data_key="settledAt", allow_none=True, metadata={"description": "UTC, ISO-8601"})


class OrderSchema(ma.Schema):
    order_id = fields.UUID(attribute="id", data_key="orderId")
    client_order_id = fields.String(data_key="clientOrderId", allow_none=True)
    pair = fields.String(metadata={"example": "EUR/USD"})
    side = fields.Enum(Side, by_value=True)
    type = fields.Enum(OrderType, by_value=True)
    amount = InstrumentDecimal("lot_size", metadata={"example": "1000"})
    price = InstrumentDecimal("tick_size", allow_none=True, metadata={"example": "1.10000"})
    filled_amount = InstrumentDecimal("lot_size", data_key="filledAmount")
    remaining_amount = InstrumentDecimal("lot_size", data_key="remainingAmount")
    average_price = InstrumentDecimal(
        "tick_size",
        extra_places=AVERAGE_PRICE_EXTRA_PLACES,
        data_key="averagePrice",
        allow_none=True,
        metadata={"description": "Volume-weighted over the trades; null before the first"},
    )
    status = fields.Enum(OrderStatus, by_value=True)
    time_in_force = fields.Enum(TimeInForce, by_value=True, data_key="timeInForce")
    self_trade_prevention = fields.Enum(SelfTradePrevention, by_value=True, data_key="selfTradePrevention")
    created_at = fields.DateTime(data_key="createdAt", metadata={"description": "UTC, ISO-8601"})
    updated_at = fields.DateTime(data_key="updatedAt", metadata={"description": "UTC, ISO-8601"})
    trades = fields.List(fields.Nested(TradeSchema), attribute="fills", metadata={"description": "Oldest first"})


class OrderCreateSchema(ma.Schema):
    pair = fields.String(required=True, metadata={"example": "EUR/USD"})
    side = fields.Enum(Side, by_value=True, required=True)
    type = fields.Enum(OrderType, by_value=True, required=True)
    amount = DecimalInput(example="1000")
    price = DecimalInput(required=False, load_default=None, example="1.10000")
    time_in_force = fields.Enum(
        TimeInForce,
        by_value=True,
        data_key="timeInForce",
        load_default=None,
        metadata={
            "description": "GTC rests the remainder (LIMIT only; the LIMIT default), IOC expires it (the MARKET "
            "default), FOK fills completely or expires with no trades"
        },
    )
    self_trade_prevention = fields.Enum(
        SelfTradePrevention, by_value=True, data_key="selfTradePrevention", load_default=SelfTradePrevention.EXPIRE_MAKER
    )
    client_order_id = fields.String(
        data_key="clientOrderId", load_default=None, validate=CLIENT_ORDER_ID_RULE, metadata={"example": "my-order-1"}
    )

    @validates_schema
    def _price_matches_type(self, data, **_kwargs):
        if data.get("type") is OrderType.MARKET and data.get("price") is not None:
            raise ValidationError("MARKET orders take no price; they fill at the best prices in the book.", "price")
        if data.get("type") is OrderType.LIMIT and data.get("price") is None:
            raise ValidationError("Required for LIMIT orders.", "price")


class OrderQuerySchema(ma.Schema):
    status = fields.Enum(OrderStatus, by_value=True)
    pair = fields.String(metadata={"example": "EUR/USD"})
    side = fields.Enum(Side, by_value=True)


class StatusChangeSchema(ma.Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf([OrderStatus.CANCELLED.value], error="The only status a client may set is CANCELLED."),
        metadata={"example": "CANCELLED"},
    )


class AmendSchema(ma.Schema):
    price = DecimalInput(required=False, example="1.10010")
    amount = DecimalInput(required=False, example="800")

    @validates_schema
    def _something_to_change(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give a new price, a new amount, or both.", "_schema")


class ExecutionReportSchema(ma.Schema):
    executed_amount = DecimalInput(data_key="executedAmount", example="250")
    executed_price = DecimalInput(data_key="executedPrice", example="1.10000")


class TradeRecordedSchema(ma.Schema):
    """The recorded execution as the order saw it, and the order after it."""

    trade = fields.Nested(TradeSchema)
    order = fields.Nested(OrderSchema)
