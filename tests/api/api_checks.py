"""Assertions and checked requests shared by the API tests."""

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import jwt as pyjwt
from werkzeug.http import HTTP_STATUS_CODES

ORDER_FIELDS = {
    "orderId",
    "clientOrderId",
    "pair",
    "side",
    "type",
    "amount",
    "price",
    "filledAmount",
    "remainingAmount",
    "averagePrice",
    "status",
    "createdAt",
    "updatedAt",
    "trades",
}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
TRADE_FIELDS = {"tradeId", "executedAmount", "executedPrice", "executedAt", "settled", "settledAt"}
# What a stack trace, a driver error or a SQL statement would put in a response body.
LEAK_MARKERS = ("Traceback", "File \"", "sqlalchemy", "sqlite3", "psycopg2", "OperationalError", "SELECT ", "INSERT ")


def assert_no_leak(response):
    text = response.get_data(as_text=True)
    for marker in LEAK_MARKERS:
        assert marker not in text, f"response leaks {marker!r}: {text[:500]}"


def assert_error(response, status, field=None, location="json"):
    """The response is `status` in the {code, status, message, errors?} shape, blaming `field` if given."""
    body = response.get_json()
    assert response.status_code == status, body
    assert body["code"] == status
    assert body["status"] == HTTP_STATUS_CODES[status]
    assert isinstance(body["message"], str) and body["message"]
    assert "msg" not in body
    assert set(body) <= {"code", "status", "message", "errors"}, body
    if field is not None:
        assert field in body["errors"][location], body
    assert_no_leak(response)
    return body


def assert_utc_timestamp(text):
    """An ISO-8601 timestamp with an explicit zero UTC offset; returns it parsed."""
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0), text
    return moment


def assert_uuid(text):
    assert str(uuid.UUID(text)) == text


def total_traded(order):
    return sum((Decimal(trade["executedAmount"]) for trade in order["trades"]), Decimal(0))


def order_ids(orders):
    return [order["orderId"] for order in orders]


def fetch_order(client, user, order_id):
    """GET /orders/{order_id} as `user`, asserting 200; returns the order JSON."""
    response = client.get(f"/orders/{order_id}", headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def fill(post_trade, user, order, amount, price="1.10000"):
    """Record an execution report, asserting 201; returns the updated order JSON."""
    response = post_trade(user, order, amount, price)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["order"]


def money(available, held, pending, total):
    """One asset's balance as balances_of reads it."""
    return {
        "available": Decimal(available),
        "held": Decimal(held),
        "pending": Decimal(pending),
        "total": Decimal(total),
    }


def latest_revision(app):
    """The head of the app's migrations: what `flask init-db` brings a database to."""
    from alembic.script import ScriptDirectory

    migrate = app.extensions["migrate"]
    with app.app_context():
        return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_current_head()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def signed_token(
    key, subject, *, username="someone", token_type="access", lifetime=timedelta(minutes=5), algorithm="HS256"
):
    """A token with the claims the app issues (flask-jwt-extended's and the username), signed with `key`."""
    now = datetime.now(timezone.utc)
    claims = {
        "sub": subject,
        "username": username,
        "type": token_type,
        "fresh": False,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
    }
    return pyjwt.encode(claims, key, algorithm=algorithm)
