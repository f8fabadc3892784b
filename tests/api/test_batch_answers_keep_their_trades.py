"""An answer from a batch shows its order's trades whatever later commands of the batch read.

A command that loads an order of its own reads it afresh (populate_existing), and with it that order's
trades; a trade shared with an order an earlier command of the batch answered is then read again too. The
answer must not depend on what the trade object still holds once the batch has let go of it.
"""

from concurrent_requests import cancel_request, order_request
from test_book_writer import hold_next_batch, send_behind, writer, writer_app  # noqa: F401 (fixtures)


def amend_request(user, order_id, **fields):
    return lambda client: client.put(f"/orders/{order_id}", json=fields, headers=user.headers)


def test_an_amend_answered_before_its_counterparty_is_read_in_the_same_batch_shows_its_trades(
    hold_next_batch, send_behind, place_order, user, other_user
):
    maker = place_order(user, side="SELL", amount="100", price="1.10000")
    taker = place_order(other_user, side="BUY", amount="40", price="1.10000")  # FILLED: one trade with the maker
    held = hold_next_batch(queued=2)

    leader = order_request(other_user, side="BUY", amount="1", price="1.00000")
    amend_maker = amend_request(user, maker["orderId"], amount="90")
    cancel_taker = cancel_request(other_user, taker["orderId"])  # refused (FILLED), after reading it and its trade
    _, amended, cancelled = send_behind(held, leader, [amend_maker, cancel_taker])

    assert cancelled.status_code == 409, cancelled.get_json()
    assert amended.status_code == 200, amended.get_json()
    assert [trade["executedAmount"] for trade in amended.get_json()["trades"]] == ["40"]
