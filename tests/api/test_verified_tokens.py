"""A token the server has verified once is taken again without decoding it afresh
(orders_app/verified_tokens.py): that must never make the server accept what the full check refuses."""

import time
from datetime import timedelta

from api_checks import assert_error, bearer, signed_token

PASSWORD = "correct horse battery"


def test_a_token_keeps_working_for_every_request_of_its_lifetime(client, user):
    for _ in range(3):
        assert client.get("/auth/me", headers=user.headers).get_json()["username"] == user.username


def test_a_token_that_expires_between_two_requests_is_401_on_the_second(app, client, user):
    token = signed_token(app.config["JWT_SECRET_KEY"], user.id, username=user.username, lifetime=timedelta(seconds=1))
    assert client.get("/orders", headers=bearer(token)).status_code == 200

    time.sleep(1.5)  # past its exp (the default leeway is 0)
    body = assert_error(client.get("/orders", headers=bearer(token)), 401)

    assert "expired" in body["message"].lower()


def test_a_verified_token_with_one_character_of_its_signature_changed_is_401(app, client, user):
    assert client.get("/orders", headers=user.headers).status_code == 200
    header, payload, signature = user.access_token.split(".")
    changed = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    assert_error(client.get("/orders", headers=bearer(f"{header}.{payload}.{changed}")), 401)
    assert client.get("/orders", headers=user.headers).status_code == 200


def test_a_token_verified_by_one_app_is_401_on_an_app_with_another_key(client, user, make_app):
    assert client.get("/orders", headers=user.headers).status_code == 200
    other = make_app(JWT_SECRET_KEY="another-key-" + "z" * 40)

    assert_error(other.test_client().get("/orders", headers=user.headers), 401)


def test_a_verified_refresh_token_is_still_refused_as_an_access_token(client, user):
    assert client.post("/auth/refresh", headers=bearer(user.refresh_token)).status_code == 200

    assert_error(client.get("/orders", headers=bearer(user.refresh_token)), 401)
    assert client.post("/auth/refresh", headers=bearer(user.refresh_token)).status_code == 200


def test_a_verified_access_token_is_still_refused_for_refreshing(client, user):
    assert client.get("/orders", headers=user.headers).status_code == 200

    assert_error(client.post("/auth/refresh", headers=user.headers), 401)
