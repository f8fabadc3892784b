"""Access tokens this process has already verified, so a client's next request with the same token is
not decoded and checked again from scratch.

A client sends the same bearer token with every request for its whole lifetime, and checking it costs
more CPU than most of a request (flask-jwt-extended decodes it with PyJWT three times: claims and header
unverified, then verified, each time checking every base64 character in Python). So the JWTManager here
remembers the claims of a token that passed the full check, and takes them again for that exact token
only while:

- the decoding settings are the ones it was checked with (key, algorithms, audience, issuer, leeway,
  identity claim; part of the lookup key), with flask-jwt-extended's own decode key callback;
- the token has an `exp` and it has not passed (a remembered token is dropped at its `exp`, which is
  earlier than the leeway would allow; an expired token always takes the full check, and so gets the
  library's own ExpiredSignatureError and 401); `nbf` and `iat` only grow more valid with time, and
  the clock must not have gone back behind the moment of the check;
- the call is a plain decode (no CSRF value to compare, not allow_expired).

Everything after decoding (token type, blocklist, the user loader, the claims verification) runs on every
request as before. The store holds at most VERIFIED_TOKENS_MAX tokens per app, least recently used first
out, so it needs no cleaning.
"""

import threading
import time
from collections import OrderedDict

from flask import current_app
from flask_jwt_extended import JWTManager as _LibraryJWTManager
from flask_jwt_extended.config import config
from flask_jwt_extended.default_callbacks import default_decode_key_callback

VERIFIED_TOKENS_KEY = "orders_app.verified_tokens"
VERIFIED_TOKENS_MAX = 10_000


class VerifiedTokens:
    """Claims of verified tokens by (token, decoding settings), each with when it was checked and expires."""

    def __init__(self, size=VERIFIED_TOKENS_MAX):
        self._size = size
        self._entries = OrderedDict()
        self._guard = threading.Lock()

    def get(self, key, now):
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                return None
            claims, checked_at, expires_at = entry
            if not checked_at <= now < expires_at:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        return dict(claims)

    def remember(self, key, claims, checked_at):
        expires_at = claims.get("exp")
        if type(expires_at) not in (int, float):
            return  # no lifetime to bound it (or an odd one): always checked in full
        with self._guard:
            self._entries[key] = (dict(claims), checked_at, expires_at)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


class JWTManager(_LibraryJWTManager):
    """flask-jwt-extended's manager, remembering the tokens it verified (see the module docstring)."""

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        app.extensions[VERIFIED_TOKENS_KEY] = VerifiedTokens()

    def _decode_jwt_from_config(self, encoded_token, csrf_value=None, allow_expired=False):
        verified = current_app.extensions.get(VERIFIED_TOKENS_KEY)
        if verified is None or csrf_value or allow_expired or self._decode_key_callback is not default_decode_key_callback:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        key = (encoded_token, *_decoding_settings())
        now = time.time()
        claims = verified.get(key, now)
        if claims is None:
            claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
            verified.remember(key, claims, now)
        return claims


def _decoding_settings():
    audience = config.decode_audience
    if isinstance(audience, (list, tuple, set)):
        audience = tuple(audience)
    return (
        config.decode_key,
        tuple(config.decode_algorithms),
        audience,
        config.decode_issuer,
        config.leeway,
        config.identity_claim_key,
        config.verify_sub,
    )
