"""Engine set-up and the write transaction that serialises concurrent writers.

SQLite: pysqlite's own transaction handling is switched off so that we issue BEGIN
ourselves; a write use case starts with BEGIN IMMEDIATE, which takes the database's
write lock up front, so two writers can never read the same state and both act on it.
PostgreSQL: writers lock the rows they change with SELECT ... FOR UPDATE.
"""

import logging
import os
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from .domain.errors import CommitFailed

log = logging.getLogger(__name__)

_serialised_write = ContextVar("serialised_write", default=False)


def configure_engine(engine):
    """Install the SQLite pragmas and BEGIN handling; PostgreSQL needs nothing."""
    if engine.dialect.name != "sqlite":
        return
    _create_private(engine.url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets readers proceed while one writer holds the lock.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _serialised_write.get() else "BEGIN")


def _create_private(url):
    """Create the SQLite file readable by its owner only (0600) before SQLite would create it
    world-readable; its -wal and -shm files copy the database file's permissions."""
    if not url.database or url.database == ":memory:" or url.query.get("uri"):
        return
    path = Path(url.database)
    if path.exists() or not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process created it first
        pass


@contextmanager
def write_transaction(session):
    """One use case's transaction: commit on success, roll back on any error."""
    # A request may already have read (an operator's role, say); end that read so the write
    # transaction begins afresh and, on SQLite, with the write lock.
    if session.in_transaction():
        session.commit()
    token = _serialised_write.set(True)
    try:
        yield
        try:
            session.commit()
        except OperationalError as error:  # an IntegrityError is a rule the caller interprets, not an outage
            log.warning("Commit failed, nothing of the change took effect: %s", error.orig)
            raise CommitFailed("The change could not be committed, so none of it took effect; send it again.") from None
    except BaseException:
        session.rollback()
        raise
    finally:
        _serialised_write.reset(token)
