"""Every failure answers in the {code, status, message, errors?} JSON shape and leaks nothing."""

import pytest

from api_checks import UNKNOWN_ID, assert_error

BROKEN_JSON = ['{"pair": "EUR/USD",', "{'single': 'quotes'}", "not json at all", '{"a": 1} trailing']


@pytest.fixture
def unreachable_database_app(make_app, tmp_path):
    """A production-like app (errors are answered, not raised) whose database cannot be opened."""
    return make_app(TESTING=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no-such-directory' / 'orders.db'}")


@pytest.mark.parametrize("path", ["/nope", "/orders/extra/segments/here", "/auth"])
def test_unknown_route_is_404_in_the_error_shape(client, user, path):
    assert_error(client.get(path, headers=user.headers), 404)


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/instruments"),
        ("delete", "/orders"),
        ("patch", f"/orders/{UNKNOWN_ID}"),
        ("put", f"/orders/{UNKNOWN_ID}/trades"),
        ("get", f"/orders/{UNKNOWN_ID}/status"),
        ("get", "/auth/login"),
        ("post", "/health"),
    ],
)
def test_wrong_method_is_405_in_the_error_shape(client, user, method, path):
    assert_error(getattr(client, method)(path, headers=user.headers), 405)


@pytest.mark.parametrize("text", BROKEN_JSON)
def test_invalid_json_body_is_400_in_the_error_shape(client, text):
    response = client.post("/auth/register", data=text, content_type="application/json")

    assert_error(response, 400)


@pytest.mark.parametrize("path_template", ["/orders", "/orders/{id}/trades", "/orders/{id}/status"])
def test_invalid_json_on_order_endpoints_is_400(client, place_order, user, path_template):
    order = place_order(user)
    path = path_template.format(id=order["orderId"])
    method = client.patch if path.endswith("/status") else client.post

    response = method(path, data=BROKEN_JSON[0], content_type="application/json", headers=user.headers)

    assert_error(response, 400)


def test_json_body_that_is_not_an_object_is_rejected_in_the_error_shape(client, user):
    response = client.post("/orders", data="[1, 2]", content_type="application/json", headers=user.headers)

    assert_error(response, 422)


def test_server_error_answers_500_in_the_error_shape_without_internals(unreachable_database_app):
    response = unreachable_database_app.test_client().post(
        "/auth/login", json={"username": "alice", "password": "correct horse battery"}
    )

    assert_error(response, 500)


def test_server_error_behind_authentication_leaks_nothing(unreachable_database_app, user):
    response = unreachable_database_app.test_client().get("/orders", headers=user.headers)

    assert_error(response, 500)
