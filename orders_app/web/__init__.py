"""Pages for people: the Socket.IO test page, and the files Swagger UI and that page load."""

from pathlib import Path

from flask import Blueprint, abort, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

HERE = Path(__file__).parent
# Installed by `npm ci` from web/package-lock.json (make install): never fetched from a CDN.
SOCKET_IO_CLIENT_DIST = HERE / "node_modules" / "socket.io-client" / "dist"

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@blp.get("/")
def test_page():
    return render_template("index.html")


@blp.get("/vendor/socket.io.min.js")
def socket_io_client():
    if not (SOCKET_IO_CLIENT_DIST / "socket.io.min.js").is_file():
        abort(404, "socket.io-client is not installed; run `make install`.")
    return send_from_directory(SOCKET_IO_CLIENT_DIST, "socket.io.min.js", mimetype="text/javascript")


@blp.get("/docs/assets/<path:filename>")
def swagger_ui_asset(filename):
    return send_from_directory(swagger_ui_path, filename)
