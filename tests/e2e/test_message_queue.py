"""Several server processes behind one database and Redis: an event reaches its user's socket
whichever process made the change.

Redis pub/sub ignores the database number, so concurrent runs share the channel; they cannot
cross, because every event goes to the room of a user that exists only in its own run.
"""

from decimal import Decimal

import pytest

RELAY_PROBES = 20
PROBE_WAIT = 0.5


@pytest.fixture
def servers(start_server, redis_url):
    return start_server("A", REDIS_URL=redis_url), start_server("B", REDIS_URL=redis_url)


@pytest.fixture
def relaying(new_user_token, http_as, listen):
    """relaying(listening, acting): wait until events of changes made on `acting` reach sockets on `listening`.

    A server subscribes to Redis in the background once its first socket connects; until then
    it would miss messages. Probe orders of a throwaway user are placed until one is relayed.
    """

    def wait(listening, acting):
        token = new_user_token(acting.url)
        probe, http = listen(listening.url, token), http_as(acting.url, token)
        for _ in range(RELAY_PROBES):
            assert http.place().status_code == 201
            if probe.poll(PROBE_WAIT) is not None:
                return
        pytest.fail(f"server {listening.name} relayed no event from {acting.name} after {RELAY_PROBES} probes")

    return wait


def balance_updated(asset, available, held, utc_timestamp):
    total = str(Decimal(available) + Decimal(held))
    payload = {"asset": asset, "available": available, "held": held, "pending": "0", "total": total}
    return ("BALANCE_UPDATED", {"event": "BALANCE_UPDATED", **payload, "timestamp": utc_timestamp})


def expect_lifecycle(stream, placed, fill, utc_timestamp):
    """The events of a BUY 1000 EUR/USD @ 1.10000 placed and then filled completely by an execution report
    at its limit, with their payloads: each transaction's order events, then its balance events."""
    order_id = placed["orderId"]
    header = {"orderId": order_id, "timestamp": utc_timestamp}
    assert stream.next() == ("ORDER_CREATED", {"event": "ORDER_CREATED", **header, "order": placed})
    assert stream.next() == balance_updated("USD", "98900", "1100", utc_timestamp)
    assert stream.next() == (
        "TRADE_ADDED",
        {
            "event": "TRADE_ADDED",
            **header,
            "trade": fill["trade"],
            "newStatus": "FILLED",
            "filledAmount": "1000",
            "remainingAmount": "0",
        },
    )
    assert stream.next() == (
        "ORDER_STATUS_CHANGED",
        {"event": "ORDER_STATUS_CHANGED", **header, "oldStatus": "PENDING", "newStatus": "FILLED"},
    )
    assert stream.next() == balance_updated("USD", "98900", "0", utc_timestamp)
    assert stream.next() == balance_updated("EUR", "101000", "0", utc_timestamp)


def place_and_fill(http):
    placed = http.place(amount="1000")
    assert placed.status_code == 201, placed.text
    fill = http.fill(placed.json()["orderId"], "1000")
    assert fill.status_code == 201, fill.text
    return placed.json(), fill.json()


def test_socket_on_one_server_receives_events_of_changes_made_through_another(
    servers, relaying, new_user_token, http_as, listen, utc_timestamp
):
    a, b = servers
    relaying(a, b)
    token = new_user_token(b.url)
    stream = listen(a.url, token)

    placed, fill = place_and_fill(http_as(b.url, token))

    expect_lifecycle(stream, placed, fill, utc_timestamp)
    stream.assert_quiet()


def test_sockets_on_both_servers_each_receive_every_event_once(
    servers, relaying, new_user_token, http_as, listen, utc_timestamp
):
    a, b = servers
    relaying(a, b)
    relaying(b, b)
    token = new_user_token(b.url)
    streams = [listen(a.url, token), listen(b.url, token)]

    placed, fill = place_and_fill(http_as(b.url, token))

    for stream in streams:
        expect_lifecycle(stream, placed, fill, utc_timestamp)
    for stream in streams:
        stream.assert_quiet()


def test_relayed_events_reach_only_their_own_user(servers, relaying, new_user_token, http_as, listen, utc_timestamp):
    a, b = servers
    relaying(a, b)
    alice, bob = new_user_token(b.url), new_user_token(b.url)
    alice_stream, bob_stream = listen(a.url, alice), listen(a.url, bob)

    placed, fill = place_and_fill(http_as(b.url, alice))

    expect_lifecycle(alice_stream, placed, fill, utc_timestamp)
    bob_stream.assert_quiet()
