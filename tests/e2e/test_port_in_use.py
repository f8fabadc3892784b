"""`python wsgi.py` (what `make run` starts) on a port another server holds fails at once and says why."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
EXIT_TIMEOUT = 30


def test_a_second_server_on_a_taken_port_exits_non_zero_naming_the_port(server):
    try:
        second = subprocess.run(
            [sys.executable, "wsgi.py"], cwd=ROOT, env=server.environment, capture_output=True, text=True,
            timeout=EXIT_TIMEOUT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"a second server started on the taken port {server.port} and kept running")

    assert second.returncode != 0
    assert f"port {server.port}" in second.stderr and "already in use" in second.stderr, second.stderr
    assert requests.get(f"{server.url}/health", timeout=5).status_code == 200
