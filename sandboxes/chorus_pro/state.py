"""What the Chorus Pro sandbox remembers and how it evolves: flows, invoices, tokens.

HTTP-free so the rules read plainly; ``server.py`` maps routes onto these methods.

Time (sandbox clock, see ``SandboxClock``) drives everything, so tests advance the clock
instead of sleeping:

* flow ladder, counted from the deposit: ``IN_RECU`` at 0, ``IN_TRAITE_SE_CPP`` at 2 min,
  ``IN_EN_ATTENTE_TRAITEMENT_CPP`` at 4 min, ``IN_EN_COURS_TRAITEMENT_CPP`` at 6 min, and
  at 8 min integration: ``IN_INTEGRE`` | ``IN_INTEGRE_PARTIEL`` | ``IN_REJETE`` (or
  ``IN_INCIDENTE`` for an unreadable file);
* an integrated invoice is ``DEPOSEE``, then ``MISE_A_DISPOSITION`` 2 min later; a
  recycled invoice (``DEPOSEE``) or a completed one (``COMPLETEE``) is made available
  again 2 min later. So a deposit is fully available 10 min after it was sent.
* ``process_all`` jumps every flow and invoice to where it ends up, immediately.

assumed (the spec is silent):

* ``listeErreurDP`` holds one entry per error, several per invoice if needed.
* An account sees, in ``rechercher/fournisseur`` and ``consulter/historique``, the invoices
  it deposited and those whose supplier SIRET is its structure's; flows only if it
  deposited them. ``traiter/recue`` (buyer side) accepts any valid account.
* Functional error codes (HTTP 400): 20001 bad request, 20002 bad base64, 20003 bad
  syntax, 20004 unknown object, 20005 routing refused on recycling, 20006 status does
  not allow the action, 20008 attachment refused. "No result" searches on structures
  and engagements answer codeRetour 20000 / ``TRA_MSG_00.015``; ``rechercher/fournisseur``
  answers an empty list with codeRetour 0.
* ``modeDepot`` of a flow invoice is ``DEPOT_FLUX_API``.
* The buyer may act (``traiter/recue``) only while the invoice is with it: from
  ``MISE_A_DISPOSITION``, ``PRISE_EN_COMPTE_DESTINATAIRE``, ``SERVICE_FAIT``, ``MANDATEE``,
  ``MISE_A_DISPOSITION_COMPTABLE``, ``COMPTABILISEE``, ``COMPLETEE``, ``TRANSMISE_MOA``.
"""
import base64
import binascii
import datetime
import itertools
import math
import secrets
import threading
import unicodedata
from dataclasses import dataclass, field

from .checks import (
    INTERFACE_CODES,
    UnreadableFlow,
    check_invoice_document,
    check_routing,
    extract_invoices,
    parse_invoice,
)
from .clock import PARIS
from .pdf import tiny_pdf

LADDER = (
    (0, "IN_RECU"),
    (120, "IN_TRAITE_SE_CPP"),
    (240, "IN_EN_ATTENTE_TRAITEMENT_CPP"),
    (360, "IN_EN_COURS_TRAITEMENT_CPP"),
)
INTEGRATION_DELAY = 480
ROUTING_DELAY = 120
FINAL_FLOW_STATES = {"IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE", "IN_INCIDENTE"}

OK = {"codeRetour": 0, "libelle": "TRA_MSG_00.000"}
NO_RESULT = {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"}

BUYER_TARGETS = {
    "A_RECYCLER", "COMPLETEE", "COMPTABILISEE", "MISE_A_DISPOSITION",
    "MISE_A_DISPOSITION_COMPTABLE", "MISE_EN_PAIEMENT", "PRISE_EN_COMPTE_DESTINATAIRE",
    "REJETEE", "SERVICE_FAIT", "SUSPENDUE", "TRANSMISE_MOA", "MANDATEE",
}
WITH_BUYER = {
    "MISE_A_DISPOSITION", "PRISE_EN_COMPTE_DESTINATAIRE", "SERVICE_FAIT", "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE", "COMPLETEE", "TRANSMISE_MOA",
}
REASON_REQUIRED = {"REJETEE", "SUSPENDUE"}
MAX_FLOW_BYTES = 120 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = {
    "BMP", "GIF", "FAX", "ODT", "PPT", "TIFF", "XLS", "BZ2", "GZ", "JPEG", "P7S", "RTF", "TXT",
    "XML", "CSV", "GZIP", "JPG", "PDF", "SVG", "XHTML", "XLSX", "DOC", "HTM", "ODP", "PNG", "TGZ",
    "XLC", "ZIP", "DOCX", "HTML", "ODS", "PPS", "TIF", "XLM", "PPTX",
}


class ApiError(Exception):
    """A refusal the API answers with ``{codeRetour, libelle}`` and an HTTP status."""

    def __init__(self, http_status, code, message):
        super().__init__(message)
        self.http_status = http_status
        self.payload = {"codeRetour": code, "libelle": message}


def _minute(moment):
    return moment.strftime("%Y-%m-%d %H:%M")


def _iso_date(value):
    """``YYYY-MM-DD``, the format of ``dateDepot`` (spec §2.2), whatever the syntax wrote
    (CII's format 102 is ``YYYYMMDD``)."""
    text = (value or "").strip()
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text[:10] or None


def _iso(moment):
    """The naive Paris time of the clock with its offset, as in the flow reports."""
    return moment.replace(tzinfo=PARIS).isoformat(timespec="milliseconds")


def _amount(value):
    return float(value) if value is not None else None


def _required(body, key):
    value = body.get(key)
    if value in (None, ""):
        raise ApiError(400, 20001, f"Le paramètre {key} est obligatoire.")
    return value


def _int(body, key):
    try:
        return int(_required(body, key))
    except (TypeError, ValueError) as exc:
        raise ApiError(400, 20001, f"Le paramètre {key} doit être un entier.") from exc


def _b64(value, what):
    try:
        return base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ApiError(400, 20002, f"Le contenu de {what} n'est pas encodé en base 64.") from exc


def _fold(text):
    """Lower case without accents, for the directory's free-text search."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def page(items, params):
    """Slice ``items`` as asked by a pagination sub-object; returns (slice, parametresRetour)."""
    params = params or {}
    size = max(1, int(params.get("nbResultatsParPage") or 10))
    current = max(1, int(params.get("pageResultatDemandee") or 1))
    start = (current - 1) * size
    return items[start:start + size], {
        "nbResultatsParPage": size,
        "pageCourante": current,
        "pages": math.ceil(len(items) / size),
        "total": len(items),
    }


@dataclass
class Flow:
    number: str
    filename: str
    syntax: str
    login: str
    deposited_at: datetime.datetime
    content: bytes
    status: str = "IN_RECU"
    status_at: datetime.datetime = None
    errors_dp: list = field(default_factory=list)
    errors_tech: list = field(default_factory=list)
    invoice_ids: list = field(default_factory=list)

    @property
    def final(self):
        return self.status in FINAL_FLOW_STATES


@dataclass
class Invoice:
    id: int
    number: str
    flow_number: str
    login: str
    data: object
    deposited_at: datetime.datetime
    status: str = "DEPOSEE"
    status_at: datetime.datetime = None
    comment: str = None
    rejet_traite: bool = False
    routing_due: datetime.datetime = None
    history: list = field(default_factory=list)
    actions: list = field(default_factory=list)


class ChorusPlatform:
    """The state behind the sandbox's API; every public method is thread-safe."""

    def __init__(self, directory, clock, token_ttl=3600, single_error_as_object=False):
        self.directory = directory
        self.clock = clock
        self.token_ttl = token_ttl
        self.single_error_as_object = single_error_as_object
        self.lock = threading.RLock()
        self.tokens = {}
        self.flows = {}
        self.invoices = {}
        self.attachments = {}
        self.stats = {"token_requests": 0, "calls": {}}
        self._flow_seq = itertools.count(1)
        self._invoice_seq = itertools.count(1000001)
        self._history_seq = itertools.count(8548001)
        self._attachment_seq = itertools.count(10321501)

    # -- authentication -------------------------------------------------------------
    def issue_token(self, client_id, client_secret):
        """A new bearer token, or None when the client credentials are wrong."""
        with self.lock:
            self.stats["token_requests"] += 1
            if (client_id, client_secret) != (self.directory.client_id,
                                              self.directory.client_secret):
                return None
            token = secrets.token_urlsafe(32)
            self.tokens[token] = self.clock.now() + datetime.timedelta(seconds=self.token_ttl)
            return {"access_token": token, "token_type": "Bearer",
                    "expires_in": self.token_ttl, "scope": "openid"}

    def token_is_valid(self, token):
        with self.lock:
            expiry = self.tokens.get(token)
            return expiry is not None and self.clock.now() < expiry

    def count_call(self, path):
        with self.lock:
            self.stats["calls"][path] = self.stats["calls"].get(path, 0) + 1

    # -- time -----------------------------------------------------------------------
    def tick(self, force=False):
        """Bring flows and invoices up to the clock; ``force`` finishes everything now."""
        with self.lock:
            now = self.clock.now()
            for flow in sorted(self.flows.values(), key=lambda f: f.number):
                if flow.final:
                    continue
                elapsed = (now - flow.deposited_at).total_seconds()
                if force or elapsed >= INTEGRATION_DELAY:
                    at = now if force else flow.deposited_at + datetime.timedelta(
                        seconds=INTEGRATION_DELAY)
                    self._integrate(flow, at)
                    continue
                offset, status = [step for step in LADDER if step[0] <= elapsed][-1]
                flow.status = status
                flow.status_at = flow.deposited_at + datetime.timedelta(seconds=offset)
            for invoice in self.invoices.values():
                due = invoice.routing_due
                if due is not None and (force or due <= now):
                    invoice.routing_due = None
                    self._set_status(invoice, "MISE_A_DISPOSITION", min(due, now))

    def _set_status(self, invoice, status, at, comment=None):
        invoice.status = status
        invoice.status_at = at
        invoice.comment = comment
        invoice.history.append({
            "histoStatutId": next(self._history_seq),
            "histoStatutCode": status,
            "histoStatutDatePassage": _minute(at),
            "histoStatutCommentaire": comment,
            "histoStatutUtilisateurNom": None,
            "histoStatutUtilisateurPrenom": None,
            "histoStatutUtilisateurEmail": None,
            "histoStatutUtilisateurTelephone": None,
        })

    def _live_numbers(self):
        return {(i.data.supplier_siret, i.number) for i in self.invoices.values()
                if i.status != "REJETEE"}

    def _integrate(self, flow, at):
        flow.status_at = at
        try:
            documents = extract_invoices(flow.content, flow.filename, flow.syntax)
        except UnreadableFlow as exc:
            flow.status = "IN_INCIDENTE"
            flow.errors_tech = [{"codeErreur": "FICHIER_ILLISIBLE", "libelleErreur": str(exc),
                                 "natureErreur": "TECHNIQUE"}]
            flow.content = b""
            return
        live = self._live_numbers()
        account_siret = next((a.supplier_siret for a in self.directory.accounts
                              if a.login == flow.login), None)
        rejected = 0
        for number, xml_bytes in documents:
            errors = check_invoice_document(xml_bytes, flow.syntax, self.directory, live,
                                            account_siret=account_siret)
            if errors:
                rejected += 1
                flow.errors_dp += [{
                    "numeroDP": number,
                    "libelleErreurDP": e["message"],
                    "identifiantFournisseur": e["supplier_siret"] or "",
                    "identifiantDestinataire": e["buyer_siret"] or "",
                } for e in errors]
                continue
            data = parse_invoice(xml_bytes, flow.syntax)
            invoice = Invoice(id=next(self._invoice_seq), number=data.number,
                              flow_number=flow.number, login=flow.login, data=data,
                              deposited_at=flow.deposited_at)
            self._set_status(invoice, "DEPOSEE", at)
            invoice.routing_due = at + datetime.timedelta(seconds=ROUTING_DELAY)
            self.invoices[invoice.id] = invoice
            flow.invoice_ids.append(invoice.id)
            live.add((data.supplier_siret, data.number))
        if not rejected:
            flow.status = "IN_INTEGRE"
        elif rejected == len(documents):
            flow.status = "IN_REJETE"
        else:
            flow.status = "IN_INTEGRE_PARTIEL"
        flow.content = b""

    # -- helpers ----------------------------------------------------------------------
    def _visible(self, invoice, account):
        return invoice.login == account.login or \
            invoice.data.supplier_siret == account.supplier_siret

    def _invoice(self, invoice_id, account=None):
        invoice = self.invoices.get(invoice_id)
        if invoice is None or (account is not None and not self._visible(invoice, account)):
            raise ApiError(400, 20004, f"La facture {invoice_id} n'existe pas ou n'est pas "
                           "accessible.")
        return invoice

    def _flow(self, number, account):
        flow = self.flows.get(number)
        if flow is None or flow.login != account.login:
            raise ApiError(400, 20004, f"Le flux {number} n'existe pas ou n'est pas accessible.")
        return flow

    def _structure(self, structure_id):
        structure = self.directory.structure_by_id(structure_id)
        if structure is None:
            raise ApiError(400, 20004, f"La structure {structure_id} n'existe pas.")
        return structure

    def invoice_item(self, invoice):
        """An invoice as ``rechercher/fournisseur`` lists it."""
        data = invoice.data
        buyer = self.directory.structure_by_siret(data.buyer_siret)
        supplier = self.directory.structure_by_siret(data.supplier_siret)
        service = buyer.service(data.service_code) if buyer and data.service_code else None
        return {
            "identifiantFactureCPP": invoice.id,
            "numeroFacture": invoice.number,
            "statut": invoice.status,
            "typeFacture": data.invoice_type,
            "typeDemandePaiement": "FACTURE",
            "dateFacture": _iso_date(data.issue_date),
            "dateDepot": invoice.deposited_at.date().isoformat(),
            "dateHeureEtatCourant": _minute(invoice.status_at),
            "commentaireEtatCourant": invoice.comment,
            "rejetTraite": invoice.rejet_traite,
            "montantHT": _amount(data.total_ht),
            "montantTTC": _amount(data.total_ttc),
            "montantAPayer": _amount(data.payable),
            "devise": data.currency,
            "codeFournisseur": data.supplier_siret,
            "typeIdentifiantFournisseur": "SIRET",
            "designationFournisseur": supplier.name if supplier else data.supplier_name,
            "idDestinataire": buyer.id if buyer else None,
            "codeDestinataire": data.buyer_siret,
            "designationDestinataire": buyer.name if buyer else None,
            "idServiceExecutant": service.id if service else None,
            "codeServiceExecutant": data.service_code,
            "nomServiceExecutant": service.name if service else None,
            "numeroBonCommande": data.engagement,
            "numeroMarche": data.market,
            "numeroFluxDepot": invoice.flow_number,
            "modeDepot": "DEPOT_FLUX_API",
        }

    # -- factures -------------------------------------------------------------------
    def deposit(self, account, body):
        syntax = _required(body, "syntaxeFlux")
        filename = _required(body, "nomFichier")
        if syntax not in INTERFACE_CODES:
            raise ApiError(400, 20003, f"La syntaxe du flux {syntax} n'est pas valide.")
        content = _b64(_required(body, "fichierFlux"), "fichierFlux")
        if len(content) > MAX_FLOW_BYTES:
            raise ApiError(413, 20001, "Le flux dépasse la taille maximale autorisée.")
        with self.lock:
            now = self.clock.now()
            number = f"CPP001{INTERFACE_CODES[syntax]}{next(self._flow_seq):015d}"
            self.flows[number] = Flow(number=number, filename=filename, syntax=syntax,
                                      login=account.login, deposited_at=now, content=content,
                                      status_at=now)
        return {**OK, "numeroFluxDepot": number, "dateDepot": now.date().isoformat(),
                "syntaxeFlux": syntax}

    def search_supplier(self, account, body):
        with self.lock:
            found = [i for i in self.invoices.values() if self._visible(i, account)]
            if body.get("numeroFluxDepot"):
                found = [i for i in found if i.flow_number == body["numeroFluxDepot"]]
            if body.get("numeroFacture"):
                found = [i for i in found if i.number == body["numeroFacture"]]
            if body.get("statutCourant"):
                found = [i for i in found if i.status in body["statutCourant"]]
            found.sort(key=lambda i: i.id)
            items, paging = page(found, body.get("rechercheFactureParFournisseur"))
            return {**OK, "listeFactures": [self.invoice_item(i) for i in items],
                    "parametresRetour": paging}

    def history(self, account, body):
        with self.lock:
            invoice = self._invoice(_int(body, "idFacture"), account)
            statuses = list(reversed(invoice.history))
            actions = list(reversed(invoice.actions))
            return {
                **OK,
                "idFacture": invoice.id,
                "numeroFacture": invoice.number,
                "modeDepot": "DEPOT_FLUX_API",
                "statutCourantCode": invoice.status,
                "historiquesDesStatuts": {
                    "histoStatut": statuses,
                    "nbResultatsParPageHistoStatut": len(statuses),
                    "pageCouranteHistoStatut": 1,
                    "pagesHistoStatut": 1,
                    "totalHistoStatut": len(statuses),
                },
                "historiquesDesEvenementsComplementaires": {
                    "evenement": [], "nbResultatsParPageEvenement": 0,
                    "pageCouranteEvenement": 1, "pagesEvenement": 0, "totalEvenement": 0,
                },
                "historiquesDesActionsUtilisateurs": {
                    "histoAction": actions, "nbResultatsParPageHistoAction": len(actions),
                    "pageCouranteHistoAction": 1, "pagesHistoAction": 1 if actions else 0,
                    "totalHistoAction": len(actions),
                },
                "derniereAction": {
                    "derniereActionId": actions[0]["histoActionId"],
                    "derniereActionCode": actions[0]["histoActionCode"],
                } if actions else None,
            }

    def process_received(self, account, body):
        """Buyer side (``traiter/recue``): move an invoice along its life cycle."""
        status = _required(body, "nouveauStatut")
        reason = (body.get("motif") or "").strip() or None
        if status not in BUYER_TARGETS:
            raise ApiError(400, 20006, f"Le statut {status} ne peut pas être attribué par le "
                           "destinataire.")
        if status in REASON_REQUIRED and not reason:
            raise ApiError(400, 20001, f"Le motif est obligatoire pour le statut {status}.")
        with self.lock:
            invoice = self._invoice(_int(body, "idFacture"))
            if invoice.status not in WITH_BUYER or invoice.status == status:
                raise ApiError(400, 20006, f"La facture au statut {invoice.status} ne peut pas "
                               f"passer au statut {status}.")
            now = self.clock.now()
            self._set_status(invoice, status, now, reason)
            return {**OK, "idFacture": invoice.id, "numeroFacture": invoice.number,
                    "statutFacture": status, "dateTraitement": _minute(now)}

    def recycle(self, account, body):
        recipient = body.get("destinataire") or {}
        buyer_siret = (recipient.get("codeDestinataire") or "").strip()
        if not buyer_siret:
            raise ApiError(400, 20001, "Le paramètre destinataire.codeDestinataire est "
                           "obligatoire.")
        service_code = (recipient.get("codeServiceExecutant") or "").strip() or None
        references = body.get("reference") or {}
        with self.lock:
            invoice = self._invoice(_int(body, "identifiantFactureCPP"), account)
            if invoice.status != "A_RECYCLER":
                raise ApiError(400, 20006, f"La facture au statut {invoice.status} ne peut pas "
                               "être recyclée.")
            engagement = (references.get("numeroBonCommande") or "").strip() \
                or invoice.data.engagement
            errors = check_routing(self.directory, buyer_siret, service_code, engagement)
            if errors:
                raise ApiError(400, 20005, errors[0][1])
            invoice.data.buyer_siret = buyer_siret
            invoice.data.service_code = service_code
            invoice.data.engagement = engagement
            now = self.clock.now()
            self._set_status(invoice, "DEPOSEE", now, (body.get("commentaire") or None))
            invoice.routing_due = now + datetime.timedelta(seconds=ROUTING_DELAY)
            return {**OK, "dateDepot": _minute(now), "identifiantFactureCPP": invoice.id,
                    "numeroFacture": invoice.number, "statutFacture": "DEPOSEE"}

    def complete(self, account, body):
        pieces = body.get("pieceJointeComplementaire") or []
        with self.lock:
            invoice = self._invoice(_int(body, "identifiantFactureCPP"), account)
            if invoice.status != "SUSPENDUE":
                raise ApiError(400, 20006, f"La facture au statut {invoice.status} ne peut pas "
                               "être complétée.")
            for piece in pieces:
                if piece.get("pieceJointeComplementaireId") not in self.attachments:
                    raise ApiError(400, 20008, f"La pièce jointe "
                                   f"{piece.get('pieceJointeComplementaireId')} de type inconnu "
                                   "n'existe pas.")
            if not pieces and not (body.get("commentaire") or "").strip():
                raise ApiError(400, 20001, "Une pièce jointe ou un commentaire est obligatoire.")
            now = self.clock.now()
            self._set_status(invoice, "COMPLETEE", now, body.get("commentaire") or None)
            invoice.routing_due = now + datetime.timedelta(seconds=ROUTING_DELAY)
            return {**OK, "dateTraitement": _minute(now), "identifiantFactureCPP": invoice.id,
                    "numeroFacture": invoice.number}

    def acknowledge_rejection(self, account, body):
        requests_ = body.get("listeDemandePaiement") or []
        if not requests_:
            raise ApiError(400, 20001, "Le paramètre listeDemandePaiement est obligatoire.")
        with self.lock:
            invoices = [self._invoice(_int(r, "idDemandePaiement"), account) for r in requests_]
            for invoice in invoices:
                if invoice.status != "REJETEE":
                    raise ApiError(400, 20006, f"La facture {invoice.id} n'est pas rejetée.")
            for invoice in invoices:
                invoice.rejet_traite = True
                invoice.actions.append({
                    "histoActionId": next(self._history_seq),
                    "histoActionCode": "TRAITEMENT_REJET",
                    "histoActionDateHeure": _minute(self.clock.now()),
                    "histoActionUtilisateurNom": None,
                    "histoActionUtilisateurPrenom": None,
                    "histoActionUtilisateurEmail": None,
                    "histoActionUtilisateurTelephone": None,
                })
            return dict(OK)

    # -- transverses ------------------------------------------------------------------
    def _flow_report_head(self, flow):
        return {
            "codeInterfaceDepotFlux": f"FSO{INTERFACE_CODES[flow.syntax]}A",
            "dateDepotFlux": _iso(flow.deposited_at),
            "dateHeureEtatCourantFlux": _iso(flow.status_at),
            "nomFichier": f"FSO{INTERFACE_CODES[flow.syntax]}A_CPP001_{flow.number}",
        }

    def detailed_report(self, account, body):
        with self.lock:
            flow = self._flow(_required(body, "numeroFluxDepot"), account)
            errors = list(flow.errors_dp)
            if self.single_error_as_object and len(errors) == 1:
                errors = errors[0]
            return {**OK, **self._flow_report_head(flow),
                    "etatCourantDepotFlux": flow.status,
                    "listeErreurDP": errors,
                    "listeErreurTechnique": list(flow.errors_tech)}

    def report(self, account, body):
        with self.lock:
            flow = self._flow(_required(body, "numeroFluxDepot"), account)
            head = self._flow_report_head(flow)
            lines = [f"Compte rendu d'intégration du flux {flow.number}",
                     f"Fichier : {flow.filename}", f"État : {flow.status}"]
            lines += [f"{e['numeroDP']} : {e['libelleErreurDP']}" for e in flow.errors_dp]
            lines += [e["libelleErreur"] for e in flow.errors_tech]
            return {**OK, "numeroFluxDepot": flow.number, "nomFichierFlux": flow.filename,
                    "dateDepotFlux": head["dateDepotFlux"],
                    "dateHeureEtatCourantFlux": head["dateHeureEtatCourantFlux"],
                    "etatCourantFlux": flow.status,
                    "codeInterfaceFlux": head["codeInterfaceDepotFlux"],
                    "codeAppliPartenaire": None, "designationPartenaire": None,
                    "fichierCR": base64.b64encode(tiny_pdf(lines)).decode("ascii")}

    def add_file(self, account, body):
        name = _required(body, "pieceJointeNom")
        extension = str(_required(body, "pieceJointeExtension")).upper().lstrip(".")
        content = _b64(_required(body, "pieceJointeFichier"), "pieceJointeFichier")
        if len(name) > 50 or "." not in name:
            raise ApiError(400, 20008, "Le nom de la pièce jointe doit comporter une extension "
                           "et 50 caractères au plus.")
        if extension not in ATTACHMENT_EXTENSIONS:
            raise ApiError(400, 20008, f"L'extension {extension} n'est pas autorisée.")
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ApiError(413, 20008, "La pièce jointe dépasse 10 Mo.")
        with self.lock:
            attachment_id = next(self._attachment_seq)
            self.attachments[attachment_id] = {"name": name, "size": len(content)}
        return {**OK, "pieceJointeId": attachment_id}

    # -- structures -------------------------------------------------------------------
    def search_structures(self, account, body):
        criteria = body.get("structure") or {}
        restrict = body.get("restreindreStructuresPrivees", True) is not False
        own_siret = account.supplier_siret
        found = [s for s in self.directory.structures
                 if not restrict or s.type == "PUBLIQUE" or s.siret == own_siret]
        if criteria.get("identifiantStructure"):
            found = [s for s in found if s.siret == criteria["identifiantStructure"].strip()]
        if criteria.get("typeStructure"):
            found = [s for s in found if s.type == criteria["typeStructure"]]
        if criteria.get("statutStructure"):
            wanted = criteria["statutStructure"] == "ACTIF"
            found = [s for s in found if s.active == wanted]
        if criteria.get("raisonSocialeStructure"):
            needle = criteria["raisonSocialeStructure"].lower()
            found = [s for s in found if needle in s.name.lower()]
        if not found:
            return dict(NO_RESULT, listeStructures=[])
        items, paging = page(found, body.get("parametres"))
        return {**OK, "parametresRetour": paging, "listeStructures": [{
            "idStructureCPP": s.id,
            "identifiantStructure": s.siret,
            "typeIdentifiantStructure": "SIRET",
            "designationStructure": s.name,
            "statut": "ACTIVE" if s.active else "INACTIVE",
        } for s in items]}

    def search_recipients(self, account, body):
        """``transverses/v1/rechercher/destinataire`` (chorus-pro.md §2.3.4): public
        structures by SIRET and by one free text matched on the name, the town or the
        postal code.

        assumed: ``identifiant`` matches the start of the SIRET, ``nomVilleCodePostal``
        any part of the name, town or postal code, ignoring case and accents; inactive
        structures are listed too (the directory check says they are inactive).
        """
        found = [s for s in self.directory.structures
                 if s.type == (body.get("typeStructure") or "PUBLIQUE")]
        identifier = (body.get("identifiant") or "").replace(" ", "")
        if identifier:
            found = [s for s in found if s.siret.startswith(identifier)]
        text = _fold(body.get("nomVilleCodePostal") or "")
        if text:
            found = [s for s in found
                     if text in _fold(s.name) or text in _fold(s.town)
                     or s.postal_code.startswith(text)]
        if not found:
            return dict(NO_RESULT, listeDestinataires=[])
        items, paging = page(found, body.get("parametresRecherche"))
        return {**OK, "parametresRetour": paging, "listeDestinataires": [{
            "idStructureCPP": s.id,
            "siret": s.siret,
            "nomDestinataire": s.name,
            "adresseCodePostal": s.postal_code,
            "adresseVille": s.town,
        } for s in items]}

    def get_structure(self, account, body):
        structure = self._structure(_int(body, "idStructureCPP"))
        expiry = account.password_expiry
        return {**OK, "adressePostaleDuSiege": {
            "pays": "FR", "codePostal": structure.postal_code, "ville": structure.town,
        }, "informationGenerales": {
            "idStructureCPP": structure.id,
            "identifiantStructure": structure.siret,
            "typeIdentifiantStructure": "SIRET",
            "libelleStructure": structure.name,
            "raisonSocialeStructure": structure.name,
            "structurePriveePublique": structure.type,
            "dateExpirationMotPasseCompteTech": expiry.isoformat() if expiry else None,
        }, "parametres": {
            "codeServiceDoitEtreRenseigne": structure.service_required,
            "numeroEJDoitEtreRenseigne": structure.engagement_required,
            "gestionNumeroEJOuCodeService": structure.service_or_engagement,
            "statutMiseEnPaiementNestPasRemonte": False,
            "connexionEDI": False,
            "recevoirDonneesViaEDI": False,
            "estMoaUniquement": False,
            "estValideurDelegue": False,
            "nonDiffusibleInsee": False,
            "getaMoa": False,
        }}

    def search_services(self, account, body):
        structure = self._structure(_int(body, "idStructure"))
        params = body.get("parametresRechercherServicesStructure") or {}
        services = sorted(structure.services, key=lambda s: s.code)
        items, paging = page(services, params)
        return {**OK, "parametresRetour": paging, "listeServices": [{
            "idService": s.id,
            "codeService": s.code,
            "libelleService": s.name,
            "estActif": s.active,
            "statutService": "ACTIF" if s.active else "INACTIF",
            "dateDbtService": "2016-10-25 17:42",
            "dateFinService": "2050-12-31 00:00" if s.active else "2020-12-31 00:00",
        } for s in items]}

    def get_service(self, account, body):
        structure = self._structure(_int(body, "idStructure"))
        service = structure.service_by_id(_int(body, "idService"))
        if service is None:
            raise ApiError(400, 20004, f"Le service {body['idService']} n'existe pas pour la "
                           f"structure {structure.id}.")
        return {**OK, "adressePostale": {"pays": "FR"}, "informationsGenerales": {
            "codeService": service.code,
            "nomService": service.name,
            "descriptionService": service.name,
        }, "parametres": {
            "numeroEngagement": service.engagement_required,
            "miseEnPaiement": True,
            "dateCreation": "2016-10-25",
            "dateDebutValidite": "2016-10-25",
            "dateFinValidite": "2050-12-31" if service.active else "2020-12-31",
            "dateModification": "2016-10-25",
        }}

    def search_engagements(self, account, body):
        supplier_id = str(body.get("structureReceptriceEngagementJuridique") or "")
        number = (body.get("numeroEngagementJuridique") or "").strip()
        state = body.get("etatCourantEngagementJuridique")
        found = [e for e in self.directory.engagements
                 if (not supplier_id or str(e.supplier_structure_id) == supplier_id)
                 and (not number or e.number == number)
                 and (not state or e.status == state)]
        if not found:
            return dict(NO_RESULT, listeEngagementJuridique=[])
        items = []
        for e in found:
            buyer = self.directory.structure_by_id(e.buyer_structure_id)
            items.append({
                "numeroEngagementJuridique": e.number,
                "etatCourantEngagementJuridique": e.status,
                "idStructureReceptrice": e.supplier_structure_id,
                "idStructureEmettrice": e.buyer_structure_id,
                "identifiantStructureEmettrice": buyer.siret if buyer else None,
                "designationStructureEmettrice": buyer.name if buyer else None,
            })
        return {**OK, "listeEngagementJuridique": items}

    # -- admin ------------------------------------------------------------------------
    def set_status(self, body):
        """Test-only twin of ``traiter/recue`` that needs no account."""
        return self.process_received(None, body)

    def invoice_summaries(self):
        with self.lock:
            return [{**self.invoice_item(i), "historique": [h["histoStatutCode"]
                                                             for h in i.history]}
                    for i in sorted(self.invoices.values(), key=lambda i: i.id)]

    def flow_summaries(self):
        with self.lock:
            return [{"numeroFluxDepot": f.number, "nomFichier": f.filename,
                     "syntaxeFlux": f.syntax, "etatCourantDepotFlux": f.status,
                     "listeErreurDP": list(f.errors_dp),
                     "listeErreurTechnique": list(f.errors_tech),
                     "identifiantsFactureCPP": list(f.invoice_ids)}
                    for f in sorted(self.flows.values(), key=lambda f: f.number)]

    def reset(self):
        """Forget flows, invoices and attachments (tokens and counters stay)."""
        with self.lock:
            self.flows.clear()
            self.invoices.clear()
            self.attachments.clear()
