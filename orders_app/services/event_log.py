"""The per-account event log: every private event numbered (`eventSeq`) and stored with its change.

What it owns:
- numbering: record() gives each private event of a transaction the account's next eventSeq and
  writes it, exactly as it will be published, in the SAME transaction, just before the commit; so a
  committed change always has its events stored, and a rolled-back one neither stores nor publishes any;
- reading: events_after() for GET /events and for Socket.IO replay, snapshot() for SNAPSHOT;
- retention: prune() deletes what is older than EVENT_LOG_RETENTION_DAYS.

Numbering across processes (PostgreSQL). An account's counter is its row in account_event_sequences.
A transaction raises the counters of every account it has events for in ONE statement, an
INSERT ... ON CONFLICT DO UPDATE ... RETURNING whose rows are sorted by account id, which PostgreSQL
executes row by row in that order, taking each row's lock (or creating the row) as it goes. It is the
transaction's LAST statement that can wait for a lock, and the rows stay locked until its commit:
- so an account's numbers are given out in commit order: the next transaction waits for the commit
  of the one before, and reads the counter it left. The committed events of an account are always
  exactly 1..last_seq, and a reader that sees eventSeq n committed knows every number below n is too;
- and no deadlock is possible. A transaction that holds counter locks waits for nothing but other
  counter locks, in that one key-ordered statement (then it inserts rows keyed by numbers nobody else
  can hold, and commits). Two such transactions wait for each other only in key order, so they cannot
  form a cycle; and no cycle can pass through them into the balance locks (services/ledger.py) or the
  pair locks (services/books.py), because a holder of counter locks never waits for those: every
  transaction takes them before it reaches this statement.
On SQLite the write transaction holds the database lock, which serialises all of this anyway.
"""

import json
from datetime import timedelta
from functools import cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..domain.enums import OPEN_STATUSES
from ..domain.errors import Gone
from ..extensions import db
from ..models import AccountEvent, AccountEventSequence, Order
from ..models.types import utcnow

MAX_SEQ = 2**63 - 1  # an eventSeq is a BIGINT

# One encoder for every stored payload: json.dumps with any option builds a new encoder per call.
_compact_json = json.JSONEncoder(separators=(",", ":")).encode


def record(session, events, *, at):
    """Number the private events of a transaction and store them; return the events to publish, in
    the same order, the private ones carrying their `eventSeq`.

    Called just before the commit (services/unit_of_work.py), after everything else was written."""
    counts = {}
    for event in events:
        if event.private:
            counts[event.account_id] = counts.get(event.account_id, 0) + 1
    if not counts:
        return events
    # Whatever the use case still has to write goes first: once the counters are locked, the transaction
    # writes nothing but its events, and waits for no other lock (see the module docstring).
    session.flush()
    next_seq = {account: last - counts[account] for account, last in _raise_counters(session, counts).items()}
    numbered, rows = [], []
    for event in events:
        if event.private:
            seq = next_seq[event.account_id] = next_seq[event.account_id] + 1
            payload = {"event": event.payload["event"], "eventSeq": seq, **event.payload}
            event = event.with_payload(payload)
            rows.append(
                {
                    "account_id": event.account_id,
                    "event_seq": seq,
                    "name": event.name,
                    "payload": _compact_json(payload),
                    "created_at": at,
                }
            )
        numbered.append(event)
    # One INSERT for the whole transaction (a batch of the book writer included), on the connection: the
    # rows are plain values, which the ORM's bulk path would only add per-row bookkeeping to.
    session.connection().execute(AccountEvent.__table__.insert(), rows)
    return numbered


def _raise_counters(session, counts):
    """Add counts[account] to each account's counter in one key-ordered statement; {account: new last_seq}."""
    connection = session.connection()
    rows = [{"account_id": account, "last_seq": counts[account], "pruned_through": 0} for account in sorted(counts)]
    # On the connection: the ORM must not try to reconcile these rows with objects.
    return {row.account_id: row.last_seq for row in connection.execute(_counter_upsert(connection.dialect.name), rows)}


@cache
def _counter_upsert(dialect):
    """The counter statement for one row, which SQLAlchemy runs for a list of rows as ONE multi-row
    statement, its VALUES in the list's order ("insertmanyvalues"). A statement built with the rows in
    it would be compiled afresh every time: SQLAlchemy caches no multi-row VALUES, and compiling one
    cost more than running it. Unordered RETURNING: asked to keep the rows' order, PostgreSQL's form
    would be one statement per row."""
    upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(AccountEventSequence)
    return upsert.on_conflict_do_update(
        index_elements=["account_id"],
        set_={"last_seq": AccountEventSequence.last_seq + upsert.excluded.last_seq},
    ).returning(AccountEventSequence.account_id, AccountEventSequence.last_seq)


def _counter(connection, account_id):
    """(last_seq, pruned_through) of an account; (0, 0) before its first event."""
    row = connection.execute(
        select(AccountEventSequence.last_seq, AccountEventSequence.pruned_through).where(
            AccountEventSequence.account_id == account_id
        )
    ).first()
    return (row.last_seq, row.pruned_through) if row else (0, 0)


def last_seq(connection, account_id):
    return _counter(connection, account_id)[0]


def retained_after(connection, account_id, after_seq):
    """Raise Gone when events after `after_seq` have been pruned, so they can no longer all be read."""
    _last, pruned_through = _counter(connection, account_id)
    if after_seq < pruned_through:
        raise Gone(
            f"Events up to eventSeq {pruned_through} are no longer kept; read the current state "
            f"(GET /orders, GET /balances) and continue from eventSeq {pruned_through} or later.",
            field="afterSeq",
        )


def stored_after(connection, account_id, after_seq, limit, *, through=None):
    """Up to `limit` stored events of the account after `after_seq` (and up to `through`), oldest
    first, as (eventSeq, name, payload dict)."""
    query = select(AccountEvent.event_seq, AccountEvent.name, AccountEvent.payload).where(
        AccountEvent.account_id == account_id, AccountEvent.event_seq > after_seq
    )
    if through is not None:
        query = query.where(AccountEvent.event_seq <= through)
    rows = connection.execute(query.order_by(AccountEvent.event_seq).limit(limit))
    return [(row.event_seq, row.name, json.loads(row.payload)) for row in rows]


def events_after(*, user_id, after_seq, limit):
    """GET /events: {events, lastSeq, hasMore} of the user's events after `after_seq`; Gone when pruned."""
    session = db.session
    connection = session.connection()
    found = stored_after(connection, user_id, after_seq, limit + 1)
    # Checked after the read: a prune that deleted part of what the read wanted has committed by now.
    retained_after(connection, user_id, after_seq)
    session.commit()  # end the read
    page = found[:limit]
    return {
        "events": [payload for _seq, _name, payload in page],
        "last_seq": page[-1][0] if page else after_seq,
        "has_more": len(found) > limit,
    }


def snapshot(user_id):
    """The SNAPSHOT payload: the account as of one instant, {eventSeq of the last event it reflects,
    open orders, balances}.

    One read transaction: REPEATABLE READ on PostgreSQL, where READ COMMITTED would let a commit land
    between the statements; on SQLite (WAL) a read transaction sees one snapshot from its first read.
    Events are written in the transaction of their change, so the counter read here is exactly the last
    event whose change the orders and balances read here include."""
    # Imported here: event payloads use the API schemas, whose package imports the services.
    from ..realtime import events as event_payloads
    from .balances import list_balances

    session = db.session()
    if session.in_transaction():
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    try:
        seq = last_seq(session.connection(), user_id)
        orders = session.scalars(
            select(Order).where(Order.user_id == user_id, Order.status.in_(OPEN_STATUSES)).order_by(Order.created_at)
        ).all()
        return event_payloads.snapshot(seq, orders, list_balances(user_id=user_id))
    finally:
        session.commit()


def prune(*, retention):
    """Delete every event older than `retention` (a timedelta); return how many went.

    Per account, the events up to the newest one older than the cut-off go, so what remains is always
    an unbroken run up to last_seq, and pruned_through records where it starts. Each account is pruned
    in a transaction of its own that locks only its counter row, so a writer waits at most for one
    account's deletion, and pruning cannot deadlock with writers (see the module docstring)."""
    from .unit_of_work import unit_of_work  # which itself calls record()

    cutoff = utcnow() - retention
    session = db.session()
    cut = session.execute(
        select(AccountEvent.account_id, func.max(AccountEvent.event_seq))
        .where(AccountEvent.created_at < cutoff)
        .group_by(AccountEvent.account_id)
        .order_by(AccountEvent.account_id)
    ).all()
    deleted = 0
    for account_id, through in cut:
        with unit_of_work() as uow:
            uow.session.execute(
                update(AccountEventSequence)
                .where(AccountEventSequence.account_id == account_id, AccountEventSequence.pruned_through < through)
                .values(pruned_through=through)
            )
            deleted += uow.session.execute(
                delete(AccountEvent).where(AccountEvent.account_id == account_id, AccountEvent.event_seq <= through)
            ).rowcount
    return deleted


def retention_of(config):
    return timedelta(days=config["EVENT_LOG_RETENTION_DAYS"])
