"""Throughput of the matching engine, in process: how many orders per second OrderBook.submit takes.

A mixed stream is generated before timing: prices around a mid that random-walks on a 0.01 tick grid,
mostly LIMIT GTC with some IOC, FOK and MARKET orders and some cancels, UUID order and user ids as in
production. It runs twice: on an empty book, and on a book already holding --resting orders (100,000
by default), to show that the cost per order does not grow with the book.

Usage: .venv/bin/python bench/engine_bench.py [--orders N] [--resting N] [--repeat N] [--profile]
Prints figures and asserts nothing.
"""

import argparse
import cProfile
import gc
import platform
import pstats
import random
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

# Run as a script from anywhere: make the repository importable without installing it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orders_app.domain.enums import OrderType, Side, TimeInForce  # noqa: E402
from orders_app.engine import OrderBook, RestingOrder, Taker, TakerOutcome  # noqa: E402

TICK = Decimal("0.01")
LOT = Decimal("0.01")
START_MID = 10_000  # in ticks: 100.00
USERS = 500
CANCEL_SHARE = 0.10  # of all operations
# The spread of limit prices around the mid, in ticks, chosen so that about half of the orders cross.
PRICE_OFFSETS = range(-10, 11)
RECENT_IDS = 5_000  # cancels pick among this many latest orders that rested


def random_uuid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def price_of(ticks):
    return Decimal(ticks) * TICK


def order_kind(rng):
    """(type, time in force): mostly resting limit orders, some that only take."""
    roll = rng.random()
    if roll < 0.78:
        return OrderType.LIMIT, TimeInForce.GTC
    if roll < 0.90:
        return OrderType.LIMIT, TimeInForce.IOC
    if roll < 0.94:
        return OrderType.LIMIT, TimeInForce.FOK
    return OrderType.MARKET, TimeInForce.IOC


def generate_stream(count, seed):
    """[(True, order id) for a cancel | (False, Taker)], built before any timing.

    A shadow book replays the stream as it is written, so that cancels target orders that are still
    resting (a cancel of an order already filled costs next to nothing and would flatter the figures).
    """
    rng = random.Random(seed)
    users = [random_uuid(rng) for _ in range(USERS)]
    prices = {}
    mid = START_MID
    shadow = OrderBook("SHADOW")
    recent = []
    operations = []
    while len(operations) < count:
        if rng.random() < 0.05:
            mid += rng.choice((-1, 1))
        if rng.random() < CANCEL_SHARE:
            order_id = pick_resting(rng, recent, shadow)
            if order_id is not None:
                shadow.cancel(order_id)
                operations.append((True, order_id))
                continue
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        order_type, time_in_force = order_kind(rng)
        price = None
        if order_type is OrderType.LIMIT:
            offset = rng.choice(PRICE_OFFSETS)
            ticks = mid + offset if side is Side.BUY else mid - offset
            price = prices.get(ticks) or prices.setdefault(ticks, price_of(ticks))
        taker = Taker(
            order_id=random_uuid(rng),
            user_id=rng.choice(users),
            side=side,
            type=order_type,
            price=price,
            amount=Decimal(rng.randint(1, 100)) * LOT,
            time_in_force=time_in_force,
        )
        operations.append((False, taker))
        if shadow.submit(taker).outcome is TakerOutcome.RESTED:
            recent.append(taker.order_id)
            if len(recent) > RECENT_IDS:
                recent.pop(0)
    return operations


def pick_resting(rng, recent, book):
    """A random id among `recent` that is still in `book`, forgetting those that are not; None if none is."""
    while recent:
        position = rng.randrange(len(recent))
        recent[position], recent[-1] = recent[-1], recent[position]
        order_id = recent.pop()
        if order_id in book:
            return order_id
    return None


def resting_orders(count, seed):
    """`count` resting orders, 100 per level, on both sides of the starting mid, in priority order."""
    rng = random.Random(seed + 1)
    users = [random_uuid(rng) for _ in range(USERS)]
    per_level = 100
    levels = max(1, count // (2 * per_level))
    orders = []
    for side, direction in ((Side.BUY, -1), (Side.SELL, 1)):
        for distance in range(1, levels + 1):
            price = price_of(START_MID + direction * distance)
            for _ in range(per_level):
                if len(orders) < count:
                    amount = Decimal(rng.randint(1, 100)) * LOT
                    orders.append(RestingOrder(random_uuid(rng), rng.choice(users), side, price, amount))
    return orders


def build_book(resting_count, seed):
    book = OrderBook("BENCH/USD")
    for order in resting_orders(resting_count, seed) if resting_count else ():
        book.add_resting(order)
    return book


def run(book, operations):
    """Seconds taken to push `operations` through `book`."""
    submit = book.submit
    cancel = book.cancel
    gc.collect()
    started = time.perf_counter()
    for is_cancel, argument in operations:
        if is_cancel:
            cancel(argument)
        else:
            submit(argument)
    return time.perf_counter() - started


def describe(book, operations):
    """What the stream does to the book, measured on a run of its own so timing carries no bookkeeping."""
    submits = crossing = fills = cancels_hit = 0
    for is_cancel, argument in operations:
        if is_cancel:
            cancels_hit += book.cancel(argument) is not None
            continue
        result = book.submit(argument)
        submits += 1
        crossing += bool(result.fills)
        fills += len(result.fills)
    cancels = len(operations) - submits
    return (
        f"{submits:,} submits ({crossing / submits:.0%} cross, {fills / submits:.2f} fills per submit), "
        f"{cancels:,} cancels ({cancels_hit / max(cancels, 1):.0%} still in the book); "
        f"book ends with {len(book):,} resting orders"
    )


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def scenario(name, operations, resting, repeat, seed):
    print(f"\n{name}")
    print("  " + describe(build_book(resting, seed), operations))
    submits = sum(1 for is_cancel, _ in operations if not is_cancel)
    timings = []
    for _ in range(repeat):
        book = build_book(resting, seed)
        timings.append(run(book, operations))
    best = min(timings)
    median = statistics.median(timings)
    for label, seconds in (("best", best), ("median", median)):
        print(
            f"  {label:>6}: {submits / seconds:>10,.0f} orders/s  {seconds / submits * 1e9:>7,.0f} ns/order"
            f"   ({len(operations) / seconds:,.0f} operations/s counting cancels)"
        )
    return best


def profile(operations, resting, seed):
    book = build_book(resting, seed)
    profiler = cProfile.Profile()
    profiler.runcall(run, book, operations)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000, help="operations in the stream (submits and cancels)")
    parser.add_argument("--resting", type=int, default=100_000, help="resting orders in the deep-book scenario")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per scenario; best and median shown")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the deep-book scenario")
    args = parser.parse_args()

    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}")
    print(f"CPU: {cpu_model()}")
    operations = generate_stream(args.orders, args.seed)
    print(f"Stream: {len(operations):,} operations, generated before timing; orders/s counts submits only,")
    print("ns/order divides the whole run (cancels included) by the number of submits.")

    empty = scenario("Empty book at start", operations, 0, args.repeat, args.seed)
    deep_name = f"Book holding {args.resting:,} resting orders at start"
    deep = scenario(deep_name, operations, args.resting, args.repeat, args.seed)
    print(f"\nDeep book / empty book time per order: {deep / empty:.2f}")
    if args.profile:
        profile(operations, args.resting, args.seed)


if __name__ == "__main__":
    main()
