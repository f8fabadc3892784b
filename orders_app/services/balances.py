"""Accounts' money: starting balances, operator deposits, and what a user may read of their own."""

from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from ..domain.decimals import MAX_FRACTION_DIGITS, UPPER_BOUND, places, plain
from ..domain.enums import EntryType, OPEN_STATUSES
from ..domain.errors import InvalidInput, NotFound
from ..domain.funds import DEPOSITS_ACCOUNT, deposit_legs
from ..extensions import db
from ..models import Balance, Instrument, LedgerEntry, Order, User
from .unit_of_work import unit_of_work

ZERO = Decimal(0)


def known_assets(session=None):
    """Every asset an instrument trades or a new account starts with, sorted."""
    session = session or db.session
    assets = set(current_app.config["STARTING_BALANCES"])
    for base, quote in session.execute(select(Instrument.base, Instrument.quote)):
        assets.update((base, quote))
    return sorted(assets)


def fund_new_account(uow, user_id):
    """Open the user's balances and deposit the STARTING_BALANCES into them, inside `uow`."""
    starting = {asset: amount for asset, amount in current_app.config["STARTING_BALANCES"].items() if amount > 0}
    keys = {(user_id, asset) for asset in known_assets(uow.session)}
    keys |= {(DEPOSITS_ACCOUNT, asset) for asset in starting}
    uow.ledger.lock(keys)
    for asset, amount in sorted(starting.items()):
        uow.ledger.post(EntryType.DEPOSIT, deposit_legs(user_id, asset, amount))


def deposit(*, username, asset, amount):
    """Credit `amount` of `asset` to a user (an operator's action). Returns (user, balance, movement id)."""
    asset = checked_asset(asset)
    amount = checked_asset_amount(amount)
    with unit_of_work() as uow:
        user = uow.session.scalar(select(User).where(User.named(username)))
        if user is None:
            raise NotFound(f"User '{username}' not found.", field="username")
        uow.ledger.lock({(user.id, asset), (DEPOSITS_ACCOUNT, asset)})
        movement_id = uow.ledger.post(EntryType.DEPOSIT, deposit_legs(user.id, asset, amount))
        balance = uow.ledger.balance(user.id, asset)
    return user, balance, movement_id


def open_missing_accounts():
    """Fund users who predate accounts, and hold what their open orders need (run by `flask init-db`).

    Returns the usernames funded. An order its owner cannot cover is cancelled, so holds always add up.
    """
    # Imported here: the order service's events import the API package, whose auth views import this module.
    from . import orders

    funded = []
    user_ids = db.session.scalars(
        select(User.id).where(~select(Balance.account_id).where(Balance.account_id == User.id).exists())
    ).all()
    for user_id in user_ids:
        with unit_of_work() as uow:
            fund_new_account(uow, user_id)
            username = uow.session.get(User, user_id).username
        funded.append(username)
        open_orders = db.session.scalars(
            select(Order).where(Order.user_id == user_id, Order.status.in_(OPEN_STATUSES)).order_by(Order.created_at)
        ).all()
        for order in open_orders:
            if not orders.hold_for_existing_order(order_id=order.id):
                orders.cancel_order(user_id=user_id, order_id=order.id)
    return funded


def list_balances(*, user_id):
    """The user's balance in every known asset, zero where nothing was ever credited."""
    rows = {b.asset: b for b in db.session.scalars(select(Balance).where(Balance.account_id == user_id))}
    assets = sorted(set(known_assets()) | rows.keys())
    return [rows.get(asset) or _empty(user_id, asset) for asset in assets]


def get_balance(*, user_id, asset):
    balance = db.session.get(Balance, (user_id, asset))
    if balance is not None:
        return balance
    if asset not in known_assets():
        raise NotFound(f"Unknown asset '{asset}'; GET /balances lists them.")
    return _empty(user_id, asset)


def transactions_query(*, user_id, asset=None, type=None, since=None, until=None):
    """The user's ledger entries, newest first, as a select for the caller to page through."""
    query = select(LedgerEntry).where(LedgerEntry.account_id == user_id)
    if asset is not None:
        query = query.where(LedgerEntry.asset == asset)
    if type is not None:
        query = query.where(LedgerEntry.type == type)
    if since is not None:
        query = query.where(LedgerEntry.created_at >= since)
    if until is not None:
        query = query.where(LedgerEntry.created_at < until)
    return query.order_by(LedgerEntry.seq.desc())


def checked_asset(asset, *, field="asset"):
    if asset not in known_assets():
        raise InvalidInput(f"Unknown asset '{asset}'; GET /balances lists them.", field=field)
    return asset


def checked_asset_amount(value, *, field="amount"):
    if not value.is_finite() or value <= 0:
        raise InvalidInput("Must be a positive, finite number.", field=field)
    if value >= UPPER_BOUND:
        raise InvalidInput(f"Must be less than {plain(UPPER_BOUND)}.", field=field)
    if places(value) > MAX_FRACTION_DIGITS:
        raise InvalidInput(f"Must have at most {MAX_FRACTION_DIGITS} decimal places.", field=field)
    return value


def _empty(account_id, asset):
    return Balance(account_id=account_id, asset=asset, available=ZERO, held=ZERO, pending=ZERO)
