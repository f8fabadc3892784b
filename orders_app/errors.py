"""One JSON error shape for every failure: {code, status, message, errors?}.

flask-smorest already renders HTTP errors this way; this module makes sure domain
exceptions, JWT failures and unexpected errors come out the same, and that no stack
trace or SQL ever reaches a client.
"""

import logging

import flask_smorest
from flask import jsonify, request
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from .domain.errors import (
    AuthenticationFailed,
    CommitFailed,
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    Overfill,
)

log = logging.getLogger(__name__)

DOMAIN_STATUS = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Overfill: 400,
    AuthenticationFailed: 401,
    Forbidden: 403,
    Gone: 410,
    CommitFailed: 503,
}
# A failed commit changed nothing; the database is usually back within moments.
COMMIT_RETRY_AFTER_SECONDS = 1


def error_payload(code, message, errors=None):
    payload = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "message": message}
    if errors:
        payload["errors"] = errors
    return payload


class Api(flask_smorest.Api):
    """flask-smorest's Api, with a message on every error and domain exceptions mapped."""

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(DomainError, handle_domain_error)

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        if code >= 500:
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.exception("Unhandled error", exc_info=original)
            payload = error_payload(code, "The server could not complete the request.")
        elif "message" not in payload:
            payload["message"] = _default_message(error, payload)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # RFC 9110: a 405 names the methods the resource does support.
            headers = {**headers, "Allow": ", ".join(sorted(error.valid_methods))}
        return payload, code, headers


def _default_message(error, payload):
    if payload.get("errors") and payload["code"] == 422:
        return "The request is not valid; see errors for each field."
    if payload.get("errors") and payload["code"] == 400:
        return "The request body is not valid JSON."
    return error.description or payload["status"]


def handle_domain_error(error):
    code = next(status for cls, status in DOMAIN_STATUS.items() if isinstance(error, cls))
    # The input at fault came from the query string of a GET, otherwise from the JSON body.
    location = "query" if request.method == "GET" else "json"
    errors = {location: {error.field: [error.message]}} if error.field else None
    headers = {"WWW-Authenticate": "Bearer"} if code == 401 else {}
    if code == 503:
        headers["Retry-After"] = str(COMMIT_RETRY_AFTER_SECONDS)
    return jsonify(error_payload(code, error.message, errors)), code, headers


def register_jwt_errors(jwt):
    """Make every token failure a 401 in the common shape, never flask-jwt-extended's {msg}."""

    def unauthorized(message):
        response = jsonify(error_payload(401, message))
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    jwt.unauthorized_loader(lambda reason: unauthorized(f"Authentication required: {reason}."))
    jwt.invalid_token_loader(lambda reason: unauthorized(f"Invalid token: {reason}."))
    jwt.expired_token_loader(lambda _header, _data: unauthorized("Token has expired."))
    jwt.revoked_token_loader(lambda _header, _data: unauthorized("Token has been revoked."))
    jwt.needs_fresh_token_loader(lambda _header, _data: unauthorized("A fresh token is required."))
    jwt.token_verification_failed_loader(lambda _header, _data: unauthorized("Token claims are not valid."))
    jwt.user_lookup_error_loader(lambda _header, _data: unauthorized("The token's user no longer exists."))


