"""Namespaces and room names, shared by the notifier and the namespaces."""

ORDERS_NAMESPACE = "/orders"
MARKET_NAMESPACE = "/market"


def user_room(user_id):
    return f"user:{user_id}"


def market_room(pair):
    return f"market:{pair}"
