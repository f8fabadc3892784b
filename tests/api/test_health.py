"""GET /health: public, and honest about the database."""

import pytest

from api_checks import assert_no_leak

UNREACHABLE_DATABASES = {
    "sqlite-in-missing-directory": lambda tmp_path: f"sqlite:///{tmp_path / 'no-such-directory' / 'orders.db'}",
    "postgresql-closed-port": lambda _tmp_path: "postgresql://postgres@127.0.0.1:1/none",
}


def test_health_is_200_ok_without_a_token(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("database", UNREACHABLE_DATABASES)
def test_health_is_503_when_the_database_is_unreachable(make_app, tmp_path, database):
    broken = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASES[database](tmp_path))

    response = broken.test_client().get("/health")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] != "ok"
    assert body["database"] != "ok"
    assert_no_leak(response)

