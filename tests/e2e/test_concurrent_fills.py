"""Concurrent execution reports against one order on the running server never overshoot it,
and only the accepted ones are announced."""

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
def test_concurrent_fills_on_one_order_never_overshoot_it(server, token, http_as, listen, race):
    trader = http_as(server.url, token)
    stream = listen(server.url, token)
    placed = trader.place(amount="1000")
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["orderId"]
    assert stream.next()[0] == "ORDER_CREATED"

    codes = fill_all_at_once(lambda: http_as(server.url, token), order_id, race.fill_amount, CONCURRENT_FILLS)

    assert codes == Counter({201: race.accepted, race.refused_with: CONCURRENT_FILLS - race.accepted})
    final = trader.order(order_id).json()
    assert (final["status"], final["filledAmount"]) == (race.final_status, f"{race.running_totals()[-1]}")
    assert len(final["trades"]) == race.accepted
    assert sum(Decimal(trade["executedAmount"]) for trade in final["trades"]) == Decimal(final["filledAmount"])

    events = [stream.next() for _ in range(race.accepted + len(race.status_changes))]
    stream.assert_quiet()
    trades_announced = [payload for name, payload in events if name == "TRADE_ADDED"]
    assert {payload["trade"]["tradeId"] for payload in trades_announced} == {t["tradeId"] for t in final["trades"]}
    assert sorted(Decimal(payload["filledAmount"]) for payload in trades_announced) == race.running_totals()
    assert sorted(
        (payload["oldStatus"], payload["newStatus"]) for name, payload in events if name == "ORDER_STATUS_CHANGED"
    ) == sorted(race.status_changes)
