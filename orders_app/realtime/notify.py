"""The one place that emits to Socket.IO clients; called only with committed changes."""

import logging

from ..extensions import socketio

log = logging.getLogger(__name__)


def publish(events):
    """Send each event to its room, in order.

    The change is already committed, so a failure to deliver (a message queue that is
    down) is logged rather than turned into an error for a request that succeeded.
    """
    for event in events:
        try:
            socketio.emit(event.name, event.payload, namespace=event.namespace, to=event.room)
        except Exception:
            log.exception("Could not publish %s to %s", event.name, event.room)


def publish_locally(name, payload, *, namespace, room):
    """Emit to this process's clients only, bypassing the message queue.

    For data every process computes for its own subscribers (book snapshots), which would
    otherwise reach each client once per process.
    """
    try:
        socketio.emit(name, payload, namespace=namespace, to=room, ignore_queue=True)
    except Exception:
        log.exception("Could not publish %s to %s", name, room)
