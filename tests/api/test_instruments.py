"""GET /instruments: the tradable pairs and their grids, present from migration alone (no seed)."""

from decimal import Decimal

import pytest

from api_checks import assert_error

EXPECTED = {
    "EUR/USD": {"base": "EUR", "quote": "USD", "tickSize": "0.00001", "lotSize": "1"},
    "GBP/USD": {"base": "GBP", "quote": "USD", "tickSize": "0.00001", "lotSize": "1"},
    "USD/JPY": {"base": "USD", "quote": "JPY", "tickSize": "0.001", "lotSize": "1"},
    "BTC/USD": {"base": "BTC", "quote": "USD", "tickSize": "0.01", "lotSize": "0.0001"},
}


@pytest.fixture
def instruments(client, user):
    response = client.get("/instruments", headers=user.headers)
    assert response.status_code == 200
    return {instrument["symbol"]: instrument for instrument in response.get_json()}


def test_instruments_require_a_token(client):
    assert_error(client.get("/instruments"), 401)


def test_every_instrument_has_symbol_base_quote_and_grid_as_strings(instruments):
    for instrument in instruments.values():
        assert set(instrument) == {"symbol", "base", "quote", "tickSize", "lotSize", "minAmount"}
        assert all(isinstance(value, str) for value in instrument.values()), instrument


@pytest.mark.parametrize("symbol", EXPECTED)
def test_migrated_database_lists_the_required_pair_with_its_grid(instruments, symbol):
    instrument = instruments[symbol]

    assert {key: instrument[key] for key in EXPECTED[symbol]} == EXPECTED[symbol]


@pytest.mark.parametrize("symbol", EXPECTED)
def test_minimum_amount_is_a_positive_whole_number_of_lots(instruments, symbol):
    minimum = Decimal(instruments[symbol]["minAmount"])
    lot = Decimal(instruments[symbol]["lotSize"])

    assert minimum > 0
    assert minimum % lot == 0
