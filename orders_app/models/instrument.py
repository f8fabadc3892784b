from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.enums import Settlement
from ..domain.instruments import InstrumentSpec
from ..extensions import db
from .types import ExactDecimal, enum_column


class Instrument(db.Model):
    __tablename__ = "instruments"

    symbol: Mapped[str] = mapped_column(String(16), primary_key=True)
    base: Mapped[str] = mapped_column(String(10))
    quote: Mapped[str] = mapped_column(String(10))
    tick_size = mapped_column(ExactDecimal, nullable=False)
    lot_size = mapped_column(ExactDecimal, nullable=False)
    min_amount = mapped_column(ExactDecimal, nullable=False)
    # The pair's book state. This row is also the per-pair lock every change to the book takes.
    sequence: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0, server_default="0")
    last_trade_price = mapped_column(ExactDecimal)
    settlement: Mapped[Settlement] = mapped_column(
        enum_column(Settlement), default=Settlement.IMMEDIATE, server_default=Settlement.IMMEDIATE.value
    )

    @property
    def spec(self):
        return InstrumentSpec(
            symbol=self.symbol,
            base=self.base,
            quote=self.quote,
            tick_size=self.tick_size,
            lot_size=self.lot_size,
            min_amount=self.min_amount,
        )
