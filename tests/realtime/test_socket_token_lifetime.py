"""A socket lives as long as its token, and longer when it sends `reauth` with a fresh one: warned with
TOKEN_EXPIRING, then at expiry out of its user's room, TOKEN_EXPIRED and disconnected. Access tokens here live
TOKEN_SECONDS, so every wait is short; each has a generous timeout and none measures how long anything took."""

import time
from datetime import datetime, timedelta

import jwt
import pytest

from app_settings import app_config
from orders_app import create_app
from orders_app.extensions import db, socketio
from orders_app.realtime.rooms import ORDERS_NAMESPACE
from waiting import wait_until

TOKEN_SECONDS = 3


@pytest.fixture
def app(database_url, tmp_path):
    """The suite's app with access tokens of TOKEN_SECONDS (the warning then comes at half their life)."""
    app = create_app(app_config(database_url, tmp_path / "instance", JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=TOKEN_SECONDS)))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def seen(sio):
    """Every (event name, payload) the socket has received so far, without taking them off its queue."""
    return [(packet["name"], packet["args"][0]) for packet in list(sio.queue) if packet["namespace"] == ORDERS_NAMESPACE]


def names_seen(sio):
    return [name for name, _payload in seen(sio)]


def wait_for(sio, name):
    """The payload of the first `name` the socket received, waiting for it to arrive."""
    wait_until(lambda: name in names_seen(sio), f"{name} on the socket")
    return next(payload for event, payload in seen(sio) if event == name)


def expiry_of(token):
    return jwt.decode(token, options={"verify_signature": False})["exp"]


def wait_past(epoch_seconds):
    """Wait until the wall clock is past `epoch_seconds` (a token's exp)."""
    wait_until(lambda: time.time() > epoch_seconds + 0.2, f"the clock passing {epoch_seconds}")


def fresh_access_token(client, user):
    response = client.post("/auth/refresh", headers={"Authorization": f"Bearer {user.refresh_token}"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["accessToken"]


def reauth(sio, token):
    return sio.emit("reauth", {"token": token}, namespace=ORDERS_NAMESPACE, callback=True)


def sessions_of(app):
    return socketio.server.namespace_handlers[ORDERS_NAMESPACE].sessions


def as_user(user, token):
    """The user calling REST with another access token of theirs."""
    return type(user)(user.id, user.username, user.password, token, user.refresh_token)


def test_a_socket_that_sends_reauth_outlives_its_first_token_and_still_gets_its_events(client, user, socket_client, place_order):
    sio = socket_client(user)
    first_expiry = expiry_of(user.access_token)
    warning = wait_for(sio, "TOKEN_EXPIRING")
    assert warning == {"event": "TOKEN_EXPIRING", "expiresAt": warning["expiresAt"]}
    assert datetime.fromisoformat(warning["expiresAt"]).timestamp() == first_expiry

    fresh = fresh_access_token(client, user)
    ack = reauth(sio, fresh)

    assert ack == {"ok": True, "expiresAt": ack["expiresAt"]}
    assert datetime.fromisoformat(ack["expiresAt"]).timestamp() == expiry_of(fresh) > first_expiry
    wait_past(first_expiry)
    order = place_order(as_user(user, fresh_access_token(client, user)))
    wait_until(lambda: "ORDER_CREATED" in names_seen(sio), "ORDER_CREATED after the first token's expiry")
    assert sio.is_connected(ORDERS_NAMESPACE)
    assert "TOKEN_EXPIRED" not in names_seen(sio)
    assert [payload["orderId"] for name, payload in seen(sio) if name == "ORDER_CREATED"] == [order["orderId"]]


def test_a_socket_that_does_not_reauth_is_warned_then_told_its_token_expired_and_disconnected(user, socket_client):
    sio = socket_client(user)
    expiry = expiry_of(user.access_token)

    expired = wait_for(sio, "TOKEN_EXPIRED")
    wait_until(lambda: not sio.is_connected(ORDERS_NAMESPACE), "the server disconnecting the socket")

    assert names_seen(sio) == ["TOKEN_EXPIRING", "TOKEN_EXPIRED"]
    warning = seen(sio)[0][1]
    assert warning == {"event": "TOKEN_EXPIRING", "expiresAt": expired["expiresAt"]}
    assert datetime.fromisoformat(expired["expiresAt"]).timestamp() == expiry
    assert expired["event"] == "TOKEN_EXPIRED" and expired["message"]
    assert time.time() >= expiry


def test_after_its_token_expired_a_socket_gets_none_of_its_users_events_while_a_renewed_one_does(
    client, user, socket_client, place_order
):
    renewed, expiring = socket_client(user), socket_client(user)
    expiry = expiry_of(user.access_token)
    wait_for(expiring, "TOKEN_EXPIRING")
    assert reauth(renewed, fresh_access_token(client, user))["ok"] is True

    wait_for(expiring, "TOKEN_EXPIRED")
    order = place_order(as_user(user, fresh_access_token(client, user)))

    wait_until(lambda: "ORDER_CREATED" in names_seen(renewed), "ORDER_CREATED on the renewed socket")
    assert [payload["orderId"] for name, payload in seen(renewed) if name == "ORDER_CREATED"] == [order["orderId"]]
    assert "ORDER_CREATED" not in names_seen(expiring)
    assert not expiring.is_connected(ORDERS_NAMESPACE)
    assert time.time() > expiry


def test_an_event_sent_after_expiry_but_before_the_socket_is_closed_is_not_delivered_to_it(
    app, client, user, socket_client, place_order
):
    renewed, expiring = socket_client(user), socket_client(user)
    expiry = expiry_of(user.access_token)
    wait_for(expiring, "TOKEN_EXPIRING")
    assert reauth(renewed, fresh_access_token(client, user))["ok"] is True
    fresh_rest_user = as_user(user, fresh_access_token(client, user))

    # Hold the sessions' lock: the expiring socket's clock cannot close it, as on a server too busy to run it
    # on time. Delivery itself takes no lock, and must still see that the token has expired.
    with sessions_of(app)._lock:
        wait_past(expiry)
        order = place_order(fresh_rest_user)
        wait_until(lambda: "ORDER_CREATED" in names_seen(renewed), "ORDER_CREATED on the renewed socket")
        assert expiring.is_connected(ORDERS_NAMESPACE)  # not closed yet: only the delivery check stood in the way

    wait_for(expiring, "TOKEN_EXPIRED")
    assert [payload["orderId"] for name, payload in seen(renewed) if name == "ORDER_CREATED"] == [order["orderId"]]
    assert "ORDER_CREATED" not in names_seen(expiring)


# Each builds the token a client sends in `reauth`, from the connection's user and another user.
REFUSED_REAUTH = {
    "another user's access token": (lambda user, other: other.access_token, "DIFFERENT_USER"),
    "a refresh token": (lambda user, other: user.refresh_token, "NOT_AN_ACCESS_TOKEN"),
    "garbage": (lambda user, other: "not.a.jwt", "INVALID_TOKEN"),
    "no token": (lambda user, other: None, "TOKEN_REQUIRED"),
}


@pytest.mark.parametrize("make_token, code", REFUSED_REAUTH.values(), ids=REFUSED_REAUTH.keys())
def test_reauth_with_a_token_that_is_not_a_fresh_one_of_the_same_user_is_refused_and_changes_nothing(
    client, user, other_user, socket_client, place_order, make_token, code
):
    alice, bob = socket_client(user), socket_client(other_user)

    ack = reauth(alice, make_token(user, other_user))

    assert ack == {"ok": False, "code": code, "message": ack["message"]} and ack["message"]
    place_order(as_user(other_user, fresh_access_token(client, other_user)))
    wait_until(lambda: "ORDER_CREATED" in names_seen(bob), "bob's ORDER_CREATED")
    assert "ORDER_CREATED" not in names_seen(alice)  # not moved into bob's room
    expired = wait_for(alice, "TOKEN_EXPIRED")  # the expiry it had, unchanged
    assert datetime.fromisoformat(expired["expiresAt"]).timestamp() == expiry_of(user.access_token)
