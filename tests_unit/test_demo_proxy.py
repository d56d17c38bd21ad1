"""The demo's front (tools/demo_proxy.py) sends /websocket to Odoo's gevent port and the
rest to its HTTP workers, as nginx does in production: real sockets, real HTTP servers."""

import http.client
import importlib.util
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "demo_proxy", Path(__file__).resolve().parents[1] / "tools" / "demo_proxy.py"
)
demo_proxy = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(demo_proxy)


def _backend(name):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"{name} {self.path} {self.headers['Host']}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def front():
    http_server, websocket_server = _backend("workers"), _backend("gevent")
    handler = demo_proxy.make_handler(http_server.server_port, websocket_server.server_port)
    proxy = demo_proxy.Server(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    yield proxy.server_address[1]
    for server in (proxy, http_server, websocket_server):
        server.shutdown()
        server.server_close()


def _get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": f"localhost:{port}"})
    answer = connection.getresponse().read().decode()
    connection.close()
    return answer


def test_the_websocket_goes_to_the_gevent_port_and_the_rest_to_the_workers(front):
    assert _get(front, "/websocket?version=18.0-4").startswith("gevent /websocket?version=18.0-4")
    assert _get(front, "/web/login").startswith("workers /web/login")
    # The browser's Host header reaches Odoo untouched (Odoo checks it against Origin).
    assert _get(front, "/odoo").endswith(f"localhost:{front}")


def test_several_requests_on_one_connection_all_reach_the_workers(front):
    connection = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
    for path in ("/web/login", "/web/webclient/translations", "/odoo/action-1"):
        connection.request("GET", path)
        assert connection.getresponse().read().decode().startswith(f"workers {path}")
    connection.close()


def test_a_backend_that_is_down_gives_a_502_not_a_hang():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    handler = demo_proxy.make_handler(closed_port, closed_port)
    proxy = demo_proxy.Server(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", proxy.server_address[1], timeout=10)
        connection.request("GET", "/web/login")
        assert connection.getresponse().status == 502
        connection.close()
    finally:
        proxy.shutdown()
        proxy.server_close()
