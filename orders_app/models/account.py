import uuid

from sqlalchemy import BigInteger, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.enums import Bucket, EntryType
from ..extensions import db
from .types import ExactDecimal, UTCDateTime, enum_column, utcnow


class Balance(db.Model):
    """One account's holding of one asset. The account is a user's id or one of the system accounts
    (domain/funds.py), which is why account_id carries no foreign key to users."""

    __tablename__ = "balances"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    asset: Mapped[str] = mapped_column(String(10), primary_key=True)
    available = mapped_column(ExactDecimal, nullable=False)
    held = mapped_column(ExactDecimal, nullable=False)
    pending = mapped_column(ExactDecimal, nullable=False)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def total(self):
        return self.available + self.held + self.pending

    def bucket(self, bucket):
        return getattr(self, bucket.value.lower())

    def set_bucket(self, bucket, value):
        setattr(self, bucket.value.lower(), value)


class LedgerEntry(db.Model):
    """One leg of a movement, append-only. A movement's legs sum to zero per asset."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_account_seq", "account_id", "seq"),
        Index("ix_ledger_entries_order", "order_id"),
        Index("ix_ledger_entries_trade", "trade_id"),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    movement_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    type: Mapped[EntryType] = mapped_column(enum_column(EntryType))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    asset: Mapped[str] = mapped_column(String(10))
    bucket: Mapped[Bucket] = mapped_column(enum_column(Bucket))
    amount = mapped_column(ExactDecimal, nullable=False)
    # The bucket's value right after this entry: a statement reads as a running balance.
    balance_after = mapped_column(ExactDecimal, nullable=False)
    # What caused it, when an order or a trade did. Plain ids, no foreign keys: the ledger is the record
    # of money and neither depends on nor holds up the rows it names.
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    trade_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
