import marshmallow as ma
from marshmallow import fields, validate

from ...domain.enums import Side
from ..common import InstrumentDecimal

MAX_DEPTH = 100


class PublicTradeSchema(ma.Schema):
    """A trade on the public tape (dumps models.Trade)."""

    trade_id = fields.UUID(attribute="id", data_key="tradeId")
    pair = fields.String(metadata={"example": "EUR/USD"})
    price = InstrumentDecimal("tick_size")
    amount = InstrumentDecimal("lot_size")
    taker_side = fields.Enum(Side, by_value=True, data_key="takerSide")
    buy_order_id = fields.UUID(data_key="buyOrderId")
    sell_order_id = fields.UUID(data_key="sellOrderId")
    sequence = fields.Integer(metadata={"description": "The pair's book sequence right after this trade"})
    executed_at = fields.DateTime(data_key="executedAt", metadata={"description": "UTC, ISO-8601"})
    settled = fields.Boolean(metadata={"description": "False while the proceeds of a deferred-settlement pair are pending"})
    settled_at = fields.DateTime(data_key="settledAt", allow_none=True, metadata={"description": "UTC, ISO-8601"})


class TradesQuerySchema(ma.Schema):
    pair = fields.String(required=True, metadata={"example": "EUR/USD"})


class OrderBookQuerySchema(ma.Schema):
    pair = fields.String(required=True, metadata={"example": "EUR/USD"})
    depth = fields.Integer(load_default=5, validate=validate.Range(min=1, max=MAX_DEPTH))


class LevelSchema(ma.Schema):
    price = fields.String(metadata={"example": "1.10000"})
    amount = fields.String(metadata={"example": "2500"})
    order_count = fields.Integer(data_key="orderCount")


class OrderBookSchema(ma.Schema):
    pair = fields.String()
    bids = fields.List(fields.Nested(LevelSchema), metadata={"description": "Best (highest) first"})
    asks = fields.List(fields.Nested(LevelSchema), metadata={"description": "Best (lowest) first"})
    last_trade_price = fields.String(data_key="lastTradePrice", allow_none=True)
    sequence = fields.Integer()
    timestamp = fields.String(metadata={"description": "UTC, ISO-8601"})
