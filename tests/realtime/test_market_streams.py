"""The /market channels candles (CANDLE) and ticker (TICKER), and HEARTBEAT on both namespaces."""

import time

import pytest

from orders_app.extensions import socketio
from orders_app.realtime import heartbeat
from orders_app.realtime.rooms import MARKET_NAMESPACE, ORDERS_NAMESPACE

HEARTBEAT_WAIT_SECONDS = 5


def events_on(sio, namespace=MARKET_NAMESPACE):
    return [(packet["name"], packet["args"][0]) for packet in sio.get_received(namespace)]


@pytest.fixture
def channel_subscriber(market_socket):
    """channel_subscriber(*channels, pair="EUR/USD") -> a /market test client subscribed to those channels."""

    def connect(*channels, pair="EUR/USD"):
        sio = market_socket()
        ack = sio.emit("subscribe", {"pair": pair, "channels": list(channels)}, namespace=MARKET_NAMESPACE, callback=True)
        assert ack["ok"] is True, ack
        return sio

    return connect


@pytest.fixture
def cross(place_order, user, other_user):
    def trade(amount="100", price="1.10000"):
        place_order(user, side="SELL", amount=amount, price=price)
        return place_order(other_user, side="BUY", amount=amount, price=price)

    return trade


def rest_ticker(client):
    ticker = client.get("/ticker", query_string={"pair": "EUR/USD"}).get_json()
    return {key: value for key, value in ticker.items() if key not in ("timestamp", "windowStart")}


def without_times(ticker_event):
    return {key: value for key, value in ticker_event.items() if key not in ("event", "timestamp", "windowStart")}


def test_a_commit_with_trades_sends_the_one_minute_candle_as_the_tape_now_has_it(
    client, channel_subscriber, cross, utc_timestamp
):
    sio = channel_subscriber("candles")

    cross("100", "1.10000")
    cross("300", "1.10020")

    received = events_on(sio)
    assert [name for name, _ in received] == ["CANDLE", "CANDLE"]
    latest = received[-1][1]
    rest = client.get("/candles", query_string={"pair": "EUR/USD", "interval": "1m"}).get_json()
    (same_bucket,) = [candle for candle in rest if candle["openTime"] == latest["openTime"]]
    assert latest == {
        "event": "CANDLE",
        "pair": "EUR/USD",
        "sequence": client.get("/orderbook", query_string={"pair": "EUR/USD"}).get_json()["sequence"],
        **same_bucket,
        "timestamp": utc_timestamp,
    }


def test_a_change_without_trades_sends_no_candle(channel_subscriber, place_order, user):
    sio = channel_subscriber("candles")

    place_order(user, side="BUY", amount="100", price="1.09990")

    assert events_on(sio) == []


def test_a_new_top_of_the_book_or_a_trade_sends_the_ticker_as_get_ticker_shows_it(client, channel_subscriber, place_order, cross, user):
    sio = channel_subscriber("ticker")

    place_order(user, side="BUY", amount="100", price="1.09990")
    ((name, after_bid),) = events_on(sio)
    assert name == "TICKER" and after_bid["event"] == "TICKER"
    assert without_times(after_bid) == rest_ticker(client)

    cross("50", "1.10000")  # a new best ask, then the trade that takes it
    (_, new_ask), (_, after_trade) = events_on(sio)
    assert new_ask["bestAsk"] == "1.10000" and new_ask["volume"] == "0"
    assert without_times(after_trade) == rest_ticker(client)
    assert (after_trade["lastPrice"], after_trade["volume"], after_trade["bestBid"]) == ("1.10000", "50", "1.09990")


def test_a_change_below_the_top_of_the_book_sends_no_ticker(channel_subscriber, place_order, user):
    place_order(user, side="BUY", amount="100", price="1.09990")
    sio = channel_subscriber("ticker")

    place_order(user, side="BUY", amount="100", price="1.09900")

    assert events_on(sio) == []


def test_unsubscribing_from_a_channel_stops_only_that_one(client, channel_subscriber, cross):
    sio = channel_subscriber("candles", "ticker", "trades")
    ack = sio.emit("unsubscribe", {"pair": "EUR/USD", "channels": ["ticker"]}, namespace=MARKET_NAMESPACE, callback=True)

    cross()

    assert ack == {"ok": True, "pair": "EUR/USD"}
    assert sorted({name for name, _ in events_on(sio)}) == ["CANDLE", "TRADE"]


# --- HEARTBEAT -------------------------------------------------------------------------------------


def test_a_heartbeat_reaches_every_client_on_both_namespaces(app, socket_client, channel_subscriber, user, utc_timestamp):
    private = socket_client(user)
    public = channel_subscriber("book")
    anonymous = socketio.test_client(app, namespace=MARKET_NAMESPACE)  # connected, subscribed to nothing

    with app.app_context():
        heartbeat.beat()

    beat = ("HEARTBEAT", {"event": "HEARTBEAT", "serverTime": utc_timestamp})
    assert events_on(private, ORDERS_NAMESPACE) == [beat]
    assert events_on(public) == [beat]
    assert events_on(anonymous) == [beat]
    anonymous.disconnect(namespace=MARKET_NAMESPACE)


def test_the_heartbeat_beats_by_itself_every_heartbeat_seconds(make_app):
    beating = make_app(HEARTBEAT_SECONDS=0.05)
    sio = socketio.test_client(beating, namespace=MARKET_NAMESPACE)

    received = []
    deadline = time.monotonic() + HEARTBEAT_WAIT_SECONDS
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
        received += [name for name, _ in events_on(sio)]

    assert received[:2] == ["HEARTBEAT", "HEARTBEAT"]
    sio.disconnect(namespace=MARKET_NAMESPACE)


def test_the_ticker_a_commit_sends_is_the_one_a_new_process_reads_from_the_tape(make_app, channel_subscriber, cross, place_order, user):
    sio = channel_subscriber("ticker")
    cross("100", "1.10000")
    cross("300", "1.10020")
    place_order(user, side="BUY", amount="70", price="1.09000")
    sent = events_on(sio)[-1][1]

    fresh = make_app().test_client().get("/ticker", query_string={"pair": "EUR/USD"}).get_json()

    assert without_times(sent) == {key: value for key, value in fresh.items() if key not in ("timestamp", "windowStart")}
    assert (sent["volume"], sent["tradeCount"], sent["bestBid"]) == ("400", 2, "1.09000")
