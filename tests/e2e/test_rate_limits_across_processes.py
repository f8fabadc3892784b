"""Rate limits across processes: servers of one deployment on one Redis share their counts, another
deployment on the same Redis (its own RATELIMIT_NAMESPACE) keeps its own."""

import uuid

WRONG = {"username": "alice", "password": "not the password"}


def test_failed_logins_on_one_server_count_on_another_sharing_redis(start_server, redis_url, http_as):
    limits = {"REDIS_URL": redis_url, "RATELIMIT_LOGIN_FAILURES_PER_USERNAME": "3 per minute"}
    first, second = http_as(start_server("A", **limits).url), http_as(start_server("B", **limits).url)
    other_deployment = http_as(start_server("C", RATELIMIT_NAMESPACE=f"other-{uuid.uuid4().hex}", **limits).url)

    assert [first.post("/auth/login", WRONG).status_code for _ in range(2)] == [401, 401]
    assert second.post("/auth/login", WRONG).status_code == 401

    refused = first.post("/auth/login", WRONG)
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert second.post("/auth/login", WRONG).status_code == 429
    assert other_deployment.post("/auth/login", WRONG).status_code == 401
