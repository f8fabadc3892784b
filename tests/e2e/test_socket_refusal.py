"""The real server refuses a Socket.IO client without a valid access token, and says why."""

import queue

import pytest
import socketio

NAMESPACE = "/orders"


# Every refusal reason is covered in tests/realtime; these prove the real transport refuses and explains.
REFUSED_AUTH = {
    "no auth": None,
    "empty token": {"token": ""},
    "garbage token": {"token": "not.a.jwt"},
}


@pytest.mark.parametrize("auth", REFUSED_AUTH.values(), ids=REFUSED_AUTH.keys())
def test_real_server_refuses_a_socket_without_a_valid_token_and_gives_a_reason(server, auth):
    reasons = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("connect_error", reasons.put, namespace=NAMESPACE)

    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespaces=[NAMESPACE], auth=auth, wait_timeout=10)

    assert not client.connected
    reason = reasons.get(timeout=10)
    assert isinstance(reason, dict) and reason.get("message"), reason
