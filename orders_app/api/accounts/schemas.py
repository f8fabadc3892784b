import marshmallow as ma
from marshmallow import ValidationError, fields, validates_schema

from ...domain.enums import Bucket, EntryType
from ..common import InstrumentDecimal, PlainDecimal, UTCDateTimeInput
from ..orders.schemas import AVERAGE_PRICE_EXTRA_PLACES


class BalanceSchema(ma.Schema):
    """One asset of the user's account (dumps models.Balance)."""

    asset = fields.String(metadata={"example": "USD"})
    available = PlainDecimal(metadata={"description": "Free to spend", "example": "98900"})
    held = PlainDecimal(metadata={"description": "Reserved by open orders", "example": "1100"})
    pending = PlainDecimal(metadata={"description": "Traded, awaiting settlement", "example": "0"})
    total = PlainDecimal(metadata={"description": "available + held + pending", "example": "100000"})


class TransactionSchema(ma.Schema):
    """One ledger entry of the user's account (dumps models.LedgerEntry)."""

    entry_id = fields.Integer(attribute="seq", data_key="entryId", metadata={"description": "Increases with time"})
    movement_id = fields.UUID(
        data_key="movementId", metadata={"description": "Shared by the entries of one movement of money"}
    )
    type = fields.Enum(EntryType, by_value=True)
    asset = fields.String(metadata={"example": "USD"})
    bucket = fields.Enum(Bucket, by_value=True)
    amount = PlainDecimal(metadata={"description": "Signed: + credits the bucket, - debits it", "example": "-1100"})
    balance_after = PlainDecimal(data_key="balanceAfter", metadata={"description": "The bucket right after this entry"})
    order_id = fields.UUID(data_key="orderId", allow_none=True)
    trade_id = fields.UUID(data_key="tradeId", allow_none=True)
    created_at = fields.DateTime(data_key="createdAt", metadata={"description": "UTC, ISO-8601"})


class TransactionQuerySchema(ma.Schema):
    asset = fields.String(metadata={"example": "USD"})
    type = fields.Enum(EntryType, by_value=True)
    since = UTCDateTimeInput(
        data_key="from", metadata={"description": "ISO-8601, inclusive; a time without offset is UTC"}
    )
    until = UTCDateTimeInput(
        data_key="to", metadata={"description": "ISO-8601, exclusive; a time without offset is UTC"}
    )

    @validates_schema
    def _from_not_after_to(self, data, **_kwargs):
        if "since" in data and "until" in data and data["since"] > data["until"]:
            raise ValidationError("Must not be after 'to'.", "since")


class PositionSchema(ma.Schema):
    """The user's position in one pair by the average-cost method (dumps services.portfolio.PairPosition)."""

    pair = fields.String(metadata={"example": "EUR/USD"})
    net_amount = InstrumentDecimal(
        "lot_size", data_key="netAmount", metadata={"description": "In the base asset: + long, - short"}
    )
    average_entry_price = InstrumentDecimal(
        "tick_size",
        extra_places=AVERAGE_PRICE_EXTRA_PLACES,
        data_key="averageEntryPrice",
        allow_none=True,
        metadata={"description": "What the open amount cost per unit; null when flat"},
    )
    realized_pnl = PlainDecimal(data_key="realizedPnl", metadata={"description": "In the quote asset"})
    unrealized_pnl = PlainDecimal(
        data_key="unrealizedPnl",
        allow_none=True,
        metadata={"description": "In the quote asset at lastPrice; null when the pair has no last price"},
    )
    last_price = PlainDecimal(
        data_key="lastPrice", allow_none=True, metadata={"description": "The pair's last trade price"}
    )


class HoldingSchema(ma.Schema):
    """One asset of the portfolio (dumps domain.valuation.Holding)."""

    asset = fields.String(metadata={"example": "EUR"})
    amount = PlainDecimal(metadata={"description": "The balance total: available + held + pending"})
    market_price = PlainDecimal(
        data_key="marketPrice", allow_none=True, metadata={"description": "In the valuation asset per unit"}
    )
    market_value = PlainDecimal(data_key="marketValue", allow_none=True)
    price_source = fields.String(
        data_key="priceSource",
        allow_none=True,
        metadata={"description": "The pair that priced it, or the valuation asset itself", "example": "EUR/USD"},
    )
    priced = fields.Boolean(attribute="is_priced")


class PortfolioSchema(ma.Schema):
    """Balance totals valued at last trade prices (dumps domain.valuation.Portfolio)."""

    valuation_asset = fields.String(data_key="valuationAsset", metadata={"example": "USD"})
    holdings = fields.List(fields.Nested(HoldingSchema), metadata={"description": "Non-zero totals, by asset"})
    total_value = PlainDecimal(data_key="totalValue", metadata={"description": "Sum of the priced market values"})
    unpriced_assets = fields.List(
        fields.String(),
        data_key="unpricedAssets",
        metadata={"description": "Held assets without a last price against the valuation asset"},
    )


class PortfolioQuerySchema(ma.Schema):
    valuation_asset = fields.String(
        data_key="valuationAsset",
        load_default=None,
        metadata={"description": "Defaults to the VALUATION_ASSET setting", "example": "EUR"},
    )
