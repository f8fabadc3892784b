"""The order commands' answers and events are built without marshmallow (orders_app/api/payloads.py):
they must stay exactly what the documented schemas dump, key for key, in the same key order, for
orders of every kind: resting, partially and fully filled, MARKET, expired, cancelled, amended, with
and without a clientOrderId, trades on both sides and from execution reports, settled or not, and each
instrument's decimal places."""

import json
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal, localcontext

import pytest
from sqlalchemy import select

from orders_app.api.market.schemas import PublicTradeSchema
from orders_app.api.orders.schemas import OrderSchema, TradeSchema
from orders_app.api.payloads import fill_payload, order_payload, public_trade_payload
from orders_app.domain.decimals import EXACT_PRECISION
from orders_app.domain.enums import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from orders_app.extensions import db
from orders_app.models import Fill, Instrument, Order, Trade


def same_json(built, dumped):
    """Equal, and serialised alike: Socket.IO sends payloads with their keys in dict order."""
    assert built == dumped
    assert json.dumps(built) == json.dumps(dumped)


def assert_built_like_the_schemas(app):
    """Every order and trade in the database, built both ways, in the request's context and in a
    unit of work's wider one (events are built there)."""
    order_schema, trade_schema, public_schema = OrderSchema(), TradeSchema(), PublicTradeSchema()
    with app.app_context():
        orders = db.session.scalars(select(Order)).all()
        trades = db.session.scalars(select(Trade)).all()
        assert orders and trades
        for precision in (None, EXACT_PRECISION):
            with localcontext() as context:
                if precision:
                    context.prec = precision
                for order in orders:
                    same_json(order_payload(order), order_schema.dump(order))
                    same_json(order_payload(order.snapshot()), order_schema.dump(order.snapshot()))
                    for trade in order.trades:
                        same_json(fill_payload(trade, order), trade_schema.dump(Fill(trade, order)))
                for trade in trades:
                    same_json(public_trade_payload(trade), public_schema.dump(trade))
        return orders, trades


@pytest.fixture
def traders(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    for trader in (alice, bob):
        fund(trader, "BTC", "50")
    return alice, bob


def test_order_answers_and_events_are_what_the_schemas_dump_for_orders_of_every_kind(
    app, client, traders, place_order, post_order, post_trade
):
    alice, bob = traders
    # EUR/USD (5 price places, whole lots): a maker partially filled by a taker, then filled at a second price,
    # so the average price has more places than the tick.
    maker = place_order(alice, side="SELL", amount="3", price="1.10001", clientOrderId="maker-1")
    place_order(alice, side="SELL", amount="5", price="1.10002")
    place_order(bob, side="BUY", amount="1", price="1.10003")
    place_order(bob, side="BUY", amount="4", price="1.10002", selfTradePrevention="EXPIRE_TAKER")
    # A MARKET BUY and a MARKET SELL (IOC), an IOC that expires, a FOK that cannot fill.
    place_order(bob, side="BUY", type="MARKET", amount="2", price=None)
    bid = place_order(alice, side="BUY", amount="10", price="1.09000")
    place_order(bob, side="SELL", type="MARKET", amount="3", price=None)
    place_order(bob, side="BUY", amount="7", price="1.00000", timeInForce="IOC")
    place_order(bob, side="BUY", amount="700", price="1.20000", timeInForce="FOK")
    # GBP/USD and USD/JPY (3 price places), BTC/USD (2 price places, 4 amount places).
    place_order(alice, pair="GBP/USD", side="SELL", amount="10", price="1.25000")
    place_order(bob, pair="GBP/USD", side="BUY", amount="6", price="1.25000")
    place_order(alice, pair="USD/JPY", side="BUY", amount="100", price="150.123")
    place_order(bob, pair="USD/JPY", side="SELL", amount="30", price="150.100")
    place_order(alice, pair="BTC/USD", side="SELL", amount="0.3000", price="65000.01")
    place_order(bob, pair="BTC/USD", side="BUY", amount="0.1234", price="65000.50")
    place_order(bob, pair="BTC/USD", side="BUY", amount="0.0001", price="64000.00", clientOrderId="tiny:1/x")
    # Execution reports from outside the book, an amend, a cancel.
    resting = place_order(alice, side="BUY", amount="900", price="1.05000")
    assert post_trade(alice, resting, "300", "1.04999").status_code == 201
    assert post_trade(alice, resting, "100", "1.05000").status_code == 201
    amended = client.put(f"/orders/{resting['orderId']}", json={"amount": "800"}, headers=alice.headers)
    assert amended.status_code == 200
    assert client.delete(f"/orders/{maker['orderId']}", headers=alice.headers).status_code == 409  # filled
    assert client.delete(f"/orders/{bid['orderId']}", headers=alice.headers).status_code == 200  # partly filled

    orders, trades = assert_built_like_the_schemas(app)
    statuses = {order.status for order in orders}
    assert {
        OrderStatus.PENDING,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
        OrderStatus.EXPIRED,
        OrderStatus.CANCELLED,
    } <= statuses
    assert {trade.taker_side for trade in trades} == {Side.BUY, Side.SELL, None}


def test_each_order_command_answers_what_reading_the_order_back_answers(client, traders, post_order, post_trade):
    alice, bob = traders

    first = post_order(alice, side="SELL", amount="5", price="1.10001", clientOrderId="c-1")
    assert first.status_code == 201
    assert first.get_json() == client.get(f"/orders/{first.get_json()['orderId']}", headers=alice.headers).get_json()
    again = post_order(alice, side="SELL", amount="5", price="1.10001", clientOrderId="c-1")
    assert again.status_code == 200
    assert again.data == first.data

    taker = post_order(bob, side="BUY", amount="2", price="1.10003")
    assert taker.status_code == 201
    # The taker's answer is the order as it now stands, its trade included, byte for byte.
    assert taker.data == client.get(f"/orders/{taker.get_json()['orderId']}", headers=bob.headers).data

    amended = client.put(f"/orders/{first.get_json()['orderId']}", json={"price": "1.10005"}, headers=alice.headers)
    assert amended.status_code == 200
    assert amended.data == client.get(f"/orders/{first.get_json()['orderId']}", headers=alice.headers).data

    report = post_trade(alice, first.get_json(), "1", "1.10005")
    assert report.status_code == 201
    body = report.get_json()
    read = client.get(f"/orders/{first.get_json()['orderId']}", headers=alice.headers).get_json()
    assert body["order"] == read
    assert body["trade"] == read["trades"][-1]

    cancelled = client.patch(
        f"/orders/{first.get_json()['orderId']}/status", json={"status": "CANCELLED"}, headers=alice.headers
    )
    assert cancelled.status_code == 200
    assert cancelled.data == client.get(f"/orders/{first.get_json()['orderId']}", headers=alice.headers).data
    deleted = client.delete(f"/orders/{taker.get_json()['orderId']}", headers=bob.headers)
    assert deleted.status_code == 409


@pytest.mark.parametrize("settled", [True, False])
@pytest.mark.parametrize(
    "tick, lot, price, amount, filled, quote",
    [
        ("0.00001", "1", "1.10000", "1000", "0", "0"),
        ("0.00001", "1", "1.10000", "1000", "3", "3.30002"),
        ("0.001", "1", "150.125", "10", "7", "1050.871"),
        ("0.01", "0.0001", "65000.01", "0.3000", "0.1234", "8021.00123"),
        ("0.01", "0.0001", None, "0.3000", "0.3000", "19500.003"),
        ("1", "0.00000001", "20", "0.12345678", "0.00000001", "0.0000002"),
        ("0.5", "10", "1000.5", "123450", "12340", "12345678.9"),
    ],
)
def test_payloads_equal_the_schemas_for_any_decimals_and_settlement(
    app, tick, lot, price, amount, filled, quote, settled
):
    """Objects built in memory, never stored: decimals and states no configured instrument reaches."""
    now = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    instrument = Instrument(symbol="ABC/XYZ", base="ABC", quote="XYZ", tick_size=Decimal(tick), lot_size=Decimal(lot))
    order = Order(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        client_order_id=None if settled else "c.1",
        pair="ABC/XYZ",
        instrument=instrument,
        side=Side.SELL if settled else Side.BUY,
        type=OrderType.MARKET if price is None else OrderType.LIMIT,
        amount=Decimal(amount),
        price=None if price is None else Decimal(price),
        filled_amount=Decimal(filled),
        filled_quote=Decimal(quote),
        status=OrderStatus.PARTIALLY_FILLED,
        time_in_force=TimeInForce.IOC,
        self_trade_prevention=SelfTradePrevention.EXPIRE_BOTH,
        created_at=now,
        updated_at=now + timedelta(seconds=1),
    )
    trade = Trade(
        id=uuid.uuid4(),
        pair="ABC/XYZ",
        instrument=instrument,
        amount=Decimal(filled) or Decimal(lot),
        price=Decimal(price or tick),
        taker_side=Side.BUY,
        sequence=41,
        executed_at=now,
        settled_at=now if settled else None,
    )
    trade.buy_order_id = order.id if order.side is Side.BUY else uuid.uuid4()
    trade.sell_order_id = order.id if order.side is Side.SELL else None
    order.trades.append(trade)
    for precision in (28, EXACT_PRECISION):
        with localcontext(prec=precision):
            same_json(order_payload(order), OrderSchema().dump(order))
            same_json(fill_payload(trade, order), TradeSchema().dump(Fill(trade, order)))
            same_json(public_trade_payload(trade), PublicTradeSchema().dump(trade))
