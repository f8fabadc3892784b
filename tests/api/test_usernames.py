"""Usernames are case-insensitive: `alice` and `ALICE` are one account, spelt as its owner registered it.

Also migration 0004, which makes them so on an existing database: it keeps the users, and refuses to run,
naming them, while two of them differ only by case.
"""

import uuid
from datetime import datetime, timezone

import argon2
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from api_checks import assert_error, latest_revision
from orders_app.extensions import db
from orders_app.models.types import UTCDateTime

PASSWORD = "correct horse battery"  # the password of the `user` fixture

OLD_USERS = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("username", sa.String()),
    sa.column("password_hash", sa.String()),
    sa.column("role", sa.String()),
    sa.column("created_at", UTCDateTime()),
)


def login(client, username, password=PASSWORD):
    return client.post("/auth/login", json={"username": username, "password": password})


# --- the API ---------------------------------------------------------------------------------


def test_registering_a_name_that_differs_only_by_case_is_409(client, user):
    response = client.post("/auth/register", json={"username": "ALICE", "password": PASSWORD})

    body = assert_error(response, 409, field="username")
    assert "ALICE" in body["message"]


def test_login_in_another_case_is_the_same_account(client, user):
    response = login(client, "ALICE")

    assert response.status_code == 200, response.get_json()
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {response.get_json()['accessToken']}"})
    assert me.get_json() == {"userId": user.id, "username": "alice"}


def test_a_name_keeps_the_case_it_was_registered_in(client, make_user):
    registered = make_user("Alice_Liddell")

    response = login(client, "alice_liddell")

    assert response.status_code == 200, response.get_json()
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {response.get_json()['accessToken']}"})
    assert me.get_json() == {"userId": registered.id, "username": "Alice_Liddell"}


def test_operator_deposit_finds_the_user_whatever_the_case(client, operator, user, balances_of):
    response = client.post(
        "/admin/deposits", json={"username": "Alice", "asset": "BTC", "amount": "1"}, headers=operator.headers
    )

    assert response.status_code == 201, response.get_json()
    assert balances_of(user)["BTC"]["available"] == 3


def test_create_operator_finds_the_user_whatever_the_case(client, runner, user):
    result = runner.invoke(args=["create-operator", "ALICE"])

    assert result.exit_code == 0, result.output
    assert "Registered" not in result.output
    response = client.post(
        "/admin/deposits", json={"username": "alice", "asset": "BTC", "amount": "1"}, headers=user.headers
    )
    assert response.status_code == 201, response.get_json()


def test_seed_uses_a_demo_user_registered_in_another_case(client, runner, make_user):
    make_user("ALICE")

    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0, (result.output, result.exception)
    assert login(client, "alice").status_code == 200  # ALICE keeps her password: seed used her account as it is


def test_the_database_itself_refuses_a_second_name_differing_only_by_case(app, user):
    # What keeps two registrations racing past the service's check from both succeeding.
    with app.app_context(), pytest.raises(IntegrityError):
        with db.engine.begin() as connection:
            connection.execute(OLD_USERS.insert().values(old_user("ALICE", "x")))


# --- migration 0004 --------------------------------------------------------------------------


@pytest.fixture
def database_at_0003(empty_database_url, make_app):
    """database_at_0003(*usernames) -> an app on a database migrated to revision 0003 holding those users,
    each with PASSWORD, written with SQL as that revision's code would have."""

    def build(*usernames):
        app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
        password_hash = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST).hash(PASSWORD)
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory, revision="0003")
            with db.engine.begin() as connection:
                connection.execute(OLD_USERS.insert(), [old_user(name, password_hash) for name in usernames])
        return app

    return build


def old_user(username, password_hash):
    return {
        "id": uuid.uuid4(),
        "username": username,
        "password_hash": password_hash,
        "role": "USER",
        "created_at": datetime.now(timezone.utc),
    }


def revision_and_usernames(app):
    with app.app_context(), db.engine.connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        usernames = connection.execute(text("SELECT username FROM users")).scalars().all()
    return revision, sorted(usernames)


def test_migration_refuses_names_differing_only_by_case_and_names_them(database_at_0003):
    app = database_at_0003("alice", "ALICE", "Bob", "bob", "carol")

    result = app.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 1, result.output
    assert "differ only by case: ALICE / alice; Bob / bob." in result.output
    assert "Rename all but one user in each group" in result.output
    assert revision_and_usernames(app) == ("0003", ["ALICE", "Bob", "alice", "bob", "carol"])


def test_migration_runs_once_the_clashing_users_are_renamed(database_at_0003):
    app = database_at_0003("alice", "ALICE")
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 1
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE users SET username = 'alice_2' WHERE username = 'ALICE'"))

    result = app.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert revision_and_usernames(app) == (latest_revision(app), ["alice", "alice_2"])


def test_migration_keeps_existing_users_who_then_log_in_in_any_case(database_at_0003):
    app = database_at_0003("alice", "Bob")

    result = app.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert revision_and_usernames(app) == (latest_revision(app), ["Bob", "alice"])
    client = app.test_client()
    assert login(client, "bob").status_code == 200
    assert login(client, "ALICE").status_code == 200
    taken = client.post("/auth/register", json={"username": "BOB", "password": PASSWORD})
    assert_error(taken, 409, field="username")
