"""The per-account event log: every private event stored with its change and numbered one by one per account,
read back with GET /events exactly as it was published, and pruned after its retention."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from api_checks import assert_error
from app_settings import app_config
from concurrent_requests import order_request, send_together
from orders_app import create_app
from orders_app.extensions import db
from orders_app.models import AccountEvent
from orders_app.models.types import utcnow
from orders_app.realtime.rooms import ORDERS_NAMESPACE


@pytest.fixture
def events_of(client):
    """events_of(user, after_seq=0) -> every event of the user's log after after_seq, following hasMore."""

    def read(user, after_seq=0, limit=1000):
        events = []
        while True:
            response = client.get("/events", query_string={"afterSeq": after_seq, "limit": limit}, headers=user.headers)
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            events += page["events"]
            after_seq = page["lastSeq"]
            if not page["hasMore"]:
                return events

    return read


def published(sio):
    """The (name, payload) a test socket received, eventSeq included."""
    return [(packet["name"], packet["args"][0]) for packet in sio.get_received(ORDERS_NAMESPACE)]


def seqs(events):
    return [event["eventSeq"] for event in events]


def test_every_published_event_is_stored_with_the_same_payload_and_numbered_one_by_one(
    user, other_user, place_order, socket_client, events_of
):
    alice, bob = socket_client(user), socket_client(other_user)
    before_alice, before_bob = alice.snapshot["eventSeq"], bob.snapshot["eventSeq"]

    place_order(other_user, side="SELL", amount="400", price="1.10000")
    place_order(user, side="BUY", amount="1000", price="1.10000")

    alice_sent, bob_sent = published(alice), published(bob)
    assert [payload for _name, payload in alice_sent] == events_of(user, before_alice)
    assert [payload for _name, payload in bob_sent] == events_of(other_user, before_bob)
    for sent in (alice_sent, bob_sent):
        assert all(name == payload["event"] for name, payload in sent)
    assert seqs(events_of(user)) == list(range(1, before_alice + len(alice_sent) + 1))
    assert seqs(events_of(other_user)) == list(range(1, before_bob + len(bob_sent) + 1))


def test_both_owners_of_a_match_find_their_own_trade_in_their_own_log(user, other_user, place_order, events_of):
    maker = place_order(other_user, side="SELL", amount="400", price="1.10000")
    taker = place_order(user, side="BUY", amount="1000", price="1.10000")

    alice_trades = [e for e in events_of(user) if e["event"] == "TRADE_ADDED"]
    bob_trades = [e for e in events_of(other_user) if e["event"] == "TRADE_ADDED"]

    assert [e["orderId"] for e in alice_trades] == [taker["orderId"]]
    assert [e["orderId"] for e in bob_trades] == [maker["orderId"]]
    assert alice_trades[0]["trade"]["tradeId"] == bob_trades[0]["trade"]["tradeId"]
    assert {e.get("orderId") for e in events_of(user)} <= {taker["orderId"], None}


def test_a_refused_order_stores_and_publishes_nothing(user, post_order, socket_client, events_of):
    listener = socket_client(user)
    before = events_of(user)

    assert post_order(user, side="BUY", amount="100000000", price="1.10000").status_code == 422
    assert post_order(user, pair="XXX/YYY").status_code == 422

    assert events_of(user) == before
    assert listener.get_received(ORDERS_NAMESPACE) == []


def test_a_failed_commit_stores_and_publishes_nothing_and_the_next_change_takes_the_next_seq(
    user, post_order, place_order, socket_client, events_of, failing_commits
):
    listener = socket_client(user)
    before = events_of(user)

    failing_commits(True)
    assert post_order(user, clientOrderId="lost").status_code == 503
    failing_commits(False)
    assert events_of(user) == before
    assert listener.get_received(ORDERS_NAMESPACE) == []

    place_order(user)
    after = events_of(user, seqs(before)[-1])
    assert seqs(after) == [seqs(before)[-1] + 1, seqs(before)[-1] + 2]
    assert [payload for _name, payload in published(listener)] == after


def test_get_events_pages_oldest_first_and_says_when_there_is_more(client, user, place_order, events_of):
    for _ in range(3):
        place_order(user, amount="10")
    every = events_of(user)
    assert len(every) >= 7  # 5 starting balances, then each order's ORDER_CREATED and BALANCE_UPDATED

    first = client.get("/events?afterSeq=0&limit=4", headers=user.headers).get_json()
    assert first == {"events": every[:4], "lastSeq": 4, "hasMore": True}
    rest = client.get("/events?afterSeq=4&limit=1000", headers=user.headers).get_json()
    assert rest == {"events": every[4:], "lastSeq": len(every), "hasMore": False}
    end = client.get(f"/events?afterSeq={len(every)}", headers=user.headers).get_json()
    assert end == {"events": [], "lastSeq": len(every), "hasMore": False}


def test_get_events_shows_only_the_callers_own_events(client, user, other_user, place_order, events_of):
    order = place_order(other_user, side="SELL", amount="10")

    mine = events_of(user)

    assert order["orderId"] not in str(mine)
    assert all(e["event"] == "BALANCE_UPDATED" for e in mine)  # only alice's starting balances
    assert client.get("/events").status_code == 401


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"afterSeq": -1}, {"afterSeq": 2**63}, {"afterSeq": "1.5"}],
)
def test_get_events_refuses_an_out_of_bounds_limit_or_after_seq(client, user, query):
    response = client.get("/events", query_string=query, headers=user.headers)

    assert_error(response, 422, field=next(iter(query)), location="query")


def test_the_default_page_is_100_events(client, user, place_order):
    for _ in range(50):
        place_order(user, amount="1")

    page = client.get("/events", headers=user.headers).get_json()

    assert len(page["events"]) == 100 and page["hasMore"] is True


def test_prune_events_deletes_events_past_retention_and_get_events_then_answers_410(
    app, client, runner, user, place_order, events_of
):
    place_order(user, amount="10")
    kept_from = events_of(user)[-1]["eventSeq"] + 1
    with app.app_context():
        db.session.execute(update(AccountEvent).values(created_at=utcnow() - timedelta(days=8)))
        db.session.commit()
    place_order(user, amount="10")

    result = runner.invoke(args=["prune-events"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Pruned {kept_from - 1} event(s) older than 7 day(s)."
    body = assert_error(client.get("/events?afterSeq=0", headers=user.headers), 410, field="afterSeq", location="query")
    assert f"up to eventSeq {kept_from - 1}" in body["message"]
    assert seqs(events_of(user, kept_from - 1)) == [kept_from, kept_from + 1]
    assert runner.invoke(args=["prune-events"]).output.strip() == "Pruned 0 event(s) older than 7 day(s)."


def test_prune_events_keeps_what_is_inside_the_retention(runner, user, place_order, events_of):
    place_order(user, amount="10")
    before = events_of(user)

    assert runner.invoke(args=["prune-events"]).output.strip() == "Pruned 0 event(s) older than 7 day(s)."
    assert events_of(user) == before


def test_writers_of_two_pairs_committing_at_once_number_each_account_without_a_gap(
    app, user, other_user, place_order, events_of
):
    # Resting orders for both users on both pairs, so that every order below trades with the other user.
    for pair in ("EUR/USD", "GBP/USD"):
        place_order(other_user, pair=pair, side="SELL", amount="5000", price="1.10000")
        place_order(user, pair=pair, side="BUY", amount="5000", price="1.00000")
    requests = []
    for index in range(12):
        pair = ("EUR/USD", "GBP/USD")[index % 2]
        if index % 4 < 2:
            requests.append(order_request(user, pair=pair, side="BUY", amount="100", price="1.10000"))
        else:
            requests.append(order_request(other_user, pair=pair, side="SELL", amount="100", price="1.00000"))

    responses = send_together(app, requests)

    assert [response.status_code for response in responses] == [201] * len(requests)
    for trader in (user, other_user):
        numbered = seqs(events_of(trader))
        assert numbered == list(range(1, len(numbered) + 1))


def test_the_bench_switch_that_drops_the_event_log_is_refused_in_production(database_url, tmp_path):
    settings = app_config(database_url, tmp_path / "instance", BENCH_WITHOUT_EVENT_LOG=True, ORDERS_APP_ENV="production")

    with pytest.raises(RuntimeError, match="BENCH_WITHOUT_EVENT_LOG"):
        create_app(settings)
