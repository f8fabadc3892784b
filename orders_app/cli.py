"""Command-line tasks (`flask --app orders_app <command>`): init-db, seed, create-operator, settle, reconcile,
prune-events."""

import json
import secrets
from decimal import Decimal
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from .domain.enums import OrderType, Role, Side
from .extensions import db
from .models import User
from .services import accounts, balances, event_log, instruments, orders, reconciliation, settlement
from .services.unit_of_work import unit_of_work

DEMO_USERS = ("alice", "bob")
DEMO_CREDENTIALS_FILE = "demo-credentials.json"

# Placed in this order, so they also match each other: bob's last EUR/USD SELL crosses alice's BUY.
# (user, clientOrderId, pair, side, amount, price, execution reports as (amount, price), cancel afterwards)
DEMO_ORDERS = (
    ("alice", "seed-alice-eurusd", "EUR/USD", Side.BUY, "1000", "1.10000", [("250", "1.10000"), ("500", "1.09990")], False),
    ("alice", "seed-alice-gbpusd", "GBP/USD", Side.SELL, "500", "1.25000", [("500", "1.25010")], False),
    ("alice", "seed-alice-usdjpy", "USD/JPY", Side.BUY, "2000", "150.000", [], False),
    ("alice", "seed-alice-eurusd-bid", "EUR/USD", Side.BUY, "400", "1.09980", [], False),
    ("bob", "seed-bob-btcusd", "BTC/USD", Side.SELL, "0.5000", "65000.00", [("0.2000", "65000.00")], False),
    ("bob", "seed-bob-eurusd", "EUR/USD", Side.BUY, "300", "1.09000", [], True),
    ("bob", "seed-bob-eurusd-ask-1", "EUR/USD", Side.SELL, "500", "1.10020", [], False),
    ("bob", "seed-bob-eurusd-ask-2", "EUR/USD", Side.SELL, "800", "1.10050", [], False),
    ("bob", "seed-bob-eurusd-cross", "EUR/USD", Side.SELL, "200", "1.10000", [], False),
)


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Apply database migrations, then create or update the instruments from settings."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    changed = instruments.sync_instruments(definitions=current_app.config["INSTRUMENTS"])
    click.echo(f"Database is at the latest migration; instruments changed: {', '.join(changed) or 'none'}.")
    funded = balances.open_missing_accounts()
    if funded:
        click.echo(f"Opened funded accounts for existing users: {', '.join(funded)}.")


@click.command("seed")
@with_appcontext
def seed_command():
    """Create demo users and a few orders with trades, through the services. Safe to run twice."""
    credentials = _demo_credentials()
    users = {name: _ensure_user(name, credentials[name]) for name in DEMO_USERS}
    created = 0
    for username, client_order_id, pair, side, amount, price, fills, cancel in DEMO_ORDERS:
        user_id = users[username].id
        order, is_new = orders.place_order(
            user_id=user_id,
            pair=pair,
            side=side,
            type=OrderType.LIMIT,
            amount=Decimal(amount),
            price=Decimal(price),
            client_order_id=client_order_id,
        )
        if not is_new:
            continue
        created += 1
        for fill_amount, fill_price in fills:
            orders.record_execution(
                user_id=user_id, order_id=order.id, executed_amount=Decimal(fill_amount), executed_price=Decimal(fill_price)
            )
        if cancel:
            orders.cancel_order(user_id=user_id, order_id=order.id)
    click.echo(f"Seeded {created} new demo order(s).")
    click.echo("Demo credentials (also in instance/%s):" % DEMO_CREDENTIALS_FILE)
    for name in DEMO_USERS:
        click.echo(f"  username: {name:<6} password: {credentials[name]}")


def _demo_credentials():
    """Demo passwords: generated once into instance/, so none is written in the code."""
    path = Path(current_app.instance_path) / DEMO_CREDENTIALS_FILE
    if path.exists():
        return json.loads(path.read_text())
    credentials = {name: secrets.token_urlsafe(9) for name in DEMO_USERS}
    path.write_text(json.dumps(credentials, indent=2) + "\n")
    path.chmod(0o600)
    return credentials


def _ensure_user(username, password):
    user = db.session.scalar(select(User).where(User.named(username)))
    return user or accounts.register_user(username=username, password=password)


@click.command("create-operator")
@click.argument("username")
@click.option("--password", help="For a new user; generated and printed when left out.")
@with_appcontext
def create_operator_command(username, password):
    """Give USERNAME the operator role, registering the user first if there is none."""
    with unit_of_work() as uow:
        user = uow.session.scalar(select(User).where(User.named(username)).with_for_update())
        if user is not None:
            user.role = Role.OPERATOR
    if user is None:
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        user = accounts.register_user(username=username, password=password)
        with unit_of_work() as uow:
            uow.session.get(User, user.id, with_for_update=True).role = Role.OPERATOR
        click.echo(f"Registered {username}.")
        if generated:
            # Alone on its line, nothing before or after it, so that it can be copied exactly.
            click.echo("Generated password (the whole next line, shown only now):")
            click.echo(password)
    click.echo(f"{username} is an operator.")


@click.command("settle")
@click.option("--pair", help="Only this pair's trades.")
@with_appcontext
def settle_command(pair):
    """Settle every unsettled trade: pending proceeds become available."""
    count = settlement.settle_pending(pair=pair)
    click.echo(f"Settled {count} trade(s).")


@click.command("reconcile")
@with_appcontext
def reconcile_command():
    """Check that every balance, hold and asset total agrees with the ledger; exit 1 on any mismatch."""
    report = reconciliation.reconcile()
    for line in report.lines():
        click.echo(line)
    if not report.clean:
        raise SystemExit(1)


@click.command("prune-events")
@with_appcontext
def prune_events_command():
    """Delete every account's events older than EVENT_LOG_RETENTION_DAYS; GET /events and replay then
    answer 410 for an afterSeq before what is left."""
    days = current_app.config["EVENT_LOG_RETENTION_DAYS"]
    count = event_log.prune(retention=event_log.retention_of(current_app.config))
    click.echo(f"Pruned {count} event(s) older than {days} day(s).")


COMMANDS = (
    init_db_command,
    seed_command,
    create_operator_command,
    settle_command,
    reconcile_command,
    prune_events_command,
)
