"""The sequenced writer of the books: every command that changes a book, batched into one commit.

Placing, amending and cancelling an order and recording an execution report are commands. A command
does not open a transaction of its own: it joins its writer's queue, and the writer runs what has
queued, in arrival order and up to WRITER_BATCH_MAX commands, as ONE transaction of the order
service (services/orders.py): each command against the batch's running state (the books, the
balances, the orders the batch has touched), then one write of all the batch's rows, one commit, and
only then every answer and every event, in the order the commands ran.

Who writes. Each process has one writer per pair on PostgreSQL, where each pair's row lock serialises
that pair's writers across processes, and one writer for the whole database on SQLite, which has one
write lock anyway. A writer is not a thread: the first request to find its writer idle leads it,
running batches of whatever queued behind it, and hands the lead to the oldest waiting request when
it returns (group commit with a rotating leader). So the writer lives exactly as long as there is
work, under eventlet and under plain threads alike.

A refused command changes nothing: the order service decides every refusal (funds, a closed order, an
overfill, a bad tick) against the running state before it changes anything, and the writer checks
that it did. The rest of the batch commits as if the command had never been sent. Only three things
end a batch without its commit:
- a failed commit, or a database error on the way to it: every command of the batch answers 503
  (CommitFailed), nothing of it is visible, and the books it touched are rebuilt from the database;
- balances another writer moved while this one worked on them (PostgreSQL, services/ledger.py): the
  batch runs again, with those balances locked up front, at most WRITER_BALANCE_RETRIES times;
- anything else that breaks a command part-way (a value outgrowing its column mid-match, two
  processes racing for one clientOrderId): the batch runs again one command per transaction, so the
  failure lands on the command that caused it alone.
"""

import logging
import threading
import time
from collections import deque

from flask import current_app
from sqlalchemy.exc import OperationalError

from ..domain.errors import CommitFailed, DomainError
from ..extensions import db
from .ledger import BalancesMoved
from .unit_of_work import unit_of_work

log = logging.getLogger(__name__)

WRITERS_KEY = "orders_app.book_writers"
WHOLE_DATABASE = None  # the lane of every pair on SQLite
NOT_COMMITTED = "The change could not be committed, so none of it took effect; send it again."
BALANCES_BUSY = "The balances this change needs stayed busy, so none of it took effect; send it again."


class _Command:
    """One command waiting for, or carried by, a batch."""

    __slots__ = ("run", "balances", "result", "error", "finished", "wake")

    def __init__(self, run, balances):
        self.run = run  # run(uow) -> result, inside the batch's transaction
        self.balances = balances  # balances(uow) -> the balance keys it will read, or None
        self.result = None
        self.error = None
        self.finished = False
        self.wake = threading.Event()  # set when finished, or when this command's request is to lead

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result


class _Lane:
    """One writer's queue, and whether a request is leading it."""

    def __init__(self):
        self.queue = deque()
        self.guard = threading.Lock()
        self.leading = False


class Stats:
    """What a process's writers have done: batches committed and the commands they carried."""

    def __init__(self):
        self.batches = 0
        self.commands = 0
        self.largest_batch = 0
        self.retries = 0
        self.replays = 0


class Writers:
    """The writers of one app (one process's view of the market)."""

    def __init__(self):
        self._lanes = {}
        self._guard = threading.Lock()
        self.stats = Stats()

    def lane(self, key):
        with self._guard:
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = _Lane()
            return lane


def init_app(app):
    app.extensions[WRITERS_KEY] = Writers()


def writers():
    return current_app.extensions[WRITERS_KEY]


def one_writer_for_the_database():
    """SQLite has one write lock for the whole database, so one writer serves every pair."""
    return db.engine.dialect.name == "sqlite"


def lane_key(pair):
    """The writer that changes `pair`'s book: its own on PostgreSQL, the database's on SQLite."""
    return WHOLE_DATABASE if one_writer_for_the_database() else pair


def submit(key, run, *, balances=None):
    """Run `run(uow)` as a command of writer `key`'s next batch; return its result once the batch has
    committed, or raise its refusal (or the batch's CommitFailed).

    `balances(uow)`, when given, names balances the command will read, so that the batch reads those of
    all its commands in one statement before it runs them."""
    command = _Command(run, balances)
    current = writers()
    lane = current.lane(key)
    with lane.guard:
        lane.queue.append(command)
        follows = lane.leading
        lane.leading = True
    if follows:
        command.wake.wait()
        if command.finished:
            return command.outcome()
    # This request leads: its command is the oldest queued, and its session carries the batch (any read it
    # holds is ended by the batch's write transaction).
    try:
        _lead(current, lane)
    finally:
        _hand_over(lane)
    return command.outcome()


def _lead(current, lane):
    bound = current_app.config["WRITER_BATCH_MAX"]
    # Let every request that is ready to run reach its command first. Under eventlet nothing else runs
    # while this request works unless it yields, and SQLite's calls never do: without this the others
    # would only ever queue after the batch, each then leading a batch of one.
    time.sleep(0)
    with lane.guard:
        batch = [lane.queue.popleft() for _ in range(min(bound, len(lane.queue)))]
    try:
        _run(current.stats, batch)
    except BaseException:
        # The leading request itself was stopped (its greenlet killed, say): whatever of the batch had no
        # outcome yet did not commit, and its requests must hear so rather than wait for ever.
        for command in batch:
            if command.result is None and command.error is None:
                command.error = CommitFailed(NOT_COMMITTED)
        raise
    finally:
        for command in batch:
            command.finished = True
            command.wake.set()


def _hand_over(lane):
    """Give the lead to the oldest waiting command's request, or leave the writer idle."""
    with lane.guard:
        if lane.queue:
            lane.queue[0].wake.set()
        else:
            lane.leading = False


def _run(stats, batch):
    """Commit `batch` as one transaction, or as many as its failures call for; every command ends
    with a result or an error."""
    locked = set()
    for _ in range(current_app.config["WRITER_BALANCE_RETRIES"] + 1):
        try:
            _commit_batch(batch, locked)
        except BalancesMoved as moved:
            stats.retries += 1
            locked |= moved.keys  # the next attempt waits for them rather than racing for them
            time.sleep(0)  # let the writer that moved them finish
            continue
        except CommitFailed as failed:
            _fail_all(batch, failed)
        except OperationalError as error:
            log.warning("%d command(s) failed in the database and none took effect: %s", len(batch), error.orig)
            _fail_all(batch, CommitFailed(NOT_COMMITTED))
        except Exception as error:
            if len(batch) == 1:
                batch[0].result, batch[0].error = None, error
            else:
                # Something broke a command part-way: one transaction each, so that it lands on that one alone.
                stats.replays += 1
                for command in batch:
                    _run(stats, [command])
        else:
            stats.batches += 1
            stats.commands += len(batch)
            stats.largest_batch = max(stats.largest_batch, len(batch))
        return
    _fail_all(batch, CommitFailed(BALANCES_BUSY))


def _commit_batch(batch, locked):
    with unit_of_work(batch=True) as uow:
        uow.ledger.lock(locked)
        uow.ledger.load(_balances_named(uow, batch))
        for command in batch:
            uow.next_command()
            mark = uow.mark()
            try:
                command.result, command.error = command.run(uow), None
            except DomainError as refusal:
                if uow.mark() != mark:
                    raise  # it changed something before refusing: the batch cannot commit as it stands
                command.result, command.error = None, refusal
            uow.ledger.announce()  # each command's balance events follow its own order events


def _balances_named(uow, batch):
    keys = set()
    for command in batch:
        if command.balances is not None:
            try:
                keys |= command.balances(uow)
            except DomainError:
                pass  # the command itself will meet it, and refuse
    return keys


def _fail_all(batch, error):
    for command in batch:
        command.result, command.error = None, error
