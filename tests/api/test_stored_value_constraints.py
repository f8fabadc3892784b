"""The database itself refuses an order or a trade whose amount or price is not positive, so that no
code path, present or future, can store a trade that moves nothing or gives an asset away."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api_checks import fill
from orders_app.extensions import db


@pytest.fixture
def traded_order(place_order, post_trade, user):
    order = place_order(user)
    fill(post_trade, user, order, "100")
    return order


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE trades SET price = '0'",
        "UPDATE trades SET amount = '0'",
        "UPDATE trades SET amount = '-1'",
        "UPDATE orders SET amount = '0'",
        "UPDATE orders SET price = '0'",
        "UPDATE orders SET filled_amount = '-1'",
    ],
)
def test_a_non_positive_amount_or_price_cannot_be_stored(app, traded_order, statement):
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(text(statement))
            db.session.commit()
        db.session.rollback()


def test_a_market_order_without_a_price_is_still_stored(place_order, user, other_user):
    place_order(user, side="SELL", amount="100", price="1.10000")

    taker = place_order(other_user, side="BUY", type="MARKET", amount="100", price=None)

    assert (taker["price"], taker["status"]) == (None, "FILLED")
