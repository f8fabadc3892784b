"""Column types that keep money exact and time in UTC on both SQLite and PostgreSQL."""

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import DateTime, Enum, Numeric, String
from sqlalchemy.types import TypeDecorator

from ..domain.decimals import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS


class ExactDecimal(TypeDecorator):
    """NUMERIC(38, 18) on PostgreSQL; canonical text on SQLite, whose NUMERIC is a binary float.

    Arithmetic and comparison on these values happen in Python, never in SQL, so the
    text form on SQLite loses nothing.
    """

    impl = Numeric(MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS, MAX_FRACTION_DIGITS)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(
            Numeric(MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS, MAX_FRACTION_DIGITS, asdecimal=True)
        )

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal takes Decimal values, not {type(value).__name__}")
        return f"{value:f}" if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes in, timezone-aware UTC datetimes out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime takes timezone-aware datetimes")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        """The conversion above (and on SQLite the text it becomes), remembered for the last value bound.

        Every row a transaction writes carries the same clock reading (its created_at, updated_at,
        executed_at...): a batch binds one datetime object thousands of times. datetimes are immutable, so
        the object itself is the key; the pair is replaced in one assignment, which threads cannot tear."""
        convert = super().bind_processor(dialect)
        last = (None, None)

        def process(value):
            nonlocal last
            seen, converted = last
            if value is not seen:
                converted = convert(value)
                last = (value, converted)
            return converted

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow():
    return datetime.now(timezone.utc)


def enum_column(enum_class):
    """Stored as plain text with a CHECK constraint: portable, and new members need no type migration."""
    return Enum(enum_class, native_enum=False, length=20, validate_strings=True)
