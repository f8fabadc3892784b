"""Holdings valued in one asset through direct or inverse pairs at last trade prices."""

from decimal import Decimal

from orders_app.domain.valuation import Holding, PairPrice, value_portfolio

D = Decimal

EUR_USD = PairPrice("EUR/USD", "EUR", "USD", D("1.10000"))
USD_JPY = PairPrice("USD/JPY", "USD", "JPY", D("150.000"))
BTC_USD = PairPrice("BTC/USD", "BTC", "USD", D("65000.00"))
EUR_JPY = PairPrice("EUR/JPY", "EUR", "JPY", D("165.000"))


def holding_of(portfolio, asset):
    return next(holding for holding in portfolio.holdings if holding.asset == asset)


def test_the_valuation_asset_itself_is_priced_at_one():
    portfolio = value_portfolio({"USD": D("250.50")}, "USD", [])

    assert portfolio.holdings == [Holding("USD", D("250.50"), D(1), D("250.5"), "USD", inverse=False)]
    assert portfolio.total_value == D("250.5")
    assert portfolio.unpriced_assets == []


def test_an_asset_quoted_in_the_valuation_asset_is_priced_at_the_last_price():
    portfolio = value_portfolio({"EUR": D("100")}, "USD", [EUR_USD])

    eur = holding_of(portfolio, "EUR")
    assert eur.market_price == D("1.10000")
    assert eur.market_value == D("110")
    assert eur.price_source == "EUR/USD"
    assert eur.inverse is False


def test_an_asset_the_valuation_asset_is_quoted_in_is_priced_at_one_over_the_last_price():
    portfolio = value_portfolio({"JPY": D("15000")}, "USD", [USD_JPY])

    jpy = holding_of(portfolio, "JPY")
    assert jpy.market_price == D("0.006666666666666667")  # 1/150 to 18 places, half even
    assert jpy.market_value == D("100")
    assert jpy.price_source == "USD/JPY"
    assert jpy.inverse is True


def test_an_inverse_market_value_is_rounded_to_18_places():
    portfolio = value_portfolio({"JPY": D("1")}, "USD", [USD_JPY])

    assert holding_of(portfolio, "JPY").market_value == D("0.006666666666666667")


def test_a_direct_pair_is_preferred_over_an_inverse_one():
    usd_eur = PairPrice("USD/EUR", "USD", "EUR", D("0.5"))

    for pairs in ([usd_eur, EUR_USD], [EUR_USD, usd_eur]):
        eur = holding_of(value_portfolio({"EUR": D("10")}, "USD", pairs), "EUR")
        assert (eur.price_source, eur.market_price, eur.inverse) == ("EUR/USD", D("1.10000"), False)


def test_an_asset_without_a_pair_against_the_valuation_asset_is_unpriced_not_triangulated():
    # EUR/JPY and USD/JPY together would give a EUR price in USD; it is deliberately not used.
    portfolio = value_portfolio({"EUR": D("10"), "USD": D("5")}, "USD", [EUR_JPY, USD_JPY])

    eur = holding_of(portfolio, "EUR")
    assert eur == Holding("EUR", D("10"), None, None, None, inverse=False)
    assert portfolio.unpriced_assets == ["EUR"]
    assert portfolio.total_value == D("5")


def test_a_pair_without_a_last_price_prices_nothing():
    no_trades_yet = PairPrice("EUR/USD", "EUR", "USD", None)

    portfolio = value_portfolio({"EUR": D("10")}, "USD", [no_trades_yet])

    assert holding_of(portfolio, "EUR").market_price is None
    assert portfolio.unpriced_assets == ["EUR"]
    assert portfolio.total_value == 0


def test_an_inverse_pair_is_used_when_the_direct_one_has_no_last_price():
    pairs = [PairPrice("JPY/USD", "JPY", "USD", None), USD_JPY]

    jpy = holding_of(value_portfolio({"JPY": D("300")}, "USD", pairs), "JPY")

    assert (jpy.price_source, jpy.inverse, jpy.market_value) == ("USD/JPY", True, D("2"))


def test_zero_amounts_are_left_out():
    portfolio = value_portfolio({"EUR": D("0"), "BTC": D("0.00000000"), "USD": D("1")}, "USD", [EUR_USD, BTC_USD])

    assert [holding.asset for holding in portfolio.holdings] == ["USD"]


def test_an_unpriced_zero_amount_is_not_reported_as_unpriced():
    assert value_portfolio({"DOGE": D("0")}, "USD", []).unpriced_assets == []


def test_the_total_sums_only_the_priced_holdings():
    amounts = {"USD": D("1000"), "EUR": D("100"), "JPY": D("15000"), "BTC": D("0.5"), "XAU": D("2"), "GBP": D("3")}

    portfolio = value_portfolio(amounts, "USD", [EUR_USD, USD_JPY, BTC_USD])

    assert portfolio.total_value == D("33710")  # 1000 + 110 + 100 + 32500
    assert portfolio.unpriced_assets == ["GBP", "XAU"]


def test_holdings_are_sorted_by_asset():
    portfolio = value_portfolio({"USD": D("1"), "BTC": D("1"), "EUR": D("1"), "AAA": D("1")}, "USD", [EUR_USD])

    assert [holding.asset for holding in portfolio.holdings] == ["AAA", "BTC", "EUR", "USD"]
    assert portfolio.valuation_asset == "USD"


def test_a_negative_amount_is_valued_negative():
    portfolio = value_portfolio({"EUR": D("-10"), "USD": D("20")}, "USD", [EUR_USD])

    assert holding_of(portfolio, "EUR").market_value == D("-11")
    assert portfolio.total_value == D("9")


def test_large_holdings_keep_all_their_digits():
    amount = D("99999999999999999999.999999999999999999")

    portfolio = value_portfolio({"USD": amount, "EUR": D("1")}, "USD", [EUR_USD])

    assert holding_of(portfolio, "USD").market_value == amount
    assert portfolio.total_value == D("100000000000000000001.099999999999999999")
