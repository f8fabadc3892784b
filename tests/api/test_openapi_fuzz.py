"""Every operation of /openapi.json, fuzzed through the real WSGI app with schemathesis.

Each operation gets generated requests (valid and invalid, schemathesis' coverage and fuzzing phases)
as a user and as an operator, and every answer must be no server error, with a documented status code,
content type, headers and body. The run is bounded and derandomized, so CI replays the same requests.
Requests a schema cannot produce (nesting past the JSON parser, a fill-sized amend, decimals past the
context's exponent range) are replayed from HOSTILE_REQUESTS through the same checks.
"""

import json
import tempfile
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from app_settings import ORDER_DEFAULTS, app_config
from orders_app import create_app

DOCUMENTED = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# A 405 for a method the path does not document must name the ones it does in Allow.
CHECKS = [*DOCUMENTED, unsupported_method]
EXAMPLES_PER_OPERATION = 30
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    # Fixtures are per operation and shared by its examples, which is what the checks expect.
    suppress_health_check=list(HealthCheck),
)
# The decimal edges the one decimal grammar must refuse or hold: exponents past the decimal context,
# digits Python's Decimal would read but the API does not, and plain values that trade.
EDGE_DECIMALS = [
    "1e-999999999", "1E+999999999", "1e-1000000000", "-0", "0", "0.000000000000000000001",
    "1_000", "\u0661\u0660\u0660\u0660", " 1000", "1000 ", "+1000", ".5", "5.", "1e3", "NaN", "Infinity",
    "99999999999999999999999999999999999999", "1.10000", "1000", "0.0001",
]
PLAIN_DECIMALS = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000000"), places=5).map(str)
schemathesis.openapi.format("decimal", st.one_of(st.sampled_from(EDGE_DECIMALS), PLAIN_DECIMALS))


def spec_app():
    """An app to read the document from at collection time; requests go to each test's own `app`."""
    instance = tempfile.mkdtemp(prefix="openapi-fuzz-")
    return create_app(app_config(f"sqlite:///{instance}/spec.db", instance))


schema = schemathesis.openapi.from_wsgi("/openapi.json", spec_app())


@pytest.fixture
def real_ids(place_order, other_user):
    """Path parameters that name something: an order of the caller's, partly filled, and its trade."""

    def make(caller):
        sell = place_order(caller, side="SELL", amount="300", price="1.10000")
        place_order(other_user, side="BUY", amount="200", price="1.10000")
        return {"order_id": sell["orderId"]}

    return make


def call_and_check(case, app, caller, ids):
    # Valid requests aim at the caller's real order, so they reach amend, cancel and fills, not just 404.
    if case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE:
        for name in set(case.path_parameters or ()) & set(ids):
            case.path_parameters[name] = ids[name]
    case.call_and_validate(app=app, headers=caller.headers, checks=CHECKS)


@pytest.fixture
def user_ids(real_ids, user):
    return real_ids(user)


@pytest.fixture
def operator_ids(real_ids, operator):
    return real_ids(operator)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_a_user_as_documented(case, app, user, user_ids):
    call_and_check(case, app, user, user_ids)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_an_operator_as_documented(case, app, operator, operator_ids):
    call_and_check(case, app, operator, operator_ids)


# --- requests no schema generates ------------------------------------------------------------

NUL = "\x00"
# Deep enough to exhaust the JSON parser, small enough to stay under MAX_CONTENT_LENGTH.
DEEP_JSON = "[" * 20_000 + "]" * 20_000
HOSTILE_REQUESTS = {
    "login username with NUL": ("POST", "/auth/login", {"json": {"username": f"al{NUL}ice", "password": "x" * 12}}),
    "register username with NUL": ("POST", "/auth/register", {"json": {"username": f"n{NUL}", "password": "x" * 12}}),
    "orders pair filter with NUL": ("GET", "/orders", {"query_string": {"pair": f"EUR/{NUL}USD"}}),
    "trades pair filter with NUL": ("GET", "/trades", {"query_string": {"pair": f"EUR{NUL}"}}),
    "transactions asset filter with NUL": ("GET", "/transactions", {"query_string": {"asset": f"US{NUL}D"}}),
    "balance of asset NUL": ("GET", "/balances/{asset}", {"path": "/balances/%00"}),
    "order pair with NUL": ("POST", "/orders", {"json": {**ORDER_DEFAULTS, "pair": f"EUR/USD{NUL}"}}),
    "order body nested past the parser": ("POST", "/orders", {"data": DEEP_JSON}),
    "deposit body nested past the parser": ("POST", "/admin/deposits", {"data": DEEP_JSON}),
    "order page past any offset": ("GET", "/orders", {"query_string": {"page": str(2**70)}}),
    "trades page_size past any limit": ("GET", "/trades", {"query_string": {"pair": "EUR/USD", "page_size": str(2**70)}}),
    "transactions page past any offset": ("GET", "/transactions", {"query_string": {"page": "9223372036854775807"}}),
    "transactions from before year 1 in UTC": ("GET", "/transactions", {"query_string": {"from": "0001-01-01T00:00:00+05:00"}}),
    "transactions to after year 9999 in UTC": ("GET", "/transactions", {"query_string": {"to": "9999-12-31T23:59:59-05:00"}}),
    "order amount underflowing the context": ("POST", "/orders", {"json": {**ORDER_DEFAULTS, "amount": "1e-999999999"}}),
    "order price overflowing the context": ("POST", "/orders", {"json": {**ORDER_DEFAULTS, "price": "1E+999999999"}}),
    "order amount as a JSON number underflowing": ("POST", "/orders", {"data": '{"pair": "EUR/USD", "side": "BUY", "type": "LIMIT", "amount": 1e-999999999, "price": "1.1"}'}),
    "order amount with an underscore": ("POST", "/orders", {"json": {**ORDER_DEFAULTS, "amount": "1_000"}}),
    "order amount in Arabic-Indic digits": ("POST", "/orders", {"json": {**ORDER_DEFAULTS, "amount": "\u0661\u0660\u0660\u0660"}}),
    "order amount with spaces": ("POST", "/orders", {"json": {**ORDER_DEFAULTS, "amount": " 1000 "}}),
    "deposit amount underflowing the context": ("POST", "/admin/deposits", {"json": {"username": "alice", "asset": "USD", "amount": "1e-999999999"}}),
    "fill amount underflowing the context": ("POST", "/orders/{order_id}/trades", {"json": {"executedAmount": "1e-999999999", "executedPrice": "1.1"}}),
    "amend amount down to what is filled": ("PUT", "/orders/{order_id}", {"json": {"amount": "200"}}),
    "amend amount underflowing the context": ("PUT", "/orders/{order_id}", {"json": {"amount": "1e-999999999"}}),
}


@pytest.mark.parametrize("caller_fixture", ["user", "operator"])
@pytest.mark.parametrize("name", HOSTILE_REQUESTS)
def test_requests_no_schema_generates_answer_as_documented(request, client, real_ids, caller_fixture, name):
    caller = request.getfixturevalue(caller_fixture)
    method, template, options = HOSTILE_REQUESTS[name]
    options = dict(options)
    path = options.pop("path", None) or template.format(**real_ids(caller))
    if "data" in options:
        options["content_type"] = "application/json"

    response = client.open(path, method=method, headers=caller.headers, **options)

    # The checks read the operation from the case; the request itself was sent above as it is.
    schema[template][method].Case().validate_response(response, checks=DOCUMENTED)


def test_the_fuzzed_document_is_the_one_served(client):
    assert json.loads(client.get("/openapi.json").get_data()) == schema.raw_schema
