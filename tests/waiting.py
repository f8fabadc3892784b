"""Waiting for something a background task does (a socket closed, an expiry event), with a deadline."""

import time

import pytest

WAIT_TIMEOUT = 20  # seconds: far past any expiry the tests set, so a slow machine never fails a test


def wait_until(condition, what, timeout=WAIT_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout}s")
        time.sleep(0.02)
