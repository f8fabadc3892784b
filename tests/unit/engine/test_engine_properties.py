"""Random order streams through the engine, checked after every operation against a plain model.

The model knows every order ever sent (amount, limit, arrival) and what happened to it according to the
results the engine returned; after each operation the book must agree with it and with the rules of
matching. Prices sit on a five-tick grid and three users share the book, so crosses and self-trades are
common.
"""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from orders_app.domain.enums import OrderType, SelfTradePrevention, Side, TimeInForce
from orders_app.domain.errors import InvalidInput, NotFound
from orders_app.engine import OrderBook, RestingOrder, Taker, TakerOutcome

PRICES = [Decimal(price) for price in ("99.50", "99.75", "100.00", "100.25", "100.50")]
USERS = ["ann", "bob", "cat"]
ZERO = Decimal(0)
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    # The explain phase replays a shrunk stream thousands of times, minutes for a stream this long; the
    # shrunk stream itself is what a failure needs.
    phases=[phase for phase in Phase if phase is not Phase.explain],
)


@dataclass(frozen=True)
class Submit:
    side: Side
    type: OrderType
    price: Decimal
    amount: Decimal
    time_in_force: TimeInForce
    user: str
    stp: SelfTradePrevention


@dataclass(frozen=True)
class Cancel:
    pick: int  # any order sent so far, resting or not


@dataclass(frozen=True)
class Reduce:
    pick: int
    quarters: int  # the new remaining in quarters of the current one; above 4 asks for more


submits = st.builds(
    Submit,
    side=st.sampled_from(Side),
    type=st.sampled_from([OrderType.LIMIT] * 5 + [OrderType.MARKET]),
    price=st.sampled_from(PRICES),
    amount=st.integers(1, 12).map(lambda halves: Decimal(halves) / 2),
    time_in_force=st.sampled_from([TimeInForce.GTC] * 3 + [TimeInForce.IOC, TimeInForce.FOK]),
    user=st.sampled_from(USERS),
    stp=st.sampled_from([SelfTradePrevention.EXPIRE_MAKER, *SelfTradePrevention]),  # the default, twice as often
)
# A MARKET order has no price to rest at: it is IOC or FOK, never GTC.
submits = submits.map(
    lambda op: replace(op, time_in_force=TimeInForce.IOC)
    if op.type is OrderType.MARKET and op.time_in_force is TimeInForce.GTC
    else op
)
cancels = st.builds(Cancel, pick=st.integers(0, 1000))
reduces = st.builds(Reduce, pick=st.integers(0, 1000), quarters=st.integers(0, 5))
# Three submits for each cancel or reduce, so that the book has some depth to match against. The choice
# is drawn beside all three candidates rather than through flatmap, which shrinks failures much worse.
operation = st.tuples(st.integers(0, 7), submits, cancels, reduces).map(
    lambda drawn: drawn[1] if drawn[0] < 6 else drawn[2] if drawn[0] == 6 else drawn[3]
)


def flattened(runs):
    return [operation for run in runs for operation in run]


# Streams of about 40 operations on average, drawn as runs of operations: a plain list that long on
# average needs a large min_size, and a failing stream could then never shrink below it.
operations = st.lists(st.lists(operation, min_size=1, max_size=20), max_size=30).map(flattened)


@dataclass
class Tracked:
    order_id: int
    user: str
    side: Side
    limit: Decimal | None
    amount: Decimal
    arrival: int
    filled: Decimal = ZERO
    gone: Decimal = ZERO  # expired, cancelled or reduced away

    @property
    def left(self):
        return self.amount - self.filled - self.gone


def better(side, a, b):
    """Whether resting price `a` is strictly better than `b` on `side` (higher bid, lower ask)."""
    return a > b if side is Side.BUY else a < b


def within_limit(taker, price):
    if taker.limit is None:
        return True
    return price <= taker.limit if taker.side is Side.BUY else price >= taker.limit


def priority(order):
    """Sort key: best price first, then arrival."""
    return (-order.limit if order.side is Side.BUY else order.limit, order.arrival)


@dataclass
class Model:
    book: OrderBook = field(default_factory=lambda: OrderBook("TEST"))
    orders: list = field(default_factory=list)  # every Tracked order, in arrival order
    resting: dict = field(default_factory=dict)  # order_id -> Tracked: what should be in the book
    volume: Decimal = ZERO  # total traded

    def apply(self, operation):
        if isinstance(operation, Submit):
            self.submit(operation)
        elif isinstance(operation, Cancel):
            self.cancel(operation)
        else:
            self.reduce(operation)
        self.check_book()

    def picked(self, pick):
        return self.orders[pick % len(self.orders)] if self.orders else None

    def submit(self, op):
        limit = op.price if op.type is OrderType.LIMIT else None
        tracked = Tracked(len(self.orders), op.user, op.side, limit, op.amount, arrival=len(self.orders))
        self.orders.append(tracked)
        taker = Taker(tracked.order_id, op.user, op.side, op.type, limit, op.amount, op.time_in_force, op.stp)
        is_fok = op.time_in_force is TimeInForce.FOK
        fok_possible = self.fok_possible(tracked, op.stp) if is_fok else None
        before = self.book.depth(100), len(self.book)

        result = self.book.submit(taker)

        event(f"{op.type.value} {op.time_in_force.value} {result.outcome.value}{' with fills' if result.fills else ''}")
        if result.cancelled_makers:
            event(f"self-trade prevention {op.stp.value} cancelled makers")
        self.record_fills(tracked, result)
        self.record_cancelled_makers(tracked, op, result)
        for fill in result.fills:
            self.check_priority_respected(self.orders[fill.maker_order_id], fill.price)
        assert result.taker_remaining == tracked.left
        if result.outcome is TakerOutcome.FILLED:
            assert result.taker_remaining == 0
        elif result.outcome is TakerOutcome.RESTED:
            assert (op.type, op.time_in_force) == (OrderType.LIMIT, TimeInForce.GTC)
            assert result.taker_remaining > 0
            self.resting[tracked.order_id] = tracked
        else:
            assert result.taker_remaining > 0
            tracked.gone += result.taker_remaining
            if op.type is OrderType.LIMIT and op.time_in_force is TimeInForce.GTC:
                assert self.stopped_at_own_order(tracked, op.stp, result), "a GTC order only expires by self-trade"
        if is_fok:
            # An independent reading of "can it fill completely?", from the model's own view of the book.
            if fok_possible:
                assert result.outcome is TakerOutcome.FILLED
            else:
                assert (result.fills, result.cancelled_makers, result.outcome) == ([], [], TakerOutcome.EXPIRED)
                assert (self.book.depth(100), len(self.book)) == before
        if result.outcome is TakerOutcome.EXPIRED and not is_fok:
            # It took everything within reach, unless self-trade prevention stopped it.
            assert not self.reachable(tracked) or self.stopped_at_own_order(tracked, op.stp, result)

    def record_fills(self, taker, result):
        previous = None
        for fill in result.fills:
            maker = self.resting.get(fill.maker_order_id)
            assert maker is not None, "only resting orders trade"
            assert (fill.taker_order_id, fill.taker_user_id) == (taker.order_id, taker.user)
            assert fill.taker_side is taker.side
            assert maker.side is not taker.side
            assert fill.maker_user_id == maker.user != taker.user, "no one trades with themselves"
            assert fill.price == maker.limit, "trades execute at the maker's price"
            assert within_limit(taker, fill.price)
            assert fill.amount > 0
            if previous is not None:
                # Execution order is priority order: never a better price, nor an earlier order, after a worse one.
                assert priority(previous) <= priority(maker)
            previous = maker
            maker.filled += fill.amount
            taker.filled += fill.amount
            self.volume += fill.amount
            assert fill.maker_remaining == maker.left >= 0
            if not fill.maker_remaining:
                del self.resting[maker.order_id]

    def record_cancelled_makers(self, taker, op, result):
        if result.cancelled_makers:
            assert op.stp is not SelfTradePrevention.EXPIRE_TAKER
        if op.stp is SelfTradePrevention.EXPIRE_BOTH:
            assert len(result.cancelled_makers) <= 1, "EXPIRE_BOTH stops at the first own order"
        for order in result.cancelled_makers:
            maker = self.resting.pop(order.order_id)
            assert order.user_id == maker.user == taker.user
            assert order.remaining == maker.left > 0
            maker.gone += order.remaining
            assert order.order_id not in self.book

    def check_priority_respected(self, maker, price):
        """After an order traded at `price`, nothing better placed than it may still rest on its side."""
        for order in self.resting.values():
            if order.side is maker.side:
                assert not better(order.side, order.limit, price), "a better price was left resting"
                if order.limit == price:
                    assert order.arrival > maker.arrival or order is maker, "a later order filled first"

    def reachable(self, taker):
        """The resting orders `taker` could trade with now, in priority order."""
        return sorted(
            (o for o in self.resting.values() if o.side is not taker.side and within_limit(taker, o.limit)),
            key=priority,
        )

    def stopped_at_own_order(self, taker, stp, result):
        """Whether self-trade prevention ended the taker: EXPIRE_TAKER leaves the own order first in line,
        EXPIRE_BOTH removes it."""
        if stp is SelfTradePrevention.EXPIRE_TAKER:
            reachable = self.reachable(taker)
            return bool(reachable) and reachable[0].user == taker.user
        if stp is SelfTradePrevention.EXPIRE_BOTH:
            return bool(result.cancelled_makers)
        return False

    def fok_possible(self, taker, stp):
        needed = taker.amount
        for order in self.reachable(taker):
            if order.user == taker.user:
                if stp is SelfTradePrevention.EXPIRE_MAKER:
                    continue
                return False
            needed -= order.left
            if needed <= 0:
                return True
        return False

    def cancel(self, op):
        tracked = self.picked(op.pick)
        if tracked is None:
            return
        expected = self.resting.pop(tracked.order_id, None)
        cancelled = self.book.cancel(tracked.order_id)
        if expected is None:
            assert cancelled is None
        else:
            assert (cancelled.order_id, cancelled.remaining) == (tracked.order_id, tracked.left)
            tracked.gone += cancelled.remaining

    def reduce(self, op):
        tracked = self.picked(op.pick)
        if tracked is None:
            return
        if tracked.order_id not in self.resting:
            try:
                self.book.reduce(tracked.order_id, Decimal(1))
            except NotFound:
                return
            raise AssertionError("reducing an order that is not in the book must be refused")
        new_remaining = tracked.left * op.quarters / 4
        if op.quarters > 4:
            try:
                self.book.reduce(tracked.order_id, new_remaining)
            except InvalidInput:
                return
            raise AssertionError("reducing upward must be refused")
        reduced = self.book.reduce(tracked.order_id, new_remaining)
        assert reduced.remaining == new_remaining
        tracked.gone += tracked.left - new_remaining
        if not new_remaining:
            del self.resting[tracked.order_id]

    def check_book(self):
        book = self.book
        bid, ask = book.best_bid(), book.best_ask()
        if bid is not None and ask is not None:
            assert bid < ask, "the book is crossed"
        bids = [o for o in self.resting.values() if o.side is Side.BUY]
        asks = [o for o in self.resting.values() if o.side is Side.SELL]
        assert bid == max((o.limit for o in bids), default=None)
        assert ask == min((o.limit for o in asks), default=None)

        assert len(book) == len(self.resting)
        for tracked in self.orders:
            in_book = book.get(tracked.order_id)
            if tracked.order_id in self.resting:
                assert in_book is not None and in_book.remaining == tracked.left > 0
                assert (in_book.side, in_book.price, in_book.user_id) == (tracked.side, tracked.limit, tracked.user)
            else:
                assert in_book is None and tracked.order_id not in book
            # Quantity is conserved: every unit is filled, still resting, or gone, never two of these.
            resting_amount = in_book.remaining if in_book is not None else ZERO
            assert tracked.filled + resting_amount + tracked.gone == tracked.amount
            assert ZERO <= tracked.filled <= tracked.amount
        # Each traded unit is counted once on its maker and once on its taker.
        assert sum(tracked.filled for tracked in self.orders) == 2 * self.volume

        assert book.depth(len(PRICES) + 1) == (aggregate(bids), aggregate(asks))
        assert book.depth(2) == (aggregate(bids)[:2], aggregate(asks)[:2])


def aggregate(orders):
    """[(price, total left, count)] best first, from the model's resting orders of one side."""
    levels = {}
    for order in sorted(orders, key=priority):
        total, count = levels.get(order.limit, (ZERO, 0))
        levels[order.limit] = (total + order.left, count + 1)
    return [(price, total, count) for price, (total, count) in levels.items()]


@SETTINGS
@given(operations)
def test_random_order_streams_keep_every_invariant(stream):
    model = Model()
    for operation in stream:
        model.apply(operation)


@SETTINGS
@given(operations, submits)
def test_book_rebuilt_from_its_resting_orders_matches_like_the_original(stream, last):
    model = Model()
    for operation in stream:
        model.apply(operation)
    rebuilt = OrderBook("TEST")
    for tracked in sorted(model.resting.values(), key=lambda order: order.arrival):
        kept = model.book.get(tracked.order_id)
        rebuilt.add_resting(RestingOrder(kept.order_id, kept.user_id, kept.side, kept.price, kept.remaining))

    assert rebuilt.depth(100) == model.book.depth(100)
    limit = last.price if last.type is OrderType.LIMIT else None
    taker = Taker("last", last.user, last.side, last.type, limit, last.amount, last.time_in_force, last.stp)
    assert rebuilt.submit(taker) == model.book.submit(taker)
    assert rebuilt.depth(100) == model.book.depth(100)
