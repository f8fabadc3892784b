"""What a user holds: positions per pair from their fills, and their balances valued in one asset."""

from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from flask import current_app
from sqlalchemy import or_, select

from ..domain.positions import PositionFill, position_from_fills
from ..domain.valuation import PairPrice, value_portfolio
from ..extensions import db
from ..models import Instrument, Order, Trade
from .balances import checked_asset, list_balances


@dataclass(frozen=True)
class PairPosition:
    """A position in one pair with the instrument that says how to show it."""

    instrument: Instrument
    net_amount: Decimal
    average_entry_price: Decimal | None
    realized_pnl: Decimal
    unrealized_pnl: Decimal | None
    last_price: Decimal | None

    @property
    def pair(self):
        return self.instrument.symbol


def positions(*, user_id):
    """The user's position in every pair they have a fill in (matched or reported), sorted by pair."""
    fills = db.session.execute(
        select(Trade.pair, Order.side, Trade.amount, Trade.price)
        .join(Order, or_(Trade.buy_order_id == Order.id, Trade.sell_order_id == Order.id))
        .where(Order.user_id == user_id)
        .order_by(Trade.pair, Trade.seq)
    ).all()
    instruments = {instrument.symbol: instrument for instrument in db.session.scalars(select(Instrument))}
    result = []
    for pair, pair_fills in groupby(fills, key=lambda fill: fill.pair):
        instrument = instruments[pair]
        mark_price = instrument.last_trade_price
        position = position_from_fills(
            (PositionFill(side=fill.side, amount=fill.amount, price=fill.price) for fill in pair_fills), mark_price
        )
        result.append(
            PairPosition(
                instrument=instrument,
                net_amount=position.net_amount,
                average_entry_price=position.average_entry_price,
                realized_pnl=position.realized_pnl,
                unrealized_pnl=position.unrealized_pnl,
                last_price=mark_price,
            )
        )
    return result


def portfolio(*, user_id, valuation_asset=None):
    """The user's balance totals valued in `valuation_asset` (VALUATION_ASSET when not given) at last trade prices.

    An asset the caller names must be known (InvalidInput naming valuationAsset otherwise).
    """
    if valuation_asset is None:
        valuation_asset = current_app.config["VALUATION_ASSET"]
    else:
        valuation_asset = checked_asset(valuation_asset, field="valuationAsset")
    amounts = {balance.asset: balance.total for balance in list_balances(user_id=user_id)}
    pair_prices = [
        PairPrice(symbol=i.symbol, base=i.base, quote=i.quote, last_price=i.last_trade_price)
        for i in db.session.scalars(select(Instrument).order_by(Instrument.symbol))
    ]
    return value_portfolio(amounts, valuation_asset, pair_prices)
