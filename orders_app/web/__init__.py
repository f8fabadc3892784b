"""Pages for people: the Socket.IO test page, Swagger UI, and the files they load (favicon included).

Every script and style is a file served from here, never inline, so the Content-Security-Policy
(browser_security.py) can allow the app's own origin only.
"""

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

HERE = Path(__file__).parent
# Installed by `npm ci` from web/package-lock.json (make install): never fetched from a CDN.
SOCKET_IO_CLIENT_DIST = HERE / "node_modules" / "socket.io-client" / "dist"
# flask-smorest's documentation blueprint and its endpoints.
DOCS_BLUEPRINT = "api-docs"
SWAGGER_UI_ENDPOINT = f"{DOCS_BLUEPRINT}.openapi_swagger_ui"
SWAGGER_UI_STARTER = "swagger-ui-start.js"

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@blp.get("/")
def test_page():
    return render_template("index.html")


@blp.get("/favicon.ico")
def favicon():
    return send_from_directory(blp.static_folder, "favicon.svg", mimetype="image/svg+xml")


@blp.get("/vendor/socket.io.min.js")
def socket_io_client():
    if not (SOCKET_IO_CLIENT_DIST / "socket.io.min.js").is_file():
        abort(404, "socket.io-client is not installed; run `make install`.")
    return send_from_directory(SOCKET_IO_CLIENT_DIST, "socket.io.min.js", mimetype="text/javascript")


def swagger_ui_page():
    """/docs: flask-smorest's Swagger UI page, with its settings handed to a script file as JSON data."""
    config = {"url": url_for(f"{DOCS_BLUEPRINT}.openapi_json"), **current_app.config["OPENAPI_SWAGGER_UI_CONFIG"]}
    return render_template(
        "swagger_ui_page.html",
        title=current_app.config["API_TITLE"],
        assets_url=current_app.config["OPENAPI_SWAGGER_UI_URL"],
        starter=SWAGGER_UI_STARTER,
        config=config,
    )


@blp.get("/docs/")
def docs_with_trailing_slash():
    return redirect(url_for(SWAGGER_UI_ENDPOINT), code=308)


@blp.get(f"/docs/assets/{SWAGGER_UI_STARTER}")
def swagger_ui_starter():
    return send_from_directory(blp.static_folder, SWAGGER_UI_STARTER, mimetype="text/javascript")


@blp.get("/docs/assets/<path:filename>")
def swagger_ui_asset(filename):
    return send_from_directory(swagger_ui_path, filename)
