import uuid

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.enums import Side
from ..extensions import db
from .types import ExactDecimal, enum_column


class BookChange(db.Model):
    """One order whose place in its pair's book a committed transaction changed, as it stood afterwards.

    Written in the transaction that made the change (services/books.py), so a process whose cached book
    is a few sequences behind catches up from these rows instead of reading every open order.
    """

    __tablename__ = "book_changes"
    __table_args__ = (Index("ix_book_changes_pair_sequence", "pair", "sequence"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    # No foreign key: the log is pruned on its own schedule and must never hold up a change to an instrument.
    pair: Mapped[str] = mapped_column(String(16))
    # The pair's sequence at the start and at the end of the transaction that wrote the row.
    from_sequence: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    sequence: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    # NULL for a transaction that moved the sequence without touching any order: it keeps the chain whole.
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # The order as it rests afterwards; all three NULL once it has left the book.
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    side: Mapped[Side | None] = mapped_column(enum_column(Side), nullable=True)
    price = mapped_column(ExactDecimal)
    remaining = mapped_column(ExactDecimal, nullable=False)  # 0: gone from the book
    # It joined the back of its level in that transaction (a new resting order, an amend that lost priority).
    requeued: Mapped[bool] = mapped_column(Boolean, default=False)
