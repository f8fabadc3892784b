"""Pieces every resource uses: the Decimal-safe blueprint, decimal fields, pagination."""

import json
from decimal import Decimal

import flask_smorest
import marshmallow as ma
from flask_smorest import Page
from sqlalchemy import func, select
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ..domain.decimals import fixed, places, plain, trimmed
from ..extensions import db


class DecimalJSONParser(FlaskParser):
    """Reads JSON numbers with a fraction or exponent as Decimal, so no float ever holds a price."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"Bytes decoding error: {exc.reason}", doc="", pos=exc.start) from exc
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def _reject_constant(name):
    raise json.JSONDecodeError(f"{name} is not a number this API accepts", doc=name, pos=0)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = DecimalJSONParser()


def DecimalInput(**kwargs):
    """A decimal request field: accepts a JSON number or a numeric string, never NaN or infinity."""
    metadata = {"type": "string", "format": "decimal", "example": kwargs.pop("example", "1.10000")}
    kwargs.setdefault("required", True)
    return ma.fields.Decimal(allow_nan=False, metadata=metadata, **kwargs)


class InstrumentDecimal(ma.fields.Field):
    """A decimal shown with exactly as many places as its instrument quotes it in.

    `step` is "tick_size" for prices and "lot_size" for amounts; the object being dumped
    must have an `instrument`.
    """

    def __init__(self, step, extra_places=0, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", format="decimal")
        super().__init__(dump_only=True, **kwargs)
        self.step = step
        self.extra_places = extra_places

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        decimal_places = places(getattr(obj.instrument, self.step))
        if self.extra_places:
            return trimmed(value, decimal_places, decimal_places + self.extra_places)
        return fixed(value, decimal_places)


class PlainDecimal(ma.fields.Field):
    """A decimal as text without trailing zeros: 0.00001, 1, 0.0001."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", format="decimal")
        super().__init__(dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else plain(value)


class SelectPage(Page):
    """Pages a SQLAlchemy select with one COUNT and one LIMIT/OFFSET query."""

    @property
    def items(self):
        params = self.page_params
        statement = self.collection.limit(params.page_size).offset(params.first_item)
        return db.session.scalars(statement).all()

    @property
    def item_count(self):
        counted = self.collection.order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(counted))
