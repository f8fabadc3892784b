"""Developer surfaces: OpenAPI, an offline Swagger UI with bearer auth, and the Socket.IO test page."""

import json
import re

import pytest

ORDER_PATHS = {"/orders", "/orders/{order_id}", "/orders/{order_id}/status", "/orders/{order_id}/trades"}
PUBLIC_OPERATIONS = [("/health", "get"), ("/auth/register", "post"), ("/auth/login", "post")]
PROTECTED_OPERATIONS = [
    ("/auth/me", "get"),
    ("/instruments", "get"),
    ("/orders", "get"),
    ("/orders", "post"),
    ("/orders/{order_id}", "get"),
    ("/orders/{order_id}/status", "patch"),
    ("/orders/{order_id}/trades", "post"),
]
ASSET_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.fixture
def spec(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def local_assets(html):
    references = ASSET_REFERENCE.findall(html)
    assert references, html
    return references


def test_openapi_declares_http_bearer_auth(spec):
    expected = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

    assert spec["components"]["securitySchemes"]["bearerAuth"] == expected


def test_openapi_documents_every_order_path(spec):
    assert ORDER_PATHS <= set(spec["paths"])


@pytest.mark.parametrize("path, method", PROTECTED_OPERATIONS)
def test_protected_operations_require_bearer_auth_in_the_spec(spec, path, method):
    operation = spec["paths"][path][method]

    assert operation.get("security", spec.get("security")) == [{"bearerAuth": []}]


@pytest.mark.parametrize("path, method", PUBLIC_OPERATIONS)
def test_public_operations_need_no_auth_in_the_spec(spec, path, method):
    assert spec["paths"][path][method]["security"] == []


def test_swagger_ui_loads_its_assets_from_the_app_not_a_cdn(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "/openapi.json" in html
    for reference in local_assets(html):
        assert reference.startswith("/docs/assets/"), reference


def test_every_swagger_ui_asset_is_served(client):
    html = client.get("/docs").get_data(as_text=True)

    for reference in local_assets(html):
        assert client.get(reference).status_code == 200, reference


def test_swagger_ui_bundle_is_served(client):
    response = client.get("/docs/assets/swagger-ui-bundle.js")

    assert response.status_code == 200
    assert "javascript" in response.mimetype
    assert len(response.data) > 100_000


def test_socket_io_test_page_is_served_with_local_scripts_only(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    for reference in local_assets(response.get_data(as_text=True)):
        assert not re.match(r"(https?:)?//", reference), reference
        assert client.get(reference).status_code == 200, reference


def test_socket_io_client_script_is_served_from_the_installed_package(client):
    response = client.get("/vendor/socket.io.min.js")

    assert response.status_code == 200
    assert "javascript" in response.mimetype


# --- the document tells the truth ------------------------------------------------------------


def resolve(spec, node):
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = spec["components"][section][name]
    return node


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_x_pagination_is_documented_as_the_json_text_it_is(client, spec, user):
    header = resolve(spec, spec["paths"]["/orders"]["get"]["responses"]["200"]["headers"]["X-Pagination"])
    sent = client.get("/orders", headers=user.headers).headers["X-Pagination"]

    assert header["schema"] == {"type": "string"}
    assert json.loads(sent)["total"] == 0
    assert set(json.loads(header["example"])) >= set(json.loads(sent))


def test_a_405_names_the_allowed_methods_as_documented(client, spec):
    response = client.delete("/instruments")

    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}
    assert response.get_json()["code"] == 405
    assert "Allow" in spec["components"]["responses"]["MethodNotAllowed"]["headers"]


def test_pair_and_asset_inputs_list_the_configured_instruments(spec):
    pairs = ["BTC/USD", "EUR/USD", "GBP/USD", "USD/JPY"]
    assets = ["BTC", "EUR", "GBP", "JPY", "USD"]
    schemas = spec["components"]["schemas"]
    query = {p["name"]: p["schema"] for p in spec["paths"]["/transactions"]["get"]["parameters"]}
    (path_asset,) = spec["paths"]["/balances/{asset}"]["parameters"]

    assert schemas["OrderCreate"]["properties"]["pair"]["enum"] == pairs
    assert schemas["DepositRequest"]["properties"]["asset"]["enum"] == assets
    assert query["asset"]["enum"] == assets
    assert path_asset["schema"]["enum"] == assets


def test_enums_follow_the_app_instruments_setting(make_app):
    instruments = [{"symbol": "ETH/EUR", "base": "ETH", "quote": "EUR", "tickSize": "0.01", "lotSize": "0.001"}]
    app = make_app(INSTRUMENTS=instruments, STARTING_BALANCES={"EUR": "1000"})
    spec = app.test_client().get("/openapi.json").get_json()

    assert spec["components"]["schemas"]["OrderCreate"]["properties"]["pair"]["enum"] == ["ETH/EUR"]
    assert spec["components"]["schemas"]["DepositRequest"]["properties"]["asset"]["enum"] == ["ETH", "EUR"]


@pytest.mark.parametrize("status", ["400", "401", "404", "409", "413", "422"])
def test_every_documented_error_is_in_the_common_error_shape(spec, status):
    documented = [
        resolve(spec, operation["responses"][status])
        for _path, _method, operation in operations(spec)
        if status in operation["responses"]
    ]

    assert documented
    for response in documented:
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_errors_are_documented_where_they_can_occur_and_nothing_is_left_to_default(spec):
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        if operation.get("security") != []:
            assert "401" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "422"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
