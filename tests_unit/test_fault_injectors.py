"""The fault suite's injectors (faults/injectors.py) break exchanges where they claim to.

The fault matrix counts double deposits from the sandbox's records: it is only worth
something if "after the deposit" really means the sandbox stored it, and "nothing
stored" really means it did not.
"""
import socket
import threading

import pytest
import requests
from chorus_documents import ubl_invoice

from chorus_pro_dilifac.lib.chorus_api import ChorusProClient
from chorus_pro_dilifac.lib.errors import TRANSIENT, UNKNOWN_OUTCOME, TransportError
from faults.injectors import HttpFaultProxy, TcpRelay, TlsRefuser
from sandboxes.chorus_pro import ChorusProSandbox

UBL = "IN_DP_E1_UBL_INVOICE"
DEPOSIT = "/cpro/factures/v1/deposer/flux"


@pytest.fixture
def sandbox():
    box = ChorusProSandbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def proxy(sandbox):
    relay = HttpFaultProxy(sandbox.url)
    yield relay
    relay.stop()


def _client(sandbox, url, timeout=5):
    credentials = sandbox.credentials
    return ChorusProClient(**credentials, oauth_url=url, api_url=url, timeout=timeout)


def test_an_injected_status_never_reaches_the_sandbox(sandbox, proxy):
    proxy.arm(DEPOSIT, "status", status=503)
    with pytest.raises(TransportError) as caught:
        _client(sandbox, proxy.url).deposit_flow("F1.xml", ubl_invoice("F1"), UBL)
    assert caught.value.kind == TRANSIENT
    assert sandbox.flows() == []
    # Armed once: the next deposit goes through.
    _client(sandbox, proxy.url).deposit_flow("F1.xml", ubl_invoice("F1"), UBL)
    assert len(sandbox.flows()) == 1


@pytest.mark.parametrize("mode", ["hold", "garbage"])
def test_a_lost_or_broken_answer_comes_after_the_deposit_is_stored(sandbox, proxy, mode):
    rule = proxy.arm(DEPOSIT, mode, hold_seconds=5)
    with pytest.raises(TransportError) as caught:
        _client(sandbox, proxy.url, timeout=1).deposit_flow("F1.xml", ubl_invoice("F1"), UBL)
    rule.release.set()
    assert caught.value.kind == UNKNOWN_OUTCOME
    assert rule.forwarded.is_set()
    assert len(sandbox.flows()) == 1


def test_the_tls_listener_fails_the_handshake(tmp_path):
    refuser = TlsRefuser(tmp_path)
    try:
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(refuser.url, timeout=5)
    finally:
        refuser.stop()


def _echo_server():
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(1024):
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_the_tcp_relay_holds_then_resumes_or_drops():
    server = _echo_server()
    relay = TcpRelay("127.0.0.1", server.getsockname()[1])
    try:
        relay.arm(lambda direction: direction == "up")
        client = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
        client.sendall(b"ping")
        assert relay.held.wait(5)
        client.settimeout(0.3)
        with pytest.raises(TimeoutError):
            client.recv(4)  # held: nothing reached the server
        relay.resume()
        client.settimeout(5)
        assert client.recv(4) == b"ping"
        relay.arm(lambda direction: direction == "up")
        client.sendall(b"pong")
        assert relay.held.wait(5)
        relay.drop()
        assert client.recv(4) == b""  # closed, the chunk never passed
    finally:
        relay.stop()
        server.close()
