"""orders_app: a real-time order and trade service."""

import logging
import os
from pathlib import Path

from flask import Flask

from .browser_security import register_security_headers, socketio_allowed_origins
from .config import load_settings
from .database import configure_engine
from .errors import register_jwt_errors
from .limits import register_limits
from . import extensions
from .extensions import db, jwt, migrate, socketio
from .request_log import register_request_log

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(test_config=None):
    """Build the app: settings, extensions, API, realtime, web pages, CLI."""
    # INSTANCE_PATH moves instance/ (database, generated secrets) elsewhere: tests, containers.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance_path and str(Path(instance_path).resolve()),
        instance_relative_config=True,
        static_folder=None,  # static files belong to the web blueprint; an app-level /static rule would shadow it
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    load_settings(app, test_config)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    register_request_log(app)
    register_security_headers(app)
    register_database(app)
    register_auth(app)
    register_limits(app)
    register_api(app)
    register_realtime(app)
    register_web(app)
    register_cli(app)
    return app


def register_database(app):
    """SQLAlchemy, its engine settings, and Alembic migrations."""
    from . import models  # noqa: F401  (the models must be mapped before the metadata is used)
    from .services import book_writer, books, market_stats

    db.init_app(app)
    books.init_app(app)
    market_stats.init_app(app)
    book_writer.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), compare_type=True, render_as_batch=True)


def register_auth(app):
    """JWT: a token's claims say who is calling, with no database read; failures answer 401 in the
    common error shape."""
    from .services.accounts import identity_from_claims

    jwt.init_app(app)
    register_jwt_errors(jwt)

    @jwt.user_lookup_loader
    def _identity(_header, claims):
        return identity_from_claims(claims)


def register_api(app):
    """flask-smorest: blueprints, OpenAPI at /openapi.json, Swagger UI at /docs with bearer auth."""
    from .api import register_blueprints
    from .api.common import refuse_nul_in_path
    from .api.openapi import TruthfulSpec

    # `extensions.api`, not a bare `api`: importing the orders_app.api package rebinds that name here.
    api = extensions.api
    api.init_app(app, spec_kwargs={"security": [{"bearerAuth": []}], "extra_plugins": [TruthfulSpec(app.config)]})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    register_blueprints(api)
    app.before_request(refuse_nul_in_path)


def register_realtime(app):
    """Socket.IO with the /orders and /market namespaces and their heartbeat; Redis as message queue when
    REDIS_URL is set. The client manager gates each /orders connection's private events around its replay
    (realtime/replay.py)."""
    from .realtime import heartbeat
    from .realtime.namespaces import register_namespaces
    from .realtime.replay import client_manager

    # Flask-SocketIO merges options across init_app calls; drop a queue left by an earlier app.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        client_manager=client_manager(app),
        cors_allowed_origins=socketio_allowed_origins(app.config["SOCKETIO_CORS_ORIGINS"]),
    )
    register_namespaces(socketio)
    heartbeat.start(app)


def register_web(app):
    """The Socket.IO test page, the favicon, and Swagger UI with its assets served offline."""
    from .web import SWAGGER_UI_ENDPOINT, blp, swagger_ui_page

    app.register_blueprint(blp)
    # flask-smorest's own page starts Swagger UI with an inline script, which the Content-Security-Policy forbids.
    app.view_functions[SWAGGER_UI_ENDPOINT] = swagger_ui_page


def register_cli(app):
    """flask init-db, seed, create-operator, settle, reconcile, prune-events."""
    from .cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)
