"""Fixtures for the API tests that need a database of their own, such as the migration tests."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orders_app.config import normalise_database_url


@pytest.fixture
def empty_database_url(db_kind, tmp_path):
    """A database with no tables: a new SQLite file, or a scratch schema in TEST_DATABASE_URL's database."""
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    url = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    schema = f"migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()
