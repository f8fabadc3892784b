"""Namespaces and room names, shared by the notifier and the namespaces."""

ORDERS_NAMESPACE = "/orders"
MARKET_NAMESPACE = "/market"


def user_room(user_id):
    return f"user:{user_id}"


def market_room(pair):
    return f"market:{pair}"


MARKET_CHANNELS = ("snapshots", "trades", "book", "candles", "ticker")
LEGACY_CHANNELS = ("snapshots", "trades")  # what `subscribe {pair}` without channels has always meant


def market_channel_room(pair, channel):
    """The room of one /market channel of a pair; TRADE keeps the pair's original room."""
    return market_room(pair) if channel == "trades" else f"market:{pair}:{channel}"
