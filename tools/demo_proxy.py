"""The demo's front door: what nginx does in front of a multi-process Odoo.

With ``--workers`` Odoo serves HTTP on one port and the websocket (the bus: chatter,
notifications, "Interface Chorus" results) on its gevent port; a browser only knows one
address. Odoo's deployment guide puts a reverse proxy in front that sends ``/websocket`` to
the gevent port and everything else to the HTTP port. Without it, every open tab retries
the websocket on the HTTP port and each retry logs a traceback.

    python3 tools/demo_proxy.py --listen 8069 --http 41234 --websocket 41235

A connection goes, whole, where its first request line says (a browser opens a connection
of its own for a websocket); bytes are passed on untouched, so the ``Host`` and ``Origin``
headers Odoo checks stay the browser's. Standard library only.
"""

import argparse
import socket
import socketserver
import sys
import threading
import time

FIRST_LINE_MAX = 8192


def _pipe(source, target):
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((target, socket.SHUT_WR), (source, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass


def _first_line(client):
    """The request line, read without consuming it (MSG_PEEK)."""
    seen = b""
    while b"\r\n" not in seen and len(seen) < FIRST_LINE_MAX:
        more = client.recv(FIRST_LINE_MAX, socket.MSG_PEEK)
        if len(more) == len(seen):  # closed, or nothing new yet: wait for more bytes
            if not more:
                return b""
            time.sleep(0.01)
        seen = more
    return seen.split(b"\r\n", 1)[0]


def make_handler(http_port, websocket_port):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            client = self.request
            line = _first_line(client)
            if not line:
                return
            parts = line.split(b" ")
            path = parts[1] if len(parts) > 1 else b"/"
            port = websocket_port if path.startswith(b"/websocket") else http_port
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                               b"Connection: close\r\n\r\n")
                return
            upstream.settimeout(None)
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join()
            upstream.close()

    return Handler


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--http", type=int, required=True)
    parser.add_argument("--websocket", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    with Server((args.host, args.listen), make_handler(args.http, args.websocket)) as server:
        print(f"demo proxy listening on {args.listen}: /websocket -> {args.websocket}, "
              f"the rest -> {args.http}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
