"""Every setting, its default, and the environment variable that overrides it.

Order of precedence (lowest first): the defaults below, `instance/config.py` if present,
environment variables, then the `test_config` mapping handed to `create_app`.

| Setting                    | Environment variable        | Default                                   |
|----------------------------|-----------------------------|-------------------------------------------|
| SQLALCHEMY_DATABASE_URI    | DATABASE_URL                | sqlite:///<instance>/orders.db            |
| JWT_SECRET_KEY             | JWT_SECRET_KEY              | generated once into instance/jwt-secret   |
| JWT_ACCESS_TOKEN_EXPIRES   | JWT_ACCESS_TOKEN_MINUTES    | 15 minutes                                |
|                            | JWT_ACCESS_TOKEN_SECONDS    | unset; when set it wins over _MINUTES:    |
|                            |                             | short lives for tests and demos           |
| JWT_REFRESH_TOKEN_EXPIRES  | JWT_REFRESH_TOKEN_DAYS      | 7 days                                    |
| SOCKET_TOKEN_EXPIRY_       | SOCKET_TOKEN_EXPIRY_        | 60: seconds before a socket's token       |
|   WARNING_SECONDS          |   WARNING_SECONDS           | expires that it gets TOKEN_EXPIRING; at   |
|                            |                             | most half the token's life                |
|                            |                             | (realtime/socket_sessions.py)             |
| SOCKETIO_MESSAGE_QUEUE     | REDIS_URL                   | none (single process)                     |
| SOCKETIO_CORS_ORIGINS      | SOCKETIO_CORS_ORIGINS       | own origin only; comma-separated extra    |
|                            |                             | origins widen it, `*` accepts any         |
| INSTRUMENTS                | INSTRUMENTS (JSON array)    | DEFAULT_INSTRUMENTS below                 |
| STARTING_BALANCES          | STARTING_BALANCES (JSON)    | DEFAULT_STARTING_BALANCES below           |
| VALUATION_ASSET            | VALUATION_ASSET             | USD (what GET /portfolio values in)       |
| PASSWORD_HASH_PROFILE      | PASSWORD_HASH_PROFILE       | RFC_9106_LOW_MEMORY (argon2id)            |
| DB_POOL_SIZE               | DB_POOL_SIZE                | 10 (PostgreSQL only)                      |
| DB_POOL_PRE_PING           | DB_POOL_PRE_PING            | false: no round trip on every checkout    |
| BOOK_CHANGE_LOG_RETENTION  | BOOK_CHANGE_LOG_RETENTION   | 10000: sequences of each pair's book     |
|                            |                             | change log kept (services/books.py); a    |
|                            |                             | cache further behind rebuilds the book    |
| WRITER_BATCH_MAX           | WRITER_BATCH_MAX            | 64: the most commands a book's writer      |
|                            |                             | commits at once (services/book_writer.py) |
| WRITER_BALANCE_RETRIES     | WRITER_BALANCE_RETRIES      | 5: runs of a batch whose balances another |
|                            |                             | writer moved, before it answers 503       |
| EVENT_LOG_RETENTION_DAYS   | EVENT_LOG_RETENTION_DAYS    | 7: days each account's events are kept    |
|                            |                             | for GET /events and replay; older ones go |
|                            |                             | with `flask prune-events`                 |
| TEST_CRASH_AFTER_COMMIT    | TEST_CRASH_AFTER_COMMIT     | false. TEST ONLY: true makes the process  |
|                            |                             | SIGKILL itself after a commit that has    |
|                            |                             | events, before publishing them; never set |
|                            |                             | it anywhere else                          |
| BENCH_WITHOUT_EVENT_LOG    | BENCH_WITHOUT_EVENT_LOG     | false. BENCH ONLY: true stores no private |
|                            |                             | event and numbers none (no eventSeq, no   |
|                            |                             | replay), so bench/throughput_bench.py can |
|                            |                             | print what the log costs; refused when    |
|                            |                             | ORDERS_APP_ENV=production                 |
| HEARTBEAT_SECONDS          | HEARTBEAT_SECONDS           | 5: HEARTBEAT on /orders and /market to    |
|                            |                             | every client this often; 0 turns it off   |
|                            |                             | (realtime/heartbeat.py)                   |
| ORDERS_APP_ENV             | ORDERS_APP_ENV              | development; `production` demands secrets |
| RATELIMIT_ENABLED          | RATELIMIT_ENABLED           | true; `false` turns every rate limit off  |
| RATELIMIT_LOGIN_FAILURES_  | RATELIMIT_LOGIN_FAILURES_   | 10 per 15 minutes: failed logins only     |
|   PER_USERNAME             |   PER_USERNAME              |                                           |
| RATELIMIT_LOGIN_PER_ADDRESS| RATELIMIT_LOGIN_PER_ADDRESS | 20 per minute: every login attempt        |
| RATELIMIT_REGISTER_        | RATELIMIT_REGISTER_         | 10 per hour                               |
|   PER_ADDRESS              |   PER_ADDRESS               |                                           |
| RATELIMIT_ORDERS_PER_USER  | RATELIMIT_ORDERS_PER_USER   | 300 per 10 seconds, over all order entry  |
| RATELIMIT_STORAGE_URI      | RATELIMIT_STORAGE_URI       | REDIS_URL when set (shared by processes), |
|                            |                             | else this process's memory                |
| RATELIMIT_NAMESPACE        | RATELIMIT_NAMESPACE         | orders_app: starts every key; one per     |
|                            |                             | deployment sharing a Redis                |
| RATELIMIT_TRUSTED_PROXIES  | RATELIMIT_TRUSTED_PROXIES   | 0: the client is the peer address; n: the |
|                            |                             | n-th X-Forwarded-For entry from the right |
| (instance folder)          | INSTANCE_PATH               | ./instance                                |

Rate limits are strings such as "10 per minute" or "300 per 10 seconds" (orders_app/limits.py applies them).
"""

import json
import os
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

DEFAULT_INSTRUMENTS = [
    {"symbol": "EUR/USD", "base": "EUR", "quote": "USD", "tickSize": "0.00001", "lotSize": "1", "minAmount": "1"},
    {"symbol": "GBP/USD", "base": "GBP", "quote": "USD", "tickSize": "0.00001", "lotSize": "1", "minAmount": "1"},
    {"symbol": "USD/JPY", "base": "USD", "quote": "JPY", "tickSize": "0.001", "lotSize": "1", "minAmount": "1"},
    {"symbol": "BTC/USD", "base": "BTC", "quote": "USD", "tickSize": "0.01", "lotSize": "0.0001", "minAmount": "0.0001"},
]

# Credited to every new user as deposits. An instrument may add "settlement": "DEFERRED".
DEFAULT_STARTING_BALANCES = {"USD": "100000", "EUR": "100000", "GBP": "100000", "JPY": "10000000", "BTC": "2"}

JWT_SECRET_FILE = "jwt-secret"


class DefaultSettings:
    ORDERS_APP_ENV = "development"
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=7)
    JWT_TOKEN_LOCATION = ["headers"]
    # A socket is told TOKEN_EXPIRING this long before its token expires (at most half the token's life),
    # time enough to send `reauth` with a fresh token before it is closed (realtime/socket_sessions.py).
    SOCKET_TOKEN_EXPIRY_WARNING_SECONDS = 60
    SOCKETIO_MESSAGE_QUEUE = None
    SOCKETIO_CORS_ORIGINS = ()  # origins accepted besides the app's own (browser_security.py), or "*"
    SOCKETIO_ASYNC_MODE = None  # let Flask-SocketIO pick eventlet when it is installed
    INSTRUMENTS = DEFAULT_INSTRUMENTS
    STARTING_BALANCES = DEFAULT_STARTING_BALANCES
    VALUATION_ASSET = "USD"
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"
    DB_POOL_SIZE = 10
    # A ping on every checkout costs each request a round trip. Without it, a connection the database
    # dropped (a restart) fails the one request that meets it, and the pool then discards every connection
    # of that generation. Turn it on where connections die often, behind an idle-killing proxy say.
    DB_POOL_PRE_PING = False
    BOOK_CHANGE_LOG_RETENTION = 10000
    # The writer of a book commits whatever queued while it was busy, up to this many commands, in one
    # transaction: the larger, the fewer commits per order under load, but the longer the first command
    # of a full batch waits for the last. 1 commits every command on its own. An idle writer never waits
    # to fill a batch, so the bound costs nothing at low load.
    WRITER_BATCH_MAX = 64
    # PostgreSQL: a batch reads the makers' balances without a lock and checks at the end that no other
    # writer moved them; when one did, it runs again with them locked, up to this many times (then 503).
    WRITER_BALANCE_RETRIES = 5
    # How long GET /events and Socket.IO replay can reach back: a client offline for longer starts again
    # from a SNAPSHOT (or GET /orders and /balances). `flask prune-events` deletes what is older.
    EVENT_LOG_RETENTION_DAYS = 7
    # Test only: the crash between commit and publish that the event log makes harmless (tests/e2e).
    TEST_CRASH_AFTER_COMMIT = False
    # Bench only: the same server without the event log, to measure what the log costs (bench/).
    BENCH_WITHOUT_EVENT_LOG = False
    # Often enough that a client notices a dead connection within seconds, rarely enough to cost nothing.
    HEARTBEAT_SECONDS = 5.0
    RATELIMIT_ENABLED = True
    # Slows guessing one account's password to a few hundred tries a day, yet forgives a user's typos.
    RATELIMIT_LOGIN_FAILURES_PER_USERNAME = "10 per 15 minutes"
    # Every attempt counts (each costs a password hash), so one address cannot stuff credentials across accounts.
    RATELIMIT_LOGIN_PER_ADDRESS = "20 per minute"
    RATELIMIT_REGISTER_PER_ADDRESS = "10 per hour"
    # Above what exchanges grant a retail API key (Binance: 100 orders per 10 s; Alpaca: 200 requests a
    # minute), so no real client meets it, while a runaway bot is stopped within seconds.
    RATELIMIT_ORDERS_PER_USER = "300 per 10 seconds"
    RATELIMIT_STORAGE_URI = None  # None: REDIS_URL's Redis when set, else memory (limits.py)
    RATELIMIT_NAMESPACE = "orders_app"
    RATELIMIT_TRUSTED_PROXIES = 0

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    MAX_CONTENT_LENGTH = 64 * 1024  # request bodies are small JSON documents

    API_TITLE = "orders_app"
    API_VERSION = "1.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"
    OPENAPI_SWAGGER_UI_CONFIG = {"persistAuthorization": True, "displayRequestDuration": True}


def _env_overrides():
    """Settings read from the environment; only variables that are set are returned."""
    env = os.environ
    readers = {
        "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
        "JWT_SECRET_KEY": ("JWT_SECRET_KEY", str),
        "JWT_ACCESS_TOKEN_MINUTES": ("JWT_ACCESS_TOKEN_EXPIRES", lambda v: timedelta(minutes=int(v))),
        # After _MINUTES, so that it wins when both are set: seconds are for tests and demos of expiry.
        "JWT_ACCESS_TOKEN_SECONDS": ("JWT_ACCESS_TOKEN_EXPIRES", lambda v: timedelta(seconds=_at_least_one(v))),
        "JWT_REFRESH_TOKEN_DAYS": ("JWT_REFRESH_TOKEN_EXPIRES", lambda v: timedelta(days=int(v))),
        "SOCKET_TOKEN_EXPIRY_WARNING_SECONDS": ("SOCKET_TOKEN_EXPIRY_WARNING_SECONDS", int),
        "REDIS_URL": ("SOCKETIO_MESSAGE_QUEUE", str),
        "SOCKETIO_CORS_ORIGINS": ("SOCKETIO_CORS_ORIGINS", _origins),
        "INSTRUMENTS": ("INSTRUMENTS", lambda v: json.loads(v, parse_float=Decimal)),
        "STARTING_BALANCES": ("STARTING_BALANCES", lambda v: json.loads(v, parse_float=Decimal)),
        "VALUATION_ASSET": ("VALUATION_ASSET", str),
        "PASSWORD_HASH_PROFILE": ("PASSWORD_HASH_PROFILE", str),
        "DB_POOL_SIZE": ("DB_POOL_SIZE", int),
        "DB_POOL_PRE_PING": ("DB_POOL_PRE_PING", _flag),
        "BOOK_CHANGE_LOG_RETENTION": ("BOOK_CHANGE_LOG_RETENTION", int),
        "WRITER_BATCH_MAX": ("WRITER_BATCH_MAX", _at_least_one),
        "WRITER_BALANCE_RETRIES": ("WRITER_BALANCE_RETRIES", int),
        "EVENT_LOG_RETENTION_DAYS": ("EVENT_LOG_RETENTION_DAYS", _at_least_one),
        "TEST_CRASH_AFTER_COMMIT": ("TEST_CRASH_AFTER_COMMIT", _flag),
        "BENCH_WITHOUT_EVENT_LOG": ("BENCH_WITHOUT_EVENT_LOG", _flag),
        "HEARTBEAT_SECONDS": ("HEARTBEAT_SECONDS", float),
        "ORDERS_APP_ENV": ("ORDERS_APP_ENV", str),
        "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _flag),
        "RATELIMIT_LOGIN_FAILURES_PER_USERNAME": ("RATELIMIT_LOGIN_FAILURES_PER_USERNAME", str),
        "RATELIMIT_LOGIN_PER_ADDRESS": ("RATELIMIT_LOGIN_PER_ADDRESS", str),
        "RATELIMIT_REGISTER_PER_ADDRESS": ("RATELIMIT_REGISTER_PER_ADDRESS", str),
        "RATELIMIT_ORDERS_PER_USER": ("RATELIMIT_ORDERS_PER_USER", str),
        "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
        "RATELIMIT_NAMESPACE": ("RATELIMIT_NAMESPACE", str),
        "RATELIMIT_TRUSTED_PROXIES": ("RATELIMIT_TRUSTED_PROXIES", int),
    }
    return {key: parse(env[name]) for name, (key, parse) in readers.items() if env.get(name)}


def _at_least_one(value):
    number = int(value)
    if number < 1:
        raise ValueError(f"{value!r} must be 1 or more")
    return number


def _flag(value):
    """true/false, yes/no, on/off or 1/0, in any case."""
    flags = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
    try:
        return flags[value.strip().lower()]
    except KeyError:
        raise ValueError(f"{value!r} is not true or false") from None


def _origins(value):
    """A comma-separated list of origins, "https://a.example, https://b.example", as a tuple; "*" means any."""
    if value.strip() == "*":
        return "*"
    return tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())


def load_settings(app, test_config=None):
    """Fill app.config from defaults, instance/config.py, the environment and test_config."""
    app.config.from_object(DefaultSettings)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(_env_overrides())
    if test_config:
        app.config.update(test_config)

    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(app.instance_path) / 'orders.db'}"
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["STARTING_BALANCES"] = _amounts_by_asset(app.config["STARTING_BALANCES"])
    if not app.config.get("JWT_SECRET_KEY"):
        app.config["JWT_SECRET_KEY"] = _instance_secret(app)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config))
    if app.config["BENCH_WITHOUT_EVENT_LOG"] and app.config["ORDERS_APP_ENV"] == "production":
        raise RuntimeError("BENCH_WITHOUT_EVENT_LOG drops the event log and is for benchmarks only, not production")


def normalise_database_url(url):
    """postgres:// and postgresql:// both mean psycopg2 here: SQLAlchemy 2.1 would pick psycopg 3,
    and psycopg2 is the driver eventlet can make cooperative (see wsgi.py)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _amounts_by_asset(setting):
    """{"USD": "100000", "BTC": 2} -> {"USD": Decimal("100000"), "BTC": Decimal("2")}: numbers or strings."""
    amounts = {asset: Decimal(str(amount)) for asset, amount in setting.items()}
    for asset, amount in amounts.items():
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"STARTING_BALANCES: {asset} must be a finite amount of 0 or more, not {amount}")
    return amounts


def _engine_options(config):
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # The busy timeout lets a writer wait for the database lock instead of failing at once.
        return {"connect_args": {"timeout": 15}}
    return {
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_POOL_SIZE"],
        "pool_pre_ping": config["DB_POOL_PRE_PING"],
        "connect_args": {"connect_timeout": 5},
        # A batch's UPDATEs (one per changed order and balance) go in pages of statements per round trip
        # (psycopg2's execute_batch) rather than a round trip each; INSERTs are multi-row already.
        "executemany_mode": "values_plus_batch",
    }


def _instance_secret(app):
    """Read the development JWT key from instance/, creating it once; production must set it."""
    if app.config["ORDERS_APP_ENV"] == "production":
        raise RuntimeError("JWT_SECRET_KEY must be set in the environment when ORDERS_APP_ENV=production")
    path = Path(app.instance_path) / JWT_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{JWT_SECRET_FILE}.{os.getpid()}")
    draft.write_text(secrets.token_urlsafe(64))
    draft.chmod(0o600)
    try:
        # link() is atomic and refuses to overwrite: when several workers start at once,
        # exactly one key wins and every worker reads that one.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
