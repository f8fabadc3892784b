"""Registration, login, refresh, /auth/me, and how every protected endpoint treats bad tokens."""

from datetime import timedelta

import jwt as pyjwt
import pytest

from api_checks import UNKNOWN_ID, assert_error, assert_uuid, bearer, signed_token

PASSWORD = "correct horse battery"
PROTECTED_ENDPOINTS = [
    ("get", "/auth/me"),
    ("get", "/instruments"),
    ("get", "/orders"),
    ("post", "/orders"),
    ("get", f"/orders/{UNKNOWN_ID}"),
    ("patch", f"/orders/{UNKNOWN_ID}/status"),
    ("post", f"/orders/{UNKNOWN_ID}/trades"),
]


def register(client, username, password=PASSWORD):
    return client.post("/auth/register", json={"username": username, "password": password})


def login(client, username, password=PASSWORD):
    return client.post("/auth/login", json={"username": username, "password": password})


# --- register -------------------------------------------------------------------------------


def test_register_returns_201_with_user_id_and_username(client):
    response = register(client, "alice")

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"userId", "username"}
    assert body["username"] == "alice"
    assert_uuid(body["userId"])


def test_password_is_never_returned_by_register_login_or_me(client):
    registered = register(client, "alice")
    tokens = login(client, "alice")
    me = client.get("/auth/me", headers=bearer(tokens.get_json()["accessToken"]))

    for response in (registered, tokens, me):
        text = response.get_data(as_text=True)
        assert PASSWORD not in text
        assert "password" not in text.lower()
        assert "argon2" not in text


def test_registering_a_taken_username_is_409(client):
    register(client, "alice")

    response = register(client, "alice", "another password")

    assert_error(response, 409, field="username")


@pytest.mark.parametrize("username", ["abc", "a" * 32, "Alice_1.b-c", "123"])
def test_usernames_of_3_to_32_allowed_characters_are_accepted(client, username):
    assert register(client, username).status_code == 201


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 33, "has space", "bad!", "émile", "alice\n", "", "a/b"],
    ids=["too-short", "too-long", "space", "bang", "non-ascii", "trailing-newline", "empty", "slash"],
)
def test_usernames_outside_the_rule_are_422(client, username):
    response = register(client, username)

    assert_error(response, 422, field="username")


def test_password_shorter_than_8_characters_is_422(client):
    response = register(client, "alice", "1234567")

    assert_error(response, 422, field="password")


def test_password_of_exactly_8_characters_is_accepted(client):
    assert register(client, "alice", "12345678").status_code == 201


@pytest.mark.parametrize("missing", ["username", "password"])
def test_register_without_a_required_field_is_422(client, missing):
    body = {"username": "alice", "password": PASSWORD}
    del body[missing]

    assert_error(client.post("/auth/register", json=body), 422, field=missing)


def test_register_with_an_unknown_field_is_422(client):
    response = client.post("/auth/register", json={"username": "alice", "password": PASSWORD, "admin": True})

    assert_error(response, 422, field="admin")


# --- login ----------------------------------------------------------------------------------


def test_login_returns_bearer_tokens_valid_for_15_minutes_by_default(client):
    register(client, "alice")

    response = login(client, "alice")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"accessToken", "refreshToken", "tokenType", "expiresIn"}
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 900
    assert body["accessToken"] != body["refreshToken"]


def test_login_expires_in_follows_the_configured_access_token_lifetime(client, make_app):
    register(client, "alice")
    five_minute_app = make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=5))

    response = login(five_minute_app.test_client(), "alice")

    assert response.get_json()["expiresIn"] == 300


def test_wrong_password_and_unknown_user_get_the_identical_401(client):
    register(client, "alice")

    wrong_password = login(client, "alice", "not the password")
    unknown_user = login(client, "nobody", "not the password")

    assert_error(wrong_password, 401)
    assert_error(unknown_user, 401)
    assert wrong_password.get_json() == unknown_user.get_json()


@pytest.mark.parametrize("missing", ["username", "password"])
def test_login_without_a_required_field_is_422(client, missing):
    body = {"username": "alice", "password": PASSWORD}
    del body[missing]

    assert_error(client.post("/auth/login", json=body), 422, field=missing)


# --- refresh and me -------------------------------------------------------------------------


def test_refresh_token_gets_a_new_access_token_that_works(client, user):
    response = client.post("/auth/refresh", headers=bearer(user.refresh_token))

    assert response.status_code == 200
    body = response.get_json()
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 900
    me = client.get("/auth/me", headers=bearer(body["accessToken"]))
    assert me.status_code == 200
    assert me.get_json()["userId"] == user.id


def test_access_token_on_refresh_is_401(client, user):
    response = client.post("/auth/refresh", headers=bearer(user.access_token))

    assert_error(response, 401)


def test_refresh_without_a_token_is_401(client):
    assert_error(client.post("/auth/refresh"), 401)


def test_me_returns_the_token_owner(client, user):
    response = client.get("/auth/me", headers=user.headers)

    assert response.status_code == 200
    assert response.get_json() == {"userId": user.id, "username": user.username}


def test_refresh_token_used_as_access_token_is_401(client, user):
    assert_error(client.get("/orders", headers=bearer(user.refresh_token)), 401)
    assert_error(client.get("/auth/me", headers=bearer(user.refresh_token)), 401)


# --- bad tokens on protected endpoints -----------------------------------------------------


@pytest.mark.parametrize("method, path", PROTECTED_ENDPOINTS)
def test_every_protected_endpoint_without_a_token_is_401(client, method, path):
    response = getattr(client, method)(path, json={})

    assert_error(response, 401)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Basic YWxpY2U6cGFzc3dvcmQ=", "Bearer not-a-jwt", "Bearer a.b.c", "Token abc.def.ghi"],
    ids=["bearer-without-token", "bearer-blank", "basic-auth", "not-a-jwt", "garbage-segments", "wrong-scheme"],
)
def test_malformed_authorization_is_401(client, authorization):
    response = client.get("/orders", headers={"Authorization": authorization})

    assert_error(response, 401)


def test_token_signed_with_another_key_is_401(client, user):
    forged = signed_token("some-other-key-" + "y" * 40, user.id)

    assert_error(client.get("/orders", headers=bearer(forged)), 401)


def test_unsigned_token_is_401(client, user):
    unsigned = signed_token(None, user.id, algorithm="none")

    assert_error(client.get("/orders", headers=bearer(unsigned)), 401)


def test_token_with_a_tampered_subject_is_401(client, user, other_user):
    header, _payload, signature = user.access_token.split(".")
    _header, other_payload, _signature = other_user.access_token.split(".")

    response = client.get("/orders", headers=bearer(f"{header}.{other_payload}.{signature}"))

    assert_error(response, 401)


def test_expired_token_is_401(client, user, make_app):
    expired_app = make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=-1))
    expired = login(expired_app.test_client(), user.username).get_json()["accessToken"]

    body = assert_error(client.get("/orders", headers=bearer(expired)), 401)

    assert "expired" in body["message"].lower()


def test_expired_token_built_with_the_app_key_is_401(app, client, user):
    expired = signed_token(app.config["JWT_SECRET_KEY"], user.id, lifetime=timedelta(seconds=-30))

    assert_error(client.get("/orders", headers=bearer(expired)), 401)


def test_validly_signed_token_whose_subject_is_not_a_user_id_is_401(app, client):
    token = signed_token(app.config["JWT_SECRET_KEY"], "not-a-uuid")

    assert_error(client.get("/orders", headers=bearer(token)), 401)


def test_validly_signed_token_without_a_username_claim_is_401(app, client, user):
    claims = pyjwt.decode(user.access_token, options={"verify_signature": False})
    del claims["username"]
    token = pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")

    assert_error(client.get("/orders", headers=bearer(token)), 401)


def test_a_token_of_an_account_that_no_longer_exists_sees_nothing_and_changes_nothing(app, client, post_order):
    """Only the app can sign a token, so one naming no user means the account was removed after issuing it.
    Requests authenticate from the claims without a database read, so until the token expires it reads as
    an empty account; it can place nothing, and it cannot be refreshed."""
    token = signed_token(app.config["JWT_SECRET_KEY"], UNKNOWN_ID)
    refresh = signed_token(app.config["JWT_SECRET_KEY"], UNKNOWN_ID, token_type="refresh")

    assert client.get("/orders", headers=bearer(token)).get_json() == []
    placed = client.post(
        "/orders",
        json={"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "1", "price": "1.10000"},
        headers=bearer(token),
    )
    assert_error(placed, 422, "amount")
    assert_error(client.post("/auth/refresh", headers=bearer(refresh)), 401)


def test_validly_signed_token_with_the_app_key_is_accepted(app, client, user):
    """Control for the forged-token tests: the claims built here are the ones the app issues."""
    token = signed_token(app.config["JWT_SECRET_KEY"], user.id, username=user.username)

    assert client.get("/orders", headers=bearer(token)).status_code == 200
