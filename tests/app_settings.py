"""Settings for apps and servers under test, and the order most tests place: shared by tests/conftest.py
and by test modules that need them at import time (a module cannot import conftest reliably: each test
folder may have its own)."""

from orders_app.limits import LIMIT_SETTINGS

# The suite logs in, registers and trades far more from one address than anyone would: these limits stay
# out of its way. tests/api/test_rate_limits.py sets realistic ones where it tests them.
SUITE_RATE_LIMITS = {name: "100000 per minute" for name in LIMIT_SETTINGS}

# Tests count the events a socket receives: the heartbeat stays off except where a test turns it on.
SUITE_HEARTBEAT = {"HEARTBEAT_SECONDS": "0"}


def app_config(database_url, instance_path, **overrides):
    """Settings for an app under test; e2e tests hand the same values to a real server."""
    return {
        **SUITE_RATE_LIMITS,
        "HEARTBEAT_SECONDS": 0,
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "JWT_SECRET_KEY": "test-only-secret-" + "x" * 40,
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "SOCKETIO_ASYNC_MODE": "threading",
        "SOCKETIO_MESSAGE_QUEUE": None,
        **overrides,
    }


ORDER_DEFAULTS = {"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": "1000", "price": "1.10000"}
