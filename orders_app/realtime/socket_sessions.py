"""How long an /orders socket may hear its user's private events: the token behind each connection.

This module owns, for the sockets this process serves:
- which user each connection speaks for and until when: the `exp` of the access token it connected
  or last re-authenticated with (`reauth {token}` moves it later);
- the clock of each connection: `TOKEN_EXPIRING {expiresAt}` shortly before (SOCKET_TOKEN_EXPIRY_WARNING_SECONDS,
  at most half the token's life), then at `exp`, unless re-authenticated, it leaves the user's room, gets
  `TOKEN_EXPIRED` and is disconnected. One background task per token, which finds on waking whether a
  `reauth` or a disconnect has made it moot;
- the check on delivery: every emit to a user's room skips a connection whose token has expired, so no
  private event reaches it even in the instant before its task runs (`attach`);
- closing every socket of a disabled or deleted user, in every process: here at once, and in the others
  through REDIS_URL's Redis (a channel of its own; python-socketio's queue can only disconnect a socket
  whose id the sender knows, and only the process holding it knows that).

A token is checked against the database (does its user exist, is it disabled) when the socket connects
and on every `reauth`; in between, its signed `exp` is what counts, as for REST requests.
"""

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import redis
from flask import current_app
from flask_jwt_extended import decode_token
# Flask-SocketIO's ConnectionRefusedError, not the built-in: only it carries the reason to the client.
from flask_socketio import ConnectionRefusedError

from ..extensions import socketio
from ..services.accounts import ACCOUNT_DISABLED, account_refusal
from .rooms import ORDERS_NAMESPACE, user_room

TOKEN_EXPIRING = "TOKEN_EXPIRING"
TOKEN_EXPIRED = "TOKEN_EXPIRED"
ACCOUNT_CLOSED = "ACCOUNT_DISABLED"
CLOSE_USER_CHANNEL = "orders_app:close-user-sockets"
LISTENER_RETRY_SECONDS = 1.0
CONNECTING_WAIT_SECONDS = 30.0  # how long a socket closed while still connecting may take to finish connecting
CONNECTING_POLL_SECONDS = 0.05

log = logging.getLogger(__name__)


class TokenRefused(Exception):
    """A token a socket may not use; `code` is what a `reauth` ack says, `message` what a person reads."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(eq=False)
class _Session:
    """One connection's standing: replaced whole on `reauth`, so a task holding an old one knows it is moot."""

    user_id: uuid.UUID
    expires_at: float  # the token's `exp`, seconds since the epoch; inf for a token that never expires
    warn_at: float
    connected: bool = False  # on_connect has accepted it

    def deliverable(self, now):
        return now < self.expires_at


def expires_at_text(expires_at):
    return datetime.fromtimestamp(expires_at, timezone.utc).isoformat()


def access_token_claims(token):
    """The claims of a valid access token, or TokenRefused saying what is wrong with it."""
    if not token or not isinstance(token, str):
        raise TokenRefused("TOKEN_REQUIRED", "Authentication required: send {'token': accessToken}.")
    try:
        claims = decode_token(token)
    except Exception:
        raise TokenRefused("INVALID_TOKEN", "Invalid or expired token.") from None
    if claims.get("type") != "access":
        raise TokenRefused("NOT_AN_ACCESS_TOKEN", "An access token is required, not a refresh token.")
    try:
        user_id = uuid.UUID(claims["sub"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise TokenRefused("USER_GONE", "The token's user no longer exists.") from None
    return user_id, claims


class SocketSessions:
    """The sessions of one Socket.IO server's /orders connections in this process."""

    def __init__(self):
        self._sessions = {}  # sid -> _Session
        self._lock = threading.Lock()
        self._listening_to = None  # the Redis URL whose close-user channel this process follows
        self._server = None  # the python-socketio server of these sockets (attach)

    # ------------------------------------------------------------ connect, reauth, disconnect

    def open(self, sid, auth):
        """Accept a connection's token (ConnectionRefusedError otherwise) and start its clock; the user id."""
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            user_id, claims = access_token_claims(token)
        except TokenRefused as refusal:
            message = refusal.message
            if refusal.code == "TOKEN_REQUIRED":
                message = "Authentication required: connect with auth={'token': accessToken}."
            raise ConnectionRefusedError(message) from None
        self._follow_other_processes()
        session = self._session(user_id, claims)
        # Registered before the database is read: a disable committed after that read closes this session
        # (close_user), one committed before it shows in the read. Either way the socket does not survive.
        with self._lock:
            self._sessions[sid] = session
        refusal = account_refusal(user_id)
        with self._lock:
            if refusal is None and self._sessions.get(sid) is not session:
                refusal = ACCOUNT_DISABLED  # closed by a disable while the read ran
            if refusal is not None:
                self._sessions.pop(sid, None)
                raise ConnectionRefusedError(refusal)
            session.connected = True
        self._watch(sid, session)
        return user_id

    def reauthenticate(self, sid, data):
        """`reauth {token}`: a fresh access token of the same user moves the connection's expiry later.

        The ack is {ok: true, expiresAt} or {ok: false, code, message}; a refused token changes nothing,
        except that a token showing the user disabled or deleted closes the connection.
        """
        with self._lock:
            current = self._sessions.get(sid)
        if current is None:
            return _refused("SESSION_EXPIRED", "This connection's token has expired; connect again.")
        token = data.get("token") if isinstance(data, dict) else None
        try:
            user_id, claims = access_token_claims(token)
        except TokenRefused as refusal:
            return _refused(refusal.code, refusal.message)
        if user_id != current.user_id:
            return _refused("DIFFERENT_USER", "The token belongs to another user than this connection's.")
        refusal = account_refusal(user_id)
        if refusal is not None:
            self.close_user(user_id)
            code = "ACCOUNT_DISABLED" if refusal == ACCOUNT_DISABLED else "USER_GONE"
            return _refused(code, refusal)
        renewed = self._session(user_id, claims)
        with self._lock:
            current = self._sessions.get(sid)
            if current is None:
                return _refused("SESSION_EXPIRED", "This connection's token has expired; connect again.")
            if renewed.expires_at <= current.expires_at:
                return {"ok": True, "expiresAt": expires_at_text(current.expires_at)}  # an older token: no change
            renewed.connected = current.connected
            self._sessions[sid] = renewed
        self._watch(sid, renewed)
        return {"ok": True, "expiresAt": expires_at_text(renewed.expires_at)}

    def forget(self, sid):
        """The connection closed: its task finds nothing to do when it wakes."""
        with self._lock:
            self._sessions.pop(sid, None)

    def is_authenticated(self, sid):
        """Whether the connection's token is still good: for anything sent to one socket directly."""
        with self._lock:
            session = self._sessions.get(sid)
        return session is not None and session.deliverable(time.time())

    # ------------------------------------------------------------ delivery

    def attach(self, server):
        """Serve the sockets of `server` (python-socketio's), and check every delivery to a user's room.

        Its own server, not whichever the module-level extension holds now: tests build several apps.
        """
        self._server = server
        self._guard_deliveries(server.manager)

    def _guard_deliveries(self, manager):
        """Make every emit to a user's room, in this process, skip the connections whose token expired.

        Private events reach a socket only through its user's room, whichever process emitted them: the
        message queue hands them to this process's manager, whose get_participants lists the room's
        sockets. Filtering there covers every path, and costs a dictionary lookup per recipient.
        """
        participants = manager.get_participants

        def current_participants(namespace, room):
            if namespace != ORDERS_NAMESPACE or not (isinstance(room, str) and room.startswith(user_room(""))):
                yield from participants(namespace, room)
                return
            now = time.time()
            for sid, eio_sid in participants(namespace, room):
                session = self._sessions.get(sid)
                if session is not None and session.deliverable(now):
                    yield sid, eio_sid

        manager.get_participants = current_participants

    # ------------------------------------------------------------ closing a user's sockets

    def close_user(self, user_id):
        """Close this process's sockets of `user_id`: out of the room, ACCOUNT_DISABLED, disconnected."""
        with self._lock:
            closing = [sid for sid, session in self._sessions.items() if session.user_id == user_id]
            sessions = [self._sessions.pop(sid) for sid in closing]
        payload = {"event": ACCOUNT_CLOSED, "message": ACCOUNT_DISABLED, "timestamp": _now_text()}
        for sid, session in zip(closing, sessions):
            if session.connected:  # one still in on_connect is refused there instead
                self._close(sid, user_id, ACCOUNT_CLOSED, payload)

    def _follow_other_processes(self):
        """With REDIS_URL, listen (once) for other processes closing a user's sockets."""
        url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
        if not url or self._listening_to == url:
            return
        with self._lock:
            if self._listening_to == url:
                return
            self._listening_to = url
        pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CLOSE_USER_CHANNEL)  # before the first socket is accepted, so none is missed
        except redis.RedisError:
            log.exception("Could not subscribe to %s; retrying in the background", CLOSE_USER_CHANNEL)
        self._server.start_background_task(self._listen, pubsub)

    def _listen(self, pubsub):
        while True:
            try:
                if not pubsub.subscribed:
                    pubsub.subscribe(CLOSE_USER_CHANNEL)
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        self.close_user(uuid.UUID(message["data"].decode()))
            except Exception:
                log.exception("Listening on %s failed; listening again", CLOSE_USER_CHANNEL)
                self._server.sleep(LISTENER_RETRY_SECONDS)

    # ------------------------------------------------------------ the clock

    def _session(self, user_id, claims):
        # Seconds since the epoch, as the token states them (PyJWT has checked they are numbers).
        expires_at = claims["exp"] if claims.get("exp") is not None else math.inf
        issued_at = claims.get("iat", time.time())
        warning = min(current_app.config["SOCKET_TOKEN_EXPIRY_WARNING_SECONDS"], (expires_at - issued_at) / 2)
        return _Session(user_id=user_id, expires_at=expires_at, warn_at=expires_at - max(warning, 0))

    def _watch(self, sid, session):
        if session.expires_at != math.inf:
            self._server.start_background_task(self._run_clock, sid, session)

    def _run_clock(self, sid, session):
        self._sleep_until(session.warn_at)
        if not self._still(sid, session):
            return
        payload = {"event": TOKEN_EXPIRING, "expiresAt": expires_at_text(session.expires_at)}
        self._emit_to(sid, TOKEN_EXPIRING, payload)
        self._sleep_until(session.expires_at)
        with self._lock:
            if self._sessions.get(sid) is not session:
                return  # re-authenticated or gone meanwhile
            del self._sessions[sid]
        payload = {
            "event": TOKEN_EXPIRED,
            "expiresAt": expires_at_text(session.expires_at),
            "message": "The access token expired; connect again with a fresh one.",
        }
        self._close(sid, session.user_id, TOKEN_EXPIRED, payload)

    def _sleep_until(self, deadline):
        while (remaining := deadline - time.time()) > 0:
            self._server.sleep(remaining)

    def _still(self, sid, session):
        with self._lock:
            return self._sessions.get(sid) is session

    # ------------------------------------------------------------ sending

    def _emit_to(self, sid, name, payload):
        try:
            self._server.emit(name, payload, to=sid, namespace=ORDERS_NAMESPACE, ignore_queue=True)
        except Exception:
            log.exception("Could not send %s to %s", name, sid)

    def _close(self, sid, user_id, name, payload):
        """Leave the user's room first, so nothing private follows the notice; then disconnect."""
        if self._server.manager.is_pre_connected(sid, ORDERS_NAMESPACE):
            # Still inside on_connect (past the account check): python-socketio cannot disconnect it yet.
            # Its session is gone, so it hears nothing private meanwhile; close it once it is connected.
            self._server.start_background_task(self._close_once_connected, sid, user_id, name, payload)
            return
        self._close_now(sid, user_id, name, payload)

    def _close_once_connected(self, sid, user_id, name, payload):
        deadline = time.time() + CONNECTING_WAIT_SECONDS
        while self._server.manager.is_pre_connected(sid, ORDERS_NAMESPACE) and time.time() < deadline:
            self._server.sleep(CONNECTING_POLL_SECONDS)
        self._close_now(sid, user_id, name, payload)

    def _close_now(self, sid, user_id, name, payload):
        server = self._server
        try:
            server.leave_room(sid, user_room(user_id), namespace=ORDERS_NAMESPACE)
            self._emit_to(sid, name, payload)
            server.disconnect(sid, namespace=ORDERS_NAMESPACE, ignore_queue=True)
        except Exception:
            log.exception("Could not close socket %s", sid)


def _refused(code, message):
    return {"ok": False, "code": code, "message": message}


def _now_text():
    return datetime.now(timezone.utc).isoformat()


def _sessions_of_this_server():
    handler = socketio.server.namespace_handlers.get(ORDERS_NAMESPACE) if socketio.server else None
    return getattr(handler, "sessions", None)


def close_user_sockets(user_id):
    """Close every /orders socket of `user_id` (disabled or deleted), in this process and, through
    REDIS_URL's Redis, in every other. Call it after the change committed."""
    sessions = _sessions_of_this_server()
    if sessions is not None:
        sessions.close_user(user_id)
    url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return
    client = redis.Redis.from_url(url)
    try:
        client.publish(CLOSE_USER_CHANNEL, str(user_id))
    except redis.RedisError:
        # The account is disabled all the same: those sockets close when their tokens expire (a reauth
        # reads the database and is refused).
        log.exception("Could not tell other processes to close the sockets of %s", user_id)
    finally:
        client.close()
