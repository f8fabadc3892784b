"""A user's holdings valued in one asset at last trade prices."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from .decimals import EXACT_PRECISION, rounded_to_stored_places

@dataclass(frozen=True)
class PairPrice:
    symbol: str
    base: str
    quote: str
    last_price: Decimal | None


@dataclass(frozen=True)
class Holding:
    asset: str
    amount: Decimal
    market_price: Decimal | None  # in the valuation asset per unit of `asset`
    market_value: Decimal | None
    price_source: str | None  # the valuation asset itself, or the symbol of the pair that priced it
    inverse: bool  # priced through a pair quoted the other way round (USD/JPY for JPY in USD)

    @property
    def is_priced(self):
        return self.market_value is not None


@dataclass(frozen=True)
class Portfolio:
    valuation_asset: str
    holdings: list[Holding]  # sorted by asset
    total_value: Decimal  # sum of the priced market values
    unpriced_assets: list[str]  # sorted


def value_portfolio(
    amounts: Mapping[str, Decimal], valuation_asset: str, pair_prices: Iterable[PairPrice]
) -> Portfolio:
    """Holdings in `amounts` valued in `valuation_asset` through direct or inverse pairs only.

    No triangulation through a third asset: a price made of two hops would be a guess at a market
    that does not trade, so an asset without its own pair against the valuation asset stays unpriced.
    """
    direct, inverse = _usable_pairs(valuation_asset, pair_prices)
    # Wide enough that products, sums and 1/last are exact or correct far past the 18 places kept.
    with localcontext(prec=EXACT_PRECISION):
        holdings = [
            _holding(asset, amount, valuation_asset, direct, inverse)
            for asset, amount in sorted(amounts.items())
            if amount != 0
        ]
        total_value = sum((holding.market_value for holding in holdings if holding.is_priced), Decimal(0))
        return Portfolio(
            valuation_asset=valuation_asset,
            holdings=holdings,
            total_value=rounded_to_stored_places(total_value),
            unpriced_assets=[holding.asset for holding in holdings if not holding.is_priced],
        )


def _usable_pairs(valuation_asset, pair_prices):
    """Pairs that can price an asset, by that asset: ASSET/valuation and valuation/ASSET."""
    direct, inverse = {}, {}
    for pair in pair_prices:
        # No last price means no market to value at; a zero one cannot be inverted and means the same.
        if pair.last_price is None or pair.last_price <= 0:
            continue
        if pair.quote == valuation_asset and pair.base != valuation_asset:
            direct.setdefault(pair.base, pair)
        elif pair.base == valuation_asset and pair.quote != valuation_asset:
            inverse.setdefault(pair.quote, pair)
    return direct, inverse


def _holding(asset, amount, valuation_asset, direct, inverse):
    if asset == valuation_asset:
        return Holding(asset, amount, Decimal(1), rounded_to_stored_places(amount), valuation_asset, inverse=False)
    if asset in direct:
        pair = direct[asset]
        price = pair.last_price
        return Holding(asset, amount, price, rounded_to_stored_places(amount * price), pair.symbol, inverse=False)
    if asset in inverse:
        pair = inverse[asset]
        # Value from the exact quotient, not from the rounded price, so large holdings carry no
        # rounding error of the price: amount * market_price may differ from it in the last places.
        return Holding(
            asset,
            amount,
            rounded_to_stored_places(1 / pair.last_price),
            rounded_to_stored_places(amount / pair.last_price),
            pair.symbol,
            inverse=True,
        )
    return Holding(asset, amount, None, None, None, inverse=False)
