import os
import signal
from contextlib import contextmanager, nullcontext
from decimal import localcontext
from functools import cached_property

from flask import current_app

from ..database import write_transaction
from ..domain.decimals import EXACT_PRECISION
from ..extensions import db
from ..models.types import utcnow
from ..realtime import notify
from . import event_log


class UnitOfWork:
    """A use case's session, its clock, the events it publishes once committed, and
    callbacks for what must happen when it ends either way (e.g. releasing an in-memory book).

    A batch of the book writer (services/book_writer.py) is one unit of work that several commands
    run in, one after the other. It also keeps what those commands share: each pair's locked row and
    checked-out book, and every order the batch has created or loaded, so that a command sees what
    the commands before it did although nothing is flushed until the batch commits.
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

    def _end(self, committed):
        for callback in reversed(self._on_end):
            callback(committed)


@contextmanager
def unit_of_work(*, batch=False):
    """Run a use case in one write transaction; publish its events only if it commits.

    Its private events are numbered and stored in the same transaction (services/event_log.py), so a
    crash after the commit loses nothing a client cannot read again.

    Its arithmetic runs with EXACT_PRECISION digits, so no sum or product of money rounds. A batch
    (services/book_writer.py) flushes once, at the commit, rather than before every query.
    """
    uow = UnitOfWork(batch=batch)
    try:
        with localcontext(prec=EXACT_PRECISION), write_transaction(uow.session):
            with uow.session.no_autoflush if batch else nullcontext():
                yield uow
                if "ledger" in uow.__dict__:
                    uow.ledger.verify()  # first: it must lock what it checks before any flush writes to it
                if batch:
                    uow.session.flush()  # every row of the batch, a statement per table and kind of change
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
