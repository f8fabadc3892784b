"""Safe defaults: security headers, private database files, Socket.IO origins, the request log,
and the small things a user trips over (favicon, /docs/, a copyable operator password)."""

import logging
import os
import re
import stat

import pytest

from api_checks import assert_error
from flask import Response

from orders_app import create_app
from orders_app.browser_security import SECURITY_HEADERS, add_security_headers
from orders_app.extensions import db

BASELINE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
EVERY_KIND_OF_RESPONSE = [
    ("/health", 200),  # API JSON
    ("/orders", 401),  # an error
    ("/no-such-page", 404),
    ("/static/app.js", 200),  # static files
    ("/docs/assets/swagger-ui.css", 200),
    ("/vendor/socket.io.min.js", 200),
    ("/openapi.json", 200),
    ("/", 200),  # pages
    ("/docs", 200),
]
PAGES = ["/", "/docs"]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL)
POLLING_HANDSHAKE = "/socket.io/?EIO=4&transport=polling"
OWN_ORIGIN = "http://localhost"  # the Flask test client's Host
FOREIGN_ORIGIN = "https://attacker.example"
EXTRA_ORIGIN = "https://trader.example"


# --- security headers ----------------------------------------------------------------------


@pytest.mark.parametrize("path, status", EVERY_KIND_OF_RESPONSE)
def test_every_response_carries_the_security_headers(client, path, status):
    response = client.get(path)

    assert response.status_code == status
    for name, value in BASELINE_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)


def test_a_security_header_a_response_sets_itself_stands_and_each_appears_once(app):
    response = Response("{}", mimetype="application/json", headers={"x-frame-options": "SAMEORIGIN"})
    with app.test_request_context("/orders"):
        add_security_headers(response)

    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    for name in SECURITY_HEADERS:
        assert len(response.headers.getlist(name)) == 1, name
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
def test_pages_allow_only_their_own_origin(client, path):
    policy = client.get(path).headers.get("Content-Security-Policy", "")

    directives = dict(directive.strip().split(" ", 1) for directive in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_have_no_inline_script_or_style(client):
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)

        for attributes, body in SCRIPT_TAG.findall(html):
            is_data = 'type="application/json"' in attributes
            assert "src=" in attributes or is_data, f"inline script on {path}: {body[:80]!r}"
        assert "<style" not in html and " style=" not in html and " onload=" not in html, path


def test_swagger_ui_page_hands_its_settings_to_the_script_as_data(client, app):
    html = client.get("/docs").get_data(as_text=True)

    assert '"url": "/openapi.json"' in html
    assert client.get("/docs/assets/swagger-ui-start.js").status_code == 200
    for setting in app.config["OPENAPI_SWAGGER_UI_CONFIG"]:
        assert f'"{setting}"' in html


def test_login_and_refresh_responses_are_never_cached_while_static_files_are(client, user):
    login = client.post("/auth/login", json={"username": user.username, "password": user.password})
    refresh = client.post("/auth/refresh", headers={"Authorization": f"Bearer {user.refresh_token}"})

    for response in (login, refresh):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"
    assert "no-store" not in client.get("/static/app.js").headers.get("Cache-Control", "")


# --- file permissions ----------------------------------------------------------------------


def test_a_new_sqlite_database_and_its_wal_files_are_private(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "fresh-instance"
    previous_umask = os.umask(0o022)  # the usual umask, which would leave new files world-readable
    try:
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "PASSWORD_HASH_PROFILE": "CHEAPEST"})
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            db.session.execute(db.text("SELECT 1"))  # a connection is open: -wal and -shm exist
            files = [instance / name for name in ("orders.db", "orders.db-wal", "orders.db-shm", "jwt-secret")]
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in files}
            db.session.remove()
            db.engine.dispose()
    finally:
        os.umask(previous_umask)

    assert modes == {name: 0o600 for name in modes}


# --- Socket.IO origins -----------------------------------------------------------------------


def handshake(client, origin=None):
    headers = {"Origin": origin} if origin else {}
    return client.get(POLLING_HANDSHAKE, headers=headers)


def test_socket_io_accepts_only_its_own_origin_and_clients_without_one(client):
    refused = handshake(client, FOREIGN_ORIGIN)
    own = handshake(client, OWN_ORIGIN)
    no_origin = handshake(client)  # python-socketio and other non-browser clients

    assert refused.status_code == 400
    assert "Access-Control-Allow-Origin" not in refused.headers
    for accepted in (own, no_origin):
        assert accepted.status_code == 200
        assert accepted.get_data(as_text=True).startswith("0{")  # engine.io's open packet


def test_socket_io_origins_setting_widens_but_keeps_the_own_origin(make_app, monkeypatch):
    monkeypatch.setenv("SOCKETIO_CORS_ORIGINS", f"{EXTRA_ORIGIN}, https://desk.example/")
    client = make_app().test_client()

    assert handshake(client, EXTRA_ORIGIN).status_code == 200
    assert handshake(client, "https://desk.example").status_code == 200
    assert handshake(client, OWN_ORIGIN).status_code == 200
    assert handshake(client, FOREIGN_ORIGIN).status_code == 400

    monkeypatch.setenv("SOCKETIO_CORS_ORIGINS", "*")
    assert handshake(make_app().test_client(), FOREIGN_ORIGIN).status_code == 200


# --- request log -----------------------------------------------------------------------------


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.INFO, logger="orders_app.requests")

    def lines():
        return [record.getMessage() for record in caplog.records if record.name == "orders_app.requests"]

    return lines


def test_a_login_is_logged_without_its_password_or_token(client, make_user, request_log):
    user = make_user(password="do not log this passphrase")

    [login_line] = [line for line in request_log() if line.startswith("POST /auth/login ")]

    assert re.fullmatch(r"POST /auth/login 200 \d+\.\dms", login_line), login_line
    everything = "\n".join(request_log())
    assert user.password not in everything
    assert user.access_token not in everything and user.refresh_token not in everything


def test_an_authenticated_request_is_logged_with_the_user_id_and_no_query_values(client, user, request_log):
    response = client.get("/orders", query_string={"pair": "EUR/USD", "status": "PENDING"}, headers=user.headers)
    assert response.status_code == 200

    [line] = [line for line in request_log() if line.startswith("GET /orders ")]
    assert re.fullmatch(rf"GET /orders 200 \d+\.\dms user={user.id} query=pair,status", line), line
    assert "EUR/USD" not in line and "PENDING" not in line


def test_an_anonymous_failure_is_logged_with_its_status(client, request_log):
    client.get("/orders")

    assert any(re.fullmatch(r"GET /orders 401 \d+\.\dms", line) for line in request_log()), request_log()


# --- small things ----------------------------------------------------------------------------


def test_created_operator_password_is_alone_on_its_line_and_logs_in(client, runner):
    result = runner.invoke(args=["create-operator", "frank"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    password = lines[lines.index("Generated password (the whole next line, shown only now):") + 1]
    login = client.post("/auth/login", json={"username": "frank", "password": password})
    assert login.status_code == 200, (result.output, login.get_json())


def test_rejected_is_not_an_order_status(client, user):
    spec = client.get("/openapi.json").get_json()

    assert "REJECTED" not in str(spec)
    assert_error(client.get("/orders", query_string={"status": "REJECTED"}, headers=user.headers), 422, "status", "query")


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.mimetype.startswith("image/")
    assert response.data


def test_docs_with_a_trailing_slash_leads_to_swagger_ui(client):
    response = client.get("/docs/", follow_redirects=True)

    assert response.status_code == 200
    assert response.request.path == "/docs"
    assert "swagger-ui" in response.get_data(as_text=True)
