import os
import signal
from contextlib import contextmanager, nullcontext
from decimal import localcontext
from functools import cache, cached_property
from operator import attrgetter

from flask import current_app
from sqlalchemy import bindparam, inspect, update

from ..database import write_transaction
from ..domain.decimals import EXACT_PRECISION
from ..extensions import db
from ..models import Balance, Instrument, Order, Trade
from ..models.types import utcnow
from ..realtime import notify
from . import event_log


class UnitOfWork:
    """A use case's session, its clock, the events it publishes once committed, and
    callbacks for what must happen when it ends either way (e.g. releasing an in-memory book).

    A batch of the book writer (services/book_writer.py) is one unit of work that several commands
    run in, one after the other. It also keeps what those commands share: each pair's locked row and
    checked-out book, and every order the batch has created or loaded, so that a command sees what
    the commands before it did although nothing is written until the batch ends.
    """

    def __init__(self, *, batch=False):
        self.session = db.session()  # the request's Session itself, not the scoped proxy
        self.now = utcnow()
        self.batch = batch
        self.events = []
        self.instruments = {}  # pair -> its locked Instrument row
        self.books = {}  # pair -> its CheckedOutBook
        self.orders = {}  # order id -> Order, for every order this unit of work created or loaded
        self.client_orders = {}  # (user id, clientOrderId) -> the Order created under it here
        self.trades = []  # the matched trades this unit of work recorded, in order (services/market_feed.py)
        self._on_end = []
        self._before_commit = []

    @cached_property
    def ledger(self):
        """The money this use case moves (services/ledger.py)."""
        # Imported here: the ledger builds events, whose payloads use the API schemas, whose package
        # imports the services, which import this module.
        from .ledger import Ledger

        return Ledger(self, optimistic=self.batch and self.session.get_bind().dialect.name != "sqlite")

    def before_commit(self, callback):
        """Call callback() once the use case has finished, just before its commit."""
        self._before_commit.append(callback)

    def on_end(self, callback):
        """Call callback(committed) once the transaction has committed or rolled back."""
        self._on_end.append(callback)

    def next_command(self):
        """A batch's next command starts: it has a clock reading of its own."""
        self.now = utcnow()

    def mark(self):
        """A fingerprint of everything a command can change, to tell that a refused one changed nothing."""
        touched = sum(len(book.touched) for book in self.books.values())
        ledger = self.__dict__.get("ledger")
        return len(self.events), len(self.session.new), touched, ledger and ledger.changes_made

    def write_rows(self):
        """Write every row the batch's commands created or changed, as set-based Core statements, and
        let go of the objects, which stay readable for the answers and events.

        What the ORM's flush would do, without its per-object bookkeeping (dependency sorting, history,
        identity map): new orders, then new trades, one INSERT each, in the order they were made (a
        trade's `seq` keeps that order); then one UPDATE per kind of changed row, every row once,
        however many times the batch changed it. The batch writes only the columns _BATCH_UPDATES
        names; changing another is a programming error, refused here rather than lost."""
        session = self.session
        if session.deleted:
            raise RuntimeError("A batch of the book writer deletes no rows.")
        inserts = {model: [] for model in _BATCH_INSERTS}
        for state in sorted(map(inspect, session.new), key=attrgetter("insert_order")):
            rows = inserts.get(state.class_)
            if rows is None:
                raise RuntimeError(f"A batch of the book writer does not create {state.class_.__name__} rows.")
            rows.append({key: state.dict.get(key) for key in _BATCH_INSERTS[state.class_]})
        updates = {model: [] for model in _BATCH_UPDATES}
        for state in map(inspect, session.dirty):
            model = state.class_
            if model not in _BATCH_UPDATES:
                raise RuntimeError(f"A batch of the book writer does not change {model.__name__} rows.")
            changed = state.committed_state.keys() & _COLUMN_KEYS[model]
            if not changed:
                continue  # only a relationship collection moved (a trade linked to the order)
            if not changed <= _BATCH_UPDATES[model]:
                unwritten = ", ".join(sorted(changed - _BATCH_UPDATES[model]))
                raise RuntimeError(f"{model.__name__}.{unwritten} changed, which a batch of the book writer does not write.")
            values = state.dict
            row = {f"new_{key}": values[key] for key in _BATCH_UPDATES[model]}
            row.update({f"key_{key}": values[key] for key in _PRIMARY_KEYS[model]})
            updates[model].append(row)
        connection = session.connection()
        for model, rows in inserts.items():
            if rows:
                connection.execute(model.__table__.insert(), rows)
        for model, rows in updates.items():
            if rows:
                connection.execute(_update_statement(model), rows)
        session.expunge_all()  # nothing is left for the commit to flush

    def _end(self, committed):
        for callback in reversed(self._on_end):
            callback(committed)


# What a batch of the book writer writes (UnitOfWork.write_rows): the columns of the rows it creates, and
# the columns of existing rows it may change.
_BATCH_INSERTS = {
    Order: tuple(column.key for column in Order.__table__.columns),
    Trade: tuple(column.key for column in Trade.__table__.columns if column.key != "seq"),  # numbered by the database
}
_BATCH_UPDATES = {
    Order: frozenset({"price", "amount", "filled_amount", "filled_quote", "status", "priority", "updated_at"}),
    Instrument: frozenset({"sequence", "last_trade_price"}),
    Balance: frozenset({"available", "held", "pending", "updated_at"}),
}
_COLUMN_KEYS = {model: frozenset(column.key for column in model.__table__.columns) for model in _BATCH_UPDATES}
_PRIMARY_KEYS = {model: tuple(column.key for column in model.__table__.primary_key) for model in _BATCH_UPDATES}


@cache
def _update_statement(model):
    """UPDATE of `model`'s batch columns (parameters new_<column>) by primary key (key_<column>), built once."""
    table = model.__table__
    return (
        update(table)
        .where(*(table.c[key] == bindparam(f"key_{key}") for key in _PRIMARY_KEYS[model]))
        .values({key: bindparam(f"new_{key}") for key in sorted(_BATCH_UPDATES[model])})
    )


@contextmanager
def unit_of_work(*, batch=False):
    """Run a use case in one write transaction; publish its events only if it commits.

    Its private events are numbered and stored in the same transaction (services/event_log.py), so a
    crash after the commit loses nothing a client cannot read again.

    Its arithmetic runs with EXACT_PRECISION digits, so no sum or product of money rounds. A batch
    (services/book_writer.py) writes its rows once, just before the commit (write_rows), rather
    than flushing before every query.
    """
    uow = UnitOfWork(batch=batch)
    try:
        with localcontext(prec=EXACT_PRECISION), write_transaction(uow.session):
            with uow.session.no_autoflush if batch else nullcontext():
                yield uow
                if "ledger" in uow.__dict__:
                    uow.ledger.verify()  # first: it must lock what it checks before any flush writes to it
                if batch:
                    uow.write_rows()  # every row of the batch, a statement per table and kind of change
                for callback in uow._before_commit:
                    callback()
                # Last: numbering locks each account's counter until the commit (event_log explains why).
                if not current_app.config["BENCH_WITHOUT_EVENT_LOG"]:
                    uow.events = event_log.record(uow.session, uow.events, at=uow.now)
    except BaseException:
        uow._end(committed=False)
        raise
    finally:
        if batch:
            # The objects stay readable for the answers; the next batch reads afresh what it needs.
            uow.session.expunge_all()
    uow._end(committed=True)
    if current_app.config["TEST_CRASH_AFTER_COMMIT"] and uow.events:
        # Test-only (config.py): die as a kill -9 would, with the change committed and nothing published.
        os.kill(os.getpid(), signal.SIGKILL)
    notify.publish(uow.events)
