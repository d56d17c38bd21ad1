"""HTTP face of the Chorus Pro sandbox: PISTE token endpoint, gateway checks, API routes.

One loopback server plays both PISTE hosts: the token endpoint is ``/api/oauth/token`` and
the API is under ``/cpro/...``, so ``oauth_url == api_url == url``.

Test-only admin routes (no authentication, never exist on the real platform):

* ``POST /_sandbox/process_all``: every flow and invoice reaches its end state now;
* ``POST /_sandbox/advance`` ``{seconds}``: move the sandbox clock forward;
* ``POST /_sandbox/fail_next`` ``{path, mode, count=1, hang_seconds=30}`` with ``mode``:
  ``http_500`` (answer 500, nothing done), ``drop`` (close the connection after reading the
  request, nothing done), ``timeout_after_commit`` (do the work, then hold the answer for
  ``hang_seconds`` and close without answering: the deposit is stored but the client
  never hears of it), ``error_200`` (answer HTTP 200 with ``codeRetour`` 99, nothing done),
  ``answer`` (answer HTTP 200 with the JSON ``body`` given, nothing done: a malformed answer);
* ``POST /_sandbox/tls`` ``{mode}``: serve a ``valid``, ``self_signed`` or ``wrong_name``
  certificate on the HTTPS port from the next connection on;
* ``POST /_sandbox/set_status`` ``{idFacture, nouveauStatut, motif}``: buyer action;
* ``POST /_sandbox/reset``: forget flows and invoices;
* ``GET /_sandbox/invoices``, ``GET /_sandbox/flows``, ``GET /_sandbox/stats``.

assumed (the spec leaves the choice open, §10.2): a missing or undecodable ``cpro-account``
answers 401, an unknown login/password or an expired technical password 403; a
gateway refusal has the body ``{"error", "error_description"}``. Each request is logged
as ``<time> <method> <path> <status>`` only: never headers, bodies or file contents.
"""
import base64
import binascii
import datetime
import json
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .clock import SandboxClock
from .directory import load_directory
from .state import ApiError, ChorusPlatform
from .tls import TLS_MODES, SandboxTls

ROUTES = {
    "/cpro/transverses/v1/health-check": ("GET", None),
    "/cpro/factures/v1/deposer/flux": ("POST", "deposit"),
    "/cpro/factures/v1/rechercher/fournisseur": ("POST", "search_supplier"),
    "/cpro/factures/v1/consulter/historique": ("POST", "history"),
    "/cpro/factures/v1/recycler": ("POST", "recycle"),
    "/cpro/factures/v1/completer": ("POST", "complete"),
    "/cpro/factures/v1/traiterRejet": ("POST", "acknowledge_rejection"),
    "/cpro/factures/v1/traiter/recue": ("POST", "process_received"),
    "/cpro/transverses/v1/consulterCRDetaille": ("POST", "detailed_report"),
    "/cpro/transverses/v1/consulterCR": ("POST", "report"),
    "/cpro/transverses/v1/ajouter/fichier": ("POST", "add_file"),
    "/cpro/structures/v1/rechercher": ("POST", "search_structures"),
    "/cpro/transverses/v1/rechercher/destinataire": ("POST", "search_recipients"),
    "/cpro/structures/v1/consulter": ("POST", "get_structure"),
    "/cpro/structures/v1/rechercher/services": ("POST", "search_services"),
    "/cpro/structures/v1/consulter/service": ("POST", "get_service"),
    "/cpro/engagementsJuridiques/v1/rechercher": ("POST", "search_engagements"),
}
TOKEN_PATH = "/api/oauth/token"
FAILURE_MODES = ("http_500", "drop", "timeout_after_commit", "error_200", "answer")


class _QuietTlsServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client refusing the certificate is what a TLS fault injection wants."""


def _gateway_error(status, error, description):
    return status, {"error": error, "error_description": description}


def _json_body(raw):
    try:
        body = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return body if isinstance(body, dict) else None


class ChorusProSandbox:
    """A local Chorus Pro (PISTE OAuth + ``/cpro`` API) on a background thread.

    ``start()`` returns the base URL; ``stop()`` closes the socket. Usable as a context
    manager. Seed data comes from ``sandboxes/seed_directory.json`` unless ``seed_path``.
    ``single_error_as_object`` sends a lone ``listeErreurDP`` entry as an object, like the
    official example (§2.3.1), to exercise clients' tolerance.

    The same routes are served over HTTPS on ``tls_port`` (``https_url``), with a
    certificate of a CA made at start (``ca_file``): clients trust it as a private CA,
    through a CA bundle. ``tls_mode`` (or ``set_tls_mode``) serves a bad certificate
    instead, to inject TLS failures.
    """

    def __init__(self, host="127.0.0.1", port=0, seed_path=None, clock=None, token_ttl=3600,
                 log_path=None, single_error_as_object=False, tls_port=0, tls_mode="valid"):
        self.host = host
        self.port = port
        self.tls_port = tls_port
        self.tls_mode = tls_mode
        self.tls = None
        self._tls_dir = None
        self._httpsd = None
        self._tls_thread = None
        self.directory = load_directory(seed_path)
        self.clock = clock or SandboxClock()
        self.platform = ChorusPlatform(self.directory, self.clock, token_ttl=token_ttl,
                                       single_error_as_object=single_error_as_object)
        self.log_path = log_path
        self.request_log = []
        self._failures = {}
        self._log_lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = None
        self._thread = None

    # -- lifecycle --------------------------------------------------------------------
    def start(self):
        self._stopping.clear()
        self._httpd = ThreadingHTTPServer((self.host, self.port), _handler_class(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="chorus-pro-sandbox", daemon=True)
        self._thread.start()
        self._start_tls()
        return self.url

    def _start_tls(self):
        self._tls_dir = tempfile.mkdtemp(prefix="chorus-sandbox-tls-")
        self.tls = SandboxTls(self._tls_dir, self.host, self.tls_mode)
        self._httpsd = _QuietTlsServer((self.host, self.tls_port), _handler_class(self))
        self._httpsd.daemon_threads = True
        # The handshake runs in the request's thread: a silent client blocks nobody.
        self._httpsd.socket = self.tls.context.wrap_socket(
            self._httpsd.socket, server_side=True, do_handshake_on_connect=False)
        self.tls_port = self._httpsd.server_address[1]
        self._tls_thread = threading.Thread(target=self._httpsd.serve_forever, args=(0.05,),
                                            name="chorus-pro-sandbox-tls", daemon=True)
        self._tls_thread.start()

    def set_tls_mode(self, mode):
        """Serve another certificate (see ``TLS_MODES``) from the next connection on."""
        if mode not in TLS_MODES:
            raise ValueError(f"unknown TLS mode {mode!r}")
        self.tls.set_mode(mode)
        self.tls_mode = mode

    def stop(self):
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = None
        if self._httpsd is not None:
            self._httpsd.shutdown()
            self._httpsd.server_close()
            self._tls_thread.join()
            self._httpsd = None
        if self._tls_dir:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def https_url(self):
        return f"https://{self.host}:{self.tls_port}"

    @property
    def ca_file(self):
        """The CA bundle a client trusts to talk to ``https_url``."""
        return str(self.tls.ca_file)

    @property
    def oauth_url(self):
        return self.url

    @property
    def api_url(self):
        return self.url

    @property
    def credentials(self):
        """The seed's PISTE client and first technical account, as the client wants them."""
        account = self.directory.accounts[0]
        return {"client_id": self.directory.client_id,
                "client_secret": self.directory.client_secret,
                "login": account.login, "password": account.password}

    # -- test controls ----------------------------------------------------------------
    def process_all(self):
        self.platform.tick(force=True)

    def advance(self, seconds):
        self.clock.advance(seconds)
        self.platform.tick()

    def fail_next(self, path, mode, count=1, hang_seconds=30, body=None):
        if mode not in FAILURE_MODES:
            raise ValueError(f"unknown failure mode {mode!r}")
        with self._log_lock:
            self._failures[path] = [(mode, hang_seconds, body)] * count

    def invoices(self):
        return self.platform.invoice_summaries()

    def flows(self):
        return self.platform.flow_summaries()

    @property
    def stats(self):
        return self.platform.stats

    def _pop_failure(self, path):
        with self._log_lock:
            queue = self._failures.get(path)
            return queue.pop(0) if queue else (None, 0, None)

    def _log(self, method, path, status):
        with self._log_lock:
            self.request_log.append((method, path, status))
            if self.log_path:
                stamp = datetime.datetime.now().isoformat(timespec="seconds")
                with open(self.log_path, "a", encoding="utf-8") as log:
                    log.write(f"{stamp} {method} {path} {status}\n")

    # -- dispatch ---------------------------------------------------------------------
    def dispatch(self, method, path, headers, raw):
        """``(status, payload)`` for one request; payload is a dict sent as JSON."""
        if path == TOKEN_PATH:
            return self._token(method, headers, raw)
        if path.startswith("/_sandbox/"):
            return self._admin(method, path, raw)
        if not path.startswith("/cpro/"):
            return 404, {"error": "not_found", "error_description": f"{path} n'existe pas."}
        return self._api(method, path, headers, raw)

    def _token(self, method, headers, raw):
        if method != "POST":
            return _gateway_error(405, "invalid_request", "Méthode non autorisée.")
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return _gateway_error(400, "unsupported_grant_type",
                                  "Seul grant_type=client_credentials est accepté.")
        token = self.platform.issue_token(form.get("client_id"), form.get("client_secret"))
        if token is None:
            return _gateway_error(401, "invalid_client", "Identifiants client invalides.")
        return 200, token

    def _account(self, headers):
        """The technical account of ``cpro-account``, or an error ``(status, payload)``."""
        value = headers.get("cpro-account")
        if not value:
            return None, _gateway_error(401, "invalid_request", "En-tête cpro-account absent.")
        try:
            login, _, password = base64.b64decode(value, validate=True).decode("utf-8") \
                .partition(":")
        except (binascii.Error, ValueError):
            return None, _gateway_error(401, "invalid_request",
                                        "En-tête cpro-account illisible.")
        account = self.directory.account(login, password)
        if account is None:
            return None, _gateway_error(403, "access_denied",
                                        "Compte technique inconnu ou mot de passe erroné.")
        if account.password_expiry and account.password_expiry < self.clock.today():
            return None, _gateway_error(403, "access_denied",
                                        "Le mot de passe du compte technique a expiré.")
        return account, None

    def _api(self, method, path, headers, raw):
        authorization = headers.get("Authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _gateway_error(401, "invalid_request", "Jeton d'accès absent.")
        if not self.platform.token_is_valid(token.strip()):
            return _gateway_error(401, "invalid_token", "Jeton d'accès invalide ou expiré.")
        account, refusal = self._account(headers)
        if refusal:
            return refusal
        route = ROUTES.get(path)
        if route is None:
            return 404, {"error": "not_found", "error_description": f"{path} n'existe pas."}
        self.platform.count_call(path)
        expected_method, handler_name = route
        if method != expected_method:
            return _gateway_error(405, "invalid_request", "Méthode non autorisée.")
        if handler_name is None:
            return 200, {"body": "Chorus Pro API disponible", "statusCodeValue": 200,
                         "statusCode": "OK"}
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _gateway_error(415, "unsupported_media_type",
                                  "Le type de contenu doit être application/json.")
        body = _json_body(raw)
        if body is None:
            return 400, {"codeRetour": 20001, "libelle": "Le corps de la requête n'est pas un "
                         "objet JSON valide."}
        self.platform.tick()
        try:
            return 200, getattr(self.platform, handler_name)(account, body)
        except ApiError as exc:
            return exc.http_status, exc.payload

    def _admin(self, method, path, raw):
        body = _json_body(raw) or {}
        action = path[len("/_sandbox/"):]
        try:
            if (method, action) == ("POST", "process_all"):
                self.process_all()
                return 200, {"flows": len(self.platform.flows)}
            if (method, action) == ("POST", "advance"):
                self.advance(float(body.get("seconds") or 0))
                return 200, {"now": self.clock.now().isoformat()}
            if (method, action) == ("POST", "fail_next"):
                self.fail_next(body.get("path"), body.get("mode"), int(body.get("count") or 1),
                               float(body.get("hang_seconds") or 30), body=body.get("body"))
                return 200, {"armed": body.get("path")}
            if (method, action) == ("POST", "tls"):
                self.set_tls_mode(body.get("mode"))
                return 200, {"tls": self.tls_mode}
            if (method, action) == ("POST", "set_status"):
                self.platform.tick()
                return 200, self.platform.set_status(body)
            if (method, action) == ("POST", "reset"):
                self.platform.reset()
                return 200, {}
            if (method, action) == ("GET", "invoices"):
                self.platform.tick()
                return 200, {"invoices": self.invoices()}
            if (method, action) == ("GET", "flows"):
                self.platform.tick()
                return 200, {"flows": self.flows()}
            if (method, action) == ("GET", "stats"):
                return 200, self.stats
        except ApiError as exc:
            return exc.http_status, exc.payload
        except ValueError as exc:
            return 400, {"error": str(exc)}
        return 404, {"error": "not_found", "error_description": f"{path} n'existe pas."}


def _handler_class(sandbox):
    class Handler(BaseHTTPRequestHandler):
        server_version = "ChorusProSandbox/1.0"

        def log_message(self, *args):
            """Silenced: the sandbox logs requests itself, without secrets."""

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def _handle(self, method):
            path = urlsplit(self.path).path
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            mode, hang_seconds, answer = sandbox._pop_failure(path)
            if mode == "drop":
                sandbox._log(method, path, "dropped")
                self.close_connection = True
                return
            if mode == "http_500":
                status, payload = 500, {"error": "server_error",
                                        "error_description": "Erreur interne simulée."}
            elif mode == "error_200":
                status, payload = 200, {"codeRetour": 99, "libelle": "Erreur simulée."}
            elif mode == "answer":
                status, payload = 200, answer
            else:
                status, payload = sandbox.dispatch(method, path, self.headers, raw)
            if mode == "timeout_after_commit":
                sandbox._log(method, path, f"{status} unanswered")
                sandbox._stopping.wait(hang_seconds)
                self.close_connection = True
                return
            sandbox._log(method, path, status)
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
