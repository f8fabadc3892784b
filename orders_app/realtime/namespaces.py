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
from .rooms import MARKET_NAMESPACE, ORDERS_NAMESPACE, market_room
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
    """Public market data. Emit `subscribe` {pair} to get BOOK_SNAPSHOT now and every second the
    book has changed, and TRADE for every trade on the pair; `unsubscribe` {pair} to stop."""

    def __init__(self, namespace):
        super().__init__(namespace)
        # This process's subscribers: pair -> {sid: sequence of the last snapshot that client got}.
        self._subscribers = defaultdict(dict)
        self._ticker_started = False
        self._ticker_lock = threading.Lock()

    def on_connect(self, auth=None):
        pass

    def on_subscribe(self, data):
        pair = _pair_of(data)
        if pair is None:
            return {"ok": False, "message": "Emit subscribe with {\"pair\": \"EUR/USD\"}."}
        try:
            snapshot = market.order_book(pair=pair, depth=SNAPSHOT_DEPTH)
        except DomainError as error:
            return {"ok": False, "message": error.message}
        join_room(market_room(pair))  # TRADE events reach the room through the message queue
        emit(BOOK_SNAPSHOT, _snapshot_event(snapshot))
        self._subscribers[pair][request.sid] = snapshot["sequence"]
        self._start_ticker(current_app._get_current_object())
        return {"ok": True, "pair": pair, "sequence": snapshot["sequence"]}

    def on_unsubscribe(self, data):
        pair = _pair_of(data)
        leave_room(market_room(pair))
        self._forget(pair, request.sid)
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


def _snapshot_event(snapshot):
    return {"event": BOOK_SNAPSHOT, **_book_schema.dump(snapshot)}


def register_namespaces(socketio):
    """Attach every namespace to the SocketIO server."""
    orders = OrdersNamespace(ORDERS_NAMESPACE)
    socketio.on_namespace(orders)
    orders.sessions.attach(socketio.server)
    socketio.on_namespace(MarketNamespace(MARKET_NAMESPACE))
