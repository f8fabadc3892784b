"""Market data built from the trade tape: GET /trades?afterSequence (filling a gap), GET /candles, GET /ticker."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from api_checks import assert_error

from orders_app.extensions import db
from orders_app.models import Trade
from orders_app.models.types import utcnow

# A quarter past ten on a fixed day; candles are checked on trades moved to known times around it.
TEN = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def cross(place_order, user, other_user):
    """cross(amount, price) -> the taker's order after Bob buys `amount` from a resting sell of Alice's."""

    def trade(amount="100", price="1.10000", pair="EUR/USD"):
        place_order(user, pair=pair, side="SELL", amount=amount, price=price)
        taker = place_order(other_user, pair=pair, side="BUY", amount=amount, price=price)
        assert taker["status"] == "FILLED", taker
        return taker

    return trade


@pytest.fixture
def trade_at(app, cross):
    """trade_at(moment, amount, price) -> a matched trade, moved to have executed at `moment`."""

    def trade(moment, amount, price):
        (fill,) = cross(amount, price)["trades"]
        with app.app_context():
            db.session.execute(update(Trade).where(Trade.id == uuid.UUID(fill["tradeId"])).values(executed_at=moment))
            db.session.commit()
        return fill

    return trade


def get(client, path, **query):
    return client.get(path, query_string=query)


def candles(client, **query):
    response = get(client, "/candles", pair="EUR/USD", **query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- GET /trades?afterSequence ------------------------------------------------------------------


def test_trades_after_a_sequence_come_oldest_first_and_only_those_after_it(client, cross):
    for price in ("1.10000", "1.10010", "1.10020", "1.10030"):
        cross("100", price)
    newest_first = get(client, "/trades", pair="EUR/USD").get_json()
    second = newest_first[2]

    missed = get(client, "/trades", pair="EUR/USD", afterSequence=second["sequence"]).get_json()

    assert missed == list(reversed(newest_first[:2]))
    assert [trade["sequence"] for trade in missed] == sorted(trade["sequence"] for trade in missed)


def test_trades_after_a_sequence_are_paged(client, cross):
    for price in ("1.10000", "1.10010", "1.10020"):
        cross("100", price)
    oldest_first = list(reversed(get(client, "/trades", pair="EUR/USD").get_json()))

    first_page = get(client, "/trades", pair="EUR/USD", afterSequence=0, page_size=2)
    second_page = get(client, "/trades", pair="EUR/USD", afterSequence=0, page_size=2, page=2)

    assert first_page.get_json() + second_page.get_json() == oldest_first
    assert json.loads(first_page.headers["X-Pagination"])["total"] == 3


@pytest.mark.parametrize("after", [-1, "abc", 2**63])
def test_a_bad_after_sequence_is_422(client, after):
    assert_error(get(client, "/trades", pair="EUR/USD", afterSequence=after), 422, field="afterSequence", location="query")


# --- GET /candles ---------------------------------------------------------------------------------


def test_candles_are_utc_aligned_ohlcv_of_the_tape_oldest_first_without_empty_buckets(client, trade_at):
    trade_at(TEN + timedelta(seconds=5), "100", "1.10010")
    trade_at(TEN + timedelta(seconds=50), "300", "1.10030")
    trade_at(TEN + timedelta(seconds=59), "200", "1.10000")
    trade_at(TEN + timedelta(minutes=1, seconds=10), "50", "1.10020")
    trade_at(TEN + timedelta(minutes=7), "10", "1.09990")
    window = {"from": TEN.isoformat(), "to": (TEN + timedelta(minutes=59)).isoformat()}

    one_minute = candles(client, interval="1m", **window)
    five_minutes = candles(client, interval="5m", **window)
    (one_hour,) = candles(client, interval="1h", **window)

    assert one_minute[0] == {
        "interval": "1m",
        "openTime": "2026-11-20T10:00:00+00:00",
        "closeTime": "2026-11-20T10:01:00+00:00",
        "open": "1.10010",
        "high": "1.10030",
        "low": "1.10000",
        "close": "1.10000",
        "volume": "600",
        "quoteVolume": "660.10000",  # 110.01 + 330.09 + 220.00
        "tradeCount": 3,
    }
    assert [(c["openTime"][11:16], c["close"], c["tradeCount"]) for c in one_minute] == [
        ("10:00", "1.10000", 3),
        ("10:01", "1.10020", 1),
        ("10:07", "1.09990", 1),
    ]
    assert [(c["openTime"][11:16], c["open"], c["close"], c["volume"]) for c in five_minutes] == [
        ("10:00", "1.10010", "1.10020", "650"),
        ("10:05", "1.09990", "1.09990", "10"),
    ]
    assert (one_hour["openTime"], one_hour["closeTime"]) == ("2026-11-20T10:00:00+00:00", "2026-11-20T11:00:00+00:00")
    assert (one_hour["high"], one_hour["low"], one_hour["volume"], one_hour["tradeCount"]) == ("1.10030", "1.09990", "660", 5)


def test_candles_from_a_time_start_at_the_first_bucket_opening_at_or_after_it_and_stop_at_the_limit(client, trade_at):
    for minute in range(4):
        trade_at(TEN + timedelta(minutes=minute, seconds=1), "10", "1.10000")

    after_start = candles(client, interval="1m", **{"from": (TEN + timedelta(seconds=1)).isoformat()}, limit=2)

    assert [c["openTime"][11:16] for c in after_start] == ["10:01", "10:02"]


def test_without_from_the_candles_are_the_last_ones_up_to_to(client, trade_at):
    for minute in range(4):
        trade_at(TEN + timedelta(minutes=minute), "10", "1.10000")

    last_two = candles(client, interval="1m", to=(TEN + timedelta(minutes=3)).isoformat(), limit=2)

    assert [c["openTime"][11:16] for c in last_two] == ["10:02", "10:03"]


def test_candles_leave_out_execution_reports_and_other_pairs(client, place_order, post_trade, user, cross):
    order = place_order(user, side="BUY", amount="100", price="1.10000")
    assert post_trade(user, order, "100", "1.10000").status_code == 201
    cross("100", "1.25000", pair="GBP/USD")

    assert candles(client, interval="1d") == []


def test_a_day_candle_of_todays_trades_opens_at_midnight_utc(client, cross):
    cross("100", "1.10000")
    today = utcnow().date().isoformat()

    (day,) = candles(client, interval="1d")

    assert day["openTime"] == f"{today}T00:00:00+00:00" and day["volume"] == "100"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"interval": "2m"}, "interval"),
        ({"interval": "1m", "pair": "XAU/EUR"}, "pair"),
        ({"interval": "1m", "limit": 1001}, "limit"),
        ({"interval": "1m", "limit": 0}, "limit"),
        ({"interval": "1m", "from": "2026-11-20T10:00:00Z", "to": "2026-11-20T09:00:00Z"}, "from"),
        ({"interval": "1m", "from": "yesterday"}, "from"),
        ({"pair": "EUR/USD"}, "interval"),
    ],
    ids=["interval", "pair", "limit-above", "limit-zero", "from-after-to", "from-not-a-time", "no-interval"],
)
def test_bad_candle_requests_are_422_naming_the_field(client, query, field):
    response = client.get("/candles", query_string={"pair": "EUR/USD", **query})

    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert set(body) >= {"code", "status", "message"}
    assert field in json.dumps(body["errors"]) or field in body["message"], body


def test_candles_at_the_ends_of_time_are_empty_not_an_error(client):
    assert candles(client, interval="1d", to="0001-01-01T00:00:00Z") == []
    assert candles(client, interval="1d", **{"from": "9999-12-31T00:00:00Z"}) == []


# --- GET /ticker ------------------------------------------------------------------------------------


def test_ticker_of_a_pair_without_trades_or_orders_has_nulls_and_zero_volume(client):
    response = get(client, "/ticker", pair="EUR/USD")

    assert response.status_code == 200, response.get_json()
    ticker = response.get_json()
    assert {key: ticker[key] for key in ticker if key not in ("timestamp", "windowStart")} == {
        "pair": "EUR/USD",
        "sequence": 0,
        "lastPrice": None,
        "open": None,
        "high": None,
        "low": None,
        "volume": "0",
        "quoteVolume": "0.00000",
        "tradeCount": 0,
        "change": None,
        "changePercent": None,
        "bestBid": None,
        "bestBidAmount": None,
        "bestAsk": None,
        "bestAskAmount": None,
    }


def test_ticker_shows_the_last_day_of_trades_and_the_top_of_the_book(client, cross, place_order, user):
    cross("100", "1.10000")
    cross("300", "1.12000")
    cross("100", "1.11000")
    place_order(user, side="BUY", amount="40", price="1.09000")
    place_order(user, side="BUY", amount="10", price="1.09500")
    place_order(user, side="SELL", amount="25", price="1.13000")

    ticker = get(client, "/ticker", pair="EUR/USD").get_json()

    assert ticker["lastPrice"] == "1.11000"
    assert (ticker["open"], ticker["high"], ticker["low"]) == ("1.10000", "1.12000", "1.10000")
    assert (ticker["volume"], ticker["quoteVolume"], ticker["tradeCount"]) == ("500", "557.00000", 3)
    assert (ticker["change"], ticker["changePercent"]) == ("0.01000", "0.91")
    assert (ticker["bestBid"], ticker["bestBidAmount"], ticker["bestAsk"], ticker["bestAskAmount"]) == (
        "1.09500",
        "10",
        "1.13000",
        "25",
    )
    assert ticker["sequence"] == get(client, "/orderbook", pair="EUR/USD").get_json()["sequence"]


def test_ticker_counts_only_the_last_24_hours_but_keeps_the_last_price(make_app, trade_at):
    trade_at(utcnow() - timedelta(hours=25), "100", "1.20000")
    trade_at(utcnow() - timedelta(hours=1), "100", "1.10000")
    # A new process: its statistics are read from the tape as it now stands.
    fresh = make_app().test_client()

    ticker = fresh.get("/ticker", query_string={"pair": "EUR/USD"}).get_json()

    assert (ticker["open"], ticker["volume"], ticker["tradeCount"]) == ("1.10000", "100", 1)
    assert ticker["lastPrice"] == "1.10000"


def test_ticker_of_an_unknown_pair_is_422(client):
    assert_error(get(client, "/ticker", pair="XAU/EUR"), 422, field="pair", location="query")


@pytest.mark.parametrize("path", ["/candles", "/ticker", "/trades", "/orderbook"])
def test_market_data_endpoints_are_public_in_the_openapi_document(client, path):
    operation = client.get("/openapi.json").get_json()["paths"][path]["get"]

    assert operation["security"] == []
    assert {"200", "422"} <= set(operation["responses"])
