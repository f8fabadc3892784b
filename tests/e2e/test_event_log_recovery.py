"""Real servers: nothing committed is lost to a client that reconnects with the last eventSeq it saw, whether the
server died between a commit and its publish, the message queue went down, or orders kept coming meanwhile."""

import queue
import signal
import threading

import pytest
import requests

ORDERS_UNDER_LOAD = 120
RECONNECTS_UNDER_LOAD = 4
EXIT_TIMEOUT = 15  # seconds a killed server may take to be reaped
EVENT_WAIT = 10  # seconds to wait for the next event while orders are still being placed
RESUMED_ORDERS = 400


def stored(http, after_seq=0):
    """Every event of the user's log after after_seq, through GET /events."""
    events = []
    while True:
        response = http.get(f"/events?afterSeq={after_seq}&limit=1000")
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["events"]
        after_seq = page["lastSeq"]
        if not page["hasMore"]:
            return events


def replayed(stream):
    """The private events a stream connected with afterSeq replays, up to its REPLAY_COMPLETE."""
    events = []
    while True:
        name, payload = stream.next()
        if name == "REPLAY_COMPLETE":
            assert payload["lastSeq"] == stream.last_seq
            return events
        assert "eventSeq" in payload, (name, payload)
        events.append(payload)


def test_a_client_reconnecting_after_a_crash_between_commit_and_publish_gets_every_event(
    start_server, new_user_token, http_as, listen
):
    first = start_server("first")
    token = new_user_token(first.url)
    stream = listen(first.url, token, keep_seq=True)
    assert http_as(first.url, token).place(amount="10").status_code == 201
    seen = [stream.next()[1], stream.next()[1]]
    last_seen = seen[-1]["eventSeq"]
    stream.close()
    first.stop()

    crashing = start_server("crashing", TEST_CRASH_AFTER_COMMIT="true")
    with pytest.raises(requests.ConnectionError):
        http_as(crashing.url, token).place(amount="20", clientOrderId="committed-then-crashed")
    assert crashing.process.wait(timeout=EXIT_TIMEOUT) == -signal.SIGKILL

    restarted = start_server("restarted")
    http = http_as(restarted.url, token)
    stream = listen(restarted.url, token, after_seq=last_seen, keep_seq=True)

    events = replayed(stream)
    assert [event["event"] for event in events] == ["ORDER_CREATED", "BALANCE_UPDATED"]
    assert [event["eventSeq"] for event in events] == [last_seen + 1, last_seen + 2]
    assert events[0]["order"]["clientOrderId"] == "committed-then-crashed"
    [order] = [o for o in http.every_page("/orders") if o["clientOrderId"] == "committed-then-crashed"]
    assert events[0]["orderId"] == order["orderId"]
    assert events == stored(http, last_seen)


def test_a_redis_outage_loses_nothing_that_replay_cannot_return(
    start_server, redis_server, new_user_token, http_as, listen
):
    redis_url, kill_redis = redis_server
    acting = start_server("acting", REDIS_URL=redis_url)
    listening = start_server("listening", REDIS_URL=redis_url)
    token = new_user_token(acting.url)
    http = http_as(acting.url, token)
    stream = listen(listening.url, token, keep_seq=True)
    # The listening server subscribes in the background: place orders until one is relayed to it.
    for _ in range(20):
        assert http.place(amount="1").status_code == 201
        if stream.poll(0.5) is not None:
            break
    else:
        pytest.fail("no event was relayed through Redis")
    while stream.poll(0.5) is not None:  # the rest of what was relayed (the gate fills any gap from the log)
        pass
    last_seen = stream.last_seq

    kill_redis()
    for amount in ("2", "3", "4"):
        assert http.place(amount=amount).status_code == 201
    stream.close()

    again = listen(listening.url, token, after_seq=last_seen, keep_seq=True)
    events = replayed(again)

    assert events == stored(http, last_seen)
    assert [event["eventSeq"] for event in events] == list(range(last_seen + 1, last_seen + 7))
    assert [event["order"]["amount"] for event in events if event["event"] == "ORDER_CREATED"] == ["2", "3", "4"]


def test_a_client_reconnecting_under_load_sees_every_event_seq_exactly_once_in_order(
    server, new_user_token, http_as, listen
):
    trader_token, other_token = new_user_token(server.url), new_user_token(server.url)
    trader, other = http_as(server.url, trader_token), http_as(server.url, other_token)
    stream = listen(server.url, trader_token, keep_seq=True)
    start = stream.last_seq
    failures = []

    def keep_trading():
        # Each SELL of the other user crosses the trader's BUY before it: trades, fills and balances for both.
        for index in range(ORDERS_UNDER_LOAD):
            response = (trader.place(amount="1") if index % 2 == 0 else other.place(side="SELL", amount="1"))
            if response.status_code != 201:
                failures.append(response.text)

    load = threading.Thread(target=keep_trading)
    load.start()
    seen = []
    reconnects = 0
    while load.is_alive() or reconnects < RECONNECTS_UNDER_LOAD:
        for _ in range(5):
            received = stream.poll(EVENT_WAIT if load.is_alive() else 0.2)
            if received is None:
                break
            name, payload = received
            if name != "REPLAY_COMPLETE":
                seen.append(payload["eventSeq"])
        stream.close()
        stream = listen(server.url, trader_token, after_seq=stream.last_seq, keep_seq=True)
        reconnects += 1
    load.join()
    assert failures == []

    final = stored(trader)[-1]["eventSeq"]
    while stream.last_seq < final:
        name, payload = stream.next()
        if name != "REPLAY_COMPLETE":
            seen.append(payload["eventSeq"])
    assert seen == list(range(start + 1, final + 1))
    assert reconnects >= RECONNECTS_UNDER_LOAD


def test_two_servers_writing_one_accounts_events_on_two_pairs_at_once_number_them_without_a_gap(
    start_server, new_user_token, http_as
):
    a, b = start_server("A"), start_server("B")
    trader_token, other_token = new_user_token(a.url), new_user_token(a.url)
    # Each server trades its own pair, and every order crosses the other user's: both accounts' events are
    # written by two processes at once.
    desks = [
        (http_as(a.url, trader_token), http_as(a.url, other_token), "EUR/USD"),
        (http_as(b.url, trader_token), http_as(b.url, other_token), "GBP/USD"),
    ]
    failures = []

    def trade(trader, other, pair):
        for index in range(40):
            if index % 2 == 0:
                response = trader.place(pair=pair, amount="1")
            else:
                response = other.place(pair=pair, side="SELL", amount="1")
            if response.status_code != 201:
                failures.append(response.text)

    threads = [threading.Thread(target=trade, args=desk) for desk in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    for token in (trader_token, other_token):
        numbered = [event["eventSeq"] for event in stored(http_as(a.url, token))]
        assert numbered == list(range(1, len(numbered) + 1))
        assert sum(1 for event in stored(http_as(b.url, token)) if event["event"] == "TRADE_ADDED") == 40


def test_resumes_sent_at_once_on_one_connection_replay_one_after_the_other(
    server, new_user_token, http_as, listen
):
    """A client that emits `resume` twice without waiting gets two whole replays in turn, each its events in
    order and its own REPLAY_COMPLETE, never the pages of one interleaved with the other's."""
    token = new_user_token(server.url)
    http = http_as(server.url, token)
    for _ in range(RESUMED_ORDERS):  # two events each: more than one page of replay (realtime/replay.py)
        assert http.place(amount="1").status_code == 201
    last = stored(http)[-1]["eventSeq"]
    stream = listen(server.url, token, after_seq=last)
    assert stream.next() == ("REPLAY_COMPLETE", {"event": "REPLAY_COMPLETE", "lastSeq": last})

    acks = queue.Queue()
    for after_seq in (0, last // 3):
        stream.client.emit("resume", {"afterSeq": after_seq}, namespace="/orders", callback=lambda *ack: acks.put(ack))
    replays = []
    for _ in range(2):
        seqs = []
        while True:
            name, payload = stream.events.get(timeout=EVENT_WAIT)
            if name == "REPLAY_COMPLETE":
                replays.append((seqs, payload["lastSeq"]))
                break
            seqs.append(payload["eventSeq"])
    assert replays == [(list(range(1, last + 1)), last), (list(range(last // 3 + 1, last + 1)), last)]
    assert [acks.get(timeout=EVENT_WAIT) for _ in range(2)] == [({"ok": True, "lastSeq": last},)] * 2
