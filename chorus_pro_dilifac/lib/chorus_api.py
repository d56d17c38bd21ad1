"""Client of the Chorus Pro API through PISTE (chorus-pro.md §1, §2).

Every failure is a ``TransportError`` whose ``kind`` tells the caller what is safe:

* ``auth``: HTTP 401/403 (after one token renewal on 401), or the token call refused;
* ``transient``: 5xx, 408/429, connection refused, unknown host, connect timeout, and a
  read timeout or dropped connection on a read-only call;
* ``permanent``: any other 4xx, and ``codeRetour != 0`` in a 2xx body (``code`` is the
  ``codeRetour``, ``message`` the ``libelle``);
* ``unknown_outcome``: a read timeout, dropped connection or unreadable answer *after the
  request was sent* on a call that changes state (``deposer/flux``, ``recycler``,
  ``completer``, ``traiterRejet``, ``traiter/recue``).

A refused TLS certificate is ``transient`` (the handshake comes before the request: nothing
was sent). Certificates are verified as ``requests`` does: a private CA is trusted through
``ca_bundle`` or the standard ``REQUESTS_CA_BUNDLE``. An answer that is valid JSON with
the wrong shape (text where a number or an object is expected) is unreadable: no other
exception than ``TransportError`` leaves a public method.

Secrets (client secret, password, ``cpro-account`` header, bearer token) and file contents
never reach a log line or an exception message.

assumed (the spec is silent):

* The token is kept until ``min(240 s, expires_in / 2)`` before its expiry, so a very
  short-lived token is still reused for half its life.
* ``ajouter/fichier`` is treated as read-only for error mapping: an orphan attachment
  is harmless, so a timeout there is ``transient`` (safe to resend).
* "No result" is ``codeRetour`` 20000 / ``TRA_MSG_00.015`` and 20007 / ``GFT_MSG_01.075``,
  with HTTP 200 or 400; it yields an empty list.
* ``recycle`` sends a corrected EJ as ``reference.numeroBonCommande`` (S7's shape).
* ``lookup_structure`` returns None when no structure has this SIRET.
* Dates without an offset are Paris local time; ``parse_chorus_datetime`` returns naive UTC.
"""
import base64
import datetime
import functools
import json
import logging
import socket
import ssl
import time
import zoneinfo

import requests
from urllib3.exceptions import NewConnectionError

from .chorus_status import flow_outcome, is_flow_final
from .errors import AUTH, PERMANENT, TRANSIENT, UNKNOWN_OUTCOME, TransportError

_logger = logging.getLogger(__name__)

ENVIRONMENTS = {
    "qualif": ("https://sandbox-oauth.piste.gouv.fr", "https://sandbox-api.piste.gouv.fr"),
    "prod": ("https://oauth.piste.gouv.fr", "https://api.piste.gouv.fr"),
}
TOKEN_PATH = "/api/oauth/token"
TOKEN_RENEW_MARGIN = 240
NO_RESULT = {20000, 20007, "20000", "20007", "TRA_MSG_00.015", "GFT_MSG_01.075"}
MAX_PAGES = 1000
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


class _Malformed(ValueError):
    """An answer of the wrong shape; turned into a TransportError by ``_answer``."""


def _as_list(value):
    """Chorus sends some lists as a single object (``listeErreurDP``): always a list of
    objects (anything else is a malformed answer)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, dict) for item in items):
        raise _Malformed("a list of objects was expected")
    return items


def _object(value):
    """A nested object of an answer ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Malformed("an object was expected")
    return value


def _answer(state_changing=False):
    """Decorator of the public calls: an answer whose shape does not match what the call
    reads (``ValueError``, ``TypeError``, ``AttributeError``, ``KeyError``) becomes a
    TransportError, ``unknown_outcome`` on a call that changes state."""

    def decorate(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except TransportError:
                raise
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                kind = UNKNOWN_OUTCOME if state_changing else TRANSIENT
                what = method.__name__
                if state_changing:
                    self._fail(kind, f"Unexpected answer from Chorus Pro to {what} "
                               f"({exc.__class__.__name__}): it may have been accepted; "
                               "look it up before sending again")
                self._fail(kind, f"Unexpected answer from Chorus Pro to {what} "
                           f"({exc.__class__.__name__})")

        return call

    return decorate


def parse_chorus_datetime(value):
    """Naive UTC datetime from any of Chorus' formats, or None.

    ``2026-09-14``, ``2026-09-14 15:02`` (Paris time) and ``2018-02-16T15:10:25.536+01:00``.
    """
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def parse_chorus_date(value):
    """The calendar date Chorus wrote (``dateDepot``, ``dateFacture``...), or None."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _exception_chain(exc):
    """``exc`` and every exception it wraps (``reason``, cause, context, args)."""
    seen, stack = set(), [exc]
    while stack:
        error = stack.pop()
        # ``reason`` is a string on some errors (SSLCertVerificationError): skip it.
        if not isinstance(error, BaseException) or id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        stack += [getattr(error, "reason", None), error.__cause__, error.__context__]
        stack += [arg for arg in getattr(error, "args", ()) if isinstance(arg, BaseException)]


def _never_connected(exc):
    """True when the request could not even reach the server (refused, DNS, TLS)."""
    return any(isinstance(error, (NewConnectionError, ConnectionRefusedError, socket.gaierror,
                                  ssl.SSLError))
               for error in _exception_chain(exc))


def _tls_refused(exc):
    return isinstance(exc, requests.exceptions.SSLError) or any(
        isinstance(error, ssl.SSLError) for error in _exception_chain(exc))


class ChorusProClient:
    """One PISTE application + one Chorus Pro technical account.

    ``clock`` returns seconds (monotonic) and only serves the token cache, so tests can
    expire the token without waiting. ``session`` may be any ``requests.Session``.
    """

    def __init__(self, client_id, client_secret, login, password, environment="qualif",
                 oauth_url=None, api_url=None, timeout=30, session=None, clock=time.monotonic,
                 ca_bundle=None):
        if environment not in ENVIRONMENTS:
            raise ValueError(f"unknown Chorus Pro environment {environment!r}")
        default_oauth, default_api = ENVIRONMENTS[environment]
        self.environment = environment
        self.oauth_url = (oauth_url or default_oauth).rstrip("/")
        self.api_url = (api_url or default_api).rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        if ca_bundle:  # a private CA (a proxy's, a test platform's): verified, never skipped
            self.session.verify = ca_bundle
        self._clock = clock
        self._client_id = client_id
        self._client_secret = client_secret
        self._account_header = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
        self._secrets = [s for s in (client_secret, password, self._account_header) if s]
        self._token = None
        self._token_valid_until = 0.0

    def __repr__(self):
        return f"<ChorusProClient {self.environment} {self.api_url}>"

    # -- plumbing ---------------------------------------------------------------------
    def _scrub(self, text):
        text = str(text)
        for secret in self._secrets + ([self._token] if self._token else []):
            text = text.replace(secret, "***")
        return text

    def _fail(self, kind, message, code=None, http_status=None):
        message = self._scrub(message)
        _logger.warning("Chorus Pro error (%s): %s", kind, message)
        raise TransportError(kind, message, code=code, http_status=http_status)

    def _fetch_token(self):
        url = self.oauth_url + TOKEN_PATH
        form = {"grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._client_secret, "scope": "openid"}
        try:
            response = self.session.post(url, data=form, timeout=self.timeout)
        except requests.RequestException as exc:
            if _tls_refused(exc):
                self._fail(TRANSIENT, "PISTE token endpoint: TLS certificate refused "
                           f"({exc.__class__.__name__})")
            self._fail(TRANSIENT, f"PISTE token endpoint unreachable ({exc.__class__.__name__})")
        _logger.debug("PISTE POST %s -> HTTP %s", TOKEN_PATH, response.status_code)
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if response.status_code >= 500:
            self._fail(TRANSIENT, f"PISTE token endpoint failed (HTTP {response.status_code})",
                       http_status=response.status_code)
        if response.status_code != 200:
            detail = body.get("error_description") or body.get("error") or ""
            self._fail(AUTH, f"PISTE refused the application credentials "
                       f"(HTTP {response.status_code}) {detail}".strip(),
                       code=body.get("error"), http_status=response.status_code)
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not token or not isinstance(expires_in, int) or expires_in <= 0:
            self._fail(TRANSIENT, "PISTE answered without a usable access token")
        self._token = f"{body.get('token_type') or 'Bearer'} {token}"
        self._secrets.append(token)
        margin = min(TOKEN_RENEW_MARGIN, expires_in / 2)
        self._token_valid_until = self._clock() + expires_in - margin
        _logger.info("PISTE token obtained for %s s", expires_in)

    def _authorization(self):
        if self._token is None or self._clock() >= self._token_valid_until:
            self._fetch_token()
        return self._token

    def _call(self, method, path, payload=None, state_changing=False):
        """Send one API call; renew the token once on a 401; return the JSON body (dict)."""
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        for attempt in (1, 2):
            headers = {
                "Authorization": self._authorization(),
                "cpro-account": self._account_header,
                "Content-Type": "application/json;charset=utf-8",
                "Accept": "application/json;charset=utf-8",
            }
            started = time.monotonic()
            try:
                response = self.session.request(method, self.api_url + path, data=data,
                                                headers=headers, timeout=self.timeout)
            except requests.RequestException as exc:
                self._connection_failure(exc, method, path, state_changing)
            _logger.info("Chorus Pro %s %s -> HTTP %s (%d ms)", method, path,
                         response.status_code, (time.monotonic() - started) * 1000)
            if response.status_code == 401 and attempt == 1:
                _logger.info("Chorus Pro answered 401: renewing the PISTE token once")
                self._token = None
                continue
            return self._decode(response, method, path, state_changing)

    def _connection_failure(self, exc, method, path, state_changing):
        name = exc.__class__.__name__
        if _tls_refused(exc):
            self._fail(TRANSIENT, f"Chorus Pro's TLS certificate refused on {method} {path} "
                       f"({name}): nothing was sent; check the address and the CA settings")
        if isinstance(exc, requests.ConnectTimeout) or _never_connected(exc):
            self._fail(TRANSIENT, f"Chorus Pro unreachable on {method} {path} ({name})")
        if state_changing:
            self._fail(UNKNOWN_OUTCOME,
                       f"No answer from Chorus Pro after {method} {path} was sent ({name}): "
                       "it may have been accepted; look it up before sending again")
        self._fail(TRANSIENT, f"No answer from Chorus Pro on {method} {path} ({name})")

    def _decode(self, response, method, path, state_changing):
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        details = body if isinstance(body, dict) else {}
        code = details.get("codeRetour")
        if code is not None and not isinstance(code, (int, str)):
            body, details, code = None, {}, None  # unreadable: decided below by the status
        label = details.get("libelle") or details.get("error_description") \
            or details.get("error") or ""
        if status in (401, 403):
            self._fail(AUTH, f"Chorus Pro refused the credentials (HTTP {status}) {label}"
                       .strip(), code=code if code is not None else details.get("error"),
                       http_status=status)
        if status >= 500 or status in (408, 429):
            self._fail(TRANSIENT, f"Chorus Pro failed on {method} {path} (HTTP {status}) "
                       f"{label}".strip(), code=code, http_status=status)
        if code in NO_RESULT or label in NO_RESULT:
            return details
        if status >= 400:
            self._fail(PERMANENT, label or f"Chorus Pro refused {method} {path} (HTTP {status})",
                       code=code, http_status=status)
        if body is None or not isinstance(body, dict):
            kind = UNKNOWN_OUTCOME if state_changing else TRANSIENT
            self._fail(kind, f"Unreadable answer from Chorus Pro on {method} {path}",
                       http_status=status)
        if code not in (None, 0, "0"):
            self._fail(PERMANENT, label or f"Chorus Pro error {code}", code=code,
                       http_status=status)
        return body

    def _post(self, path, payload, state_changing=False):
        return self._call("POST", path, payload, state_changing)

    def _all_pages(self, path, payload, paging_key, list_key, page_size):
        """Every item of a paginated search, following ``parametresRetour.pages``."""
        items = []
        for number in range(1, MAX_PAGES + 1):
            body = self._post(path, {**payload, paging_key: {
                "nbResultatsParPage": page_size, "pageResultatDemandee": number}})
            batch = _as_list(body.get(list_key))
            items += batch
            pages = int(_object(body.get("parametresRetour")).get("pages") or 1)
            if not batch or number >= pages:
                break
        return items

    # -- transverses ------------------------------------------------------------------
    @_answer()
    def health_check(self):
        """PISTE and Chorus reachable with these credentials: ``{..., ok: bool}``."""
        body = self._call("GET", "/cpro/transverses/v1/health-check")
        return {**body, "ok": body.get("statusCodeValue", 200) == 200}

    @_answer()
    def get_flow_report(self, flow_number):
        """Integration report of a deposited flow (``consulterCRDetaille``).

        ``listeErreurDP`` and ``listeErreurTechnique`` are always lists; ``status`` is the
        flow status, ``status_date`` its time (``dateHeureEtatCourantFlux``, naive UTC),
        ``outcome`` success/partial/failure/pending, ``errors`` the invoice errors as
        ``{invoice_number, message, supplier_id, recipient_id}``.
        """
        body = self._post("/cpro/transverses/v1/consulterCRDetaille",
                          {"numeroFluxDepot": flow_number})
        dp_errors = _as_list(body.get("listeErreurDP"))
        technical = _as_list(body.get("listeErreurTechnique"))
        status = body.get("etatCourantDepotFlux")
        return {
            **body,
            "listeErreurDP": dp_errors,
            "listeErreurTechnique": technical,
            "flow_number": flow_number,
            "status": status,
            # ``dateHeureEtatCourantFlux``, in the official example: naive UTC, or None.
            "status_date": parse_chorus_datetime(body.get("dateHeureEtatCourantFlux")),
            "final": is_flow_final(status),
            "outcome": flow_outcome(status),
            "errors": [{"invoice_number": e.get("numeroDP"), "message": e.get("libelleErreurDP"),
                        "supplier_id": e.get("identifiantFournisseur"),
                        "recipient_id": e.get("identifiantDestinataire")} for e in dp_errors],
            "technical_errors": [{"code": e.get("codeErreur"), "message": e.get("libelleErreur"),
                                  "nature": e.get("natureErreur")} for e in technical],
        }

    @_answer()
    def add_file(self, name, content_bytes, mime_type, extension):
        """Upload an attachment (``ajouter/fichier``, 10 MB max); returns ``pieceJointeId``."""
        body = self._post("/cpro/transverses/v1/ajouter/fichier", {
            "pieceJointeFichier": base64.b64encode(content_bytes).decode("ascii"),
            "pieceJointeNom": name,
            "pieceJointeTypeMime": mime_type,
            "pieceJointeExtension": extension.upper().lstrip("."),
        })
        return body.get("pieceJointeId")

    # -- factures ---------------------------------------------------------------------
    @_answer(state_changing=True)
    def deposit_flow(self, filename, content_bytes, syntax, with_signature=False):
        """Deposit a file (``deposer/flux``); returns the answer plus ``flow_number`` and
        ``deposit_date``. A timeout here is ``unknown_outcome``: search before resending."""
        body = self._post("/cpro/factures/v1/deposer/flux", {
            "idUtilisateurCourant": 0,
            "fichierFlux": base64.b64encode(content_bytes).decode("ascii"),
            "nomFichier": filename,
            "syntaxeFlux": syntax,
            "avecSignature": with_signature,
        }, state_changing=True)
        if not body.get("numeroFluxDepot") or not isinstance(body["numeroFluxDepot"], (str, int)):
            self._fail(UNKNOWN_OUTCOME, "Chorus Pro accepted the deposit without a flow number")
        return {**body, "flow_number": body["numeroFluxDepot"],
                "deposit_date": parse_chorus_date(body.get("dateDepot"))}

    @_answer()
    def search_supplier_invoices(self, flow_number=None, invoice_number=None, page_size=100):
        """Our invoices known to Chorus (``rechercher/fournisseur``), every page.

        Each item keeps Chorus' keys and adds ``chorus_id``, ``number`` and ``status``.
        """
        payload = {}
        if flow_number:
            payload["numeroFluxDepot"] = flow_number
        if invoice_number:
            payload["numeroFacture"] = invoice_number
        items = self._all_pages("/cpro/factures/v1/rechercher/fournisseur", payload,
                                "rechercheFactureParFournisseur", "listeFactures", page_size)
        return [{**item, "chorus_id": item.get("identifiantFactureCPP"),
                 "number": item.get("numeroFacture"), "status": item.get("statut")}
                for item in items]

    @_answer()
    def get_invoice_history(self, chorus_invoice_id):
        """Status history (``consulter/historique``), oldest first (by ``histoStatutId``).

        Adds ``status`` (current code) and ``history``: each entry keeps Chorus' keys and
        adds ``code``, ``date`` (naive UTC) and ``comment`` (the buyer's reason, if any).
        """
        body = self._post("/cpro/factures/v1/consulter/historique",
                          {"idFacture": chorus_invoice_id})
        statuses = _as_list(_object(body.get("historiquesDesStatuts")).get("histoStatut"))
        statuses = sorted(statuses, key=lambda h: int(h.get("histoStatutId") or 0))
        history = [{**h, "code": h.get("histoStatutCode"),
                    "date": parse_chorus_datetime(h.get("histoStatutDatePassage")),
                    "comment": h.get("histoStatutCommentaire")} for h in statuses]
        current = body.get("statutCourantCode") or (history[-1]["code"] if history else None)
        return {**body, "chorus_id": chorus_invoice_id, "status": current, "history": history}

    @_answer(state_changing=True)
    def recycle(self, chorus_invoice_id, recipient_siret, service_code=None,
                engagement_number=None, comment=""):
        """Send an ``A_RECYCLER`` invoice again with corrected routing (``recycler``)."""
        payload = {
            "idUtilisateurCourant": 0,
            "identifiantFactureCPP": chorus_invoice_id,
            "destinataire": {"codeDestinataire": recipient_siret,
                             "codeServiceExecutant": service_code or ""},
            "commentaire": comment or "",
        }
        if engagement_number:
            payload["reference"] = {"numeroBonCommande": engagement_number}
        return self._post("/cpro/factures/v1/recycler", payload, state_changing=True)

    @_answer(state_changing=True)
    def complete(self, chorus_invoice_id, comment, attachment_ids=()):
        """Answer a ``SUSPENDUE`` invoice with a comment and uploaded attachments."""
        return self._post("/cpro/factures/v1/completer", {
            "idUtilisateurCourant": 0,
            "identifiantFactureCPP": chorus_invoice_id,
            "commentaire": comment or "",
            "pieceJointeComplementaire": [{"pieceJointeComplementaireId": attachment_id}
                                          for attachment_id in attachment_ids],
        }, state_changing=True)

    @_answer(state_changing=True)
    def acknowledge_rejection(self, chorus_invoice_id, reason):
        """Acknowledge a ``REJETEE`` invoice (``traiterRejet``, sets ``rejetTraite``)."""
        return self._post("/cpro/factures/v1/traiterRejet", {
            "listeDemandePaiement": [{"idDemandePaiement": chorus_invoice_id}],
            "motifRejet": reason or "",
            "cpltInfos": "",
        }, state_changing=True)

    @_answer(state_changing=True)
    def process_received_invoice(self, chorus_invoice_id, new_status, reason=None):
        """Buyer side (``traiter/recue``): lets tests and the demo play the public buyer."""
        return self._post("/cpro/factures/v1/traiter/recue", {
            "idFacture": chorus_invoice_id,
            "nouveauStatut": new_status,
            "motif": reason or "",
        }, state_changing=True)

    # -- structures -------------------------------------------------------------------
    @_answer()
    def search_structure(self, siret):
        """Structures with this SIRET (``structures/v1/rechercher``), public or private."""
        body = self._post("/cpro/structures/v1/rechercher", {
            "structure": {"identifiantStructure": siret, "typeIdentifiantStructure": "SIRET"},
            "restreindreStructuresPrivees": False,
            "parametres": {"nbResultatsParPage": 10, "pageResultatDemandee": 1},
        })
        return [{**s, "structure_id": s.get("idStructureCPP"),
                 "siret": s.get("identifiantStructure"), "name": s.get("designationStructure"),
                 "active": s.get("statut") == "ACTIVE"}
                for s in _as_list(body.get("listeStructures"))]

    @_answer()
    def get_structure(self, structure_id):
        """A structure's details and routing flags (``structures/v1/consulter``)."""
        body = self._post("/cpro/structures/v1/consulter",
                          {"idStructureCPP": structure_id, "codeLangue": "fr"})
        info = _object(body.get("informationGenerales"))
        params = _object(body.get("parametres"))
        return {
            **body,
            "structure_id": structure_id,
            "name": info.get("raisonSocialeStructure") or info.get("libelleStructure"),
            "service_required": bool(params.get("codeServiceDoitEtreRenseigne")),
            "engagement_required": bool(params.get("numeroEJDoitEtreRenseigne")),
            "service_or_engagement": bool(params.get("gestionNumeroEJOuCodeService")),
            "password_expiry": parse_chorus_date(info.get("dateExpirationMotPasseCompteTech")),
        }

    @_answer()
    def search_services(self, structure_id, page_size=1000):
        """Every service of a structure (``rechercher/services``), all pages."""
        items = self._all_pages("/cpro/structures/v1/rechercher/services",
                                {"idStructure": structure_id},
                                "parametresRechercherServicesStructure", "listeServices",
                                page_size)
        return [{**s, "service_id": s.get("idService"), "code": s.get("codeService"),
                 "name": s.get("libelleService"), "active": bool(s.get("estActif"))}
                for s in items]

    @_answer()
    def get_service(self, structure_id, service_id):
        """A service's parameters (``consulter/service``): ``engagement_required``."""
        body = self._post("/cpro/structures/v1/consulter/service",
                          {"idStructure": structure_id, "idService": service_id,
                           "codeLangue": "fr"})
        info = _object(body.get("informationsGenerales"))
        return {**body, "service_id": service_id, "code": info.get("codeService"),
                "name": info.get("nomService"),
                "engagement_required": bool(_object(body.get("parametres"))
                                            .get("numeroEngagement"))}

    @_answer()
    def lookup_structure(self, siret):
        """Everything needed to route an invoice to ``siret``, or None if unknown.

        ``{structure_id, siret, name, active, service_required, engagement_required,
        service_or_engagement, password_expiry, services: [{id, code, name, active,
        engagement_required}]}``.
        """
        found = self.search_structure(siret)
        match = next((s for s in found if s["siret"] == siret), found[0] if found else None)
        if match is None:
            return None
        details = self.get_structure(match["structure_id"])
        services = []
        for service in self.search_services(match["structure_id"]):
            params = self.get_service(match["structure_id"], service["service_id"])
            services.append({"id": service["service_id"], "code": service["code"],
                             "name": service["name"], "active": service["active"],
                             "engagement_required": params["engagement_required"]})
        return {
            "structure_id": match["structure_id"],
            "siret": match["siret"],
            "name": details["name"] or match["name"],
            "active": match["active"],
            "service_required": details["service_required"],
            "engagement_required": details["engagement_required"],
            "service_or_engagement": details["service_or_engagement"],
            "password_expiry": details["password_expiry"],
            "services": services,
        }

    @_answer()
    def search_recipients(self, siret=None, text=None, page_size=50):
        """Public structures by SIRET (or its start) and/or a name, town or postal code
        (``transverses/v1/rechercher/destinataire``, chorus-pro.md §2.3.4); one page.

        ``[{structure_id, siret, name, postal_code, town}]``; none found is an empty list.
        """
        payload = {"typeStructure": "PUBLIQUE",
                   "parametresRecherche": {"nbResultatsParPage": page_size,
                                           "pageResultatDemandee": 1}}
        if siret:
            payload["identifiant"] = siret
        if text:
            payload["nomVilleCodePostal"] = text
        body = self._post("/cpro/transverses/v1/rechercher/destinataire", payload)
        return [{"structure_id": r.get("idStructureCPP"), "siret": r.get("siret"),
                 "name": r.get("nomDestinataire"), "postal_code": r.get("adresseCodePostal"),
                 "town": r.get("adresseVille")}
                for r in _as_list(body.get("listeDestinataires"))]

    @_answer()
    def search_engagements(self, supplier_structure_id, engagement_number):
        """Legal commitments (EJ) issued to our structure with this number."""
        body = self._post("/cpro/engagementsJuridiques/v1/rechercher", {
            "structureReceptriceEngagementJuridique": str(supplier_structure_id),
            "numeroEngagementJuridique": engagement_number,
            "etatCourantEngagementJuridique": "COMMANDE",
        })
        return [{**e, "number": e.get("numeroEngagementJuridique"),
                 "status": e.get("etatCourantEngagementJuridique")}
                for e in _as_list(body.get("listeEngagementJuridique"))]
