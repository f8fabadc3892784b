"""Rate limits: how often a username, a client address or a user may call the endpoints worth abusing.

This module owns:

- the limits themselves, as decorators the views wear: `login` (failed logins per username, and every
  login attempt per client address), `registration` (per client address) and `order_entry` (one count per
  user over placing, amending, cancelling and recording trades). Their values are settings (config.py),
  read per request, so each app follows its own;
- what a request is counted against: the username in a login body, whatever its case; the client address,
  which is the peer unless RATELIMIT_TRUSTED_PROXIES says how many proxies append to X-Forwarded-For; the
  user of the access token;
- where counts live: RATELIMIT_STORAGE_URI, by default REDIS_URL's Redis, so every process of a deployment
  shares them, or this process's memory without Redis. Every key starts with RATELIMIT_NAMESPACE, which
  keeps deployments (and test runs) on one Redis apart; the key functions add it, not Flask-Limiter's own
  key prefix, which its instance would keep from the first app it served. If Redis stops answering, each
  process counts in memory until it is back, rather than failing requests;
- the headers: every limited response carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset
  (seconds until the window resets) as draft-ietf-httpapi-ratelimit-headers defines them, and a 429 also
  Retry-After; its body is the common error shape, which orders_app/errors.py renders.

Flask-Limiter does the counting, in fixed windows. Its instance lives in extensions.py and, like Socket.IO,
follows the app built last in a process.
"""

import logging
import math
import time

from flask import current_app, request
from flask_jwt_extended import get_jwt_identity
from limits import parse_many

from .extensions import limiter

log = logging.getLogger(__name__)

LIMIT_SETTINGS = (
    "RATELIMIT_LOGIN_FAILURES_PER_USERNAME",
    "RATELIMIT_LOGIN_PER_ADDRESS",
    "RATELIMIT_REGISTER_PER_ADDRESS",
    "RATELIMIT_ORDERS_PER_USER",
)
LIMITER_SETTINGS = {
    "RATELIMIT_HEADERS_ENABLED": False,  # _rate_limit_headers writes them
    "RATELIMIT_STRATEGY": "fixed-window",
    # A storage failure must never become a 500: count in memory meanwhile, log what could not be counted.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
}
USERNAME_KEY_LENGTH = 64  # longer than any valid username; a longer one only shares a count with its prefix

RATE_LIMITED_RESPONSE = {
    "description": "Too many requests: wait the seconds in Retry-After",
    "headers": {
        "Retry-After": {"description": "Seconds until the limit resets", "schema": {"type": "integer"}},
        "RateLimit-Limit": {"description": "Requests allowed in the window", "schema": {"type": "integer"}},
        "RateLimit-Remaining": {"description": "Requests left in the window", "schema": {"type": "integer"}},
        "RateLimit-Reset": {"description": "Seconds until the window resets", "schema": {"type": "integer"}},
    },
}


def register_limits(app):
    """Bind the limiter to `app`: its storage and headers, with every limit setting checked at start-up."""
    config = app.config
    for name in LIMIT_SETTINGS:
        try:
            parse_many(config[name])
        except ValueError:
            raise ValueError(f"{name}: {config[name]!r} is not a rate limit such as '10 per minute'") from None
    config.update(LIMITER_SETTINGS)
    config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URI"] or config["SOCKETIO_MESSAGE_QUEUE"] or "memory://"
    # Flask runs after-request functions last registered first: registered before the limiter's own,
    # this one runs once the limiter has counted a failed login, so Remaining includes it.
    app.after_request(_rate_limit_headers)
    limiter.init_app(app)


def _rate_limit_headers(response):
    """The headers of the limit the request came closest to exceeding (the exceeded one on a 429).

    Not Flask-Limiter's own: it reports the first limit of a view rather than the tightest, gives the reset
    as a Unix time where the IETF header counts seconds, and sends Retry-After on every response."""
    if not limiter.current_limits:
        return response
    try:
        tightest = min(limiter.current_limits, key=lambda limit: (not limit.breached, limit.remaining))
        reset_in = max(0, math.ceil(tightest.window.reset_time - time.time()))
    except Exception:  # the storage failed after the request was counted: the answer stands, without headers
        log.warning("Rate limit headers left out: the limit storage did not answer", exc_info=True)
        return response
    response.headers.update(
        {"RateLimit-Limit": tightest.limit.amount, "RateLimit-Remaining": tightest.remaining, "RateLimit-Reset": reset_in}
    )
    if response.status_code == 429:
        # Rounded up, so a client that waits this long is never early.
        response.headers["Retry-After"] = reset_in
    return response


def _key(kind, value):
    return f"{current_app.config['RATELIMIT_NAMESPACE']}:{kind}:{value}"


def client_address():
    """The address the request came from. Behind n trusted proxies (RATELIMIT_TRUSTED_PROXIES), each
    appending the address it was called from to X-Forwarded-For, that is the n-th entry from the right:
    entries further left are whatever the client chose to send."""
    proxies = current_app.config["RATELIMIT_TRUSTED_PROXIES"]
    if proxies:
        forwarded = [entry.strip() for entry in request.headers.get("X-Forwarded-For", "").split(",")]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            return forwarded[-proxies]
    return request.remote_addr or "unknown"


def _address_key():
    return _key("address", client_address())


def _login_username_key():
    """The username a login names, lowercased as accounts match it: "Alice" and "alice" share one count."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested too deep for the parser: the view answers 400, and no username is named
        body = None
    username = body.get("username") if isinstance(body, dict) else None
    named = username.lower()[:USERNAME_KEY_LENGTH] if isinstance(username, str) and username else "(none)"
    return _key("username", named)


def _user_key():
    return _key("user", get_jwt_identity())


def _setting(name):
    return lambda: current_app.config[name]


def _failed_login(response):
    return response.status_code == 401


_failed_logins_per_username = limiter.limit(
    _setting("RATELIMIT_LOGIN_FAILURES_PER_USERNAME"),
    key_func=_login_username_key,
    deduct_when=_failed_login,
    error_message="Too many failed logins for this username; retry after the seconds in Retry-After.",
)
_logins_per_address = limiter.limit(
    _setting("RATELIMIT_LOGIN_PER_ADDRESS"),
    key_func=_address_key,
    error_message="Too many login attempts from this address; retry after the seconds in Retry-After.",
)


def login(view):
    """Failed logins per username and login attempts per client address."""
    return _failed_logins_per_username(_logins_per_address(view))


registration = limiter.limit(
    _setting("RATELIMIT_REGISTER_PER_ADDRESS"),
    key_func=_address_key,
    error_message="Too many registrations from this address; retry after the seconds in Retry-After.",
)

# One count for every view that changes orders: amending or cancelling costs the engine what placing does.
order_entry = limiter.shared_limit(
    _setting("RATELIMIT_ORDERS_PER_USER"),
    scope="order-entry",
    key_func=_user_key,
    error_message="Too many order requests for this user; retry after the seconds in Retry-After.",
)
