"""Dilifac's side of the account: takes uploads from ``I/``, answers in ``O/`` (dilifac.md).

Per complete upload (``I/<name>`` and ``I/<name>.rdy``; ``.tmp`` files and files without
marker are left alone), the file and its marker are moved to ``I/.done/`` (so a consumed
name stays visible and is never reused), then:

* Dilifac technical control fails -> ``DILIFAC REJETE`` with a ``DLF-00x`` code and a
  French message (no ``RECU``: received means "passed the control, kept in the vault").
* otherwise ``DILIFAC RECU`` then ``DILIFAC TRANSMIS``, and Chorus Pro's integration
  checks (``sandboxes.chorus_pro.checks``, the same as the API sandbox):

  * accepted -> ``CHORUS MISE_A_DISPOSITION`` with a new Chorus invoice id;
  * refused -> ``CHORUS REJETEE`` with the first Chorus error code, every message, and
    no Chorus invoice id: the invoice never existed in Chorus Pro, so (unlike a buyer's
    REJETEE, which carries the id) the bookseller fixes it and sends it again under the
    same number and a new file name.

``set_chorus_status`` plays the buyer afterwards (SERVICE_FAIT, MISE_EN_PAIEMENT...).

Events are queued and written together as ``O/NOTIF_<YYYYMMDDHHMMSS>_<seq>.csv`` (then
its ``.rdy``) once ``clock()`` reaches their release time: the next calendar day at
``release_time`` (assumed: 10:00, weekends not skipped), or at once with
``immediate=True``. The state (queue, known invoices, counters) is a JSON file under
``.sandbox/`` guarded by a file lock, so a second process may queue buyer statuses.
"""
import contextlib
import datetime
import fcntl
import json
import os
from pathlib import Path

from lxml import etree

from sandboxes.chorus_pro.checks import (
    SYNTAX_UBL,
    UBL_ROOTS,
    DocumentError,
    check_invoice_document,
    parse_invoice,
)
from sandboxes.chorus_pro.clock import paris_now
from sandboxes.chorus_pro.directory import load_directory

from .notifications import NotificationLine, render_notification_file
from .sshd import CONSUMED_DIR, STATE_DIR

MARKER_SUFFIX = ".rdy"
TMP_SUFFIX = ".tmp"
GLN_SCHEME = "0088"
STATE_GLN = "3025594697303"
STATE_SIRET = "11000201100044"
LOCAL_AUTHORITIES_GLN = "3025594696108"
DEFAULT_RELEASE_TIME = datetime.time(10, 0)
# Statuses a buyer can set (chorus-pro.md §4.2, traiter/recue); a motif is required for two.
BUYER_STATUSES = {
    "A_RECYCLER", "COMPLETEE", "COMPTABILISEE", "MISE_A_DISPOSITION",
    "MISE_A_DISPOSITION_COMPTABLE", "MISE_EN_PAIEMENT", "PRISE_EN_COMPTE_DESTINATAIRE",
    "REJETEE", "SERVICE_FAIT", "SUSPENDUE", "TRANSMISE_MOA", "MANDATEE",
}
REASON_REQUIRED = {"REJETEE", "SUSPENDUE"}

_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def gln_is_valid(value):
    """13 digits with a correct GS1 check digit."""
    if not value or len(value) != 13 or not value.isdigit():
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(value[:12]))
    return (10 - total % 10) % 10 == int(value[12])


def _gln(root, party):
    for node in root.findall(f"cac:{party}/cac:Party/cbc:EndpointID", _NS):
        if node.get("schemeID") == GLN_SCHEME:
            return (node.text or "").strip()
    return None


def dilifac_errors(xml_bytes, buyer_siret=None):
    """Dilifac's technical control: ``[(code, French message)]``, empty when it passes."""
    try:
        root = etree.fromstring(xml_bytes, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return [("DLF-001", f"Fichier XML mal formé : {exc}")]
    if root.tag not in UBL_ROOTS:
        return [("DLF-002", "Le fichier n'est pas une facture ou un avoir UBL 2.1.")]
    errors = []
    issuer, recipient = _gln(root, "AccountingSupplierParty"), _gln(root, "AccountingCustomerParty")
    if not gln_is_valid(issuer):
        errors.append(("DLF-003", f"GLN Dilifac de l'émetteur absent ou invalide "
                       f"({issuer or 'absent'}) : EndpointID schemeID=\"0088\" du fournisseur "
                       "attendu."))
    if not gln_is_valid(recipient):
        errors.append(("DLF-004", f"GLN du destinataire absent ou invalide "
                       f"({recipient or 'absent'}) : EndpointID schemeID=\"0088\" du client "
                       "attendu."))
    elif (recipient == STATE_GLN) != (buyer_siret == STATE_SIRET):
        errors.append(("DLF-005", f"GLN destinataire {recipient} incohérent avec le débiteur "
                       f"{buyer_siret or 'absent'} : les administrations de l'État utilisent "
                       f"le GLN {STATE_GLN} et le SIRET {STATE_SIRET}, les collectivités "
                       f"territoriales le GLN {LOCAL_AUTHORITIES_GLN} et leur propre SIRET."))
    return errors


class DilifacProcessor:
    """Consumes ``root_dir/I`` and writes notifications to ``root_dir/O``.

    ``clock`` is a callable returning the current naive datetime (default: the real
    time); ``directory`` a ``sandboxes.chorus_pro.directory.Directory`` (default: loaded
    from ``seed_path`` or the shared seed).
    """

    def __init__(
        self,
        root_dir,
        directory=None,
        clock=None,
        seed_path=None,
        immediate=False,
        release_time=DEFAULT_RELEASE_TIME,
        upload_dir="I",
        outbox_dir="O",
    ):
        self.root = Path(root_dir)
        self.directory = directory or load_directory(seed_path)
        self.clock = clock or paris_now  # Dilifac writes Paris time, as Chorus Pro
        self.immediate = immediate
        self.release_time = release_time
        self.upload_dir = self.root / upload_dir
        self.outbox_dir = self.root / outbox_dir
        self.consumed_dir = self.root / CONSUMED_DIR
        self.state_path = self.root / STATE_DIR / "processor.json"

    # -- public -------------------------------------------------------------------------

    def run_once(self):
        """Consume every complete upload, then write the notifications due. Returns the
        names consumed, in arrival order."""
        with self._state() as state:
            names = self.complete_uploads()
            for name in names:
                self._consume(state, name)
            self._flush(state)
        return names

    def complete_uploads(self):
        """Uploads with their marker, oldest marker first."""
        if not self.upload_dir.is_dir():
            return []
        present = {p.name for p in self.upload_dir.iterdir() if p.is_file()}
        names = [
            n for n in present
            if not n.startswith(".") and not n.endswith((MARKER_SUFFIX, TMP_SUFFIX))
            and n + MARKER_SUFFIX in present
        ]
        marker_time = {n: (self.upload_dir / (n + MARKER_SUFFIX)).stat().st_mtime for n in names}
        return sorted(names, key=lambda n: (marker_time[n], n))

    def set_chorus_status(self, invoice_number, status, reason=None):
        """Play the buyer: queue ``CHORUS <status>`` for an invoice made available."""
        if status not in BUYER_STATUSES:
            raise ValueError(f"{status} is not a status a buyer can set: {sorted(BUYER_STATUSES)}")
        if status in REASON_REQUIRED and not reason:
            raise ValueError(f"a reason is required for {status}")
        with self._state() as state:
            invoice = state["invoices"].get(invoice_number)
            if not invoice or not invoice.get("chorus_id"):
                raise ValueError(f"invoice {invoice_number} was not made available in Chorus Pro")
            invoice["status"] = status
            self._queue(state, "CHORUS", invoice_number, invoice["dilifac_id"], status,
                        chorus_id=invoice["chorus_id"], message=reason)
            self._flush(state)

    def pending_notifications(self):
        """How many events wait for their release time."""
        with self._state() as state:
            return len(state["queue"])

    # -- processing ---------------------------------------------------------------------

    def _consume(self, state, name):
        source = self.upload_dir / name
        content = source.read_bytes()
        self.consumed_dir.mkdir(parents=True, exist_ok=True)
        target = _free_name(self.consumed_dir, name)
        os.rename(source, self.consumed_dir / target)
        os.rename(self.upload_dir / (name + MARKER_SUFFIX),
                  self.consumed_dir / (target + MARKER_SUFFIX))

        state["dilifac_seq"] += 1
        dilifac_id = f"DLF{self.clock():%Y%m%d}{state['dilifac_seq']:06d}"
        try:
            data = parse_invoice(content, SYNTAX_UBL)
        except DocumentError:
            data = None
        number = (data.number if data else None) or name.rsplit(".", 1)[0]
        errors = dilifac_errors(content, data.buyer_siret if data else None)
        if errors:
            self._queue(state, "DILIFAC", number, dilifac_id, "REJETE", errors=errors)
            return
        self._queue(state, "DILIFAC", number, dilifac_id, "RECU")
        self._queue(state, "DILIFAC", number, dilifac_id, "TRANSMIS")
        deposited = {
            (i["supplier_siret"], n) for n, i in state["invoices"].items()
            if i.get("chorus_id") and i.get("status") != "REJETEE"
        }
        chorus_errors = check_invoice_document(content, SYNTAX_UBL, self.directory, deposited)
        if chorus_errors:
            pairs = [(e["code"], e["message"]) for e in chorus_errors]
            self._queue(state, "CHORUS", number, dilifac_id, "REJETEE", errors=pairs)
            return
        state["chorus_seq"] += 1
        chorus_id = str(state["chorus_seq"])
        state["invoices"][number] = {
            "dilifac_id": dilifac_id, "chorus_id": chorus_id,
            "supplier_siret": data.supplier_siret, "status": "MISE_A_DISPOSITION",
        }
        self._queue(state, "CHORUS", number, dilifac_id, "MISE_A_DISPOSITION", chorus_id=chorus_id)

    def _queue(self, state, source, number, dilifac_id, status, chorus_id=None, errors=(),
               message=None):
        now = self.clock()
        release = now if self.immediate else datetime.datetime.combine(
            now.date() + datetime.timedelta(days=1), self.release_time
        )
        state["queue"].append({
            "release": release.isoformat(),
            "source": source,
            "invoice_number": number,
            "dilifac_id": dilifac_id,
            "chorus_invoice_id": chorus_id,
            "status": status,
            "date": now.isoformat(),
            "error_code": errors[0][0] if errors else None,
            "message": " | ".join(m for _, m in errors) if errors else message,
        })

    def _flush(self, state):
        """Write every released event into one notification file (tmp, rename, marker)."""
        now = self.clock()
        due = [e for e in state["queue"] if datetime.datetime.fromisoformat(e["release"]) <= now]
        if not due:
            return None
        state["queue"] = [e for e in state["queue"] if e not in due]
        lines = [
            NotificationLine(**{**{k: v for k, v in e.items() if k != "release"},
                                "date": datetime.datetime.fromisoformat(e["date"])})
            for e in due
        ]
        state["file_seq"] += 1
        name = f"NOTIF_{now:%Y%m%d%H%M%S}_{state['file_seq']:04d}.csv"
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        path = self.outbox_dir / name
        tmp = self.outbox_dir / (name + TMP_SUFFIX)
        tmp.write_bytes(render_notification_file(now.date(), lines))
        os.rename(tmp, path)
        (self.outbox_dir / (name + MARKER_SUFFIX)).touch(exist_ok=False)
        return name

    @contextlib.contextmanager
    def _state(self):
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.state_path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = json.loads(self.state_path.read_text())
            except FileNotFoundError:
                state = {"dilifac_seq": 0, "chorus_seq": 0, "file_seq": 0,
                         "invoices": {}, "queue": []}
            yield state
            tmp = self.state_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(state, indent=1, ensure_ascii=False))
            os.replace(tmp, self.state_path)


def _free_name(folder, name):
    """``name``, or ``<stem>~<n><ext>`` if a non-conforming client reused a consumed name."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    candidate, counter = name, 1
    while (folder / candidate).exists():
        counter += 1
        candidate = f"{stem}~{counter}{dot}{extension}"
    return candidate
