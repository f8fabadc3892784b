"""Events are published only for committed changes: a rejected request or a failed commit emits nothing."""

from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from orders_app.extensions import db


@pytest.fixture
def trading(user, other_user, orders_api, place_order, filled):
    return SimpleNamespace(alice=user, bob=other_user, api=orders_api, place=place_order, fill=filled)


@pytest.fixture
def sockets(trading, socket_client):
    """One socket per user, so an event sent to the wrong user would show up as well."""
    return [socket_client(trading.alice), socket_client(trading.bob)]


# Each case sets up an order, then returns (expected status, the request that must emit nothing).
def _overshooting_fill(t):
    order = t.place(t.alice)
    t.fill(t.alice, order, "750")
    return 400, lambda: t.api.fill(t.alice, order, "300")


def _fill_on_cancelled_order(t):
    order = t.place(t.alice)
    t.api.cancel(t.alice, order)
    return 409, lambda: t.api.fill(t.alice, order, "250")


def _fill_on_filled_order(t):
    order = t.place(t.alice)
    t.fill(t.alice, order, "1000")
    return 409, lambda: t.api.fill(t.alice, order, "1")


def _buy_fill_above_the_limit(t):
    order = t.place(t.alice, side="BUY", price="1.10000")
    return 422, lambda: t.api.fill(t.alice, order, "250", "1.10001")


def _sell_fill_below_the_limit(t):
    order = t.place(t.alice, side="SELL", price="1.10000")
    return 422, lambda: t.api.fill(t.alice, order, "250", "1.09999")


def _fill_off_the_lot_grid(t):
    order = t.place(t.alice)
    return 422, lambda: t.api.fill(t.alice, order, "0.5")


def _fill_on_another_users_order(t):
    order = t.place(t.alice)
    return 404, lambda: t.api.fill(t.bob, order, "250")


def _cancel_of_filled_order(t):
    order = t.place(t.alice)
    t.fill(t.alice, order, "1000")
    return 409, lambda: t.api.cancel(t.alice, order)


def _cancel_of_cancelled_order(t):
    order = t.place(t.alice)
    t.api.cancel(t.alice, order)
    return 409, lambda: t.api.cancel(t.alice, order)


def _status_other_than_cancelled(t):
    order = t.place(t.alice)
    return 422, lambda: t.api.set_status(t.alice, order, "FILLED")


def _cancel_of_another_users_order(t):
    order = t.place(t.alice)
    return 404, lambda: t.api.cancel(t.bob, order)


def _order_off_the_lot_grid(t):
    return 422, lambda: t.api.place(t.alice, amount="10.5")


def _order_on_an_unknown_pair(t):
    return 422, lambda: t.api.place(t.alice, pair="EUR/CHF")


def _repeated_client_order_id(t):
    t.place(t.alice, clientOrderId="once-only")
    return 200, lambda: t.api.place(t.alice, clientOrderId="once-only")


def _client_order_id_reused_for_another_order(t):
    t.place(t.alice, clientOrderId="once-only")
    return 409, lambda: t.api.place(t.alice, clientOrderId="once-only", amount="2000")


REJECTED = {
    "fill that would overshoot the amount (400)": _overshooting_fill,
    "fill on a cancelled order (409)": _fill_on_cancelled_order,
    "fill on a filled order (409)": _fill_on_filled_order,
    "BUY fill above the limit (422)": _buy_fill_above_the_limit,
    "SELL fill below the limit (422)": _sell_fill_below_the_limit,
    "fill off the lot grid (422)": _fill_off_the_lot_grid,
    "fill on another user's order (404)": _fill_on_another_users_order,
    "cancel of a filled order (409)": _cancel_of_filled_order,
    "cancel of a cancelled order (409)": _cancel_of_cancelled_order,
    "status other than CANCELLED (422)": _status_other_than_cancelled,
    "cancel of another user's order (404)": _cancel_of_another_users_order,
    "order off the lot grid (422)": _order_off_the_lot_grid,
    "order on an unknown pair (422)": _order_on_an_unknown_pair,
    "repeated clientOrderId (200, no second ORDER_CREATED)": _repeated_client_order_id,
    "clientOrderId reused for a different order (409)": _client_order_id_reused_for_another_order,
}


@pytest.mark.parametrize("case", REJECTED.values(), ids=REJECTED.keys())
def test_a_request_that_changes_nothing_emits_nothing(trading, sockets, received, case):
    status, request = case(trading)
    for sio in sockets:
        received(sio)

    response = request()

    assert response.status_code == status, response.get_json()
    assert [received(sio) for sio in sockets] == [[], []]


class CommitRefused(Exception):
    """Stands for a database that refuses to commit (a lost connection, a failed constraint)."""


@pytest.fixture
def commits_fail(app):
    """A context manager under which every commit that writes raises, so the transaction rolls back;
    it yields the list of commits it refused.

    The failure is injected into SQLAlchemy's session (before_commit), after the use case has
    done all its work and queued its events; nothing of orders_app is replaced. A commit writes when
    any statement before it changed a row, whether through the ORM or through Core.
    """
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 like production instead of raising into the test
    with app.app_context():
        engine = db.engine

    @contextmanager
    def failing():
        written, refused = [], []

        def note_write(_connection, _cursor, statement, _parameters, _context, _executemany):
            if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                written.append(statement)

        def refuse(session):
            if written or session.new or session.dirty or session.deleted:
                refused.append(session)
                raise CommitRefused("commit refused by the test")

        event.listen(engine, "before_cursor_execute", note_write)
        event.listen(db.session, "before_commit", refuse)
        try:
            yield refused
        finally:
            event.remove(db.session, "before_commit", refuse)
            event.remove(engine, "before_cursor_execute", note_write)

    return failing


# Each sets up what it needs and returns the request whose commit will fail.
def _place(t):
    return lambda: t.api.place(t.alice)


def _fill(t):
    order = t.place(t.alice)
    return lambda: t.api.fill(t.alice, order, "1000")


def _cancel(t):
    order = t.place(t.alice)
    t.fill(t.alice, order, "250")
    return lambda: t.api.cancel(t.alice, order)


ROLLED_BACK = {"place an order": _place, "fill an order": _fill, "cancel an order": _cancel}


@pytest.mark.parametrize("case", ROLLED_BACK.values(), ids=ROLLED_BACK.keys())
def test_a_change_whose_commit_fails_is_rolled_back_and_emits_nothing(
    trading, sockets, received, commits_fail, case
):
    request = case(trading)
    before = trading.api.list(trading.alice).get_json()
    for sio in sockets:
        received(sio)

    with commits_fail() as refused:
        response = request()

    assert len(refused) == 1
    assert response.status_code == 500, response.get_json()
    assert trading.api.list(trading.alice).get_json() == before
    assert [received(sio) for sio in sockets] == [[], []]
