"""Randomised concurrent trading in one process leaves books that reconcile, and no balance ever negative.

Several threads, each with its own test client, send a random mix of requests for several users at
once: LIMIT orders priced around the mid so that many cross (GTC, IOC, FOK), MARKET orders, cancels,
amends and execution reports on the user's own open orders, operator deposits, and orders or amends
that need more than exists in the whole system, which must be refused with 422. Every response must be
one the API documents for that request; a 500 fails the test.

Afterwards `flask reconcile` must report clean, and the API must agree with it: nobody's balance is
negative, each user's held amounts are what their open orders hold, and each asset's total over the
users is what was deposited plus what execution reports brought in from the venue. The ledger must show
that no user's bucket was negative at any moment either: every entry's balance_after is at least zero
and follows from the entry before it.

The seed is printed (shown when the test fails); TRADING_SEED=<seed> replays the same random choices,
though not the same interleaving.
"""

import json

import pytest
from sqlalchemy import select
from trading_load import (
    PAGE_SIZE,
    USERS,
    assert_api_agrees,
    assert_ledger_never_went_negative,
    check_replies,
    replayable_seed,
    senders_through_the_test_client,
    trade_concurrently,
)

from orders_app.extensions import db
from orders_app.models import LedgerEntry


@pytest.fixture
def seed():
    return replayable_seed()


def all_orders(client, headers):
    orders, page = [], 1
    while True:
        response = client.get("/orders", query_string={"page": page, "page_size": PAGE_SIZE}, headers=headers)
        assert response.status_code == 200, response.get_json()
        orders += response.get_json()
        if page >= json.loads(response.headers["X-Pagination"]).get("total_pages", 0):
            return orders
        page += 1


def balances(client, headers):
    response = client.get("/balances", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {row["asset"]: row for row in response.get_json()}


def test_randomised_concurrent_trading_reconciles_clean(app, client, runner, make_user, operator, balances_of, seed):
    users = [make_user() for _ in range(USERS)]

    send_for_thread = senders_through_the_test_client(app, users, operator)

    everything, memory = trade_concurrently(send_for_thread, [user.username for user in users], seed)
    check_replies(everything, seed)

    reconciled = runner.invoke(args=["reconcile"])
    assert (reconciled.exit_code, reconciled.output.splitlines()[-1:]) == (0, ["Result: clean"]), (
        f"seed {seed}:\n{reconciled.output}"
    )

    everyone = [*users, operator]  # the operator started funded like any other user
    for user in everyone:
        for asset, buckets in balances_of(user).items():
            assert min(buckets.values()) >= 0, f"seed {seed}: {user.username} {asset} {buckets}"
    accounts = [(user.username, balances(client, user.headers), all_orders(client, user.headers)) for user in everyone]
    assert_api_agrees(accounts, app.config["STARTING_BALANCES"], memory.deposited, seed)

    with app.app_context():
        entries = db.session.execute(
            select(LedgerEntry.account_id, LedgerEntry.asset, LedgerEntry.bucket, LedgerEntry.amount,
                   LedgerEntry.balance_after).order_by(LedgerEntry.seq)  # fmt: skip
        ).all()
    assert_ledger_never_went_negative(entries, seed)
