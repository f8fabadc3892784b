"""Operators disable and enable users: POST /admin/users/{username}/disable and /enable. A disabled user
cannot log in, refresh or open a socket, and the sockets they have open are closed at once."""

import pytest

from api_checks import assert_error, assert_uuid, assert_utc_timestamp
from waiting import wait_until
from orders_app.realtime.rooms import ORDERS_NAMESPACE



def disable(client, caller, username):
    return client.post(f"/admin/users/{username}/disable", headers=caller.headers)


def enable(client, caller, username):
    return client.post(f"/admin/users/{username}/enable", headers=caller.headers)


def log_in(client, user):
    return client.post("/auth/login", json={"username": user.username, "password": user.password})


def refresh(client, user):
    return client.post("/auth/refresh", headers={"Authorization": f"Bearer {user.refresh_token}"})


def names_seen(sio):
    return [packet["name"] for packet in list(sio.queue) if packet["namespace"] == ORDERS_NAMESPACE]


def test_disabling_a_user_answers_their_account_with_its_time(client, operator, user):
    response = disable(client, operator, "ALICE")  # usernames match in any case

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {"userId": user.id, "username": "alice", "disabled": True, "disabledAt": body["disabledAt"]}
    assert_uuid(body["userId"])
    assert_utc_timestamp(body["disabledAt"])
    assert disable(client, operator, "alice").get_json() == body  # again: still disabled since the first time


def test_a_disabled_user_cannot_log_in_or_refresh(client, operator, user):
    assert disable(client, operator, "alice").status_code == 200

    login = assert_error(log_in(client, user), 401)
    refreshed = assert_error(refresh(client, user), 401)

    assert login["message"] == refreshed["message"] == "This account is disabled."


def test_a_wrong_password_for_a_disabled_user_says_only_that_the_credentials_are_wrong(client, operator, user):
    assert disable(client, operator, "alice").status_code == 200

    response = client.post("/auth/login", json={"username": "alice", "password": "not the password"})

    assert assert_error(response, 401)["message"] == "Invalid username or password."


def test_disabling_a_user_closes_their_open_sockets_at_once_and_no_one_elses(client, operator, user, other_user, socket_client, place_order):
    alice_first, alice_second, bob = socket_client(user), socket_client(user), socket_client(other_user)

    assert disable(client, operator, "alice").status_code == 200

    for sio in (alice_first, alice_second):
        assert not sio.is_connected(ORDERS_NAMESPACE)
        assert names_seen(sio) == ["ACCOUNT_DISABLED"]
    assert bob.is_connected(ORDERS_NAMESPACE)
    place_order(other_user)
    wait_until(lambda: "ORDER_CREATED" in names_seen(bob), "bob's ORDER_CREATED")


def test_a_disabled_users_access_token_opens_no_socket_and_renews_none(client, operator, user, socket_client):
    open_before = socket_client(user)
    assert disable(client, operator, "alice").status_code == 200

    refused = socket_client(user)  # the access token itself is still unexpired

    assert not refused.is_connected(ORDERS_NAMESPACE)
    assert not open_before.is_connected(ORDERS_NAMESPACE)


def test_enabling_a_user_again_lets_them_log_in_and_connect(client, operator, user, socket_client):
    assert disable(client, operator, "alice").status_code == 200

    response = enable(client, operator, "alice")

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"userId": user.id, "username": "alice", "disabled": False, "disabledAt": None}
    login = log_in(client, user)
    assert login.status_code == 200, login.get_json()
    assert refresh(client, user).status_code == 200
    sio = socket_client(auth={"token": login.get_json()["accessToken"]})
    assert sio.is_connected(ORDERS_NAMESPACE)


@pytest.mark.parametrize("action", [disable, enable], ids=["disable", "enable"])
def test_only_an_operator_may_disable_or_enable_a_user(client, user, other_user, socket_client, action):
    sio = socket_client(other_user)

    assert_error(action(client, user, "bob"), 403)

    assert sio.is_connected(ORDERS_NAMESPACE)
    assert log_in(client, other_user).status_code == 200


@pytest.mark.parametrize("action", [disable, enable], ids=["disable", "enable"])
def test_disabling_or_enabling_an_unknown_user_is_404(client, operator, action):
    assert_error(action(client, operator, "nobody_here"), 404)


def test_an_operator_cannot_disable_their_own_account(client, operator):
    assert_error(disable(client, operator, "olivia"), 409)

    assert log_in(client, operator).status_code == 200


def test_disable_needs_a_token(client, user):
    assert_error(client.post("/admin/users/alice/disable"), 401)
    assert log_in(client, user).status_code == 200


def test_a_disabled_operators_token_is_refused_by_operator_actions_at_once(client, operator, make_user, runner):
    second = make_user("oscar")
    assert runner.invoke(args=["create-operator", "oscar"]).exit_code == 0
    assert disable(client, second, "olivia").status_code == 200

    refused = assert_error(client.post("/admin/deposits", json={"username": "oscar", "asset": "USD", "amount": "1"}, headers=operator.headers), 401)

    assert refused["message"] == "This account is disabled."
