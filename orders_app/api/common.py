"""Pieces every resource uses: the Decimal-safe blueprint, decimal fields, pagination."""

import json
from datetime import timezone
from decimal import Decimal

import flask_smorest
import marshmallow as ma
from flask import abort, request
from flask_smorest import Page
from flask_smorest import pagination as smorest_pagination
from sqlalchemy import func, select
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ..domain.decimals import DECIMAL_TEXT, MAX_DECIMAL_TEXT_LENGTH, fixed, parse_decimal, places, plain, trimmed
from ..extensions import db


# Enough for any page a client can reach (100 items a page: 100 million items), and far from the
# 64-bit OFFSET that a larger page would overflow.
MAX_PAGE = 1_000_000
NUL = "\x00"


class ApiParser(FlaskParser):
    """Request input as the API takes it.

    JSON numbers are read as Decimal (no float ever holds a price), nesting too deep for the parser is
    a 400 like any other malformed body, and no string may carry a NUL character: PostgreSQL cannot
    store one, so it is refused at the door as a 422 naming the field, on every database alike.
    """

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        # webargs reads a JSONDecodeError whose doc is empty as "no body"; every other one, and a
        # UnicodeDecodeError, is a 400 in the common shape.
        text = req.get_data(cache=True).decode("utf-8")
        try:
            return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)
        except RecursionError:
            raise json.JSONDecodeError("The document is nested too deeply", doc=text, pos=0) from None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas = {}

    def _get_schema(self, argmap, req):
        # A view's arguments name a schema class; webargs would build an instance of it for every request,
        # which costs more than the load itself. Our schemas keep no state between loads, so one each will do.
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def _load_location_data(self, *, schema, req, location):
        data = super()._load_location_data(schema=schema, req=req, location=location)
        fields_with_nul = _fields_with_nul(data)
        if fields_with_nul:
            raise ma.ValidationError({name: ["Must not contain the NUL character."] for name in fields_with_nul})
        return data


def _fields_with_nul(data):
    """The top-level names of a loaded body or query whose name or value holds a NUL anywhere within."""
    if data is core.missing:
        return []
    if hasattr(data, "keys"):
        return [name for name in data.keys() if NUL in name or _holds_nul(data[name])]
    return ["_schema"] if _holds_nul(data) else []


def _holds_nul(value):
    # Iterative: the body may be nested as deeply as the JSON parser allows.
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def refuse_nul_in_path():
    """404 for a path with a NUL in it (/balances/%00): no resource is named so, and PostgreSQL could not
    even be asked. Runs before every request."""
    if NUL in request.path:
        abort(404)


def _reject_constant(name):
    raise json.JSONDecodeError(f"{name} is not a number this API accepts", doc=name, pos=0)


def _bounded_pagination_schema(def_page, def_page_size, def_max_page_size):
    """flask-smorest's page and page_size arguments, with `page` bounded by MAX_PAGE too."""
    base = _smorest_pagination_schema(def_page, def_page_size, def_max_page_size)
    page = ma.fields.Integer(load_default=def_page, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    return type(base.__name__, (base,), {"page": page})


# flask-smorest builds its pagination schema with this module-level factory, for the arguments it
# parses and for the OpenAPI document alike; replacing it bounds both in one place.
_smorest_pagination_schema = smorest_pagination._pagination_parameters_schema_factory
smorest_pagination._pagination_parameters_schema_factory = _bounded_pagination_schema


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ApiParser()


# Documented on every operation that commits a change (database.write_transaction raises CommitFailed).
COMMIT_FAILED_RESPONSE = {
    "description": "The change could not be committed; none of it took effect, so it can be sent again",
    "headers": {"Retry-After": {"description": "Seconds to wait before sending it again", "schema": {"type": "integer"}}},
}


class DecimalInput(ma.fields.Field):
    """A decimal request field: a numeric string or a JSON number in the one grammar of
    domain/decimals.parse_decimal, never NaN, infinity or a value the columns cannot hold."""

    def __init__(self, *, example="1.10000", **kwargs):
        kwargs.setdefault("required", True)
        kwargs.setdefault("metadata", {}).update(
            type="string",
            format="decimal",
            pattern=f"^{DECIMAL_TEXT.pattern}$",
            maxLength=MAX_DECIMAL_TEXT_LENGTH,
            example=example,
            description="Decimal text (a JSON number is taken too); at most 18 decimal places, below 10^20",
        )
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_decimal(value)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None


class UTCDateTimeInput(ma.fields.AwareDateTime):
    """An ISO-8601 time as a UTC datetime; a time without offset is UTC. Refuses a time whose UTC
    form falls outside the years 1 to 9999 (0001-01-01T00:00:00+05:00, say)."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=timezone.utc, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc)
        except OverflowError:
            raise ma.ValidationError("Must be a time between the years 1 and 9999 in UTC.") from None


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
