"""Registration, login, token issue, and who a token speaks for."""

import os
import sys
import threading
import uuid
from dataclasses import dataclass
from functools import lru_cache

import argon2
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import select
from sqlalchemy.orm import undefer
from sqlalchemy.exc import IntegrityError

from ..domain.errors import AuthenticationFailed, Conflict, Forbidden, NotFound
from ..extensions import db
from ..domain.enums import Role
from ..models import User
from .balances import fund_new_account
from .unit_of_work import unit_of_work

INVALID_CREDENTIALS = "Invalid username or password."
ACCOUNT_DISABLED = "This account is disabled."
USER_GONE = "The token's user no longer exists."
HASHING_NICENESS = 10  # how much nicer than the event loop the threads hashing passwords run
MAX_NICENESS = 19


@lru_cache(maxsize=None)
def _hasher(profile_name):
    return argon2.PasswordHasher.from_parameters(getattr(argon2.profiles, profile_name))


@lru_cache(maxsize=None)
def _decoy_hash(profile_name):
    # Verified against when the username is unknown, so both failures take the same time.
    return _off_the_event_loop(_hasher(profile_name).hash, "decoy password for unknown users")


def _profile():
    return current_app.config["PASSWORD_HASH_PROFILE"]


def _off_the_event_loop(function, *args):
    """Call a CPU-bound `function` (an argon2 hash or verify) without stalling every other request.

    Under eventlet (`python wsgi.py`, gunicorn's eventlet worker: both monkey-patch) one OS thread runs
    every green thread, so a hash taking a few hundred milliseconds would hold up the whole server, health
    checks and Socket.IO included. eventlet's pool of native threads runs it instead, in parallel with
    the loop, since argon2's C code releases the GIL. In threading mode each request already has a thread.
    """
    # Whatever monkey-patched imported eventlet; importing it here ourselves would only warn of its deprecation.
    patcher = sys.modules.get("eventlet.patcher")
    if patcher is not None and patcher.is_monkey_patched("thread"):
        from eventlet import tpool

        return tpool.execute(_below_the_event_loop, function, *args)
    return function(*args)


def _below_the_event_loop(function, *args):
    """Call `function` with this native thread at a lower CPU priority than the event loop's.

    Without it a flood of logins, each hash using every core, leaves the loop a small share of the CPU
    and everything it serves slows down; niced, the hashes take the CPU the loop leaves, so a flood
    slows the logins instead (bench/login_flood_bench.py). Linux gives each thread its own nice value,
    inherited by the threads argon2 starts for its lanes.
    """
    if sys.platform == "linux":
        # The process id names the main thread, the loop's; only ever raised, which needs no privilege.
        target = min(MAX_NICENESS, os.getpriority(os.PRIO_PROCESS, os.getpid()) + HASHING_NICENESS)
        thread = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, thread) < target:
            os.setpriority(os.PRIO_PROCESS, thread, target)
    return function(*args)


def register_user(*, username, password):
    """Create a user with a hashed password and a funded account; Conflict if the username is taken."""
    password_hash = _off_the_event_loop(_hasher(_profile()).hash, password)
    try:
        with unit_of_work() as uow:
            if uow.session.scalar(select(User.id).where(User.named(username))) is not None:
                raise Conflict(f"Username '{username}' is already taken.", field="username")
            user = User(id=uuid.uuid4(), username=username, password_hash=password_hash)
            uow.session.add(user)
            fund_new_account(uow, user.id)
    except IntegrityError:
        # Two registrations raced past the check; the unique index kept one.
        raise Conflict(f"Username '{username}' is already taken.", field="username") from None
    return user


def authenticate(*, username, password):
    """The user these credentials belong to, or AuthenticationFailed with one message for every cause."""
    user = db.session.scalar(select(User).where(User.named(username)).options(undefer(User.disabled_at)))
    # End the read before hashing, so no database connection waits idle in a transaction meanwhile.
    db.session.commit()
    hasher = _hasher(_profile())
    try:
        _off_the_event_loop(hasher.verify, user.password_hash if user else _decoy_hash(_profile()), password)
    except argon2.exceptions.VerificationError:
        raise AuthenticationFailed(INVALID_CREDENTIALS) from None
    except argon2.exceptions.InvalidHashError:
        raise AuthenticationFailed(INVALID_CREDENTIALS) from None
    if user is None:
        raise AuthenticationFailed(INVALID_CREDENTIALS)
    # Only after the password proved right, so that it tells no one else whether the account exists.
    if user.is_disabled:
        raise AuthenticationFailed(ACCOUNT_DISABLED)
    return user


def issue_tokens(user, *, refresh=True):
    """An access token (and a refresh token unless refresh=False) for the user."""
    identity = str(user.id)
    claims = {"username": user.username}
    tokens = {
        "access_token": create_access_token(identity=identity, additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }
    if refresh:
        tokens["refresh_token"] = create_refresh_token(identity=identity, additional_claims=claims)
    return tokens


def find_user(user_id):
    return db.session.get(User, user_id)


@dataclass(frozen=True)
class TokenIdentity:
    """The user a valid access token speaks for, read from its signed claims alone.

    An ordinary request costs no database round trip to authenticate: the token is trusted for its
    lifetime (JWT_ACCESS_TOKEN_EXPIRES, 15 minutes by default). What a token cannot vouch for is read from
    the database where it matters: the operator role (ensure_operator) and, on refresh, on login and when a
    socket connects or re-authenticates, that the account still exists and is not disabled
    (refresh_access_token, account_refusal). So an access token issued before its user was disabled
    keeps working for REST until it expires, and no longer.
    """

    id: uuid.UUID
    username: str


def identity_from_claims(claims):
    """The TokenIdentity of decoded access-token claims, or None when they do not name a user."""
    try:
        return TokenIdentity(id=uuid.UUID(claims["sub"]), username=str(claims["username"]))
    except (KeyError, TypeError, ValueError):
        return None


def ensure_operator(*, user_id):
    """Forbidden unless the user holds the operator role now: a role granted or taken away counts at once,
    whatever the caller's token says. A disabled operator's token is refused here at once too (401), since
    this reads the user anyway."""
    row = db.session.execute(select(User.role, User.disabled_at).where(User.id == user_id)).first()
    if row is not None and row.disabled_at is not None:
        raise AuthenticationFailed(ACCOUNT_DISABLED)
    if row is None or row.role is not Role.OPERATOR:
        raise Forbidden("This action needs the operator role.")


def refresh_access_token(*, user_id):
    """A new access token for the account a refresh token names, if that account still exists and is
    not disabled."""
    refusal = account_refusal(user_id)
    if refusal is not None:
        raise AuthenticationFailed(refusal)
    return issue_tokens(find_user(user_id), refresh=False)


def account_refusal(user_id):
    """Why a token of this user may no longer be honoured (USER_GONE, ACCOUNT_DISABLED), or None."""
    row = db.session.execute(select(User.disabled_at).where(User.id == user_id)).first()
    if row is None:
        return USER_GONE
    if row.disabled_at is not None:
        return ACCOUNT_DISABLED
    return None


def disable_user(*, username, by_user_id):
    """Disable an account (an operator's action): no login, refresh or socket from now on. Returns the
    user; disabling a disabled account keeps its first time. Its open sockets are the caller's to close."""
    with unit_of_work() as uow:
        user = _named_user(uow, username)
        if user.id == by_user_id:
            raise Conflict("An operator cannot disable their own account.")
        if user.disabled_at is None:
            user.disabled_at = uow.now
    return user


def enable_user(*, username):
    """Enable a disabled account again (an operator's action); its user logs in as before."""
    with unit_of_work() as uow:
        user = _named_user(uow, username)
        user.disabled_at = None
    return user


def _named_user(uow, username):
    user = uow.session.scalar(select(User).where(User.named(username)).options(undefer(User.disabled_at)))
    if user is None:
        raise NotFound(f"User '{username}' not found.")  # named in the path, not the body
    return user
