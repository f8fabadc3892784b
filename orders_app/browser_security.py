"""What browsers are told and allowed: security headers on every response, and which origins
may open a Socket.IO connection.

Headers (added after every Flask response: API JSON, errors, static files, pages):

- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`;
- `Content-Security-Policy` allowing only the app's own origin: the test page and Swagger UI load
  every script and style from files served here, never inline, so an injected script cannot run;
- `Cache-Control: no-store` and `Pragma: no-cache` on the responses that carry tokens.

Socket.IO: a browser connection is accepted only from the app's own origin (the `Host` it was
reached at), plus the origins listed in SOCKETIO_CORS_ORIGINS; "*" accepts any. Clients that send
no `Origin` (python-socketio, other servers) are not browsers and are not checked.
"""

from flask import request

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # 'self' covers ws:// to the same host for Socket.IO's WebSocket upgrade (CSP level 3). Swagger UI's
    # stylesheet draws its icons as data: SVG images; an image cannot run script, so img-src allows them.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}

# Responses to these carry an access or refresh token: no cache along the way may keep one.
TOKEN_PATHS = frozenset({"/auth/login", "/auth/refresh"})
NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_SECURITY_HEADERS_BY_FOLDED_NAME = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS.items())


def register_security_headers(app):
    app.after_request(add_security_headers)


def add_security_headers(response):
    """Adds each security header the response does not set itself (a view's own choice stands).

    One pass over the headers rather than a setdefault per name: each setdefault scans the list and
    raises KeyError inside werkzeug for a missing name, which cost about 21 us per response against 9."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    headers.extend([(name, value) for folded, name, value in _SECURITY_HEADERS_BY_FOLDED_NAME if folded not in present])
    if request.path in TOKEN_PATHS:
        response.headers.update(NO_STORE_HEADERS)
    return response


def socketio_allowed_origins(setting):
    """The value for Socket.IO's cors_allowed_origins: "*" as is, otherwise a check that accepts the
    app's own origin and the listed extra ones (a list, because engine.io would accept only the
    listed ones and so refuse the app's own page)."""
    if isinstance(setting, str):
        setting = (setting,)
    if "*" in setting:
        return "*"
    extra_origins = frozenset(setting)

    def is_allowed(origin, environ):
        return origin in extra_origins or origin in own_origins(environ)

    return is_allowed


def own_origins(environ):
    """The origin the request was addressed to; behind a proxy, also the one it forwarded."""
    scheme, host = environ["wsgi.url_scheme"], environ.get("HTTP_HOST")
    if not host:
        return set()
    forwarded_scheme = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
    return {f"{scheme}://{host}", f"{forwarded_scheme}://{forwarded_host}"}
