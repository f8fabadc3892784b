import marshmallow as ma
from marshmallow import fields, validate

from ..accounts.schemas import BalanceSchema
from ..common import DecimalInput, PlainDecimal


class DepositRequestSchema(ma.Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={"example": "alice"})
    asset = fields.String(required=True, validate=validate.Length(min=1, max=10), metadata={"example": "USD"})
    amount = DecimalInput(example="5000")


class DepositSchema(ma.Schema):
    deposit_id = fields.UUID(data_key="depositId", metadata={"description": "The ledger movement"})
    username = fields.String()
    asset = fields.String()
    amount = PlainDecimal()
    balance = fields.Nested(BalanceSchema, metadata={"description": "The user's balance after the deposit"})


class UserStatusSchema(ma.Schema):
    user_id = fields.UUID(attribute="id", data_key="userId")
    username = fields.String()
    disabled = fields.Boolean(attribute="is_disabled")
    disabled_at = fields.DateTime(
        data_key="disabledAt", allow_none=True, metadata={"description": "When it was disabled; null when enabled"}
    )
