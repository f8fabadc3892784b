from contextlib import contextmanager
from decimal import localcontext
from functools import cached_property

from ..database import write_transaction
from ..domain.decimals import EXACT_PRECISION
from ..extensions import db
from ..models.types import utcnow
from ..realtime import notify


class UnitOfWork:
    """A use case's session, its clock, the events it publishes once committed, and
    callbacks for what must happen when it ends either way (e.g. releasing an in-memory book)."""

    def __init__(self):
        self.session = db.session()  # the request's Session itself, not the scoped proxy
        self.now = utcnow()
        self.events = []
        self._on_end = []
        self._before_commit = []

    @cached_property
    def ledger(self):
        """The money this use case moves (services/ledger.py)."""
        # Imported here: the ledger builds events, whose payloads use the API schemas, whose package
        # imports the services, which import this module.
        from .ledger import Ledger

        return Ledger(self)

    def before_commit(self, callback):
        """Call callback() once the use case has finished, just before its commit."""
        self._before_commit.append(callback)

    def on_end(self, callback):
        """Call callback(committed) once the transaction has committed or rolled back."""
        self._on_end.append(callback)

    def _end(self, committed):
        for callback in reversed(self._on_end):
            callback(committed)


@contextmanager
def unit_of_work():
    """Run a use case in one write transaction; publish its events only if it commits.

    Its arithmetic runs with EXACT_PRECISION digits, so no sum or product of money rounds.
    """
    uow = UnitOfWork()
    try:
        with localcontext(prec=EXACT_PRECISION), write_transaction(uow.session):
            yield uow
            for callback in uow._before_commit:
                callback()
    except BaseException:
        uow._end(committed=False)
        raise
    uow._end(committed=True)
    notify.publish(uow.events)
