"""Developer surfaces: OpenAPI, an offline Swagger UI with bearer auth, and the Socket.IO test page."""

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
