import uuid

from sqlalchemy import Index, String, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.enums import Role
from ..extensions import db
from .types import UTCDateTime, enum_column, utcnow


class User(db.Model):
    """An account holder.

    The username is kept as the user typed it (what /auth/me and tokens show), and is unique and matched
    whatever its case, as most services treat usernames and e-mail addresses: the unique index on
    lower(username) below guarantees one account per name even when two registrations race. Storing only
    the lowercase form would make the same guarantee but lose how people spell their name.
    """

    __tablename__ = "users"
    # No RETURNING of server defaults after an INSERT: the one without a Python default, disabled_at, is
    # NULL on every new user, and selecting it would fail on a database before migration 0007.
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.USER, server_default=Role.USER.value)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Set by an operator (POST /admin/users/{username}/disable): no login, no refresh, no socket. Deferred:
    # read only where it is checked (accounts.authenticate, accounts.account_refusal), so code that loads
    # users for other reasons, the seed of a database before migration 0007 included, never selects it; and
    # a server default, so that an INSERT leaves it out rather than writing NULL into it.
    disabled_at = mapped_column(UTCDateTime, nullable=True, deferred=True, server_default=text("NULL"))

    @classmethod
    def named(cls, username):
        """The condition selecting the user called `username` in any case; it uses the unique index.

        Usernames are ASCII (the registration rule), and SQL lower() folds ASCII alike on SQLite and
        PostgreSQL. A name with other characters is compared as typed, so it matches no one: Python's
        lower() folds the Kelvin sign (U+212A) to an ASCII "k", which would let "Kate" spelt with it
        log in as "kate".
        """
        key = username.lower() if username.isascii() else username
        return func.lower(cls.username) == key

    @property
    def is_disabled(self):
        return self.disabled_at is not None

    @property
    def is_operator(self):
        return self.role is Role.OPERATOR


USERNAME_INDEX = Index("uq_users_username_lower", func.lower(User.username), unique=True)
