"""Fixtures for the API tests: databases of their own (the migration tests), commits that fail."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orders_app.config import normalise_database_url
from orders_app.extensions import db


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


@pytest.fixture
def failing_commits(app, monkeypatch):
    """failing_commits(True) makes every commit fail as a lost database would (the driver's own
    OperationalError, which SQLAlchemy wraps); failing_commits(False) heals it."""
    with app.app_context():
        dialect = db.engine.dialect
    real_commit = dialect.do_commit

    def failing(dbapi_connection):
        raise dialect.loaded_dbapi.OperationalError("injected: the database went away during COMMIT")

    def switch(failing_now):
        monkeypatch.setattr(dialect, "do_commit", failing if failing_now else real_commit)

    return switch
