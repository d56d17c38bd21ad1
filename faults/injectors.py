"""Where the faults come from: real network hops between Odoo and the sandboxes.

* :class:`HttpFaultProxy`: Odoo's Chorus Pro URL points here; every request is passed to
  the Chorus Pro sandbox unchanged unless a rule says otherwise (answer 5xx/401/429
  without passing it on, pass it on then hold the answer, pass it on then answer broken
  or wrongly typed JSON).
* :class:`TlsRefuser`: a TLS server whose certificate nobody trusts (self-signed, for
  another name): the client's handshake fails, as with a misconfigured API host.
* :class:`TcpRelay`: Odoo's SFTP port points here; bytes go to the sshd sandbox, and a
  rule may stop them at an exact point of an upload (seen on the server's disk), so the
  sshd can be killed there.
"""
import datetime
import http.client
import json
import select
import socket
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


class Rule:
    """One armed fault on a path.

    ``mode``: ``status`` (answer ``status`` at once, nothing passed on), ``hold`` (pass
    it on, then keep the answer until released or ``hold_seconds`` pass, then close
    without answering), ``delay`` (the same, but the answer is then given), ``garbage``
    (pass it on, answer 200 with a cut JSON body), ``patch`` (pass it on, answer its JSON
    updated with ``patch``). ``skip`` matching calls go through first; ``count`` calls
    are then hit (None: every later call).
    """

    def __init__(self, path, mode, count=1, skip=0, status=None, patch=None, hold_seconds=60):
        self.path, self.mode, self.count, self.skip = path, mode, count, skip
        self.status, self.patch, self.hold_seconds = status, patch, hold_seconds
        self.hits = 0
        self.forwarded = threading.Event()  # the sandbox has done the work
        self.release = threading.Event()

    def take(self):
        if self.skip:
            self.skip -= 1
            return False
        if self.count is not None and self.hits >= self.count:
            return False
        self.hits += 1
        return True


class HttpFaultProxy:
    def __init__(self, upstream):
        self.upstream = upstream
        self.rules = []
        self.log = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def arm(self, path, mode, **kwargs):
        rule = Rule(path, mode, **kwargs)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self):
        with self._lock:
            for rule in self.rules:
                rule.release.set()
            self.rules = []

    def stop(self):
        self.clear()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _rule_for(self, path):
        with self._lock:
            for rule in self.rules:
                if rule.path == path and rule.take():
                    return rule
        return None

    def forward(self, method, path, headers, body):
        parts = urlsplit(self.upstream)
        if parts.scheme == "https":
            context = ssl._create_unverified_context()  # the harness's own hop
            connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=60,
                                                     context=context)
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
        connection.request(method, path, body=body, headers=keep)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        return answer.status, answer.getheader("Content-Type") or "application/json", data


def _proxy_handler(proxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def _answer(self, status, content_type, data):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method):
            path = urlsplit(self.path).path
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rule = proxy._rule_for(path)
            proxy.log.append((method, path, rule.mode if rule else None))
            if rule and rule.mode == "status":
                payload = {"error": "injected", "error_description": f"HTTP {rule.status}"}
                self._answer(rule.status, "application/json",
                             json.dumps(payload).encode())
                return
            status, content_type, data = proxy.forward(method, path, dict(self.headers), body)
            if rule is None:
                self._answer(status, content_type, data)
                return
            rule.forwarded.set()
            if rule.mode == "hold":
                rule.release.wait(rule.hold_seconds)
                self.close_connection = True
                return
            if rule.mode == "delay":
                rule.release.wait(rule.hold_seconds)
                self._answer(status, content_type, data)
                return
            if rule.mode == "garbage":
                self._answer(200, "application/json;charset=utf-8", data[: len(data) // 2])
                return
            if rule.mode == "patch":
                payload = json.loads(data)
                payload.update(rule.patch)
                self._answer(status, content_type, json.dumps(payload).encode())
                return
            raise ValueError(f"unknown rule mode {rule.mode}")

    return Handler


class TlsRefuser:
    """A TLS listener with a self-signed certificate for another host name."""

    def __init__(self, workdir):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wrong-host.invalid")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("wrong-host.invalid")]),
                           critical=False)
            .sign(key, hashes.SHA256())
        )
        folder = Path(tempfile.mkdtemp(dir=workdir, prefix="tls-"))
        cert_path, key_path = folder / "cert.pem", folder / "key.pem"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert_path, key_path)
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self._sock.getsockname()[1]}"
        self.handshakes = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            self.handshakes += 1
            threading.Thread(target=self._handshake, args=(conn,), daemon=True).start()

    def _handshake(self, conn):
        conn.settimeout(10)
        try:
            with self._context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def stop(self):
        self._stop = True
        self._sock.close()


class TcpRelay:
    """Bytes between Odoo and sshd, with an optional stop point.

    ``hold_when(direction)`` is asked before each chunk is passed on (``"up"``: client to
    server, ``"down"``: server to client). The first time it answers True, that connection
    stops (the chunk is kept), ``held`` is set, and the relay waits for :meth:`resume`
    (the chunk goes on, as if the network had only been slow) or :meth:`drop` (every
    connection is closed). Other connections are never held.
    """

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.hold_when = None
        self.max_hold = 120
        self.held = threading.Event()
        self._decided = threading.Event()
        self._verdict = None
        self._pairs = []
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def arm(self, hold_when, max_hold=120):
        """``max_hold``: seconds after which a held connection goes on by itself."""
        self.max_hold = max_hold
        self.held.clear()
        self._decided.clear()
        self._verdict = None
        self.hold_when = hold_when

    def resume(self):
        self.hold_when = None
        self._verdict = "resume"
        self._decided.set()

    def drop(self):
        """Close every relayed connection (both sides) and stop holding."""
        self.hold_when = None
        self._verdict = "drop"
        self._decided.set()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                try:
                    sock.close()
                except OSError:
                    pass

    def _serve(self):
        while True:
            try:
                client, _addr = self._sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _should_hold(self, direction):
        with self._lock:
            hold = self.hold_when
            if hold is None or not hold(direction):
                return False
            self.hold_when = None
        return True

    def _pump(self, client, server):
        peers = {client: (server, "up"), server: (client, "down")}
        try:
            while True:
                readable, _w, _x = select.select(list(peers), [], [], 0.5)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        raise EOFError
                    target, direction = peers[sock]
                    if self._should_hold(direction):
                        self.held.set()
                        self._decided.wait(self.max_hold)
                        if self._verdict == "drop":
                            raise EOFError
                    target.sendall(data)
        except (OSError, EOFError, ValueError):
            pass
        finally:
            for sock in (client, server):
                try:
                    sock.close()
                except OSError:
                    pass

    def stop(self):
        self.drop()
        self._sock.close()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out waiting for {what}")
