"""`flask reconcile`: clean when the money adds up; exit 1 naming the broken check when the database is
tampered with behind the services' back.

The tampering goes through the ORM models, so Decimals are bound the way the app binds them (TEXT on
SQLite, NUMERIC on PostgreSQL). Each test expects exactly the checks its change breaks, no more.
"""

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from orders_app.domain.enums import Bucket, EntryType, OrderStatus
from orders_app.domain.funds import DEPOSITS_ACCOUNT, VENUE_ACCOUNT
from orders_app.extensions import db
from orders_app.models import Balance, LedgerEntry, Order, Trade

MISMATCH_LINE = re.compile(
    r"^MISMATCH (?P<check>[^:]+): (?P<subject>.+): expected (?P<expected>\S+), found (?P<found>\S+)$"
)

BALANCE_VS_LEDGER = "balance equals its ledger entries"
MOVEMENT_BALANCED = "movement sums to zero"
NOT_NEGATIVE = "no negative user balance"
HELD_VS_ORDERS = "held equals open orders' holds"
ORDER_HOLD = "order's hold in the ledger"
PENDING_VS_TRADES = "pending equals unsettled trades' proceeds"
TOTAL_VS_DEPOSITS = "asset total equals deposits"

DEPOSIT = Decimal("500")


def reconcile(runner):
    """Run `flask reconcile`; returns (exit code, output, {(check, subject): (expected, found)})."""
    result = runner.invoke(args=["reconcile"])
    mismatches = {}
    for line in result.output.splitlines():
        if line.startswith("MISMATCH"):
            match = MISMATCH_LINE.match(line)
            assert match, f"unreadable report line: {line!r}"
            mismatches[match["check"], match["subject"]] = (Decimal(match["expected"]), Decimal(match["found"]))
    return result.exit_code, result.output, mismatches


def assert_clean(runner):
    exit_code, output, mismatches = reconcile(runner)
    assert (exit_code, mismatches) == (0, {}), output
    assert output.splitlines()[-1] == "Result: clean", output
    return output


def assert_mismatches(runner, expected):
    """Exit 1, exactly the `expected` {(check, subject): (expected, found)}, and a summary that counts them."""
    exit_code, output, mismatches = reconcile(runner)
    assert exit_code == 1, output
    assert mismatches == expected, output
    assert output.splitlines()[-1] == f"Result: {len(expected)} mismatch(es)", output


def tamper(app, change):
    """Apply change(session) in its own transaction, as someone editing the database directly would."""
    with app.app_context():
        change(db.session)
        db.session.commit()


def balance(session, account_id, asset):
    return session.get(Balance, (account_id, asset), populate_existing=True)


def post_entry(session, account_id, asset, amount, *, movement_id, bucket=Bucket.AVAILABLE, type=EntryType.TRADE):
    """Add one ledger entry and move the balance with it, so the balance still equals its entries."""
    row = balance(session, account_id, asset)
    after = row.bucket(bucket) + amount
    row.set_bucket(bucket, after)
    session.add(
        LedgerEntry(
            movement_id=movement_id,
            type=type,
            account_id=account_id,
            asset=asset,
            bucket=bucket,
            amount=amount,
            balance_after=after,
        )
    )


@dataclass
class Traded:
    alice: object
    bob: object
    resting_order_id: str  # alice's EUR/USD BUY, open with 500 left at 1.10000: it holds 550 USD
    usd_deposited: Decimal  # every USD credited by deposits, as reconcile should count it


@pytest.fixture
def traded(make_user, place_order, post_trade, client, fund, app):
    """Two users after a cross, an execution report with a price improvement, an amend, a MARKET order,
    a cancel and an operator deposit; alice is left with one resting order."""
    alice, bob = make_user("alice"), make_user("bob")
    resting = place_order(alice, side="BUY", amount="1000", price="1.10000")
    crossing = place_order(bob, side="SELL", amount="400", price="1.09990")
    assert (crossing["status"], crossing["filledAmount"]) == ("FILLED", "400")
    reported = post_trade(alice, resting, "100", "1.09980")
    assert reported.status_code == 201, reported.get_json()

    offer = place_order(bob, pair="BTC/USD", side="SELL", amount="0.5000", price="65000.00")
    amended = client.put(f"/orders/{offer['orderId']}", json={"price": "64990.00"}, headers=bob.headers)
    assert amended.status_code == 200, amended.get_json()
    bought = place_order(alice, pair="BTC/USD", side="BUY", type="MARKET", amount="0.1000", price=None)
    assert (bought["status"], bought["filledAmount"]) == ("FILLED", "0.1000")
    cancelled = client.delete(f"/orders/{offer['orderId']}", headers=bob.headers)
    assert cancelled.status_code == 200, cancelled.get_json()

    fund(alice, "USD", DEPOSIT)
    starting_usd = app.config["STARTING_BALANCES"]["USD"]
    return Traded(alice, bob, resting["orderId"], usd_deposited=2 * starting_usd + DEPOSIT)


def user_uuid(user):
    return uuid.UUID(user.id)


# --- clean ------------------------------------------------------------------------------------------------


def test_a_fresh_database_reconciles_clean(runner):
    output = assert_clean(runner)

    assert output.splitlines()[0] == (
        "Reconciliation: 0 balances, 0 ledger entries, 0 movements, 0 orders, 0 unsettled trades"
    ), output


def test_trading_cancels_amends_execution_reports_and_deposits_reconcile_clean(runner, traded, balances_of):
    output = assert_clean(runner)

    counted = {name: int(count) for count, name in re.findall(r"(\d+) ([a-z ]+?)(?:,|$)", output.splitlines()[0])}
    assert counted["orders"] == 4 and counted["unsettled trades"] == 0, output
    assert counted["balances"] > 0 and counted["ledger entries"] > counted["movements"] > 0, output
    assert balances_of(traded.alice)["USD"]["held"] == Decimal("550")


def test_reconcile_changes_nothing(runner, traded, balances_of):
    before = (balances_of(traded.alice), balances_of(traded.bob))

    assert_clean(runner)
    assert_clean(runner)

    assert (balances_of(traded.alice), balances_of(traded.bob)) == before


# --- tampered ---------------------------------------------------------------------------------------------


def test_a_balance_changed_without_a_ledger_entry_is_reported(app, runner, traded):
    alice = user_uuid(traded.alice)
    stored = {}

    def raise_available(session):
        row = balance(session, alice, "USD")
        stored["available"] = row.available
        row.available += Decimal("0.01")

    tamper(app, raise_available)

    found = stored["available"] + Decimal("0.01")
    assert_mismatches(
        runner,
        {
            (BALANCE_VS_LEDGER, f"{alice} USD available"): (stored["available"], found),
            (TOTAL_VS_DEPOSITS, "USD"): (traded.usd_deposited, traded.usd_deposited + Decimal("0.01")),
        },
    )


def test_a_deleted_ledger_entry_is_reported(app, runner, traded):
    alice = user_uuid(traded.alice)
    deleted = {}

    def delete_the_deposit_credit(session):
        entry = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.account_id == alice, LedgerEntry.type == EntryType.DEPOSIT, LedgerEntry.asset == "USD")
            .order_by(LedgerEntry.seq.desc())
        ).first()
        assert entry.amount == DEPOSIT
        deleted["movement"] = entry.movement_id
        deleted["available"] = balance(session, alice, "USD").available
        session.delete(entry)

    tamper(app, delete_the_deposit_credit)

    assert_mismatches(
        runner,
        {
            (BALANCE_VS_LEDGER, f"{alice} USD available"): (deleted["available"] - DEPOSIT, deleted["available"]),
            (MOVEMENT_BALANCED, f"movement {deleted['movement']} USD"): (Decimal(0), -DEPOSIT),
        },
    )


@pytest.mark.parametrize(
    "change, status, still_held",
    [
        pytest.param({"status": OrderStatus.CANCELLED}, "CANCELLED", Decimal(0), id="closed without a release"),
        pytest.param(
            {"filled_amount": Decimal("600")}, "PARTIALLY_FILLED", Decimal("440"), id="filled without a trade"
        ),
    ],
)
def test_an_order_whose_hold_no_longer_matches_is_reported(app, runner, traded, change, status, still_held):
    alice = user_uuid(traded.alice)
    order_id = uuid.UUID(traded.resting_order_id)

    def edit_order(session):
        order = session.get(Order, order_id)
        assert (order.filled_amount, order.status) == (Decimal("500"), OrderStatus.PARTIALLY_FILLED)
        for name, value in change.items():
            setattr(order, name, value)

    tamper(app, edit_order)

    held_in_ledger = Decimal("550")  # 500 left x 1.10000
    assert_mismatches(
        runner,
        {
            (ORDER_HOLD, f"order {order_id} ({status})"): (still_held, held_in_ledger),
            (HELD_VS_ORDERS, f"{alice} USD"): (still_held, held_in_ledger),
        },
    )


def test_an_unbalanced_movement_is_reported(app, runner, traded):
    alice = user_uuid(traded.alice)
    movement_id = uuid.uuid4()

    tamper(app, lambda session: post_entry(session, alice, "USD", Decimal("7"), movement_id=movement_id))

    assert_mismatches(
        runner,
        {
            (MOVEMENT_BALANCED, f"movement {movement_id} USD"): (Decimal(0), Decimal("7")),
            (TOTAL_VS_DEPOSITS, "USD"): (traded.usd_deposited, traded.usd_deposited + Decimal("7")),
        },
    )


def test_a_negative_user_balance_is_reported_even_when_the_ledger_agrees(app, runner, traded):
    alice = user_uuid(traded.alice)
    movement_id = uuid.uuid4()
    overdrawn = Decimal("5")

    def pay_the_venue_more_than_available(session):
        amount = balance(session, alice, "USD").available + overdrawn
        post_entry(session, alice, "USD", -amount, movement_id=movement_id)
        post_entry(session, VENUE_ACCOUNT, "USD", amount, movement_id=movement_id)

    tamper(app, pay_the_venue_more_than_available)

    assert_mismatches(runner, {(NOT_NEGATIVE, f"{alice} USD available"): (Decimal(0), -overdrawn)})


def test_an_unsettled_trade_without_pending_proceeds_is_reported(app, runner, traded):
    alice, bob = user_uuid(traded.alice), user_uuid(traded.bob)

    def unsettle_the_cross(session):
        trade = session.scalars(
            select(Trade).where(
                Trade.buy_order_id.is_not(None), Trade.sell_order_id.is_not(None), Trade.pair == "EUR/USD"
            )
        ).one()
        assert (trade.amount, trade.price) == (Decimal("400"), Decimal("1.10000"))
        trade.settled_at = None

    tamper(app, unsettle_the_cross)

    assert_mismatches(
        runner,
        {
            (PENDING_VS_TRADES, f"{alice} EUR"): (Decimal("400"), Decimal(0)),
            (PENDING_VS_TRADES, f"{bob} USD"): (Decimal("440"), Decimal(0)),
        },
    )


def test_money_credited_without_a_deposit_is_reported(app, runner, traded):
    alice = user_uuid(traded.alice)
    movement_id = uuid.uuid4()

    def credit_from_the_deposits_account_as_a_trade(session):
        post_entry(session, DEPOSITS_ACCOUNT, "USD", Decimal("-3"), movement_id=movement_id)
        post_entry(session, alice, "USD", Decimal("3"), movement_id=movement_id)

    tamper(app, credit_from_the_deposits_account_as_a_trade)

    assert_mismatches(
        runner, {(TOTAL_VS_DEPOSITS, "USD"): (traded.usd_deposited, traded.usd_deposited + Decimal("3"))}
    )
