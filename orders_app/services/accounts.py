"""Registration, login and token issue."""

import uuid
from functools import lru_cache

import argon2
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain.errors import AuthenticationFailed, Conflict
from ..extensions import db
from ..models import User
from .balances import fund_new_account
from .unit_of_work import unit_of_work

INVALID_CREDENTIALS = "Invalid username or password."


@lru_cache(maxsize=None)
def _hasher(profile_name):
    return argon2.PasswordHasher.from_parameters(getattr(argon2.profiles, profile_name))


@lru_cache(maxsize=None)
def _decoy_hash(profile_name):
    # Verified against when the username is unknown, so both failures take the same time.
    return _hasher(profile_name).hash("decoy password for unknown users")


def _profile():
    return current_app.config["PASSWORD_HASH_PROFILE"]


def register_user(*, username, password):
    """Create a user with a hashed password and a funded account; Conflict if the username is taken."""
    password_hash = _hasher(_profile()).hash(password)
    try:
        with unit_of_work() as uow:
            if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
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
    user = db.session.scalar(select(User).where(User.username == username))
    hasher = _hasher(_profile())
    try:
        hasher.verify(user.password_hash if user else _decoy_hash(_profile()), password)
    except argon2.exceptions.VerificationError:
        raise AuthenticationFailed(INVALID_CREDENTIALS) from None
    except argon2.exceptions.InvalidHashError:
        raise AuthenticationFailed(INVALID_CREDENTIALS) from None
    if user is None:
        raise AuthenticationFailed(INVALID_CREDENTIALS)
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
