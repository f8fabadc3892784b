"""The tradable instruments, kept in step with the INSTRUMENTS setting."""

from decimal import Decimal

from sqlalchemy import select

from ..domain.decimals import MAX_FRACTION_DIGITS, places
from ..domain.enums import Settlement
from ..domain.errors import InvalidInput
from ..extensions import db
from ..models import Instrument
from .unit_of_work import unit_of_work


def sync_instruments(*, definitions):
    """Create or update instruments from settings; returns the symbols that changed."""
    changed = []
    with unit_of_work() as uow:
        existing = {i.symbol: i for i in uow.session.scalars(select(Instrument))}
        for definition in definitions:
            wanted = {
                "base": definition["base"],
                "quote": definition["quote"],
                "tick_size": Decimal(str(definition["tickSize"])),
                "lot_size": Decimal(str(definition["lotSize"])),
                "min_amount": Decimal(str(definition.get("minAmount", definition["lotSize"]))),
                "settlement": Settlement(definition.get("settlement", Settlement.IMMEDIATE.value)),
            }
            if places(wanted["tick_size"]) + places(wanted["lot_size"]) > MAX_FRACTION_DIGITS:
                # amount x price must be exact in a balance, which keeps MAX_FRACTION_DIGITS places.
                raise ValueError(
                    f"{definition['symbol']}: tick size and lot size together have more than "
                    f"{MAX_FRACTION_DIGITS} decimal places."
                )
            instrument = existing.get(definition["symbol"])
            if instrument is None:
                uow.session.add(Instrument(symbol=definition["symbol"], **wanted))
                changed.append(definition["symbol"])
            elif any(getattr(instrument, key) != value for key, value in wanted.items()):
                for key, value in wanted.items():
                    setattr(instrument, key, value)
                changed.append(definition["symbol"])
    return changed


def list_instruments():
    return db.session.scalars(select(Instrument).order_by(Instrument.symbol)).all()


def get_instrument(symbol, *, field="pair"):
    """The instrument, or InvalidInput naming `field` when the symbol is not traded here."""
    return known(db.session.get(Instrument, symbol), symbol, field=field)


def known(instrument, symbol, *, field="pair"):
    """`instrument` as looked up for `symbol`, or InvalidInput when the lookup found none."""
    if instrument is None:
        raise InvalidInput(f"Unknown pair '{symbol}'; GET /instruments lists the tradable pairs.", field=field)
    return instrument
