import marshmallow as ma
from marshmallow import fields


class HealthSchema(ma.Schema):
    status = fields.String(metadata={"example": "ok"})
    database = fields.String(metadata={"example": "ok"})
