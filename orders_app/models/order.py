import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.enums import Liquidity, OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from ..domain.orders import average_price
from ..extensions import db
from .types import ExactDecimal, UTCDateTime, enum_column, utcnow


class _OrderFigures:
    """What an order's answer derives from its columns and trades; shared by Order and its snapshots."""

    @property
    def fills(self):
        """Its trades as this order saw them: side, liquidity and counter order."""
        return [Fill(trade, self) for trade in self.trades]

    @property
    def remaining_amount(self):
        return self.amount - self.filled_amount

    @property
    def average_price(self):
        return average_price(self.filled_amount, self.filled_quote)


class Order(_OrderFigures, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("user_id", "client_order_id", name="uq_orders_user_client_order_id"),
        # CAST: on SQLite the amounts are text (types.ExactDecimal), which a bare `> 0` would not compare as numbers.
        CheckConstraint("CAST(amount AS NUMERIC) > 0", name="ck_orders_amount_positive"),
        CheckConstraint("price IS NULL OR CAST(price AS NUMERIC) > 0", name="ck_orders_price_positive"),
        CheckConstraint("CAST(filled_amount AS NUMERIC) >= 0", name="ck_orders_filled_not_negative"),
        Index("ix_orders_user_created", "user_id", "created_at"),
        Index("ix_orders_pair_status", "pair", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    client_order_id: Mapped[str | None] = mapped_column(String(64))
    pair: Mapped[str] = mapped_column(ForeignKey("instruments.symbol"))
    side: Mapped[Side] = mapped_column(enum_column(Side))
    type: Mapped[OrderType] = mapped_column(enum_column(OrderType))
    amount = mapped_column(ExactDecimal, nullable=False)
    price = mapped_column(ExactDecimal)
    filled_amount = mapped_column(ExactDecimal, nullable=False, default=Decimal(0))
    # Sum of amount x price over the fills: the average price is derived from it exactly.
    filled_quote = mapped_column(ExactDecimal, nullable=False, default=Decimal(0))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus), default=OrderStatus.PENDING)
    time_in_force: Mapped[TimeInForce] = mapped_column(
        enum_column(TimeInForce), default=TimeInForce.GTC, server_default=TimeInForce.GTC.value
    )
    self_trade_prevention: Mapped[SelfTradePrevention] = mapped_column(
        enum_column(SelfTradePrevention),
        default=SelfTradePrevention.EXPIRE_MAKER,
        server_default=SelfTradePrevention.EXPIRE_MAKER.value,
    )
    # The pair's sequence when the order last joined the back of its price level: time priority.
    priority: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    instrument = relationship("Instrument")
    # A trade names the buy order and the sell order it filled; an order only ever sits on
    # one side, so its trades are the ones that name it on that side.
    buy_trades = relationship(
        "Trade", foreign_keys="Trade.buy_order_id", back_populates="buy_order", order_by="Trade.seq", lazy="selectin"
    )
    sell_trades = relationship(
        "Trade", foreign_keys="Trade.sell_order_id", back_populates="sell_order", order_by="Trade.seq", lazy="selectin"
    )

    @property
    def trades(self):
        """The trades that filled this order, oldest first (append here to record a fill)."""
        return self.buy_trades if self.side is Side.BUY else self.sell_trades

    def snapshot(self):
        """The order as it stands now, detached from later changes (its answer in a batch of several)."""
        return OrderSnapshot(self)


class OrderSnapshot(_OrderFigures):
    """An order frozen at one moment: its columns, instrument and trades, read like an Order."""

    def __init__(self, order):
        for column in Order.__table__.columns:
            setattr(self, column.key, getattr(order, column.key))
        self.instrument = order.instrument
        self.trades = list(order.trades)


class Trade(db.Model):
    __tablename__ = "trades"
    __table_args__ = (
        CheckConstraint("buy_order_id IS NOT NULL OR sell_order_id IS NOT NULL", name="ck_trades_has_order"),
        CheckConstraint("CAST(amount AS NUMERIC) > 0", name="ck_trades_amount_positive"),
        CheckConstraint("CAST(price AS NUMERIC) > 0", name="ck_trades_price_positive"),
        Index("ix_trades_pair_seq", "pair", "seq"),
        # Market data: filling a gap in the tape by sequence, candles and tickers by time.
        Index("ix_trades_pair_sequence", "pair", "sequence"),
        Index("ix_trades_pair_executed_at", "pair", "executed_at"),
    )

    # The integer key orders trades exactly as they were recorded; `id` is the public identifier.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    pair: Mapped[str] = mapped_column(ForeignKey("instruments.symbol"))
    amount = mapped_column(ExactDecimal, nullable=False)
    price = mapped_column(ExactDecimal, nullable=False)
    buy_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    sell_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    # Set for trades the book matched; None for execution reports from outside.
    taker_side: Mapped[Side | None] = mapped_column(enum_column(Side))
    # The pair's book sequence right after this trade, so a market-data client can spot gaps.
    sequence: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    executed_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # When the trade's proceeds became available: at once, unless its pair settles later.
    settled_at = mapped_column(UTCDateTime)

    instrument = relationship("Instrument")
    buy_order = relationship("Order", foreign_keys=[buy_order_id], back_populates="buy_trades")
    sell_order = relationship("Order", foreign_keys=[sell_order_id], back_populates="sell_trades")

    @property
    def settled(self):
        return self.settled_at is not None


class Fill:
    """A trade seen from one of its orders."""

    __slots__ = ("trade", "order")

    def __init__(self, trade, order):
        self.trade = trade
        self.order = order

    def __getattr__(self, name):
        return getattr(self.trade, name)

    @property
    def instrument(self):
        # The order's, which an answer holds: in a batch, a later command that reads the counter order
        # afresh reads this trade again too, which unloads the trade's own link before the answer is written.
        return self.order.instrument

    @property
    def side(self):
        return self.order.side

    @property
    def liquidity(self):
        if self.trade.taker_side is None:
            return Liquidity.EXTERNAL
        return Liquidity.TAKER if self.trade.taker_side is self.order.side else Liquidity.MAKER

    @property
    def counter_order_id(self):
        return self.trade.sell_order_id if self.order.side is Side.BUY else self.trade.buy_order_id
