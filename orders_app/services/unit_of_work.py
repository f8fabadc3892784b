from contextlib import contextmanager

from ..database import write_transaction
from ..extensions import db
from ..models.types import utcnow
from ..realtime import notify


class UnitOfWork:
    """A use case's session, its clock, and the events it publishes once committed."""

    def __init__(self):
        self.session = db.session()  # the request's Session itself, not the scoped proxy
        self.now = utcnow()
        self.events = []


@contextmanager
def unit_of_work():
    """Run a use case in one write transaction; publish its events only if it commits."""
    uow = UnitOfWork()
    with write_transaction(uow.session):
        yield uow
    notify.publish(uow.events)
