"""Requests sent at the same moment: threads, each with its own test client, released together."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

WAIT_SECONDS = 60


def send_together(app, requests):
    """Run each `request(client)` in its own thread with its own test client, all released at once.
    Returns the responses in the order of `requests`."""
    barrier = threading.Barrier(len(requests), timeout=WAIT_SECONDS)

    def run(request):
        client = app.test_client()
        barrier.wait()
        return request(client)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(run, request) for request in requests]
        return [future.result(timeout=WAIT_SECONDS) for future in futures]


def trade_request(user, order_id, amount, price="1.10000"):
    body = {"executedAmount": amount, "executedPrice": price}
    return lambda client: client.post(f"/orders/{order_id}/trades", json=body, headers=user.headers)


def order_request(user, **fields):
    body = {"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "1000", "price": "1.10000", **fields}
    return lambda client: client.post("/orders", json=body, headers=user.headers)


def cancel_request(user, order_id):
    return lambda client: client.patch(f"/orders/{order_id}/status", json={"status": "CANCELLED"}, headers=user.headers)


def statuses(responses):
    return Counter(response.status_code for response in responses)
