"""The one place that emits to Socket.IO clients; called only with committed changes."""

import logging

from ..extensions import socketio

ORDERS_NAMESPACE = "/orders"

log = logging.getLogger(__name__)


def user_room(user_id):
    return f"user:{user_id}"


def publish(events):
    """Send each event to its owner's room, in order.

    The change is already committed, so a failure to deliver (a message queue that is
    down) is logged rather than turned into an error for a request that succeeded.
    """
    for event in events:
        try:
            socketio.emit(event.name, event.payload, namespace=ORDERS_NAMESPACE, to=user_room(event.user_id))
        except Exception:
            log.exception("Could not publish %s for user %s", event.name, event.user_id)
