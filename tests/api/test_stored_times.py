"""Every row stores its own time, in UTC, however many rows of one statement share or alternate times.

A batch binds the same clock reading to thousands of rows, so the UTC column type remembers the last value
it converted (models/types.py); these rows check that what it remembers never leaks into another row."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.exc import StatementError

from orders_app.extensions import db
from orders_app.models.types import UTCDateTime

metadata = MetaData()
stamps = Table("test_stored_times", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))


@pytest.fixture
def connection(app):
    with app.app_context():
        with db.engine.begin() as connection:
            metadata.create_all(connection)
        try:
            with db.engine.begin() as connection:
                yield connection
        finally:
            with db.engine.begin() as connection:
                metadata.drop_all(connection)


def test_rows_of_one_statement_keep_their_own_times(connection):
    first = datetime(2026, 12, 4, 16, 30, 0, 123456, tzinfo=timezone.utc)
    second = first + timedelta(microseconds=1)
    same_as_first = datetime(2026, 12, 4, 16, 30, 0, 123456, tzinfo=timezone.utc)  # equal, another object
    paris = datetime(2026, 12, 4, 18, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))  # first, at +02:00
    values = [first, first, second, first, None, same_as_first, second, paris, paris, None, first]
    connection.execute(stamps.insert(), [{"id": index, "at": value} for index, value in enumerate(values)])

    stored = connection.execute(select(stamps.c.at).order_by(stamps.c.id)).scalars().all()

    assert stored == values
    assert all(value is None or value.utcoffset() == timedelta(0) for value in stored)


def test_a_time_without_a_zone_is_refused_after_one_with_a_zone(connection):
    aware = datetime(2026, 12, 4, 16, 30, tzinfo=timezone.utc)
    connection.execute(stamps.insert(), [{"id": 1, "at": aware}])
    with pytest.raises(StatementError, match="timezone-aware"):
        connection.execute(stamps.insert(), [{"id": 2, "at": aware.replace(tzinfo=None)}])
