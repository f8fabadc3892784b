"""Password hashing never stalls the real server: while a registration or a login is hashing, other
requests are answered.

The server runs a deliberately slow argon2 profile (RFC_9106_HIGH_MEMORY: 2 GiB, several seconds a
hash), and the test waits until the server process has spent HASHING_CPU seconds of CPU on the slow
request (nothing else it does costs a fraction of that) before it asks for GET /health. The assertion is
about order, not time: GET /health answers before the slow request does.
"""

import os
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

PASSWORD = "slow hashing password"
SLOW_PROFILE = "RFC_9106_HIGH_MEMORY"
HASHING_CPU = 0.3  # seconds of server CPU: far beyond parsing a request, far short of one slow hash
SLOW_TIMEOUT = 180  # a hash under the slow profile on a busy machine, with room to spare


@pytest.fixture
def slow_server(start_server):
    server = start_server("slow-hashing")
    # start_server fixes the cheapest profile; the restart keeps everything else, port and database included.
    server.environment["PASSWORD_HASH_PROFILE"] = SLOW_PROFILE
    server.restart()
    return server


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answer_order_while_hashing(server, path, credentials):
    """POST `path` in a background thread and, once the server is busy hashing for it, GET /health.

    Returns the names of the two requests in the order their answers arrived, and the slow one's response.
    """
    answered = []
    slow_response = {}
    baseline = cpu_seconds(server.process.pid)

    def slow_request():
        slow_response["response"] = requests.post(server.url + path, json=credentials, timeout=SLOW_TIMEOUT)
        answered.append(path)

    slow = threading.Thread(target=slow_request, daemon=True)
    slow.start()
    deadline = time.monotonic() + SLOW_TIMEOUT
    while cpu_seconds(server.process.pid) - baseline < HASHING_CPU:
        assert slow.is_alive(), f"{path} answered before the server was seen hashing: {slow_response}"
        assert time.monotonic() < deadline, f"the server never started hashing for {path}"
        time.sleep(0.01)

    health = requests.get(server.url + "/health", timeout=SLOW_TIMEOUT)
    answered.append("/health")
    slow.join(SLOW_TIMEOUT)
    assert health.status_code == 200, health.text
    return answered, slow_response["response"]


def test_health_answers_while_a_registration_is_hashing(slow_server):
    credentials = {"username": f"user_{uuid.uuid4().hex[:10]}", "password": PASSWORD}

    answered, registered = answer_order_while_hashing(slow_server, "/auth/register", credentials)

    assert answered == ["/health", "/auth/register"]
    assert registered.status_code == 201, registered.text


def test_health_answers_while_a_login_is_hashing(slow_server):
    credentials = {"username": f"user_{uuid.uuid4().hex[:10]}", "password": PASSWORD}
    registered = requests.post(slow_server.url + "/auth/register", json=credentials, timeout=SLOW_TIMEOUT)
    assert registered.status_code == 201, registered.text

    answered, logged_in = answer_order_while_hashing(slow_server, "/auth/login", credentials)

    assert answered == ["/health", "/auth/login"]
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["accessToken"]
