"""Migrations on a database that already holds trading: every revision applies to it, and 0005 refuses,
naming them, rows whose amount or price is not positive."""

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from api_checks import latest_revision
from orders_app.extensions import db
from orders_app.models import AccountEvent, AccountEventSequence, BookChange
from orders_app.services.instruments import sync_instruments

PASSWORD = "correct horse battery"
SEEDING_TABLES = (BookChange.__table__, AccountEvent.__table__, AccountEventSequence.__table__)


def revision(app):
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


@pytest.fixture
def traded_database_at(empty_database_url, make_app):
    """traded_database_at(revision) -> an app on a database at `revision` holding two users, their
    resting and filled orders and a trade between them, entered through the API."""

    def build(at_revision):
        app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory, revision=at_revision)
            sync_instruments(definitions=app.config["INSTRUMENTS"])
            # Seeding runs today's code, which writes the book change log of 0006 and the event log of 0007
            # too: tables that only lend themselves for the seeding, and are gone again before the revisions
            # after `at_revision` run.
            for table in SEEDING_TABLES:
                table.create(db.engine)
        seeded = app.test_cli_runner().invoke(args=["seed"])
        assert seeded.exit_code == 0, (seeded.output, seeded.exception)
        with app.app_context():
            for table in SEEDING_TABLES:
                table.drop(db.engine)
        return app

    return build


def test_every_migration_applies_to_a_database_that_holds_orders_and_trades(traded_database_at):
    app = traded_database_at("0003")
    with app.app_context(), db.engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM orders")).scalar_one(), connection.execute(
            text("SELECT count(*) FROM trades")
        ).scalar_one()
    assert before[0] > 0 and before[1] > 0

    result = app.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert revision(app) == latest_revision(app)
    with app.app_context(), db.engine.connect() as connection:
        after = connection.execute(text("SELECT count(*) FROM orders")).scalar_one(), connection.execute(
            text("SELECT count(*) FROM trades")
        ).scalar_one()
    assert after == before
    assert app.test_cli_runner().invoke(args=["reconcile"]).exit_code == 0


def test_migration_0005_refuses_a_trade_at_price_zero_and_names_it(traded_database_at):
    app = traded_database_at("0004")
    with app.app_context(), db.engine.begin() as connection:
        trade_id = connection.execute(text("SELECT id FROM trades ORDER BY seq LIMIT 1")).scalar_one()
        connection.execute(text("UPDATE trades SET price = '0' WHERE id = :id"), {"id": trade_id})

    result = app.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 1, result.output
    assert "Amounts and prices must be positive" in result.output
    assert str(trade_id).replace("-", "") in result.output.replace("-", "")
    assert revision(app) == "0004"
