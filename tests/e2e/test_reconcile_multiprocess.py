"""Randomised concurrent trading through two server processes on one database reconciles clean.

The servers run `python wsgi.py` on the test's database: PostgreSQL with `--db postgresql`, the SQLite
file otherwise (as in test_multiprocess_matching.py). Client threads send a random mix of requests for
several users to either server: LIMIT orders around the mid that often cross (GTC, IOC, FOK), MARKET
orders, cancels, amends and execution reports on the user's own open orders, operator deposits, and
orders or amends needing more than the whole system holds (which must be refused with 422). Every
reply must be one the API documents for its request; a 500 fails the test.

Afterwards `flask --app orders_app reconcile`, run as an operator would with the servers' settings, must
report clean; the API must show no negative balance, held amounts equal to what open orders hold, and
per asset a total of deposits plus what execution reports brought in from the venue; and the ledger
must show no user's bucket below zero at any moment.

The seed is printed (shown when the test fails); TRADING_SEED=<seed> replays the same random choices,
though not the same interleaving.
"""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from trading_load import (
    PAGE_SIZE,
    USERS,
    WAIT_SECONDS,
    assert_api_agrees,
    assert_ledger_never_went_negative,
    check_replies,
    replayable_seed,
    trade_concurrently,
)

from orders_app.models import LedgerEntry

ROOT = Path(__file__).resolve().parents[2]
CLI_TIMEOUT = 60
OPERATOR = ("operator", "operator password 1234")


@pytest.fixture
def seed():
    return replayable_seed()


@pytest.fixture
def servers(start_server):
    return start_server("A"), start_server("B")


def flask_command(server, *args):
    """`flask --app orders_app <args>` in a process of its own, with the settings `server` runs with."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "orders_app", *args],
        cwd=ROOT,
        env=server.environment,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


@pytest.fixture
def operator_token(servers, http_as):
    created = flask_command(servers[0], "create-operator", OPERATOR[0], "--password", OPERATOR[1])
    assert created.returncode == 0, created.stdout + created.stderr
    login = http_as(servers[1].url).post("/auth/login", {"username": OPERATOR[0], "password": OPERATOR[1]})
    assert login.status_code == 200, login.text
    return login.json()["accessToken"]


# --- the load and what the API and the ledger show afterwards -------------------------------------------


def send_through(servers, tokens, operator_token, http_as):
    """send_for_thread for trade_concurrently: each thread gets requests.Sessions of its own, one per
    (server, token), a target being a server's name."""
    server_by_name = {server.name: server for server in servers}

    def send_for_thread():
        connections = {}

        def send(target, user, method, path, body):
            server = server_by_name[target]
            token = operator_token if user is None else tokens[user]
            http = connections.setdefault((server.url, token), http_as(server.url, token))
            response = http.session.request(method, http.url + path, json=body, timeout=WAIT_SECONDS)
            is_json = response.headers.get("Content-Type", "").startswith("application/json")
            return response.status_code, response.json() if is_json else response.text

        return send

    return send_for_thread


def balances(http):
    response = http.get("/balances")
    assert response.status_code == 200, response.text
    return {row["asset"]: row for row in response.json()}


def ledger_entries(database_url):
    """(account id, asset, bucket, amount, balance_after) of every ledger entry in order: read-only,
    from the database the servers share, through the model's column types."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            return session.execute(
                select(LedgerEntry.account_id, LedgerEntry.asset, LedgerEntry.bucket, LedgerEntry.amount,
                       LedgerEntry.balance_after).order_by(LedgerEntry.seq)  # fmt: skip
            ).all()
    finally:
        engine.dispose()


# --- the test -------------------------------------------------------------------------------------------


def test_concurrent_trading_through_two_servers_reconciles_clean(
    servers, operator_token, new_user_token, http_as, database_url, seed
):
    tokens = [new_user_token(servers[index % 2].url) for index in range(USERS)]
    usernames = [http_as(servers[0].url, token).get("/auth/me").json()["username"] for token in tokens]
    starting = {asset: Decimal(row["total"]) for asset, row in balances(http_as(servers[0].url, tokens[0])).items()}

    send_for_thread = send_through(servers, tokens, operator_token, http_as)
    everything, memory = trade_concurrently(send_for_thread, usernames, seed, targets=[s.name for s in servers])
    check_replies(everything, seed)
    assert {s.target for s in everything if s.status in (200, 201)} == {"A", "B"}, f"seed {seed}: one server idle"

    reconciled = flask_command(servers[1], "reconcile")
    assert (reconciled.returncode, reconciled.stdout.splitlines()[-1:]) == (0, ["Result: clean"]), (
        f"seed {seed}:\n{reconciled.stdout}{reconciled.stderr}"
    )

    accounts = []
    for index, token in enumerate([*tokens, operator_token]):
        http = http_as(servers[index % 2].url, token)
        accounts.append((usernames[index] if index < USERS else OPERATOR[0], balances(http), http.every_page("/orders", PAGE_SIZE)))
    assert_api_agrees(accounts, starting, memory.deposited, seed)
    assert_ledger_never_went_negative(ledger_entries(database_url), seed)
