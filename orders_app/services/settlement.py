"""Settling trades of deferred-settlement pairs: pending proceeds become available."""

from sqlalchemy import select

from ..domain.enums import EntryType
from ..domain.errors import Conflict, NotFound
from ..domain.funds import VENUE_ACCOUNT, is_system_account, settlement_legs
from ..extensions import db
from ..models import Trade
from .unit_of_work import unit_of_work


def settle_trade(*, trade_id):
    """Settle one trade; Conflict if it already is. Returns the trade."""
    with unit_of_work() as uow:
        trade = uow.session.scalar(
            select(Trade).where(Trade.id == trade_id).with_for_update().execution_options(populate_existing=True)
        )
        if trade is None:
            raise NotFound(f"Trade {trade_id} not found.")
        if trade.settled:
            raise Conflict(f"Trade {trade_id} was already settled at {trade.settled_at.isoformat()}.")
        instrument = trade.instrument
        buyer = trade.buy_order.user_id if trade.buy_order_id else VENUE_ACCOUNT
        seller = trade.sell_order.user_id if trade.sell_order_id else VENUE_ACCOUNT
        uow.ledger.lock(
            {(account, asset) for account, asset in ((buyer, instrument.base), (seller, instrument.quote))
             if not is_system_account(account)}
        )
        order_ids = {buyer: trade.buy_order_id, seller: trade.sell_order_id}
        legs = settlement_legs(
            base=instrument.base, quote=instrument.quote, amount=trade.amount, price=trade.price, buyer=buyer, seller=seller
        )
        uow.ledger.post(EntryType.SETTLEMENT, legs, order_ids=order_ids, trade_id=trade.id)
        trade.settled_at = uow.now
    return trade


def settle_pending(*, pair=None):
    """Settle every unsettled trade (of `pair`, if given), oldest first, each in its own transaction.
    Returns how many this call settled."""
    query = select(Trade.id).where(Trade.settled_at.is_(None)).order_by(Trade.seq)
    if pair is not None:
        query = query.where(Trade.pair == pair)
    trade_ids = db.session.scalars(query).all()
    db.session.rollback()  # end the read before the writes
    settled = 0
    for trade_id in trade_ids:
        try:
            settle_trade(trade_id=trade_id)
        except Conflict:
            continue  # settled meanwhile by someone else
        settled += 1
    return settled
