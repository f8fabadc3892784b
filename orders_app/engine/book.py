"""One pair's order book: price-time priority matching, buy and sell through the same code.

Each side keeps its price levels in a SortedDict whose sort key puts the best price first (highest
bid, lowest ask), so adding or removing a level costs O(log levels) and the best price is the first
key, also kept at hand for the "does anything cross?" test every order starts with. A level is a FIFO
queue of its orders (an OrderedDict keyed by order id, oldest first) with its total kept up to date as
orders come and go, and the book indexes every resting order by id. Cancel and reduce therefore never
scan, and depth() reads only the levels it returns.

Arithmetic runs in the caller's decimal context, as the rest of the domain does: amounts and level
totals stay exact while they fit its precision (28 significant digits by default).
"""

from collections import OrderedDict
from decimal import Decimal
from itertools import islice
from operator import ge, le, neg

from sortedcontainers import SortedDict

from ..domain.enums import OrderType, SelfTradePrevention, Side, TimeInForce
from ..domain.errors import Conflict, InvalidInput, NotFound
from .orders import Fill, MatchResult, RestingOrder, TakerOutcome

# Module-level names: the matching loop compares against these for every order it meets, and a global
# read is cheaper than an attribute lookup on an Enum class.
_BUY = Side.BUY
_SELL = Side.SELL
_LIMIT = OrderType.LIMIT
_MARKET = OrderType.MARKET
_GTC = TimeInForce.GTC
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
_EXPIRE_MAKER = SelfTradePrevention.EXPIRE_MAKER
_EXPIRE_TAKER = SelfTradePrevention.EXPIRE_TAKER
_EXPIRE_BOTH = SelfTradePrevention.EXPIRE_BOTH
_RESTED = TakerOutcome.RESTED
_FILLED = TakerOutcome.FILLED
_EXPIRED = TakerOutcome.EXPIRED
_ZERO = Decimal(0)


class _Level:
    """The orders resting at one price, oldest first, and how much they add up to."""

    __slots__ = ("orders", "total")

    def __init__(self):
        self.orders = OrderedDict()  # order_id -> RestingOrder; popping the oldest is O(1), unlike a dict's
        self.total = _ZERO


class _BookSide:
    """The resting orders of one side, best price first."""

    __slots__ = ("levels", "best", "at_least_as_good")

    def __init__(self, sort_key, at_least_as_good):
        self.levels = SortedDict(sort_key)  # price -> _Level
        self.best = None  # the first key of `levels`, kept as levels come and go; reading it is one attribute
        # at_least_as_good(a, b): price a is as good as b or better for whoever trades against this side.
        # The best price is the one no other beats, and a resting price crosses a taker's limit when it is
        # at least as good as that limit. The only place the two sides differ, so matching is written once.
        self.at_least_as_good = at_least_as_good

    def add_level(self, price):
        level = self.levels[price] = _Level()
        if self.best is None or self.at_least_as_good(price, self.best):
            self.best = price
        return level

    def remove_level(self, price):
        del self.levels[price]
        if price == self.best:
            self.refresh_best()

    def refresh_best(self):
        levels = self.levels
        self.best = levels.peekitem(0)[0] if levels else None


class OrderBook:
    """The resting orders of one pair, and the matching of incoming orders against them.

    Not thread-safe: one caller at a time per book.
    """

    def __init__(self, pair):
        self.pair = pair
        self._bids = _BookSide(neg, ge)  # highest first: a seller is better off the higher the bid
        self._asks = _BookSide(None, le)  # lowest first: a buyer is better off the lower the ask
        self._orders = {}  # order_id -> RestingOrder, every order in the book

    def __repr__(self):
        bid, ask = self._bids.best, self._asks.best
        return f"<OrderBook {self.pair}: {len(self._orders)} orders, best bid {bid}, best ask {ask}>"

    def __len__(self):
        return len(self._orders)

    def __contains__(self, order_id):
        return order_id in self._orders

    def get(self, order_id):
        return self._orders.get(order_id)

    def best_bid(self):
        return self._bids.best

    def best_ask(self):
        return self._asks.best

    def level_amount(self, side, price):
        """The total remaining at `price` on `side` (the side the orders rest on), 0 when nothing rests there."""
        own, _ = self._sides(side)
        level = own.levels.get(price)
        return _ZERO if level is None else level.total

    def top(self):
        """(best bid, its total, best ask, its total); None for a side with no order."""
        bid, ask = self._bids.best, self._asks.best
        return (
            bid,
            None if bid is None else self._bids.levels[bid].total,
            ask,
            None if ask is None else self._asks.levels[ask].total,
        )

    def depth(self, levels):
        """(bids, asks), best first, `levels` of each: (price, total remaining, number of orders)."""
        if levels < 0:
            raise InvalidInput("The number of levels must not be negative.")
        return _side_depth(self._bids, levels), _side_depth(self._asks, levels)

    def submit(self, taker):
        """Match `taker` against the book, then rest a GTC LIMIT remainder at the back of its level."""
        own, opposite = self._sides(taker.side)
        limit, time_in_force = _checked_terms(taker)
        if taker.order_id in self._orders:
            raise Conflict(f"Order {taker.order_id} is already in the book.")

        best = opposite.best
        if best is None or (limit is not None and not opposite.at_least_as_good(best, limit)):
            # Nothing crosses, the usual case for a passive order: no level needs to be looked at.
            fills, cancelled, remaining, taker_expired = [], [], taker.amount, False
        elif time_in_force is _FOK and not self._can_fill(taker, opposite, limit):
            return MatchResult([], [], taker.amount, _EXPIRED)
        else:
            fills, cancelled, remaining, taker_expired = self._take(taker, opposite, limit)

        if not remaining:
            outcome = _FILLED
        elif taker_expired or time_in_force is not _GTC:
            outcome = _EXPIRED
        else:
            self._rest(own, RestingOrder(taker.order_id, taker.user_id, taker.side, limit, remaining))
            outcome = _RESTED
        return MatchResult(fills, cancelled, remaining, outcome)

    def add_resting(self, order):
        """Append `order` at the back of its price level, as when rebuilding a book in priority order.

        It never matches: storage is the record, so an order that crosses the book (one placed before
        matching existed, say) rests as it is, and the caller can see it from best_bid() >= best_ask().
        """
        own, _ = self._sides(order.side)
        if not _is_positive(order.price) or not _is_positive(order.remaining):
            raise InvalidInput(f"Order {order.order_id} needs a positive, finite Decimal price and remaining.")
        if order.order_id in self._orders:
            raise Conflict(f"Order {order.order_id} is already in the book.")
        self._rest(own, order)

    def cancel(self, order_id):
        """Remove the order and return it with its remaining at removal, or None if it is not in the book."""
        order = self._orders.pop(order_id, None)
        if order is not None:
            self._unlink(order)
        return order

    def reduce(self, order_id, new_remaining):
        """Shrink a resting order in place, keeping its place in the queue; 0 removes it.

        Growing is refused: an order would gain size without losing time priority, so that has to be a
        cancel and a new order instead.
        """
        order = self._orders.get(order_id)
        if order is None:
            raise NotFound(f"Order {order_id} is not in the book.")
        if not isinstance(new_remaining, Decimal) or not new_remaining.is_finite() or new_remaining < 0:
            raise InvalidInput(f"The new remaining amount must be a finite Decimal, 0 or more; got {new_remaining!r}.")
        if new_remaining > order.remaining:
            raise InvalidInput(
                f"Cannot increase order {order_id} from {order.remaining} to {new_remaining}; "
                "cancel it and submit a new order instead."
            )
        if not new_remaining:
            del self._orders[order_id]
            self._unlink(order)
        else:
            own, _ = self._sides(order.side)
            own.levels[order.price].total -= order.remaining - new_remaining
        order.remaining = new_remaining
        return order

    def _sides(self, side):
        """(the side an order on `side` rests on, the side it trades against)."""
        if side is _BUY:
            return self._bids, self._asks
        if side is _SELL:
            return self._asks, self._bids
        raise InvalidInput(f"Unknown side {side!r}.")

    def _rest(self, own, order):
        price = order.price
        level = own.levels.get(price)
        if level is None:
            level = own.add_level(price)
        order_id = order.order_id
        level.orders[order_id] = order
        level.total += order.remaining
        self._orders[order_id] = order

    def _unlink(self, order):
        """Take an order already dropped from the id index out of its level."""
        own, _ = self._sides(order.side)
        level = own.levels[order.price]
        del level.orders[order.order_id]
        if level.orders:
            level.total -= order.remaining
        else:
            own.remove_level(order.price)

    def _can_fill(self, taker, opposite, limit):
        """Whether matching would fill `taker` completely, meeting its own orders as matching would."""
        levels = opposite.levels
        at_least_as_good = opposite.at_least_as_good
        user_id = taker.user_id
        skips_own = taker.self_trade_prevention is _EXPIRE_MAKER
        needed = taker.amount
        funds = taker.funds  # a MARKET BUY must also afford the whole amount at the prices it would meet
        for price in levels:
            if limit is not None and not at_least_as_good(price, limit):
                return False
            for maker in levels[price].orders.values():
                if maker.user_id == user_id:
                    if skips_own:
                        continue
                    return False
                quantity = needed if needed < maker.remaining else maker.remaining
                if funds is not None:
                    funds -= quantity * price
                    if funds < 0:
                        return False
                needed -= quantity
                if not needed:
                    return True
        return False

    def _take(self, taker, opposite, limit):
        """Trade `taker` against `opposite`: best price first, oldest first within a price.

        Returns (fills, cancelled makers, the taker's remaining, whether self-trade prevention expired it).
        """
        levels = opposite.levels
        at_least_as_good = opposite.at_least_as_good
        index = self._orders
        taker_id = taker.order_id
        user_id = taker.user_id
        taker_side = taker.side
        stp = taker.self_trade_prevention
        remaining = taker.amount
        funds = taker.funds
        fills = []
        cancelled = []
        taker_expired = False
        price = opposite.best
        while price is not None and (limit is None or at_least_as_good(price, limit)):
            level = levels[price]
            queue = level.orders
            # Every order met before the taker stops leaves the level, so those that leave are always the
            # front of the queue, popped once the loop over it is done.
            leaving = 0
            for maker in queue.values():
                if maker.user_id == user_id:
                    if stp is not _EXPIRE_TAKER:
                        cancelled.append(maker)
                        level.total -= maker.remaining
                        leaving += 1
                    if stp is _EXPIRE_MAKER:
                        continue
                    taker_expired = True
                    break
                available = maker.remaining
                quantity = remaining if remaining < available else available
                if funds is not None:
                    if funds < quantity * maker.price:
                        # Only whole lots; the quotient is below quantity / lot size, so it fits the context.
                        quantity = (funds // (maker.price * taker.lot_size)) * taker.lot_size
                        if not quantity:
                            taker_expired = True  # the funds do not cover one more lot
                            break
                    funds -= quantity * maker.price
                maker.remaining = left = available - quantity
                remaining -= quantity
                level.total -= quantity
                fills.append(
                    Fill(maker.order_id, maker.user_id, taker_id, user_id, taker_side, maker.price, quantity, left)
                )
                if left:
                    break
                leaving += 1
                if not remaining:
                    break
            for _ in range(leaving):
                del index[queue.popitem(last=False)[0]]
            if queue:
                break  # the taker stopped inside this level, so the levels behind it are not reached
            opposite.remove_level(price)
            if taker_expired or not remaining:
                break
            price = opposite.best
        return fills, cancelled, remaining, taker_expired


def _side_depth(book_side, count):
    return [(price, level.total, len(level.orders)) for price, level in islice(book_side.levels.items(), count)]


def _is_positive(value):
    return isinstance(value, Decimal) and value.is_finite() and value > 0


def _checked_terms(taker):
    """(limit price or None, the time in force matching applies), or InvalidInput for a malformed taker."""
    if not _is_positive(taker.amount):
        raise InvalidInput(f"The amount must be a positive, finite Decimal; got {taker.amount!r}.")
    time_in_force = taker.time_in_force
    if time_in_force is not _GTC and time_in_force is not _IOC and time_in_force is not _FOK:
        raise InvalidInput(f"Unknown time in force {time_in_force!r}.")
    stp = taker.self_trade_prevention
    # Identity checks rather than set membership: hashing an Enum member runs Python code.
    if stp is not _EXPIRE_MAKER and stp is not _EXPIRE_TAKER and stp is not _EXPIRE_BOTH:
        raise InvalidInput(f"Unknown self-trade prevention {stp!r}.")
    if taker.type is _LIMIT:
        if not _is_positive(taker.price):
            raise InvalidInput(f"A LIMIT order needs a positive, finite Decimal price; got {taker.price!r}.")
        if taker.funds is not None:
            raise InvalidInput("Only a MARKET BUY takes funds; a LIMIT order's price bounds what it spends.")
        return taker.price, time_in_force
    if taker.type is _MARKET:
        if taker.price is not None:
            raise InvalidInput("A MARKET order takes no price.")
        funds = taker.funds
        if funds is not None and (
            taker.side is not _BUY
            or not _is_positive(taker.lot_size)
            or not (isinstance(funds, Decimal) and funds.is_finite() and funds >= 0)
        ):
            raise InvalidInput("Only a MARKET BUY takes funds, as a finite Decimal of 0 or more with a positive lot size.")
        if time_in_force is _GTC:
            raise InvalidInput("A MARKET order has no price to rest at: its time in force is IOC or FOK.")
        return None, time_in_force
    raise InvalidInput(f"Unknown order type {taker.type!r}.")
