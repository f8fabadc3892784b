"""Concurrent execution reports against one order on the running server never overshoot it,
and only the accepted ones are announced, with the money they moved."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest

CONCURRENT_FILLS = 16


@dataclass(frozen=True)
class Race:
    fill_amount: str
    accepted: int
    refused_with: int
    final_status: str
    status_changes: tuple

    def running_totals(self):
        """filledAmount after each accepted fill, in whatever order they were serialised."""
        return [Decimal(self.fill_amount) * n for n in range(1, self.accepted + 1)]

    def balances_after_each_fill(self):
        """(asset, available, held) of every BALANCE_UPDATED the accepted fills send, in no particular order.

        The order holds 1000 x 1.1 = 1100 of the user's 100000 USD; each fill at 1.1 pays out of that hold
        and credits the EUR bought to the user's 100000 EUR.
        """
        usd = [("USD", Decimal("98900"), Decimal("1100") - total * Decimal("1.1")) for total in self.running_totals()]
        eur = [("EUR", Decimal("100000") + total, Decimal(0)) for total in self.running_totals()]
        return sorted(usd + eur)


RACES = {
    # 3 x 300 fit in 1000; every further 300 would overshoot and is refused with 400.
    "fills that would overshoot": Race("300", 3, 400, "PARTIALLY_FILLED", (("PENDING", "PARTIALLY_FILLED"),)),
    # 10 x 100 fill the order exactly; any later one finds it FILLED and gets 409.
    "fills that complete the order": Race(
        "100", 10, 409, "FILLED", (("PENDING", "PARTIALLY_FILLED"), ("PARTIALLY_FILLED", "FILLED"))
    ),
}


@pytest.fixture
def token(server, new_user_token):
    return new_user_token(server.url)


@pytest.fixture
def balance_payload(utc_timestamp):
    """balance_payload(asset, available, held) -> that BALANCE_UPDATED payload; total is available + held,
    nothing is pending."""

    def payload(asset, available, held):
        return {
            "event": "BALANCE_UPDATED",
            "asset": asset,
            "available": available,
            "held": held,
            "pending": "0",
            "total": plain(Decimal(available) + Decimal(held)),
            "timestamp": utc_timestamp,
        }

    return payload


def plain(value):
    """A decimal as BALANCE_UPDATED writes it: 1100, 98900.5, never 1.1E+3."""
    return f"{value.normalize():f}"


def position(events, name, **fields):
    """Where the one event named `name` whose payload has these `fields` is in `events`."""
    [index] = [
        index
        for index, (event_name, payload) in enumerate(events)
        if event_name == name and all(payload[key] == value for key, value in fields.items())
    ]
    return index


def fill_all_at_once(connect, order_id, amount, count):
    """Post `count` fills of `amount` together (released by one barrier); returns the status codes."""
    ready = threading.Barrier(count)

    def post_fill(_):
        http = connect()  # a connection of its own per thread
        ready.wait()
        return http.fill(order_id, amount).status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(post_fill, range(count)))


@pytest.mark.parametrize("race", RACES.values(), ids=RACES.keys())
def test_concurrent_fills_on_one_order_never_overshoot_it(server, token, http_as, listen, balance_payload, race):
    trader = http_as(server.url, token)
    stream = listen(server.url, token)
    placed = trader.place(amount="1000")
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["orderId"]
    assert stream.next()[0] == "ORDER_CREATED"
    assert stream.next() == ("BALANCE_UPDATED", balance_payload("USD", "98900", "1100"))

    codes = fill_all_at_once(lambda: http_as(server.url, token), order_id, race.fill_amount, CONCURRENT_FILLS)

    assert codes == Counter({201: race.accepted, race.refused_with: CONCURRENT_FILLS - race.accepted})
    final = trader.order(order_id).json()
    assert (final["status"], final["filledAmount"]) == (race.final_status, f"{race.running_totals()[-1]}")
    assert len(final["trades"]) == race.accepted
    assert sum(Decimal(trade["executedAmount"]) for trade in final["trades"]) == Decimal(final["filledAmount"])

    # Each accepted fill: TRADE_ADDED, maybe a status change, then its USD and EUR balances.
    events = [stream.next() for _ in range(3 * race.accepted + len(race.status_changes))]
    stream.assert_quiet()
    balances = [payload for name, payload in events if name == "BALANCE_UPDATED"]
    for payload in balances:
        assert payload == balance_payload(payload["asset"], payload["available"], payload["held"])
    assert sorted(
        (payload["asset"], Decimal(payload["available"]), Decimal(payload["held"])) for payload in balances
    ) == race.balances_after_each_fill()
    # Fills may be announced interleaved, but each one's balances come after its trade, USD first.
    for total in race.running_totals():
        trade_at = position(events, "TRADE_ADDED", filledAmount=f"{total}")
        usd_at = position(events, "BALANCE_UPDATED", asset="USD", held=plain(Decimal("1100") - total * Decimal("1.1")))
        eur_at = position(events, "BALANCE_UPDATED", asset="EUR", available=plain(Decimal("100000") + total))
        assert trade_at < usd_at < eur_at, (total, events)
    trades_announced = [payload for name, payload in events if name == "TRADE_ADDED"]
    assert {payload["trade"]["tradeId"] for payload in trades_announced} == {t["tradeId"] for t in final["trades"]}
    assert sorted(Decimal(payload["filledAmount"]) for payload in trades_announced) == race.running_totals()
    assert sorted(
        (payload["oldStatus"], payload["newStatus"]) for name, payload in events if name == "ORDER_STATUS_CHANGED"
    ) == sorted(race.status_changes)
