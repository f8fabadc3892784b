import marshmallow as ma
from marshmallow import fields, validate

from ...services.event_log import MAX_SEQ

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class EventsQuerySchema(ma.Schema):
    after_seq = fields.Integer(
        data_key="afterSeq",
        load_default=0,
        validate=validate.Range(min=0, max=MAX_SEQ),
        metadata={"description": "Return the events after this eventSeq: the last one you have (0: from the start)"},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"At most this many events (default {DEFAULT_LIMIT})"},
    )


class EventPageSchema(ma.Schema):
    """A page of the current user's event log (dumps the dict of services.event_log.events_after)."""

    events = fields.List(
        fields.Dict(),
        metadata={
            "description": "Oldest first, each exactly as it was published on Socket.IO /orders: "
            "{event, eventSeq, ..., timestamp}, `event` naming its kind"
        },
    )
    last_seq = fields.Integer(
        data_key="lastSeq",
        metadata={"description": "The eventSeq of the last event in `events` (afterSeq when none): the next afterSeq"},
    )
    has_more = fields.Boolean(
        data_key="hasMore", metadata={"description": "More events follow lastSeq: ask again with afterSeq=lastSeq"}
    )
