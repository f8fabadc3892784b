"""Who may open the /orders stream: only the holder of a valid access token."""

import time
import uuid

import jwt
import pytest

from orders_app.realtime.rooms import ORDERS_NAMESPACE

OTHER_KEY = "a-key-the-server-never-used-" + "y" * 40


def _resigned(user, key, algorithm="HS256", **changes):
    """The user's access token with some claims changed, signed again with `key`."""
    claims = {**jwt.decode(user.access_token, options={"verify_signature": False}), **changes}
    return {"token": jwt.encode(claims, key, algorithm=algorithm)}


# Each builds the `auth` a client sends, from a real user's tokens and the server's signing key.
REFUSED_AUTH = {
    "no auth": lambda user, key: None,
    "auth that is not an object": lambda user, key: user.access_token,
    "auth without a token": lambda user, key: {"jwt": user.access_token},
    "empty token": lambda user, key: {"token": ""},
    "garbage token": lambda user, key: {"token": "not.a.jwt"},
    "refresh token": lambda user, key: {"token": user.refresh_token},
    "token signed with another key": lambda user, key: _resigned(user, OTHER_KEY),
    "unsigned token": lambda user, key: _resigned(user, None, algorithm="none"),
    "expired token": lambda user, key: _resigned(user, key, exp=int(time.time()) - 60),
    "token of an unknown user": lambda user, key: _resigned(user, key, sub=str(uuid.uuid4())),
    # Only a holder of the signing key can mint this; the HTTP API answers it with 401.
    "token whose subject is not a user id": lambda user, key: _resigned(user, key, sub="alice"),
}


def test_connecting_with_a_valid_access_token_succeeds(user, socket_client):
    sio = socket_client(user)

    assert sio.is_connected(ORDERS_NAMESPACE)


def test_connecting_with_an_access_token_from_refresh_succeeds(client, user, socket_client):
    refreshed = client.post("/auth/refresh", headers={"Authorization": f"Bearer {user.refresh_token}"})
    assert refreshed.status_code == 200, refreshed.get_json()

    sio = socket_client(auth={"token": refreshed.get_json()["accessToken"]})

    assert sio.is_connected(ORDERS_NAMESPACE)


@pytest.mark.parametrize("make_auth", REFUSED_AUTH.values(), ids=REFUSED_AUTH.keys())
def test_connection_without_a_valid_access_token_is_refused(app, user, socket_client, make_auth):
    auth = make_auth(user, app.config["JWT_SECRET_KEY"])

    sio = socket_client(auth=auth)

    assert not sio.is_connected(ORDERS_NAMESPACE)
