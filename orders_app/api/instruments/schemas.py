import marshmallow as ma
from marshmallow import fields

from ..common import PlainDecimal


class InstrumentSchema(ma.Schema):
    symbol = fields.String(metadata={"example": "EUR/USD"})
    base = fields.String(metadata={"example": "EUR"})
    quote = fields.String(metadata={"example": "USD"})
    tick_size = PlainDecimal(data_key="tickSize", metadata={"example": "0.00001"})
    lot_size = PlainDecimal(data_key="lotSize", metadata={"example": "1"})
    min_amount = PlainDecimal(data_key="minAmount", metadata={"example": "1"})
