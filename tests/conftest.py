"""Shared fixtures: a fresh, migrated database per test on SQLite or PostgreSQL, clients, users.

`pytest --db sqlite` (default) or `pytest --db postgresql`, which needs TEST_DATABASE_URL.
"""

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from orders_app import create_app
from orders_app.config import normalise_database_url
from orders_app.extensions import db, socketio
from orders_app.realtime.rooms import ORDERS_NAMESPACE

from app_settings import ORDER_DEFAULTS, app_config

DEFAULT_PASSWORD = "correct horse battery"
DATA_TABLES = ("account_events", "account_event_sequences", "book_changes", "ledger_entries", "balances", "trades", "orders", "users")


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "postgresql"), default="sqlite", help="database the suite runs on")


def pytest_report_header(config):
    return f"database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def db_kind(request):
    return request.config.getoption("--db")


def migrate(database_url, instance_path):
    """Bring a database to the latest migration with its instruments, the way `make run` does."""
    app = create_app(app_config(database_url, instance_path))
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(db_kind, tmp_path_factory):
    """A database at the latest migration: a template file for SQLite, the test schema for PostgreSQL."""
    instance = tmp_path_factory.mktemp("instance")
    if db_kind == "postgresql":
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.fail("--db postgresql needs TEST_DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/test")
        url = normalise_database_url(os.environ["TEST_DATABASE_URL"])
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate(url, instance)
        return url
    template = instance / "template.db"
    migrate(f"sqlite:///{template}", instance)
    return template


@pytest.fixture
def database_url(db_kind, migrated_database, tmp_path):
    """A fresh database for one test: a copy of the template, or emptied PostgreSQL tables."""
    if db_kind == "postgresql":
        engine = create_engine(migrated_database)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return migrated_database
    path = tmp_path / "orders.db"
    shutil.copyfile(migrated_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(app_config(database_url, tmp_path / "instance"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class TestUser:
    id: str
    username: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.access_token}"}


@pytest.fixture
def make_user(client):
    """Register and log in a new user: make_user() or make_user("alice")."""

    def make(username=None, password=DEFAULT_PASSWORD):
        username = username or f"user_{uuid.uuid4().hex[:10]}"
        registered = client.post("/auth/register", json={"username": username, "password": password})
        assert registered.status_code == 201, registered.get_json()
        tokens = client.post("/auth/login", json={"username": username, "password": password}).get_json()
        return TestUser(
            id=registered.get_json()["userId"],
            username=username,
            password=password,
            access_token=tokens["accessToken"],
            refresh_token=tokens["refreshToken"],
        )

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def other_user(make_user):
    return make_user("bob")




@pytest.fixture
def post_order(client):
    """POST /orders as `user` with ORDER_DEFAULTS overridden by `fields`; returns the raw response.
    A field given as None is left out of the body."""

    def post(user, **fields):
        body = {key: value for key, value in {**ORDER_DEFAULTS, **fields}.items() if value is not None}
        return client.post("/orders", json=body, headers=user.headers)

    return post


@pytest.fixture
def place_order(post_order):
    """POST /orders as `user`, asserting success; returns the order JSON."""

    def place(user, **fields):
        response = post_order(user, **fields)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return place


@pytest.fixture
def post_trade(client):
    """POST an execution report for `order` (its JSON or its id) as `user`; returns the raw response."""

    def post(user, order, executed_amount, executed_price):
        order_id = order["orderId"] if isinstance(order, dict) else order
        body = {"executedAmount": executed_amount, "executedPrice": executed_price}
        return client.post(f"/orders/{order_id}/trades", json=body, headers=user.headers)

    return post


@pytest.fixture
def make_app(database_url, tmp_path):
    """Another app on this test's database with settings overridden, e.g.
    make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=5)) or an unreachable SQLALCHEMY_DATABASE_URI.
    Socket.IO is a module-level extension: it follows the app built last."""
    built = []

    def make(**overrides):
        new_app = create_app(app_config(database_url, tmp_path / f"instance-{len(built) + 1}", **overrides))
        built.append(new_app)
        return new_app

    yield make
    for built_app in built:
        with built_app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def socket_client(app, client):
    """A Socket.IO test client on /orders authenticated as `user` (or with the raw `auth` given)."""
    opened = []

    def connect(user=None, auth=None):
        if auth is None and user is not None:
            auth = {"token": user.access_token}
        sio = socketio.test_client(app, namespace=ORDERS_NAMESPACE, auth=auth, flask_test_client=client)
        opened.append(sio)
        if sio.is_connected(ORDERS_NAMESPACE) and "afterSeq" not in auth:
            # A connection without afterSeq starts with the account's SNAPSHOT, and only then live events.
            first = sio.get_received(ORDERS_NAMESPACE)
            assert [packet["name"] for packet in first] == ["SNAPSHOT"], first
            sio.snapshot = first[0]["args"][0]
        return sio

    yield connect
    for sio in opened:
        if sio.is_connected(ORDERS_NAMESPACE):
            sio.disconnect(namespace=ORDERS_NAMESPACE)


class UtcTimestamp:
    """Equal to any UTC ISO-8601 timestamp, so a whole payload can be compared in one assertion."""

    PATTERN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)")

    def __eq__(self, other):
        return isinstance(other, str) and self.PATTERN.fullmatch(other) is not None

    def __repr__(self):
        return "<UTC ISO-8601 timestamp>"


@pytest.fixture
def utc_timestamp():
    return UtcTimestamp()


@pytest.fixture(autouse=True)
def fresh_books(request):
    """Start every test with empty order books. Each app holds its own books, but the instruments rows
    outlive a test on PostgreSQL (only the data tables are emptied): their sequences start again at 0."""
    if "database_url" in request.fixturenames and request.getfixturevalue("db_kind") == "postgresql":
        engine = create_engine(request.getfixturevalue("database_url"))
        with engine.begin() as connection:
            connection.execute(text("UPDATE instruments SET sequence = 0, last_trade_price = NULL"))
        engine.dispose()


@pytest.fixture
def order_book(client):
    """order_book(pair="EUR/USD", **query) -> GET /orderbook as the public sees it (no token), asserting 200."""

    def fetch(pair="EUR/USD", **query):
        response = client.get("/orderbook", query_string={"pair": pair, **query})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return fetch


@pytest.fixture
def book_levels(order_book):
    """book_levels(pair="EUR/USD") -> (bids, asks), every level as (price, amount, orderCount), best first."""

    def as_tuples(levels):
        return [(level["price"], level["amount"], level["orderCount"]) for level in levels]

    def read(pair="EUR/USD"):
        book = order_book(pair, depth=100)
        return as_tuples(book["bids"]), as_tuples(book["asks"])

    return read


@pytest.fixture
def carol(make_user):
    """A third user, for a book with more than two owners in it."""
    return make_user("carol")


@pytest.fixture
def fund(app):
    """fund(user, "USD", "1000000"): credit a user beyond the starting balances, as an operator deposit would."""
    from orders_app.services import balances

    def credit(user, asset, amount):
        with app.app_context():
            balances.deposit(username=user.username, asset=asset, amount=Decimal(str(amount)))

    return credit


@pytest.fixture
def balances_of(app):
    """balances_of(user) -> {asset: {"available", "held", "pending", "total"}} as Decimals, read from the database."""
    from orders_app.services import balances

    def read(user):
        with app.app_context():
            rows = balances.list_balances(user_id=uuid.UUID(user.id))
            return {
                row.asset: {"available": row.available, "held": row.held, "pending": row.pending, "total": row.total}
                for row in rows
            }

    return read


@pytest.fixture
def operator(make_user, runner):
    """A user with the operator role, granted the way an administrator would: `flask create-operator`."""
    staff = make_user("olivia")
    result = runner.invoke(args=["create-operator", "olivia"])
    assert result.exit_code == 0, result.output
    return staff
