"""Malformed messages either way between the app and its model host: a typed error with one
sentence, never a dead host or an untyped exception."""

from __future__ import annotations

import pytest

from grym_desktop.errors import ProtocolError
from grym_desktop.host import protocol
from grym_desktop.host.client import HostClient

pytestmark = pytest.mark.integration


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("GRYM_HOST_TEST_OPS", "1")
    host = HostClient()
    yield host
    host.shutdown()


def test_the_host_answers_malformed_requests_with_an_error_and_lives_on(client):
    pid = client.ensure_started()
    for bad in ([1, 2], {"op": "ping"}, {"id": "x", "op": "ping"}, {"id": 1, "op": 5}):
        client._conn.send(bad)
        reply = client._conn.recv()
        assert reply["kind"] == "error" and reply["type"] == "ProtocolError"
    client._conn.send_bytes(b"\x80\x04 not a pickle")
    assert client._conn.recv()["type"] == "ProtocolError"
    assert client.call("ping")["pid"] == pid, "the same host still answers"


@pytest.mark.parametrize("raw", [
    {"message": [1, 2, 3]},
    {"message": {"id": 1}},  # no kind
    {"message": {"kind": "progress", "id": 1, "fraction": "half"}},
    {"message": {"kind": "ok", "id": 1, "result": "yes"}},
    {"bytes": b"\x00\x01 garbage"},
])
def test_garbage_from_the_host_is_a_protocol_error_and_the_host_is_replaced(client, raw):
    first = client.ensure_started()
    with pytest.raises(ProtocolError, match="model host sent"):
        client.call("send_raw", raw, timeout=30)
    assert client.call("ping")["pid"] != first


def test_check_reply_accepts_what_the_host_sends():
    assert protocol.check_reply(protocol.progress(3, 0.5))["fraction"] == 0.5
    assert protocol.check_reply(protocol.error(None, "GrymError", "x"))["kind"] == "error"
    with pytest.raises(ProtocolError):
        protocol.check_reply(protocol.progress(3, True))
