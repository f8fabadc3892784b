"""Command-line tasks: `flask --app orders_app init-db`, `flask --app orders_app seed`."""

import json
import secrets
from decimal import Decimal
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from .domain.enums import OrderType, Side
from .extensions import db
from .models import User
from .services import accounts, instruments, orders

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
    user = db.session.scalar(select(User).where(User.username == username))
    return user or accounts.register_user(username=username, password=password)
