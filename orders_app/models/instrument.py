from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.instruments import InstrumentSpec
from ..extensions import db
from .types import ExactDecimal


class Instrument(db.Model):
    __tablename__ = "instruments"

    symbol: Mapped[str] = mapped_column(String(16), primary_key=True)
    base: Mapped[str] = mapped_column(String(10))
    quote: Mapped[str] = mapped_column(String(10))
    tick_size = mapped_column(ExactDecimal, nullable=False)
    lot_size = mapped_column(ExactDecimal, nullable=False)
    min_amount = mapped_column(ExactDecimal, nullable=False)

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
