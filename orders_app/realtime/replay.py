"""Replay and the live gate of /orders: every private event after a client's afterSeq, exactly once, in order.

What it owns:
- connect(): a connection joins its user's room behind a closed gate, then gets a SNAPSHOT (no
  afterSeq) or the replay of every stored event after its afterSeq, then REPLAY_COMPLETE {lastSeq};
- resume(): the same replay on a connection already open (`resume {afterSeq}`); two at once run one
  after the other, in the order they arrived;
- the client managers (GatedDelivery, in memory or on Redis) through which every emit passes: private
  events carry `eventSeq`, and each /orders connection has a gate that delivers them live only once
  its replay or snapshot is done, and only those after what it was last sent.

Why there is no duplicate and no gap across the replay's end. Events are stored in the transaction of
their change and published only after its commit; an account's events commit in eventSeq order
(services/event_log.py). While the gate is closed, live events are buffered, not sent. The replay reads
what is committed; the last event it sends is L. An event with eventSeq <= L was sent by the replay,
so its live copy is dropped. An event after L was not committed when the replay read, so it is
published after the gate closed: it is in the buffer, or comes later, and is sent after REPLAY_COMPLETE.
Live events can arrive out of order (two processes publish in turn) or not at all (a message queue
that was down): a gate that meets eventSeq n with n - 1 not yet sent reads the missing ones from the
log first (every number below a committed one is committed), so a connection's events are always
contiguous. A SNAPSHOT works the same way with L = its eventSeq.
"""

import threading

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room
from socketio import Manager, RedisManager

from ..domain.errors import Gone
from ..extensions import db
from ..services import event_log
from .events import REPLAY_COMPLETE, REPLAY_ERROR
from .rooms import ORDERS_NAMESPACE, user_room

REPLAY_PAGE = 500  # events read per query while replaying
USER_ROOM_PREFIX = user_room("")


class _Gate:
    """One /orders connection's live delivery: closed (buffering) during a replay or snapshot, then
    open above its watermark, the eventSeq it was last sent."""

    def __init__(self, account_id):
        self.account_id = account_id
        self.lock = threading.Lock()  # a green lock under eventlet (wsgi.py patches threading)
        # One replay or snapshot at a time: Socket.IO runs each `resume` in a task of its own, and two
        # replays sharing the gate would interleave their pages and open it at either's watermark. The
        # green lock is fair, so replays run in the order their requests arrived.
        self.replaying = threading.Lock()
        self.closed = True
        self.watermark = 0
        self.buffer = []


class GatedDelivery(Manager):
    """A client manager that passes every private /orders event through its connection's gate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = None  # set by client_manager(): the gate reads the log in it
        self._gates = {}  # sid -> _Gate, for this process's /orders connections

    # -- what the server calls -------------------------------------------------------------------

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        seq = data.get("eventSeq") if isinstance(data, dict) else None
        if (
            seq is None
            or namespace != ORDERS_NAMESPACE
            or not isinstance(room, str)
            or not room.startswith(USER_ROOM_PREFIX)
        ):
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
        skipped = list(skip_sid) if isinstance(skip_sid, list) else [skip_sid] if skip_sid else []
        participants = list(self.get_participants(namespace, room))
        gated = [sid for sid, _eio_sid in participants if sid in self._gates]
        if len(gated) < len(participants):
            super().emit(event, data, namespace, room=room, skip_sid=skipped + gated, callback=callback, **kwargs)
        for sid in gated:
            gate = self._gates.get(sid)
            if gate is not None and sid not in skipped:
                with gate.lock:
                    if gate.closed:
                        gate.buffer.append((seq, event, data))
                    else:
                        self._deliver(sid, gate, seq, event, data)

    def basic_disconnect(self, sid, namespace, **kwargs):
        if namespace == ORDERS_NAMESPACE:
            self._gates.pop(sid, None)
        return super().basic_disconnect(sid, namespace, **kwargs)

    # -- what connect() and resume() use ---------------------------------------------------------

    def close_gate(self, sid, account_id=None):
        """Close `sid`'s gate (creating it for `account_id`): live events wait until open_gate."""
        gate = self._gates.get(sid)
        if gate is None:
            gate = self._gates[sid] = _Gate(account_id)
        with gate.lock:
            gate.closed = True
        return gate

    def gate(self, sid):
        return self._gates.get(sid)

    def open_gate(self, sid, gate, watermark, *, first=None):
        """Send `first` (name, payload), then open the gate at `watermark`: what it buffered after
        that goes out in eventSeq order, the rest is dropped."""
        with gate.lock:
            if first is not None:
                self.send(sid, *first)
            gate.watermark = watermark
            gate.closed = False
            buffered, gate.buffer = gate.buffer, []
            for seq, event, data in sorted(buffered, key=lambda item: item[0]):
                self._deliver(sid, gate, seq, event, data)

    def send(self, sid, event, data):
        """Emit to one connection of this process, past the gate and the message queue."""
        super(GatedDelivery, self).emit(event, data, ORDERS_NAMESPACE, room=sid)

    def _deliver(self, sid, gate, seq, event, data):
        if seq <= gate.watermark:
            return  # already sent, by the replay or live
        if seq > gate.watermark + 1:
            # A gap: an earlier event is late or was lost on the way. It is committed, so it is in the log.
            with self.app.app_context(), db.engine.connect() as connection:
                missing = event_log.stored_after(
                    connection, gate.account_id, gate.watermark, seq - gate.watermark - 1, through=seq - 1
                )
            for _seq, name, payload in missing:
                self.send(sid, name, payload)
        self.send(sid, event, data)
        gate.watermark = seq


class OrdersManager(GatedDelivery):
    """One process: Socket.IO's in-memory manager with the gate."""


class RedisOrdersManager(RedisManager, GatedDelivery):
    """Several processes: the Redis manager with the gate. Its pub/sub hands each message to
    GatedDelivery.emit (next in the method order), which delivers to this process's connections."""


def client_manager(app):
    """The client manager for `app`: on Redis when a message queue is configured, in memory otherwise."""
    url = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if url:
        if not url.startswith(("redis://", "rediss://")):
            raise ValueError("REDIS_URL must be a redis:// or rediss:// URL")
        manager = RedisOrdersManager(url, channel="flask-socketio")  # Flask-SocketIO's channel
    else:
        manager = OrdersManager()
    manager.app = app
    return manager


def _manager():
    return current_app.extensions["socketio"].server.manager


def connect(user_id, auth):
    """Join the user's room behind a closed gate; then replay after auth["afterSeq"], or send a SNAPSHOT."""
    after_seq = auth.get("afterSeq") if isinstance(auth, dict) else None
    if after_seq is not None and not _is_seq(after_seq):
        raise ConnectionRefusedError("afterSeq must be a whole number of 0 or more.")
    manager, sid = _manager(), request.sid
    gate = manager.close_gate(sid, user_id)
    with gate.replaying:
        join_room(user_room(user_id))
        if after_seq is None:
            _snapshot(manager, sid, gate)
        else:
            _replay(manager, sid, gate, after_seq)


def resume(data):
    """`resume {afterSeq}` on an open connection: replay after it, then REPLAY_COMPLETE, then live."""
    after_seq = data.get("afterSeq") if isinstance(data, dict) else None
    if not _is_seq(after_seq):
        return {"ok": False, "message": 'Emit resume with {"afterSeq": N}, N a whole number of 0 or more.'}
    manager, sid = _manager(), request.sid
    gate = manager.gate(sid)
    if gate is None:
        return {"ok": False, "message": "Not connected."}
    with gate.replaying:
        manager.close_gate(sid)
        return {"ok": True, "lastSeq": _replay(manager, sid, gate, after_seq)}


def _is_seq(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= event_log.MAX_SEQ


def _snapshot(manager, sid, gate):
    payload = event_log.snapshot(gate.account_id)
    manager.open_gate(sid, gate, payload["eventSeq"], first=(payload["event"], payload))
    return payload["eventSeq"]


def _replay(manager, sid, gate, after_seq):
    """Send every stored event after `after_seq`, then REPLAY_COMPLETE, and open the gate; return lastSeq.
    Events older than the log keeps: REPLAY_ERROR 410, then a SNAPSHOT to start again from."""
    last = after_seq
    with db.engine.connect() as connection:
        while True:
            page = event_log.stored_after(connection, gate.account_id, last, REPLAY_PAGE)
            try:
                # After the read: a prune that took part of what it wanted has committed by now.
                event_log.retained_after(connection, gate.account_id, last)
            except Gone as gone:
                error = {"event": REPLAY_ERROR, "code": 410, "status": "Gone", "message": gone.message}
                manager.send(sid, REPLAY_ERROR, error)
                connection.close()
                return _snapshot(manager, sid, gate)
            connection.commit()  # each page its own short read
            for seq, name, payload in page:
                manager.send(sid, name, payload)
                last = seq
            if len(page) < REPLAY_PAGE:
                break
        if last == after_seq:
            # Nothing after it: a client ahead of the log (a restored database) continues from the log's end.
            last = min(after_seq, event_log.last_seq(connection, gate.account_id))
    manager.open_gate(sid, gate, last, first=(REPLAY_COMPLETE, {"event": REPLAY_COMPLETE, "lastSeq": last}))
    return last
