"""Socket.IO namespaces, as classes."""

from uuid import UUID

from flask_jwt_extended import decode_token
# Flask-SocketIO's ConnectionRefusedError, not the built-in: only it carries the reason to the client.
from flask_socketio import ConnectionRefusedError, Namespace, join_room

from ..services.accounts import find_user
from .notify import ORDERS_NAMESPACE, user_room


class OrdersNamespace(Namespace):
    """A user's private stream of order and trade events; connect with auth={"token": accessToken}."""

    def on_connect(self, auth=None):
        user_id = _authenticated_user_id(auth)
        join_room(user_room(user_id))

    def on_disconnect(self, *_reason):
        pass


def _authenticated_user_id(auth):
    token = auth.get("token") if isinstance(auth, dict) else None
    if not token:
        raise ConnectionRefusedError("Authentication required: connect with auth={'token': accessToken}.")
    try:
        claims = decode_token(token)
    except Exception:
        raise ConnectionRefusedError("Invalid or expired token.") from None
    if claims.get("type") != "access":
        raise ConnectionRefusedError("An access token is required, not a refresh token.")
    try:
        user = find_user(UUID(claims["sub"]))
    except (KeyError, TypeError, ValueError):
        user = None
    if user is None:
        raise ConnectionRefusedError("The token's user no longer exists.")
    return user.id


def register_namespaces(socketio):
    """Attach every namespace to the SocketIO server."""
    socketio.on_namespace(OrdersNamespace(ORDERS_NAMESPACE))
