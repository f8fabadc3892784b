"""Socket.IO namespaces, as classes."""

import logging
import threading
from collections import defaultdict

from flask import current_app, request
from flask_socketio import Namespace, emit, join_room, leave_room

from ..api.market.schemas import OrderBookSchema
from ..domain.errors import DomainError
from ..extensions import db
from ..services import market
from .events import BOOK_SNAPSHOT
from . import replay
from .notify import publish_locally
from .rooms import (
    LEGACY_CHANNELS,
    MARKET_CHANNELS,
    MARKET_NAMESPACE,
    ORDERS_NAMESPACE,
    market_channel_room,
)
from .socket_sessions import SocketSessions

SNAPSHOT_DEPTH = 5  # the BOOK_SNAPSHOT shape: the REST order book's top five levels
SNAPSHOT_INTERVAL_SECONDS = 1.0

log = logging.getLogger(__name__)
_book_schema = OrderBookSchema()


class OrdersNamespace(Namespace):
    """A user's private stream of order and trade events; connect with auth={"token": accessToken}
    (and "afterSeq": N to replay what followed event N), or emit `resume` {afterSeq} (realtime/replay.py);
    send `reauth` {token} with a fresh token before it expires (realtime/socket_sessions.py keeps the time)."""

    def __init__(self, namespace):
        super().__init__(namespace)
        self.sessions = SocketSessions()

    def on_connect(self, auth=None):
        user_id = self.sessions.open(request.sid, auth)
        replay.connect(user_id, auth)  # joins the user's room; SNAPSHOT, or the replay after afterSeq

    def on_resume(self, data=None):
        if not self.sessions.is_authenticated(request.sid):
            return {"ok": False, "message": "This connection's token has expired; connect again."}
        return replay.resume(data)

    def on_reauth(self, data=None):
        return self.sessions.reauthenticate(request.sid, data)

    def on_disconnect(self, *_reason):
        self.sessions.forget(request.sid)


class MarketNamespace(Namespace):
    """Public market data. Emit `subscribe` {pair, channels?} and `unsubscribe` {pair, channels?}.

    Channels: "book" (BOOK_DELTA after every commit that changed the book), "trades" (TRADE),
    "candles" (CANDLE), "ticker" (TICKER), "snapshots" (BOOK_SNAPSHOT, the top five levels, at once and
    every second while the book has changed). Without `channels`, subscribe means ["snapshots",
    "trades"], as it always has, and unsubscribe means every channel."""

    def __init__(self, namespace):
        super().__init__(namespace)
        # This process's snapshot subscribers: pair -> {sid: sequence of the last snapshot that client got}.
        self._subscribers = defaultdict(dict)
        self._ticker_started = False
        self._ticker_lock = threading.Lock()

    def on_connect(self, auth=None):
        pass

    def on_subscribe(self, data):
        pair = _pair_of(data)
        if pair is None:
            return {"ok": False, "message": "Emit subscribe with {\"pair\": \"EUR/USD\"}."}
        channels = _channels_of(data, LEGACY_CHANNELS)
        if channels is None:
            return {"ok": False, "message": f"channels must be a list of {', '.join(MARKET_CHANNELS)}."}
        try:
            snapshot = market.order_book(pair=pair, depth=SNAPSHOT_DEPTH)
        except DomainError as error:
            return {"ok": False, "message": error.message}
        # Joined before the ack: every event committed after it reaches the client through the message queue.
        for channel in channels:
            if channel != "snapshots":
                join_room(market_channel_room(pair, channel))
        if "snapshots" in channels:
            emit(BOOK_SNAPSHOT, _snapshot_event(snapshot))
            self._subscribers[pair][request.sid] = snapshot["sequence"]
            self._start_ticker(current_app._get_current_object())
        ack = {"ok": True, "pair": pair, "sequence": snapshot["sequence"]}
        if isinstance(data, dict) and "channels" in data:
            ack["channels"] = list(channels)
        return ack

    def on_unsubscribe(self, data):
        pair = _pair_of(data)
        channels = _channels_of(data, MARKET_CHANNELS) or MARKET_CHANNELS
        for channel in channels:
            if channel == "snapshots":
                self._forget(pair, request.sid)
            else:
                leave_room(market_channel_room(pair, channel))
        return {"ok": True, "pair": pair}

    def on_disconnect(self, *_reason):
        for pair in list(self._subscribers):
            self._forget(pair, request.sid)

    def _forget(self, pair, sid):
        clients = self._subscribers.get(pair)
        if clients is not None:
            clients.pop(sid, None)
            if not clients:
                self._subscribers.pop(pair, None)

    def _start_ticker(self, app):
        with self._ticker_lock:
            if self._ticker_started:
                return
            self._ticker_started = True
        self.socketio.start_background_task(self._tick_forever, app)

    def _tick_forever(self, app):
        while True:
            self.socketio.sleep(SNAPSHOT_INTERVAL_SECONDS)
            with app.app_context():
                try:
                    self.send_changed_snapshots()
                except Exception:
                    log.exception("Book snapshot tick failed")
                finally:
                    db.session.remove()

    def send_changed_snapshots(self):
        """A BOOK_SNAPSHOT to each of this process's subscribers whose pair changed since their last one."""
        for pair, clients in list(self._subscribers.items()):
            snapshot = market.order_book(pair=pair, depth=SNAPSHOT_DEPTH)
            sequence = snapshot["sequence"]
            behind = [sid for sid, seen in list(clients.items()) if seen != sequence]
            if not behind:
                continue
            payload = _snapshot_event(snapshot)
            for sid in behind:
                publish_locally(BOOK_SNAPSHOT, payload, namespace=MARKET_NAMESPACE, room=sid)
                clients[sid] = sequence


def _pair_of(data):
    pair = data.get("pair") if isinstance(data, dict) else None
    return pair if isinstance(pair, str) and pair and "\x00" not in pair else None


def _channels_of(data, default):
    """The channels a (un)subscribe names, in MARKET_CHANNELS order; `default` without any; None if malformed."""
    channels = data.get("channels") if isinstance(data, dict) else None
    if channels is None:
        return tuple(default)
    if not isinstance(channels, list) or not channels or any(channel not in MARKET_CHANNELS for channel in channels):
        return None
    return tuple(channel for channel in MARKET_CHANNELS if channel in channels)


def _snapshot_event(snapshot):
    return {"event": BOOK_SNAPSHOT, **_book_schema.dump(snapshot)}


def register_namespaces(socketio):
    """Attach every namespace to the SocketIO server."""
    orders = OrdersNamespace(ORDERS_NAMESPACE)
    socketio.on_namespace(orders)
    orders.sessions.attach(socketio.server)
    socketio.on_namespace(MarketNamespace(MARKET_NAMESPACE))
