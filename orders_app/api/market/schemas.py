import marshmallow as ma
from marshmallow import ValidationError, fields, validate, validates_schema

from ...domain.enums import Side
from ...services.market_stats import DEFAULT_CANDLES, INTERVALS, MAX_CANDLES
from ..common import InstrumentDecimal, UTCDateTimeInput

# The REST book's bound since it was first published (clients rely on 101 being refused). A local book kept
# from BOOK_DELTA starts from these 100 levels a side; deeper levels appear once a delta touches them.
MAX_DEPTH = 100
MAX_SEQUENCE = 2**63 - 1  # the column's range


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
    after_sequence = fields.Integer(
        data_key="afterSequence",
        validate=validate.Range(min=0, max=MAX_SEQUENCE),
        metadata={
            "description": "Only the trades with a sequence above this one, OLDEST first (to fill a gap in the "
            "tape: page on with the last sequence received). Without it: every trade, newest first."
        },
    )


class OrderBookQuerySchema(ma.Schema):
    pair = fields.String(required=True, metadata={"example": "EUR/USD"})
    depth = fields.Integer(
        load_default=5,
        validate=validate.Range(min=1, max=MAX_DEPTH),
        metadata={"description": f"Levels per side, 1-{MAX_DEPTH}; a local book kept from BOOK_DELTA starts from {MAX_DEPTH}"},
    )


class LevelSchema(ma.Schema):
    price = fields.String(metadata={"example": "1.10000"})
    amount = fields.String(metadata={"example": "2500"})
    order_count = fields.Integer(data_key="orderCount")


class OrderBookSchema(ma.Schema):
    pair = fields.String()
    bids = fields.List(fields.Nested(LevelSchema), metadata={"description": "Best (highest) first"})
    asks = fields.List(fields.Nested(LevelSchema), metadata={"description": "Best (lowest) first"})
    last_trade_price = fields.String(data_key="lastTradePrice", allow_none=True)
    sequence = fields.Integer(
        metadata={"description": "The pair's sequence after the last change these levels include (BOOK_DELTA's lastSequence)"}
    )
    timestamp = fields.String(metadata={"description": "UTC, ISO-8601"})


class CandlesQuerySchema(ma.Schema):
    pair = fields.String(required=True, metadata={"example": "EUR/USD"})
    interval = fields.String(required=True, validate=validate.OneOf(list(INTERVALS)), metadata={"example": "1m"})
    start = UTCDateTimeInput(
        data_key="from",
        metadata={"description": "ISO-8601; the first candle opens at or after it. Without it, the last candles up to 'to'"},
    )
    end = UTCDateTimeInput(
        data_key="to", metadata={"description": "ISO-8601, default now; the last candle opens at or before it"}
    )
    limit = fields.Integer(
        load_default=DEFAULT_CANDLES,
        validate=validate.Range(min=1, max=MAX_CANDLES),
        metadata={"description": f"At most this many buckets are read (1-{MAX_CANDLES}, default {DEFAULT_CANDLES})"},
    )

    @validates_schema
    def _from_not_after_to(self, data, **_kwargs):
        if "start" in data and "end" in data and data["start"] > data["end"]:
            raise ValidationError("Must not be after 'to'.", "from")


class CandleSchema(ma.Schema):
    """One UTC-aligned bucket of the trade tape (buckets without trades are left out)."""

    interval = fields.String(metadata={"example": "1m"})
    open_time = fields.String(data_key="openTime", metadata={"description": "Start of the bucket, UTC, ISO-8601"})
    close_time = fields.String(
        data_key="closeTime", metadata={"description": "End of the bucket (exclusive): openTime + interval"}
    )
    open = fields.String(metadata={"description": "Price of the bucket's first trade", "example": "1.10000"})
    high = fields.String(metadata={"example": "1.10020"})
    low = fields.String(metadata={"example": "1.09990"})
    close = fields.String(metadata={"description": "Price of the bucket's last trade", "example": "1.10010"})
    volume = fields.String(metadata={"description": "Base asset traded", "example": "2500"})
    quote_volume = fields.String(data_key="quoteVolume", metadata={"description": "Sum of amount x price, in the quote asset"})
    trade_count = fields.Integer(data_key="tradeCount")


class TickerQuerySchema(ma.Schema):
    pair = fields.String(required=True, metadata={"example": "EUR/USD"})


class TickerSchema(ma.Schema):
    """Last price, the last 24 hours (counted in whole UTC minutes from windowStart) and the top of the book."""

    pair = fields.String(metadata={"example": "EUR/USD"})
    sequence = fields.Integer(metadata={"description": "The pair's sequence this ticker reflects"})
    last_price = fields.String(data_key="lastPrice", allow_none=True, metadata={"description": "null before the first trade"})
    open = fields.String(allow_none=True, metadata={"description": "First trade price of the window; null without trades"})
    high = fields.String(allow_none=True)
    low = fields.String(allow_none=True)
    volume = fields.String(metadata={"description": "Base asset traded in the window"})
    quote_volume = fields.String(data_key="quoteVolume")
    trade_count = fields.Integer(data_key="tradeCount")
    change = fields.String(allow_none=True, metadata={"description": "lastPrice - open"})
    change_percent = fields.String(
        data_key="changePercent", allow_none=True, metadata={"description": "change / open x 100, 2 places"}
    )
    best_bid = fields.String(data_key="bestBid", allow_none=True)
    best_bid_amount = fields.String(data_key="bestBidAmount", allow_none=True)
    best_ask = fields.String(data_key="bestAsk", allow_none=True)
    best_ask_amount = fields.String(data_key="bestAskAmount", allow_none=True)
    window_start = fields.String(data_key="windowStart", metadata={"description": "Start of the 24-hour window, UTC"})
    timestamp = fields.String(metadata={"description": "UTC, ISO-8601"})
