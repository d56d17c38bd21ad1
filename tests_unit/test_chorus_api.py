"""ChorusProClient driven over real HTTP against the local Chorus Pro sandbox."""
import base64
import datetime
import logging

import pytest
import requests
from chorus_documents import (
    BOTH_BUYER,
    FREE_BUYER,
    MULTI_SERVICE_BUYER,
    SERVICE_BUYER,
    ubl_invoice,
    zip_of,
)

from chorus_pro_dilifac.lib.chorus_api import (
    ChorusProClient,
    parse_chorus_date,
    parse_chorus_datetime,
)
from chorus_pro_dilifac.lib.errors import TransportError
from sandboxes.chorus_pro import ChorusProSandbox, SandboxClock, load_directory

UBL = "IN_DP_E1_UBL_INVOICE"
DEPOSIT_PATH = "/cpro/factures/v1/deposer/flux"


class FakeClock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def sandbox():
    box = ChorusProSandbox(clock=SandboxClock(start=datetime.datetime(2026, 9, 14, 9, 0)))
    box.start()
    yield box
    box.stop()


@pytest.fixture
def clock():
    return FakeClock()


def make_client(sandbox, clock=None, **overrides):
    settings = dict(sandbox.credentials, oauth_url=sandbox.oauth_url, api_url=sandbox.api_url,
                    timeout=5, clock=clock or FakeClock())
    settings.update(overrides)
    return ChorusProClient(**settings)


@pytest.fixture
def client(sandbox, clock):
    return make_client(sandbox, clock)


def deposit_and_integrate(sandbox, client, number, **kwargs):
    flow = client.deposit_flow(f"{number}.xml", ubl_invoice(number, **kwargs), UBL)
    sandbox.process_all()
    [invoice] = client.search_supplier_invoices(invoice_number=number)
    return flow, invoice


def test_default_urls_follow_the_environment():
    qualif = ChorusProClient("id", "secret", "login", "pwd")
    prod = ChorusProClient("id", "secret", "login", "pwd", environment="prod")
    custom = ChorusProClient("id", "secret", "login", "pwd", oauth_url="http://o/",
                             api_url="http://a/")
    assert (qualif.oauth_url, qualif.api_url) == ("https://sandbox-oauth.piste.gouv.fr",
                                                  "https://sandbox-api.piste.gouv.fr")
    assert (prod.oauth_url, prod.api_url) == ("https://oauth.piste.gouv.fr",
                                              "https://api.piste.gouv.fr")
    assert (custom.oauth_url, custom.api_url) == ("http://o", "http://a")
    assert "secret" not in repr(qualif)
    with pytest.raises(ValueError):
        ChorusProClient("id", "secret", "login", "pwd", environment="test")


def test_health_check(client):
    assert client.health_check()["ok"] is True


# -- token ---------------------------------------------------------------------------------
def test_token_is_cached_until_240_seconds_before_expiry(sandbox, clock):
    sandbox.platform.token_ttl = 600
    client = make_client(sandbox, clock)
    client.health_check()
    client.health_check()
    assert sandbox.stats["token_requests"] == 1
    clock.now += 359
    client.health_check()
    assert sandbox.stats["token_requests"] == 1
    clock.now += 1
    client.health_check()
    assert sandbox.stats["token_requests"] == 2


def test_token_refused_by_the_server_is_renewed_once_then_the_call_retried(sandbox, client):
    client.health_check()
    sandbox.advance(3601)  # the server forgets the token; the client clock has not moved
    assert client.health_check()["ok"]
    assert sandbox.stats["token_requests"] == 2
    statuses = [status for _, path, status in sandbox.request_log
                if path == "/cpro/transverses/v1/health-check"]
    assert statuses == [200, 401, 200]


def test_a_401_that_persists_after_renewal_is_auth(sandbox, clock):
    class NoAccountHeader(requests.Session):
        def request(self, method, url, **kwargs):
            kwargs.get("headers", {}).pop("cpro-account", None)
            return super().request(method, url, **kwargs)

    client = make_client(sandbox, clock, session=NoAccountHeader())
    with pytest.raises(TransportError) as info:
        client.health_check()
    assert (info.value.kind, info.value.http_status) == ("auth", 401)
    assert sandbox.stats["token_requests"] == 2


# -- error kinds ---------------------------------------------------------------------------
def test_wrong_client_secret_is_auth(sandbox):
    client = make_client(sandbox, client_secret="not-the-secret")
    with pytest.raises(TransportError) as info:
        client.health_check()
    assert info.value.kind == "auth"
    assert info.value.code == "invalid_client"


def test_wrong_technical_account_password_is_auth(sandbox):
    client = make_client(sandbox, password="wrong-password")
    with pytest.raises(TransportError) as info:
        client.search_structure(FREE_BUYER)
    assert (info.value.kind, info.value.http_status) == ("auth", 403)


def test_unknown_login_is_auth(sandbox):
    client = make_client(sandbox, login="TECH_1_00000000000000@cpro.fr")
    with pytest.raises(TransportError) as info:
        client.health_check()
    assert info.value.kind == "auth"


def test_server_down_is_transient(sandbox, client):
    client.health_check()
    sandbox.stop()
    with pytest.raises(TransportError) as info:
        client.deposit_flow("F1.xml", ubl_invoice("F1"), UBL)
    assert info.value.kind == "transient"


def test_unknown_host_is_transient():
    client = ChorusProClient("id", "secret", "login", "pwd", oauth_url="http://no-such-host.invalid",
                             api_url="http://no-such-host.invalid", timeout=2)
    with pytest.raises(TransportError) as info:
        client.health_check()
    assert info.value.kind == "transient"


def test_http_500_is_transient_and_nothing_is_stored(sandbox, client):
    sandbox.fail_next(DEPOSIT_PATH, "http_500")
    with pytest.raises(TransportError) as info:
        client.deposit_flow("F1.xml", ubl_invoice("F1"), UBL)
    assert (info.value.kind, info.value.http_status) == ("transient", 500)
    assert sandbox.flows() == []
    assert client.deposit_flow("F1.xml", ubl_invoice("F1"), UBL)["flow_number"]


def test_unknown_syntax_is_permanent_with_chorus_code_and_label(client):
    with pytest.raises(TransportError) as info:
        client.deposit_flow("F1.xml", ubl_invoice("F1"), "IN_DP_E9_INCONNU")
    error = info.value
    assert (error.kind, error.code, error.http_status) == ("permanent", 20003, 400)
    assert error.message == "La syntaxe du flux IN_DP_E9_INCONNU n'est pas valide."
    assert str(error).startswith("[20003] ")


def test_code_retour_in_a_200_answer_is_permanent(sandbox, client):
    sandbox.fail_next("/cpro/structures/v1/rechercher", "error_200")
    with pytest.raises(TransportError) as info:
        client.search_structure(FREE_BUYER)
    assert (info.value.kind, info.value.code, info.value.message) == (
        "permanent", 99, "Erreur simulée.")


def test_no_result_code_means_an_empty_list(client):
    assert client.search_structure("12345678901234") == []
    assert client.lookup_structure("12345678901234") is None
    assert client.search_engagements(1001, "EJ-INCONNU") == []


def test_timeout_after_the_deposit_was_stored_is_unknown_outcome(sandbox, clock):
    client = make_client(sandbox, clock, timeout=0.5)
    sandbox.fail_next(DEPOSIT_PATH, "timeout_after_commit", hang_seconds=5)
    with pytest.raises(TransportError) as info:
        client.deposit_flow("F-LOST.xml", ubl_invoice("F-LOST"), UBL)
    assert info.value.kind == "unknown_outcome"
    sandbox.process_all()
    assert [i["numeroFacture"] for i in sandbox.invoices()] == ["F-LOST"]
    [found] = client.search_supplier_invoices(invoice_number="F-LOST")
    assert found["status"] == "MISE_A_DISPOSITION"


def test_dropped_connection_on_a_deposit_is_unknown_outcome(sandbox, client):
    sandbox.fail_next(DEPOSIT_PATH, "drop")
    with pytest.raises(TransportError) as info:
        client.deposit_flow("F1.xml", ubl_invoice("F1"), UBL)
    assert info.value.kind == "unknown_outcome"
    sandbox.process_all()
    assert client.search_supplier_invoices(invoice_number="F1") == []


@pytest.mark.parametrize("mode", ["timeout_after_commit", "drop"])
def test_lost_answer_on_a_read_is_transient(sandbox, clock, mode):
    client = make_client(sandbox, clock, timeout=0.5)
    sandbox.fail_next("/cpro/factures/v1/rechercher/fournisseur", mode, hang_seconds=5)
    with pytest.raises(TransportError) as info:
        client.search_supplier_invoices(invoice_number="F1")
    assert info.value.kind == "transient"


@pytest.mark.parametrize("path, call", [
    ("/cpro/factures/v1/traiter/recue",
     lambda c, i: c.process_received_invoice(i, "SERVICE_FAIT")),
    ("/cpro/factures/v1/recycler", lambda c, i: c.recycle(i, FREE_BUYER)),
    ("/cpro/factures/v1/completer", lambda c, i: c.complete(i, "Pièces jointes", [])),
    ("/cpro/factures/v1/traiterRejet", lambda c, i: c.acknowledge_rejection(i, "Vu")),
])
def test_lost_answer_on_other_state_changing_calls_is_unknown_outcome(sandbox, client, path,
                                                                      call):
    _, invoice = deposit_and_integrate(sandbox, client, "F1")
    sandbox.fail_next(path, "drop")
    with pytest.raises(TransportError) as info:
        call(client, invoice["chorus_id"])
    assert info.value.kind == "unknown_outcome"


# -- calls ---------------------------------------------------------------------------------
def test_deposit_then_report_then_search(sandbox, client):
    flow = client.deposit_flow("F1.xml", ubl_invoice("F1", engagement="EJ-1"), UBL)
    assert flow["flow_number"] == flow["numeroFluxDepot"]
    assert len(flow["flow_number"]) == 25 and flow["flow_number"].startswith("CPP0011100")
    assert flow["deposit_date"] == datetime.date(2026, 9, 14)
    report = client.get_flow_report(flow["flow_number"])
    assert (report["status"], report["final"], report["outcome"]) == ("IN_RECU", False, "pending")
    sandbox.process_all()
    report = client.get_flow_report(flow["flow_number"])
    assert (report["status"], report["outcome"], report["errors"]) == ("IN_INTEGRE", "success", [])
    # Integrated at the sandbox's 09:00, Paris summer time: 07:00 UTC, as Odoo stores dates.
    assert report["status_date"] == datetime.datetime(2026, 9, 14, 7, 0)
    [invoice] = client.search_supplier_invoices(flow_number=flow["flow_number"])
    assert invoice["number"] == "F1"
    assert invoice["numeroBonCommande"] == "EJ-1"
    assert invoice["montantTTC"] == 26.38
    assert isinstance(invoice["chorus_id"], int)


def test_flow_report_lists_invoice_errors_for_a_partial_flow(sandbox, client):
    archive = zip_of({
        "a.xml": ubl_invoice("P-1"),
        "b.xml": ubl_invoice("P-2", buyer=SERVICE_BUYER),
        "c.xml": ubl_invoice("P-3"),
    })
    flow = client.deposit_flow("lot.zip", archive, UBL)
    sandbox.process_all()
    report = client.get_flow_report(flow["flow_number"])
    assert report["status"] == "IN_INTEGRE_PARTIEL"
    assert report["outcome"] == "partial"
    assert report["errors"] == [{
        "invoice_number": "P-2",
        "message": "Le code service est obligatoire pour ce destinataire.",
        "supplier_id": "83210456600019",
        "recipient_id": SERVICE_BUYER,
    }]
    assert report["technical_errors"] == []


def test_flow_report_tolerates_a_single_error_object():
    with ChorusProSandbox(single_error_as_object=True) as box:
        client = make_client(box)
        flow = client.deposit_flow("F.xml", ubl_invoice("F", buyer=SERVICE_BUYER), UBL)
        box.process_all()
        report = client.get_flow_report(flow["flow_number"])
    assert isinstance(report["listeErreurDP"], list)
    assert [e["invoice_number"] for e in report["errors"]] == ["F"]
    assert report["status"] == "IN_REJETE"


def test_flow_report_of_an_unreadable_flow_has_technical_errors(sandbox, client):
    flow = client.deposit_flow("lot.zip", b"PK\x03\x04 not really a zip", UBL)
    sandbox.process_all()
    report = client.get_flow_report(flow["flow_number"])
    assert (report["status"], report["outcome"]) == ("IN_INCIDENTE", "failure")
    assert report["technical_errors"][0]["message"] == "L'archive lot.zip est corrompue."


def test_search_supplier_invoices_reads_every_page(sandbox, client):
    archive = zip_of({f"{n}.xml": ubl_invoice(f"PG-{n}") for n in range(1, 6)})
    flow = client.deposit_flow("lot.zip", archive, UBL)
    sandbox.process_all()
    invoices = client.search_supplier_invoices(flow_number=flow["flow_number"], page_size=2)
    assert [i["number"] for i in invoices] == [f"PG-{n}" for n in range(1, 6)]
    assert sandbox.stats["calls"]["/cpro/factures/v1/rechercher/fournisseur"] == 3


def test_invoice_history_is_oldest_first_with_the_buyer_reason(sandbox, client):
    _, invoice = deposit_and_integrate(sandbox, client, "H-1")
    client.process_received_invoice(invoice["chorus_id"], "SERVICE_FAIT")
    client.process_received_invoice(invoice["chorus_id"], "SUSPENDUE", "Bon de livraison absent")
    history = client.get_invoice_history(invoice["chorus_id"])
    assert history["status"] == "SUSPENDUE"
    assert [h["code"] for h in history["history"]] == [
        "DEPOSEE", "MISE_A_DISPOSITION", "SERVICE_FAIT", "SUSPENDUE"]
    ids = [h["histoStatutId"] for h in history["history"]]
    assert ids == sorted(ids)
    assert history["history"][-1]["comment"] == "Bon de livraison absent"
    # sandbox clock 2026-09-14 09:00 Paris (summer time) is 07:00 UTC
    assert history["history"][0]["date"] == datetime.datetime(2026, 9, 14, 7, 0)


def test_buyer_life_cycle_up_to_payment(sandbox, client):
    _, invoice = deposit_and_integrate(sandbox, client, "L-1")
    for status in ("SERVICE_FAIT", "MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE",
                   "MISE_EN_PAIEMENT"):
        client.process_received_invoice(invoice["chorus_id"], status)
    [found] = client.search_supplier_invoices(invoice_number="L-1")
    assert found["status"] == "MISE_EN_PAIEMENT"
    with pytest.raises(TransportError) as info:
        client.process_received_invoice(invoice["chorus_id"], "SERVICE_FAIT")
    assert info.value.kind == "permanent"


def test_rejection_needs_a_reason_and_can_be_acknowledged(sandbox, client):
    _, invoice = deposit_and_integrate(sandbox, client, "R-1")
    with pytest.raises(TransportError) as info:
        client.acknowledge_rejection(invoice["chorus_id"], "Vu")
    assert info.value.kind == "permanent"
    with pytest.raises(TransportError) as info:
        client.process_received_invoice(invoice["chorus_id"], "REJETEE")
    assert info.value.message == "Le motif est obligatoire pour le statut REJETEE."
    client.process_received_invoice(invoice["chorus_id"], "REJETEE", "Facture en double")
    [found] = client.search_supplier_invoices(invoice_number="R-1")
    assert (found["status"], found["commentaireEtatCourant"], found["rejetTraite"]) == (
        "REJETEE", "Facture en double", False)
    client.acknowledge_rejection(invoice["chorus_id"], "Nouvelle facture émise")
    [found] = client.search_supplier_invoices(invoice_number="R-1")
    assert found["rejetTraite"] is True


def test_recycle_changes_routing_and_rechecks_it(sandbox, client):
    _, invoice = deposit_and_integrate(sandbox, client, "RC-1")
    with pytest.raises(TransportError) as info:
        client.recycle(invoice["chorus_id"], SERVICE_BUYER, service_code="BIBLIO")
    assert info.value.kind == "permanent"  # not A_RECYCLER yet
    client.process_received_invoice(invoice["chorus_id"], "A_RECYCLER", "Mauvais service")
    with pytest.raises(TransportError) as info:
        client.recycle(invoice["chorus_id"], SERVICE_BUYER)
    assert (info.value.code, info.value.message) == (
        20005, "Le code service est obligatoire pour ce destinataire.")
    answer = client.recycle(invoice["chorus_id"], SERVICE_BUYER, service_code="PHARMA",
                            engagement_number="EJ-77", comment="Service corrigé")
    assert answer["statutFacture"] == "DEPOSEE"
    sandbox.process_all()
    [found] = client.search_supplier_invoices(invoice_number="RC-1")
    assert (found["status"], found["codeDestinataire"], found["codeServiceExecutant"],
            found["numeroBonCommande"]) == ("MISE_A_DISPOSITION", SERVICE_BUYER, "PHARMA",
                                            "EJ-77")
    codes = [h["code"] for h in client.get_invoice_history(invoice["chorus_id"])["history"]]
    assert codes[-3:] == ["A_RECYCLER", "DEPOSEE", "MISE_A_DISPOSITION"]


def test_complete_a_suspended_invoice_with_an_attachment(sandbox, client):
    _, invoice = deposit_and_integrate(sandbox, client, "C-1")
    attachment_id = client.add_file("bon_livraison.pdf", b"%PDF-1.4 test", "application/pdf",
                                    "pdf")
    assert isinstance(attachment_id, int)
    with pytest.raises(TransportError):
        client.complete(invoice["chorus_id"], "Voici le bon", [attachment_id])
    client.process_received_invoice(invoice["chorus_id"], "SUSPENDUE", "Bon de livraison ?")
    with pytest.raises(TransportError) as info:
        client.complete(invoice["chorus_id"], "Voici le bon", [999])
    assert info.value.kind == "permanent"
    answer = client.complete(invoice["chorus_id"], "Voici le bon", [attachment_id])
    assert answer["identifiantFactureCPP"] == invoice["chorus_id"]
    assert client.get_invoice_history(invoice["chorus_id"])["status"] == "COMPLETEE"
    sandbox.advance(120)
    assert client.get_invoice_history(invoice["chorus_id"])["status"] == "MISE_A_DISPOSITION"


@pytest.mark.parametrize("name, extension", [("a" * 47 + ".pdf", "pdf"), ("bon.exe", "exe")])
def test_add_file_refusals_are_permanent(client, name, extension):
    with pytest.raises(TransportError) as info:
        client.add_file(name, b"data", "application/octet-stream", extension)
    assert (info.value.kind, info.value.code) == ("permanent", 20008)


@pytest.mark.parametrize("structure", load_directory().structures, ids=lambda s: s.siret)
def test_lookup_structure_matches_the_seed(client, structure):
    found = client.lookup_structure(structure.siret)
    assert found["structure_id"] == structure.id
    assert found["name"] == structure.name
    assert found["active"] is structure.active
    assert (found["service_required"], found["engagement_required"],
            found["service_or_engagement"]) == (structure.service_required,
                                                structure.engagement_required,
                                                structure.service_or_engagement)
    assert found["password_expiry"] == datetime.date(2027, 6, 30)
    assert sorted((s["id"], s["code"], s["name"], s["active"], s["engagement_required"])
                  for s in found["services"]) == sorted(
        (s.id, s.code, s.name, s.active, s.engagement_required) for s in structure.services)


def test_search_services_reads_every_page(sandbox, client):
    services = client.search_services(2006, page_size=1)
    assert [s["code"] for s in services] == ["ARCHIVES", "COLLEGES", "MEDIA10"]
    assert sandbox.stats["calls"]["/cpro/structures/v1/rechercher/services"] == 3


def test_structure_and_service_details(client):
    [structure] = client.search_structure(BOTH_BUYER)
    assert (structure["structure_id"], structure["active"]) == (2006, True)
    details = client.get_structure(2006)
    assert details["service_required"] and details["engagement_required"]
    service = client.get_service(2003, 20032)
    assert (service["code"], service["engagement_required"]) == ("PHARMA", True)
    assert client.get_service(2008, 20081)["engagement_required"] is False
    with pytest.raises(TransportError) as info:
        client.get_service(2008, 20031)
    assert info.value.kind == "permanent"
    assert [s["code"] for s in client.search_services(2008)] == ["JEUNESSE", "LECTURE"]
    assert client.lookup_structure(MULTI_SERVICE_BUYER)["service_required"] is False


def test_search_engagements(client):
    [found] = client.search_engagements(1001, "1300012345")
    assert (found["number"], found["status"]) == ("1300012345", "COMMANDE")
    assert client.search_engagements(1002, "1300012345") == []


# -- secrets -------------------------------------------------------------------------------
def test_no_secret_or_file_content_in_logs_or_errors(sandbox, clock, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    credentials = sandbox.credentials
    account_header = base64.b64encode(
        f"{credentials['login']}:{credentials['password']}".encode()).decode()
    document = ubl_invoice("S-1")
    encoded_document = base64.b64encode(document).decode()
    client = make_client(sandbox, clock, timeout=0.5)
    messages = []
    client.deposit_flow("S-1.xml", document, UBL)
    client.health_check()
    sandbox.fail_next(DEPOSIT_PATH, "timeout_after_commit", hang_seconds=3)
    for call in (
        lambda: client.deposit_flow("S-2.xml", document, UBL),
        lambda: client.deposit_flow("S-3.xml", document, "BAD"),
        lambda: make_client(sandbox, clock, password="x" + credentials["password"]).health_check(),
        lambda: make_client(sandbox, clock, client_secret="bad").health_check(),
    ):
        with pytest.raises(TransportError) as info:
            call()
        messages.append(str(info.value))
    tokens = list(sandbox.platform.tokens)
    assert tokens
    sandbox.stop()
    with pytest.raises(TransportError) as info:
        client.health_check()
    messages.append(str(info.value))
    text = caplog.text + "\n".join(messages)
    assert "deposer/flux" in caplog.text  # the calls are logged...
    for secret in [credentials["client_secret"], credentials["password"], account_header,
                   encoded_document, encoded_document[:40], *tokens]:
        assert secret not in text  # ...but never a secret nor the file


def test_parse_chorus_dates():
    assert parse_chorus_date("2026-09-14") == datetime.date(2026, 9, 14)
    assert parse_chorus_date("2026-09-14 15:02") == datetime.date(2026, 9, 14)
    assert parse_chorus_date("") is None
    assert parse_chorus_datetime("2018-02-16T15:10:25.536+01:00") == datetime.datetime(
        2018, 2, 16, 14, 10, 25, 536000)
    assert parse_chorus_datetime("2026-01-14 15:02") == datetime.datetime(2026, 1, 14, 14, 2)
    assert parse_chorus_datetime("2026-09-14") == datetime.datetime(2026, 9, 13, 22, 0)
    assert parse_chorus_datetime("n/a") is None


def test_a_secret_echoed_by_the_server_is_masked(sandbox, client, caplog):
    password = sandbox.credentials["password"]
    _, invoice = deposit_and_integrate(sandbox, client, "E-1")
    client.process_received_invoice(invoice["chorus_id"], "A_RECYCLER", "Service manquant")
    with pytest.raises(TransportError) as info:
        client.recycle(invoice["chorus_id"], SERVICE_BUYER, service_code=password)
    assert info.value.message == "Le code service *** n'existe pas pour ce destinataire."
    assert password not in caplog.text


# -- TLS: the client verifies certificates normally; the sandbox CA is trusted through the
# standard CA-bundle setting, and a bad certificate is a TransportError, never a crash.

def test_https_sandbox_is_trusted_through_a_ca_bundle(sandbox, clock, monkeypatch):
    client = make_client(sandbox, clock, oauth_url=sandbox.https_url, api_url=sandbox.https_url)
    with pytest.raises(TransportError) as info:
        client.health_check()
    assert info.value.kind == "transient", "an unknown CA is refused, not ignored"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.ca_file)
    client = make_client(sandbox, clock, oauth_url=sandbox.https_url, api_url=sandbox.https_url)
    assert client.health_check()["ok"]
    flow = client.deposit_flow("F-TLS.xml", ubl_invoice("F-TLS"), UBL)
    assert flow["flow_number"]


@pytest.mark.parametrize("mode", ["self_signed", "wrong_name"])
def test_bad_certificate_on_the_api_host_is_a_transient_transport_error(sandbox, clock,
                                                                       monkeypatch, mode):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.ca_file)
    # The token host answers; only the API host fails TLS (the reviewer's setup).
    client = make_client(sandbox, clock, oauth_url=sandbox.url, api_url=sandbox.https_url)
    sandbox.set_tls_mode(mode)
    with pytest.raises(TransportError) as info:
        client.deposit_flow("F-TLS.xml", ubl_invoice("F-TLS"), UBL)
    assert info.value.kind == "transient", "the handshake failed: nothing was sent"
    assert "certificate" in str(info.value).lower()
    with pytest.raises(TransportError):
        client.search_supplier_invoices(invoice_number="F-TLS")
    assert not sandbox.flows()


# -- malformed answers: valid JSON with the wrong types is a TransportError of the kind
# the call implies (unknown outcome after a deposit, transient on a read).

SEARCH = "/cpro/factures/v1/rechercher/fournisseur"
HISTORY = "/cpro/factures/v1/consulter/historique"
REPORT = "/cpro/transverses/v1/consulterCRDetaille"
STRUCTURE = "/cpro/structures/v1/consulter"
MALFORMED = [
    (SEARCH, {"codeRetour": 0, "listeFactures": [{"numeroFacture": "F1"}],
              "parametresRetour": {"pages": "beaucoup"}}, "search", "transient"),
    (SEARCH, {"codeRetour": 0, "listeFactures": [{"numeroFacture": "F1"}],
              "parametresRetour": "1"}, "search", "transient"),
    (SEARCH, {"codeRetour": 0, "listeFactures": "F1"}, "search", "transient"),
    (REPORT, {"codeRetour": 0, "etatCourantDepotFlux": "IN_REJETE",
              "listeErreurDP": ["erreur de routage"]}, "report", "transient"),
    (HISTORY, {"codeRetour": 0, "historiquesDesStatuts": {"histoStatut": [
        {"histoStatutId": "abc", "histoStatutCode": "DEPOSEE"}]}}, "history", "transient"),
    (HISTORY, {"codeRetour": 0, "historiquesDesStatuts": "aucun"}, "history", "transient"),
    (HISTORY, {"codeRetour": [0]}, "history", "transient"),
    (STRUCTURE, {"codeRetour": 0, "informationGenerales": "Mairie"}, "structure", "transient"),
    (DEPOSIT_PATH, {"codeRetour": 0, "numeroFluxDepot": ["CPP1"]}, "deposit",
     "unknown_outcome"),
    (DEPOSIT_PATH, {"codeRetour": {"a": 0}, "numeroFluxDepot": "CPP1"}, "deposit",
     "unknown_outcome"),
]
CALLS = {
    "search": lambda c: c.search_supplier_invoices(invoice_number="F1"),
    "report": lambda c: c.get_flow_report("CPP0010000000001"),
    "history": lambda c: c.get_invoice_history(1),
    "structure": lambda c: c.get_structure(2001),
    "deposit": lambda c: c.deposit_flow("F1.xml", ubl_invoice("F1"), UBL),
}


@pytest.mark.parametrize("path, body, call, kind", MALFORMED,
                         ids=[f"{c}-{i}" for i, (_p, _b, c, _k) in enumerate(MALFORMED)])
def test_malformed_answer_is_a_transport_error(sandbox, client, path, body, call, kind):
    sandbox.fail_next(path, "answer", body=body)
    with pytest.raises(TransportError) as info:
        CALLS[call](client)
    assert info.value.kind == kind
    assert "Chorus Pro" in str(info.value)


def test_search_recipients_by_name_town_postal_code_or_siret(client):
    by_name = client.search_recipients(text="mediatheque")  # no match on a service name
    assert by_name == []
    by_town = client.search_recipients(text="rouen")
    assert [r["name"] for r in by_town] == ["Département de Seine-Maritime"], "public only"
    by_accentless_name = client.search_recipients(text="port-lumiere")
    assert [(r["siret"], r["postal_code"], r["town"]) for r in by_accentless_name] == [
        ("21130055300016", "13002", "Port-Lumière")]
    by_postal_code = client.search_recipients(text="750")
    assert {r["siret"] for r in by_postal_code} == {"11000201100044", "26750001500016"}
    [by_siret] = client.search_recipients(siret="21340172200011")
    assert (by_siret["structure_id"], by_siret["name"]) == (2002, "Commune de Saint-Libre")
    assert client.search_recipients(siret="2134", text="Paris") == []
