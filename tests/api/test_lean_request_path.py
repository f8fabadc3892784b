"""An ordinary request authenticates from its token's claims alone, with no database round trip, and uses
at most one pooled connection; the operator role and refreshing a token are still checked against the
database, so a role taken away or an account removed counts at once."""

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from api_checks import assert_error
from orders_app.domain.enums import Role
from orders_app.extensions import db
from orders_app.models import User


@contextmanager
def recorded_sql(app):
    """The SQL statements the app sends while the block runs, and how many pooled connections it takes."""
    with app.app_context():
        engine = db.engine
    statements, checkouts = [], []

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    def on_checkout(*_args):
        checkouts.append(1)

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine.pool, "checkout", on_checkout)
    try:
        yield statements, checkouts
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine.pool, "checkout", on_checkout)


def touching_users(statements):
    return [statement for statement in statements if "users" in statement.lower()]


def test_who_am_i_answers_from_the_token_without_touching_the_database(app, client, user):
    with recorded_sql(app) as (statements, checkouts):
        response = client.get("/auth/me", headers=user.headers)

    assert response.get_json() == {"userId": user.id, "username": user.username}
    assert (statements, checkouts) == ([], [])


@pytest.mark.parametrize("path", ["/orders", "/balances", "/transactions", "/positions"])
def test_authenticated_reads_never_look_the_user_up(app, client, user, path):
    with recorded_sql(app) as (statements, checkouts):
        response = client.get(path, headers=user.headers)

    assert response.status_code == 200, response.get_json()
    assert touching_users(statements) == []
    assert len(checkouts) == 1


def test_placing_an_order_takes_one_pooled_connection_and_no_user_lookup(app, client, user, other_user, place_order):
    place_order(other_user, side="SELL", amount="100", price="1.10000")

    with recorded_sql(app) as (statements, checkouts):
        response = client.post(
            "/orders",
            json={"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "100", "price": "1.10000"},
            headers=user.headers,
        )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "FILLED"
    assert touching_users(statements) == []
    assert len(checkouts) == 1


def set_role(app, username, role):
    with app.app_context():
        db.session.execute(text("UPDATE users SET role = :role WHERE username = :name"), {"role": role.value, "name": username})
        db.session.commit()


def test_an_operator_whose_role_is_taken_away_is_refused_with_the_same_token(app, client, operator, user):
    deposit = {"username": user.username, "asset": "USD", "amount": "10"}
    assert client.post("/admin/deposits", json=deposit, headers=operator.headers).status_code == 201

    set_role(app, operator.username, Role.USER)

    assert_error(client.post("/admin/deposits", json=deposit, headers=operator.headers), 403)


def test_a_role_granted_counts_on_a_token_issued_before(app, client, user):
    deposit = {"username": user.username, "asset": "USD", "amount": "10"}
    assert_error(client.post("/admin/deposits", json=deposit, headers=user.headers), 403)

    set_role(app, user.username, Role.OPERATOR)

    assert client.post("/admin/deposits", json=deposit, headers=user.headers).status_code == 201


def test_the_refresh_token_of_an_account_that_no_longer_exists_is_401(app, client, make_user):
    gone = make_user()
    with app.app_context():
        # Balances and the ledger hold no foreign key to users (models/account.py says why).
        db.session.delete(db.session.get(User, uuid.UUID(gone.id)))
        db.session.commit()

    response = client.post("/auth/refresh", headers={"Authorization": f"Bearer {gone.refresh_token}"})

    assert_error(response, 401)


def test_a_refreshed_token_carries_the_stored_username(client, user):
    response = client.post("/auth/refresh", headers={"Authorization": f"Bearer {user.refresh_token}"})

    assert response.status_code == 200, response.get_json()
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {response.get_json()['accessToken']}"})
    assert me.get_json()["username"] == user.username


def test_no_pooled_connection_is_pinged_on_checkout_unless_asked(make_app):
    # Building the app opens no connection, so any PostgreSQL URL will do.
    url = "postgresql://postgres@127.0.0.1:5432/test"

    assert make_app(SQLALCHEMY_DATABASE_URI=url).config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False
    pinging = make_app(SQLALCHEMY_DATABASE_URI=url, DB_POOL_PRE_PING=True)
    assert pinging.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
