"""HEARTBEAT: every HEARTBEAT_SECONDS, {event, serverTime} to every client of this process on /orders and /market.

A client that hears nothing for a few heartbeats knows its connection is dead, not that the market is
quiet. Each process beats for its own clients (publish_locally), so a client gets one heartbeat per
period however many processes run. One beat loop per app, started with its Socket.IO server; it ends
once another app has taken the Socket.IO extension over (tests create many apps in one process).
"""

import logging

from ..extensions import socketio
from ..models.types import utcnow
from . import events
from .notify import publish_locally
from .rooms import MARKET_NAMESPACE, ORDERS_NAMESPACE

log = logging.getLogger(__name__)
NAMESPACES = (ORDERS_NAMESPACE, MARKET_NAMESPACE)


def start(app):
    """Start the app's heartbeat, unless HEARTBEAT_SECONDS is 0."""
    period = app.config["HEARTBEAT_SECONDS"]
    if period > 0:
        socketio.start_background_task(_beat_forever, socketio.server, period)


def beat():
    """One heartbeat to every client of this process, on both namespaces."""
    payload = events.heartbeat(at=utcnow())
    for namespace in NAMESPACES:
        publish_locally(events.HEARTBEAT, payload, namespace=namespace, room=None)


def _beat_forever(server, period):
    while True:
        socketio.sleep(period)
        if socketio.server is not server:
            return  # a newer app serves Socket.IO in this process now
        try:
            beat()
        except Exception:
            log.exception("Heartbeat failed")
