import uuid

from sqlalchemy import BigInteger, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

SEQ = BigInteger().with_variant(Integer, "sqlite")


class AccountEvent(db.Model):
    """One private event exactly as it was published, numbered per account (services/event_log.py).

    Written in the transaction of the change it describes, so a committed change always has its
    events and a rolled-back one never does. The key (account_id, event_seq) is the order a client
    reads them in. No foreign key: the log is pruned on its own schedule and must never hold up a
    change to a user.
    """

    __tablename__ = "account_events"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the published JSON document, eventSeq included
    created_at = mapped_column(UTCDateTime, nullable=False)


class AccountEventSequence(db.Model):
    """Per account: the last eventSeq given out, and how far the log has been pruned.

    Its row is the per-account lock of the log: a transaction takes the numbers for its events by
    raising last_seq (services/event_log.py explains why that cannot deadlock), and holds the row until
    it commits, so an account's events commit in eventSeq order and the committed ones are always
    1..last_seq, of which pruned_through..last_seq are still stored.
    """

    __tablename__ = "account_event_sequences"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    last_seq: Mapped[int] = mapped_column(SEQ, nullable=False, default=0)
    # Every event with eventSeq <= pruned_through has been deleted (flask prune-events).
    pruned_through: Mapped[int] = mapped_column(SEQ, nullable=False, default=0)
