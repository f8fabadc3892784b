"""The request log: one INFO line per request on the `orders_app.requests` logger.

    POST /auth/login 200 41.2ms
    GET /orders 200 8.9ms user=6f1c...  query=pair,status

Method, path, status, duration and, when a valid access token came with the request, the user id.
Never a body, a header or a query value: those may hold passwords and tokens, so of the query
string only the parameter names are written.
"""

import logging
import time

from flask import g, request
from flask_jwt_extended import get_jwt_identity

log = logging.getLogger("orders_app.requests")


def register_request_log(app):
    app.before_request(_start_clock)
    app.after_request(_log_request)


def _start_clock():
    g.request_started = time.perf_counter()


def _log_request(response):
    started = g.get("request_started")
    milliseconds = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    line = f"{request.method} {request.path} {response.status_code} {milliseconds:.1f}ms"
    user_id = _authenticated_user_id()
    if user_id:
        line += f" user={user_id}"
    if request.args:
        line += f" query={','.join(sorted(request.args))}"
    log.info(line)
    return response


def _authenticated_user_id():
    try:
        return get_jwt_identity()
    except RuntimeError:  # no view checked a token on this request
        return None
