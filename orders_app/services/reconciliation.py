"""Checks that the money adds up: `flask reconcile`.

Every check reads one snapshot of the database (REPEATABLE READ on PostgreSQL; one read transaction on
SQLite, whose WAL gives it a snapshot), so a reconcile running beside live trading sees a consistent
state, never half a transaction.

The invariants:
1. Each balance bucket (available, held, pending) equals the sum of its ledger entries.
2. Each movement sums to zero in every asset: money only moves between accounts.
3. No user's bucket is negative.
4. A user's held amount of an asset equals what their open orders still hold (domain/funds.py: hold_for).
5. Each order's hold, traced through the ledger entries that name it, equals what it should still
   hold: the whole hold while open, nothing once closed.
6. A user's pending amount equals the proceeds of their unsettled trades.
7. Each asset's total across users and the venue equals what was deposited of it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..domain.decimals import EXACT_PRECISION
from ..domain.enums import Bucket, EntryType
from ..domain.funds import DEPOSITS_ACCOUNT, SYSTEM_ACCOUNTS, hold_asset, hold_for, is_system_account
from ..extensions import db
from ..models import Balance, Instrument, LedgerEntry, Order, Trade

ZERO = Decimal(0)
BUCKETS = (Bucket.AVAILABLE, Bucket.HELD, Bucket.PENDING)


@dataclass(frozen=True)
class Mismatch:
    check: str
    subject: str
    expected: Decimal
    actual: Decimal


@dataclass
class Report:
    mismatches: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @property
    def clean(self):
        return not self.mismatches

    def expect(self, check, subject, expected, actual):
        if expected != actual:
            self.mismatches.append(Mismatch(check, subject, expected, actual))

    def lines(self):
        yield "Reconciliation: " + ", ".join(f"{count} {name}" for name, count in self.counts.items())
        for m in self.mismatches:
            yield f"MISMATCH {m.check}: {m.subject}: expected {m.expected}, found {m.actual}"
        yield "Result: clean" if self.clean else f"Result: {len(self.mismatches)} mismatch(es)"


def reconcile():
    """Run every check against one snapshot of the database and return the Report."""
    session = db.session
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        with localcontext(prec=EXACT_PRECISION):
            return _check(session)
    finally:
        session.rollback()


def _check(session):
    report = Report()
    balances = {(b.account_id, b.asset): b for b in session.scalars(select(Balance))}
    ledger = defaultdict(Decimal)  # (account, asset, bucket) -> sum
    movements = defaultdict(Decimal)  # (movement, asset) -> sum
    order_holds = defaultdict(Decimal)  # order id -> sum of its HELD entries
    deposited = defaultdict(Decimal)  # asset -> credited to users by deposits
    entries = 0
    rows = session.execute(
        select(
            LedgerEntry.account_id,
            LedgerEntry.asset,
            LedgerEntry.bucket,
            LedgerEntry.amount,
            LedgerEntry.movement_id,
            LedgerEntry.type,
            LedgerEntry.order_id,
        ).execution_options(yield_per=10_000)
    )
    for account_id, asset, bucket, amount, movement_id, entry_type, order_id in rows:
        entries += 1
        ledger[(account_id, asset, bucket)] += amount
        movements[(movement_id, asset)] += amount
        if bucket is Bucket.HELD and order_id is not None:
            order_holds[order_id] += amount
        if entry_type is EntryType.DEPOSIT and account_id == DEPOSITS_ACCOUNT:
            deposited[asset] -= amount

    # 1 and 3
    for account_id, asset in sorted(set(balances) | {(a, s) for a, s, _ in ledger}):
        balance = balances.get((account_id, asset))
        for bucket in BUCKETS:
            stored = balance.bucket(bucket) if balance is not None else ZERO
            subject = f"{_account_name(account_id)} {asset} {bucket.value.lower()}"
            report.expect("balance equals its ledger entries", subject, ledger[(account_id, asset, bucket)], stored)
            if not is_system_account(account_id) and stored < 0:
                report.expect("no negative user balance", subject, ZERO, stored)
    # 2
    for (movement_id, asset), total in movements.items():
        report.expect("movement sums to zero", f"movement {movement_id} {asset}", ZERO, total)

    # 4 and 5
    expected_held = defaultdict(Decimal)
    orders = session.execute(
        select(Order.id, Order.user_id, Order.side, Order.type, Order.amount, Order.filled_amount, Order.price,
               Order.status, Instrument.base, Instrument.quote).join(Instrument, Order.pair == Instrument.symbol)
    ).all()
    for order in orders:
        hold = hold_for(order.side, order.type, order.amount - order.filled_amount, order.price) if order.status.is_open else ZERO
        expected_held[(order.user_id, hold_asset(order.side, order.base, order.quote))] += hold
        report.expect("order's hold in the ledger", f"order {order.id} ({order.status.value})", hold, order_holds.get(order.id, ZERO))
    for (account_id, asset), balance in balances.items():
        if not is_system_account(account_id):
            report.expect("held equals open orders' holds", f"{account_id} {asset}", expected_held.get((account_id, asset), ZERO), balance.held)
    for key in expected_held.keys() - balances.keys():
        report.expect("held equals open orders' holds", f"{key[0]} {key[1]}", expected_held[key], ZERO)

    # 6
    expected_pending = defaultdict(Decimal)
    buy, sell = aliased(Order), aliased(Order)
    unsettled = session.execute(
        select(Trade.amount, Trade.price, buy.user_id, sell.user_id, Instrument.base, Instrument.quote)
        .join(Instrument, Trade.pair == Instrument.symbol)
        .outerjoin(buy, Trade.buy_order_id == buy.id)
        .outerjoin(sell, Trade.sell_order_id == sell.id)
        .where(Trade.settled_at.is_(None))
    ).all()
    for amount, price, buyer, seller, base, quote in unsettled:
        if buyer is not None:
            expected_pending[(buyer, base)] += amount
        if seller is not None:
            expected_pending[(seller, quote)] += amount * price
    for key in set(expected_pending) | {k for k, b in balances.items() if not is_system_account(k[0])}:
        balance = balances.get(key)
        report.expect("pending equals unsettled trades' proceeds", f"{key[0]} {key[1]}", expected_pending.get(key, ZERO),
                      balance.pending if balance is not None else ZERO)

    # 7
    totals = defaultdict(Decimal)
    for (account_id, asset), balance in balances.items():
        if account_id != DEPOSITS_ACCOUNT:
            totals[asset] += balance.total
    for asset in sorted(set(totals) | set(deposited)):
        report.expect("asset total equals deposits", asset, deposited.get(asset, ZERO), totals.get(asset, ZERO))

    report.counts = {
        "balances": len(balances),
        "ledger entries": entries,
        "movements": len({movement for movement, _ in movements}),
        "orders": len(orders),
        "unsettled trades": len(unsettled),
    }
    return report


def _account_name(account_id):
    return SYSTEM_ACCOUNTS.get(account_id, str(account_id))
