"""Replay on /orders: a client that says which event it saw last (auth afterSeq, or `resume`) gets every stored
event after it, then REPLAY_COMPLETE, then live events, with no duplicate and no gap; a client that says nothing
starts from a SNAPSHOT of its account."""

from datetime import timedelta

from sqlalchemy import update

from orders_app.extensions import db, socketio
from orders_app.models import AccountEvent
from orders_app.models.types import utcnow
from orders_app.realtime.rooms import ORDERS_NAMESPACE


def published(sio):
    return [(packet["name"], packet["args"][0]) for packet in sio.get_received(ORDERS_NAMESPACE)]


def stored(client, user, after_seq=0):
    page = client.get("/events", query_string={"afterSeq": after_seq, "limit": 1000}, headers=user.headers).get_json()
    assert page["hasMore"] is False
    return page["events"]


def as_sent(events):
    return [(event["event"], event) for event in events]


def seqs(sent):
    return [payload["eventSeq"] for _name, payload in sent]


def test_a_client_connecting_with_its_last_seq_gets_every_later_event_then_replay_complete_then_live(
    client, user, other_user, place_order, socket_client
):
    place_order(other_user, side="SELL", amount="400", price="1.10000")
    place_order(user, side="BUY", amount="1000", price="1.10000")
    every = stored(client, user)

    sio = socket_client(auth={"token": user.access_token, "afterSeq": 3})

    replayed = published(sio)
    assert replayed == as_sent(every[3:]) + [("REPLAY_COMPLETE", {"event": "REPLAY_COMPLETE", "lastSeq": len(every)})]
    place_order(user, amount="10")
    live = published(sio)
    assert seqs(live) == [len(every) + 1, len(every) + 2]
    assert live == as_sent(stored(client, user, len(every)))


def test_a_client_with_every_event_already_gets_replay_complete_at_once(client, user, socket_client):
    last = len(stored(client, user))

    sio = socket_client(auth={"token": user.access_token, "afterSeq": last})

    assert published(sio) == [("REPLAY_COMPLETE", {"event": "REPLAY_COMPLETE", "lastSeq": last})]


def test_resume_on_an_open_connection_replays_after_the_given_seq_then_continues_live(
    client, user, place_order, socket_client
):
    sio = socket_client(user)
    place_order(user, amount="10")
    live = published(sio)
    last = live[-1][1]["eventSeq"]

    ack = sio.emit("resume", {"afterSeq": 2}, namespace=ORDERS_NAMESPACE, callback=True)

    assert ack == {"ok": True, "lastSeq": last}
    every = stored(client, user)
    assert published(sio) == as_sent(every[2:]) + [("REPLAY_COMPLETE", {"event": "REPLAY_COMPLETE", "lastSeq": last})]
    place_order(user, amount="10")
    assert seqs(published(sio)) == [last + 1, last + 2]


def test_resume_without_a_valid_after_seq_is_refused_and_changes_nothing(user, place_order, socket_client):
    sio = socket_client(user)
    for bad in ({}, {"afterSeq": -1}, {"afterSeq": "3"}, {"afterSeq": True}, "3"):
        ack = sio.emit("resume", bad, namespace=ORDERS_NAMESPACE, callback=True)
        assert ack["ok"] is False and "afterSeq" in ack["message"]
    assert published(sio) == []
    place_order(user, amount="10")
    assert [name for name, _payload in published(sio)] == ["ORDER_CREATED", "BALANCE_UPDATED"]


def test_a_connection_with_a_bad_after_seq_is_refused(user, socket_client):
    sio = socket_client(auth={"token": user.access_token, "afterSeq": "latest"})

    assert not sio.is_connected(ORDERS_NAMESPACE)


def test_a_plain_connection_starts_with_a_snapshot_of_open_orders_and_balances_at_its_event_seq(
    client, user, other_user, place_order, socket_client
):
    place_order(other_user, side="SELL", amount="400", price="1.10000")
    resting = place_order(user, side="BUY", amount="1000", price="1.10000")
    place_order(user, side="BUY", amount="5", price="1.00000", timeInForce="IOC")  # expires: not open
    every = stored(client, user)

    sio = socket_client(user)

    snapshot = sio.snapshot
    assert snapshot["event"] == "SNAPSHOT"
    assert snapshot["eventSeq"] == every[-1]["eventSeq"]
    resting_now = client.get(f"/orders/{resting['orderId']}", headers=user.headers).get_json()
    assert snapshot["openOrders"] == [resting_now]
    assert snapshot["balances"] == client.get("/balances", headers=user.headers).get_json()
    place_order(user, amount="10")
    assert seqs(published(sio)) == [snapshot["eventSeq"] + 1, snapshot["eventSeq"] + 2]


def test_a_client_whose_after_seq_was_pruned_is_told_410_and_gets_a_snapshot_instead(
    app, runner, client, user, place_order, socket_client
):
    place_order(user, amount="10")
    with app.app_context():
        db.session.execute(update(AccountEvent).values(created_at=utcnow() - timedelta(days=30)))
        db.session.commit()
    assert runner.invoke(args=["prune-events"]).exit_code == 0

    sio = socket_client(auth={"token": user.access_token, "afterSeq": 1})

    sent = published(sio)
    assert [name for name, _payload in sent] == ["REPLAY_ERROR", "SNAPSHOT"]
    assert sent[0][1]["code"] == 410 and sent[0][1]["status"] == "Gone"
    assert sent[1][1]["eventSeq"] == 7
    place_order(user, amount="10")
    assert seqs(published(sio)) == [8, 9]


def test_events_committed_while_a_replay_holds_the_gate_are_sent_once_after_replay_complete(
    app, client, user, place_order, socket_client
):
    sio = socket_client(user)
    manager = socketio.server.manager
    sid = manager.sid_from_eio_sid(sio.eio_sid, ORDERS_NAMESPACE)
    start = sio.snapshot["eventSeq"]
    # A replay closes the gate first: what is committed meanwhile waits in it, and the replay reads it too.
    manager.close_gate(sid)
    place_order(user, amount="10")
    assert published(sio) == []

    ack = sio.emit("resume", {"afterSeq": start}, namespace=ORDERS_NAMESPACE, callback=True)

    assert ack == {"ok": True, "lastSeq": start + 2}
    assert published(sio) == as_sent(stored(client, user, start)) + [
        ("REPLAY_COMPLETE", {"event": "REPLAY_COMPLETE", "lastSeq": start + 2})
    ]
    place_order(user, amount="10")
    assert seqs(published(sio)) == [start + 3, start + 4]


def test_a_live_event_whose_predecessors_never_arrived_is_sent_after_them_read_from_the_log(
    client, user, place_order, socket_client
):
    sio = socket_client(user)
    manager = socketio.server.manager
    sid = manager.sid_from_eio_sid(sio.eio_sid, ORDERS_NAMESPACE)
    start = sio.snapshot["eventSeq"]
    # As a message queue that was down would: the events of one order never reach this process.
    gate = manager.close_gate(sid)
    place_order(user, amount="10")
    gate.buffer.clear()
    manager.open_gate(sid, gate, start)

    place_order(user, amount="20")

    sent = published(sio)
    assert seqs(sent) == [start + 1, start + 2, start + 3, start + 4]
    assert sent == as_sent(stored(client, user, start))
