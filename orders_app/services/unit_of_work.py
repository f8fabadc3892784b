from contextlib import contextmanager

from ..database import write_transaction
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

    def on_end(self, callback):
        """Call callback(committed) once the transaction has committed or rolled back."""
        self._on_end.append(callback)

    def _end(self, committed):
        for callback in reversed(self._on_end):
            callback(committed)


@contextmanager
def unit_of_work():
    """Run a use case in one write transaction; publish its events only if it commits."""
    uow = UnitOfWork()
    try:
        with write_transaction(uow.session):
            yield uow
    except BaseException:
        uow._end(committed=False)
        raise
    uow._end(committed=True)
    notify.publish(uow.events)
