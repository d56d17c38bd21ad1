"""The Chorus Pro sandbox itself: gateway, deposit syntaxes, flow ladder, integration rules."""
import base64
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from chorus_documents import (
    BOTH_BUYER,
    EITHER_BUYER,
    EJ_BUYER,
    FREE_BUYER,
    INACTIVE_BUYER,
    MULTI_SERVICE_BUYER,
    SERVICE_BUYER,
    STATE_BUYER,
    SUPPLIER_2,
    cii_invoice,
    cpp_mixte,
    tar_gz_of,
    ubl_invoice,
    zip_of,
)
from facturx import generate_from_binary

from chorus_pro_dilifac.lib.chorus_api import ChorusProClient, parse_chorus_datetime
from chorus_pro_dilifac.lib.errors import TransportError
from sandboxes.chorus_pro import (
    ChorusProSandbox,
    SandboxClock,
    check_invoice_document,
    extract_invoices,
    load_directory,
)
from sandboxes.chorus_pro import state as state_module
from sandboxes.chorus_pro.checks import UnreadableFlow
from sandboxes.chorus_pro.pdf import tiny_pdf

UBL = "IN_DP_E1_UBL_INVOICE"
START = datetime.datetime(2026, 9, 14, 9, 0)
DIRECTORY = load_directory()
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sandbox(tmp_path):
    box = ChorusProSandbox(clock=SandboxClock(start=START), log_path=tmp_path / "requests.log")
    box.start()
    yield box
    box.stop()


@pytest.fixture
def client(sandbox):
    return ChorusProClient(**sandbox.credentials, oauth_url=sandbox.oauth_url,
                           api_url=sandbox.api_url, timeout=5)


class Raw:
    """Direct HTTP to the sandbox, to send what the client never would."""

    def __init__(self, sandbox):
        self.url = sandbox.url
        credentials = sandbox.credentials
        self.account = base64.b64encode(
            f"{credentials['login']}:{credentials['password']}".encode()).decode()
        self.token = requests.post(f"{self.url}/api/oauth/token", data={
            "grant_type": "client_credentials", "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"], "scope": "openid"},
            timeout=5).json()["access_token"]

    def post(self, path, payload, headers=None, data=None):
        sent = {"Authorization": f"Bearer {self.token}", "cpro-account": self.account,
                "Content-Type": "application/json;charset=utf-8"}
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        body = data if data is not None else json.dumps(payload)
        return requests.post(self.url + path, data=body, headers=sent, timeout=5)


@pytest.fixture
def raw(sandbox):
    return Raw(sandbox)


def deposit(client, sandbox, filename, content, syntax=UBL, process=True):
    flow = client.deposit_flow(filename, content, syntax)
    if process:
        sandbox.process_all()
    return client.get_flow_report(flow["flow_number"])


# -- PISTE token and gateway ---------------------------------------------------------------
def test_token_endpoint(sandbox):
    url = f"{sandbox.url}/api/oauth/token"
    good = {"grant_type": "client_credentials", "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret", "scope": "openid"}
    answer = requests.post(url, data=good, timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "openid")
    bad = requests.post(url, data={**good, "client_secret": "nope"}, timeout=5)
    assert (bad.status_code, bad.json()["error"]) == (401, "invalid_client")
    grant = requests.post(url, data={**good, "grant_type": "password"}, timeout=5)
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")


@pytest.mark.parametrize("headers, status", [
    ({"Authorization": None}, 401),
    ({"Authorization": "Bearer not-a-token"}, 401),
    ({"Authorization": "Basic abc"}, 401),
    ({"cpro-account": None}, 401),
    ({"cpro-account": "%%%not base64"}, 401),
    ({"cpro-account": base64.b64encode(b"TECH_1_83210456600019@cpro.fr:wrong").decode()}, 403),
    ({"cpro-account": base64.b64encode(b"nobody@cpro.fr:Sandbox-Tech-1").decode()}, 403),
    ({"Content-Type": "text/plain"}, 415),
    ({"Content-Type": None}, 415),
])
def test_gateway_refusals(raw, headers, status):
    answer = raw.post("/cpro/structures/v1/rechercher", {"structure": {}}, headers=headers)
    assert answer.status_code == status


def test_gateway_unknown_path_bad_json_and_wrong_method(sandbox, raw):
    assert raw.post("/cpro/factures/v1/inexistant", {}).status_code == 404
    assert requests.get(f"{sandbox.url}/autre", timeout=5).status_code == 404
    bad_json = raw.post("/cpro/structures/v1/rechercher", None, data="{not json")
    assert (bad_json.status_code, bad_json.json()["codeRetour"]) == (400, 20001)
    assert raw.post("/cpro/transverses/v1/health-check", {}).status_code == 405


def test_token_expires_with_the_sandbox_clock(sandbox, raw):
    sandbox.advance(3599)
    assert raw.post("/cpro/structures/v1/rechercher", {}).status_code == 200
    sandbox.advance(1)
    answer = raw.post("/cpro/structures/v1/rechercher", {})
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_token")


def test_expired_technical_password_is_403():
    with ChorusProSandbox(clock=SandboxClock(start=datetime.datetime(2027, 7, 1))) as box:
        answer = Raw(box).post("/cpro/structures/v1/rechercher", {})
    assert answer.status_code == 403
    assert "expiré" in answer.json()["error_description"]


# -- deposit -------------------------------------------------------------------------------
@pytest.mark.parametrize("payload, code", [
    ({"fichierFlux": "***", "nomFichier": "f.xml", "syntaxeFlux": UBL}, 20002),
    ({"fichierFlux": "PD94", "nomFichier": "f.xml", "syntaxeFlux": "IN_DP_E1_XCBL"}, 20003),
    ({"nomFichier": "f.xml", "syntaxeFlux": UBL}, 20001),
    ({"fichierFlux": "PD94", "syntaxeFlux": UBL}, 20001),
])
def test_deposit_validation(sandbox, raw, payload, code):
    answer = raw.post("/cpro/factures/v1/deposer/flux", payload)
    assert (answer.status_code, answer.json()["codeRetour"]) == (400, code)
    assert answer.json()["libelle"]
    assert sandbox.flows() == []


def test_flow_numbers_follow_the_interface_code(sandbox, client):
    numbers = [client.deposit_flow("f", b"x", syntax)["flow_number"] for syntax in (
        UBL, "IN_DP_E1_CII_16B", "IN_DP_E2_CII_FACTURX", "IN_DP_E2_CPP_FACTURE_MIN")]
    assert numbers == ["CPP0011100000000000000001", "CPP0011106000000000000002",
                       "CPP0011117000000000000003", "CPP0011113000000000000004"]


def test_flow_ladder_follows_the_clock(sandbox, client):
    flow = client.deposit_flow("F1.xml", ubl_invoice("F1"), UBL)["flow_number"]
    seen = []
    for seconds in (0, 119, 1, 120, 120, 119, 1):
        sandbox.advance(seconds)
        seen.append(client.get_flow_report(flow)["status"])
    assert seen == ["IN_RECU", "IN_RECU", "IN_TRAITE_SE_CPP", "IN_EN_ATTENTE_TRAITEMENT_CPP",
                    "IN_EN_COURS_TRAITEMENT_CPP", "IN_EN_COURS_TRAITEMENT_CPP", "IN_INTEGRE"]
    [invoice] = client.search_supplier_invoices(flow_number=flow)
    assert invoice["status"] == "DEPOSEE"
    assert invoice["dateHeureEtatCourant"] == "2026-09-14 09:08"
    sandbox.advance(120)
    [invoice] = client.search_supplier_invoices(flow_number=flow)
    assert invoice["status"] == "MISE_A_DISPOSITION"
    history = client.get_invoice_history(invoice["chorus_id"])["historiquesDesStatuts"]
    assert [(h["histoStatutCode"], h["histoStatutDatePassage"]) for h in history["histoStatut"]] \
        == [("MISE_A_DISPOSITION", "2026-09-14 09:10"), ("DEPOSEE", "2026-09-14 09:08")]


def test_a_big_jump_of_the_clock_integrates_at_the_scheduled_time(sandbox, client):
    flow = client.deposit_flow("F1.xml", ubl_invoice("F1"), UBL)["flow_number"]
    sandbox.advance(3600)
    report = client.get_flow_report(flow)
    assert report["status"] == "IN_INTEGRE"
    assert report["dateHeureEtatCourantFlux"].startswith("2026-09-14T09:08:00.000")
    [invoice] = client.search_supplier_invoices(flow_number=flow)
    assert invoice["status"] == "MISE_A_DISPOSITION"


def test_zip_with_one_bad_invoice_is_partially_integrated(sandbox, client):
    archive = zip_of({
        "F-1.xml": ubl_invoice("F-1"),
        "F-2.xml": ubl_invoice("F-2", buyer=EJ_BUYER),
        "F-3.xml": ubl_invoice("F-3", buyer=SERVICE_BUYER, service="BIBLIO"),
    })
    report = deposit(client, sandbox, "lot.zip", archive)
    assert report["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL"
    assert report["listeErreurDP"] == [{
        "numeroDP": "F-2",
        "libelleErreurDP": "Le numéro d'engagement est obligatoire pour ce destinataire.",
        "identifiantFournisseur": "83210456600019",
        "identifiantDestinataire": EJ_BUYER,
    }]
    numbers = [i["number"] for i in client.search_supplier_invoices(
        flow_number=report["flow_number"])]
    assert numbers == ["F-1", "F-3"]


def test_all_invoices_invalid_is_rejected(sandbox, client):
    archive = tar_gz_of({"a.xml": ubl_invoice("F-1", buyer=INACTIVE_BUYER),
                         "b.xml": ubl_invoice("F-2", currency="USD")})
    report = deposit(client, sandbox, "lot.tar.gz", archive)
    assert report["status"] == "IN_REJETE"
    assert [(e["numeroDP"], e["libelleErreurDP"][:34]) for e in report["listeErreurDP"]] == [
        ("F-1", "Destinataire non trouvé ou inactif"),
        ("F-2", "La devise de la facture (USD) doit"),
    ]
    assert sandbox.invoices() == []


def test_tar_gz_batch_is_integrated(sandbox, client):
    archive = tar_gz_of({f"{n}.xml": ubl_invoice(f"T-{n}") for n in range(3)})
    report = deposit(client, sandbox, "lot.tar.gz", archive)
    assert report["status"] == "IN_INTEGRE"
    assert len(client.search_supplier_invoices(flow_number=report["flow_number"])) == 3


@pytest.mark.parametrize("filename, content, syntax, message", [
    ("lot.zip", b"PK\x03\x04 truncated", UBL, "L'archive lot.zip est corrompue."),
    ("lot.tar.gz", b"not an archive", UBL, "L'archive lot.tar.gz est corrompue."),
    ("lot.zip", zip_of({}), UBL, "L'archive lot.zip ne contient aucun fichier."),
    ("f.xml", b"<Invoice><unclosed>", UBL, "Le fichier f.xml n'est pas un XML lisible."),
    ("f.pdf", tiny_pdf(["sans XML"]), "IN_DP_E2_CII_FACTURX",
     "Le fichier f.pdf n'est pas un PDF Factur-X lisible."),
    ("f.pdf", b"pas un pdf", "IN_DP_E2_CII_FACTURX",
     "Le fichier f.pdf n'est pas un PDF Factur-X lisible."),
])
def test_unreadable_flows_are_incidented(sandbox, client, filename, content, syntax, message):
    report = deposit(client, sandbox, filename, content, syntax)
    assert report["status"] == "IN_INCIDENTE"
    assert report["listeErreurDP"] == []
    assert [e["libelleErreur"] for e in report["listeErreurTechnique"]] == [message]


def test_cii_16b_flow(sandbox, client):
    report = deposit(client, sandbox, "f.xml", cii_invoice("C-1", buyer=EJ_BUYER,
                                                           engagement="EJ-SM-2026-0042"),
                     "IN_DP_E1_CII_16B")
    assert report["status"] == "IN_INTEGRE"
    [invoice] = client.search_supplier_invoices(invoice_number="C-1")
    assert (invoice["numeroBonCommande"], invoice["montantHT"]) == ("EJ-SM-2026-0042", 25.0)


def test_invoice_and_deposit_dates_share_the_spec_format(sandbox, client):
    deposit(client, sandbox, "f.xml", cii_invoice("C-2", buyer=EJ_BUYER,
                                                  engagement="EJ-SM-2026-0042"),
            "IN_DP_E1_CII_16B")
    deposit(client, sandbox, "u.xml", ubl_invoice("U-2"))
    for number in ("C-2", "U-2"):
        [invoice] = client.search_supplier_invoices(invoice_number=number)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", invoice["dateDepot"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", invoice["dateFacture"]), invoice["dateFacture"]


def test_a_supplier_other_than_the_account_structure_is_refused(sandbox, client):
    report = deposit(client, sandbox, "c.xml", ubl_invoice("S-1", supplier=SUPPLIER_2))
    assert report["status"] == "IN_REJETE"
    [error] = report["listeErreurDP"]
    assert error["identifiantFournisseur"] == SUPPLIER_2
    assert "compte technique" in error["libelleErreurDP"]
    assert not client.search_supplier_invoices(invoice_number="S-1")


def test_facturx_flow(sandbox, client):
    pdf = generate_from_binary(tiny_pdf(["Facture FX-1"]), cii_invoice("FX-1", service="LECTURE",
                                                                          buyer=MULTI_SERVICE_BUYER),
                               check_xsd=False)
    bad = generate_from_binary(tiny_pdf(["Facture FX-2"]), cii_invoice("FX-2", break_totals=True),
                               check_xsd=False)
    report = deposit(client, sandbox, "lot.zip", zip_of({"a.pdf": pdf, "b.pdf": bad}),
                     "IN_DP_E2_CII_FACTURX")
    assert report["status"] == "IN_INTEGRE_PARTIEL"
    assert [e["numeroDP"] for e in report["listeErreurDP"]] == ["FX-2"]
    [invoice] = client.search_supplier_invoices(flow_number=report["flow_number"])
    assert (invoice["number"], invoice["codeServiceExecutant"], invoice["nomServiceExecutant"]) \
        == ("FX-1", "LECTURE", "Lecture publique")


def test_cpp_mixte_flow_with_several_invoices(sandbox, client):
    content = cpp_mixte([
        {"number": "M-1", "ht": "100.00", "tva": "5.50", "ttc": "105.50"},
        {"number": "M-2", "buyer": STATE_BUYER, "engagement": "1300012345",
         "ht": "10.00", "tva": "0.55", "ttc": "10.55"},
        {"number": "M-3", "ht": "10.00", "tva": "0.55", "ttc": "11.00"},
    ])
    report = deposit(client, sandbox, "mixte.xml", content, "IN_DP_E2_CPP_FACTURE_MIN")
    assert report["status"] == "IN_INTEGRE_PARTIEL"
    assert [e["numeroDP"] for e in report["listeErreurDP"]] == ["M-3"]
    assert "TTC" in report["listeErreurDP"][0]["libelleErreurDP"]
    invoices = client.search_supplier_invoices(flow_number=report["flow_number"])
    assert [(i["number"], i["montantTTC"]) for i in invoices] == [("M-1", 105.5), ("M-2", 10.55)]


def test_credit_note_is_listed_as_avoir(sandbox, client):
    deposit(client, sandbox, "a.xml", ubl_invoice("AV-1", credit_note=True))
    [invoice] = client.search_supplier_invoices(invoice_number="AV-1")
    assert invoice["typeFacture"] == "AVOIR"


def test_duplicates_are_refused_until_the_first_is_rejected(sandbox, client):
    assert deposit(client, sandbox, "a.xml", ubl_invoice("D-1"))["status"] == "IN_INTEGRE"
    again = deposit(client, sandbox, "b.xml", ubl_invoice("D-1"))
    assert again["status"] == "IN_REJETE"
    assert again["listeErreurDP"][0]["libelleErreurDP"] == \
        "La facture D-1 a déjà été déposée par ce fournisseur."
    account = sandbox.directory.accounts[1]  # the other supplier deposits with its own
    other_client = ChorusProClient(sandbox.directory.client_id, sandbox.directory.client_secret,
                                   account.login, account.password, oauth_url=sandbox.url,
                                   api_url=sandbox.url, timeout=5)
    other_supplier = deposit(other_client, sandbox, "c.xml",
                             ubl_invoice("D-1", supplier=SUPPLIER_2))
    assert other_supplier["status"] == "IN_INTEGRE"
    [first] = client.search_supplier_invoices(invoice_number="D-1")
    client.process_received_invoice(first["chorus_id"], "REJETEE", "Montant erroné")
    assert deposit(client, sandbox, "d.xml", ubl_invoice("D-1"))["status"] == "IN_INTEGRE"
    in_one_zip = deposit(client, sandbox, "e.zip", zip_of({"1.xml": ubl_invoice("D-2"),
                                                           "2.xml": ubl_invoice("D-2")}))
    assert in_one_zip["status"] == "IN_INTEGRE_PARTIEL"


def test_flows_and_invoices_are_private_to_the_account(sandbox, client):
    report = deposit(client, sandbox, "a.xml", ubl_invoice("P-1"))
    account = sandbox.directory.accounts[1]
    other = ChorusProClient(sandbox.directory.client_id, sandbox.directory.client_secret,
                            account.login, account.password, oauth_url=sandbox.url,
                            api_url=sandbox.url, timeout=5)
    assert other.search_supplier_invoices(invoice_number="P-1") == []
    with pytest.raises(TransportError) as info:
        other.get_flow_report(report["flow_number"])
    assert info.value.kind == "permanent"


def test_consulter_cr_returns_a_pdf_report(sandbox, client, raw):
    flow = client.deposit_flow("F.xml", ubl_invoice("F", buyer=SERVICE_BUYER), UBL)
    sandbox.process_all()
    body = raw.post("/cpro/transverses/v1/consulterCR",
                    {"numeroFluxDepot": flow["flow_number"]}).json()
    assert (body["codeRetour"], body["etatCourantFlux"], body["codeInterfaceFlux"]) == (
        0, "IN_REJETE", "FSO1100A")
    assert base64.b64decode(body["fichierCR"]).startswith(b"%PDF-1.4")


def test_pagination_answer_shape(raw):
    body = raw.post("/cpro/structures/v1/rechercher/services", {
        "idStructure": 2006,
        "parametresRechercherServicesStructure": {"nbResultatsParPage": 2,
                                                  "pageResultatDemandee": 2}}).json()
    assert body["parametresRetour"] == {"nbResultatsParPage": 2, "pageCourante": 2, "pages": 2,
                                        "total": 3}
    assert [s["codeService"] for s in body["listeServices"]] == ["MEDIA10"]


def test_buyer_cannot_act_before_the_invoice_is_made_available(sandbox, client):
    client.deposit_flow("F.xml", ubl_invoice("F"), UBL)
    sandbox.advance(480)
    [invoice] = client.search_supplier_invoices(invoice_number="F")
    assert invoice["status"] == "DEPOSEE"
    with pytest.raises(TransportError) as info:
        client.process_received_invoice(invoice["chorus_id"], "SERVICE_FAIT")
    assert (info.value.kind, info.value.code) == ("permanent", 20006)
    with pytest.raises(TransportError) as info:
        client.process_received_invoice(invoice["chorus_id"], "MISE_EN_ATTENTE")
    assert info.value.code == 20006


# -- integration rules (§5.6) --------------------------------------------------------------
RULES = [
    ("free buyer", dict(buyer=FREE_BUYER), None),
    ("free buyer, optional service", dict(buyer=FREE_BUYER, service="MEDIATHEQUE"), None),
    ("two services", dict(buyer=MULTI_SERVICE_BUYER, service="JEUNESSE"), None),
    ("unknown supplier", dict(supplier="12345678900011"), "FOURNISSEUR_INCONNU"),
    ("unknown buyer", dict(buyer="12345678900011"), "DESTINATAIRE_INCONNU"),
    ("inactive buyer", dict(buyer=INACTIVE_BUYER), "DESTINATAIRE_INCONNU"),
    ("service required, missing", dict(buyer=SERVICE_BUYER), "SERVICE_OBLIGATOIRE"),
    ("service required, given", dict(buyer=SERVICE_BUYER, service="BIBLIO"), None),
    ("service unknown", dict(buyer=SERVICE_BUYER, service="NOPE"), "SERVICE_INCONNU"),
    ("service inactive", dict(buyer=SERVICE_BUYER, service="ANCIEN"), "SERVICE_INACTIF"),
    ("service needs EJ", dict(buyer=SERVICE_BUYER, service="PHARMA"), "EJ_OBLIGATOIRE"),
    ("service needs EJ, given", dict(buyer=SERVICE_BUYER, service="PHARMA", engagement="E1"),
     None),
    ("FACTURES_PUBLIQUES", dict(buyer=SERVICE_BUYER, service="FACTURES_PUBLIQUES"),
     "SERVICE_RESERVE"),
    ("State, no EJ", dict(buyer=STATE_BUYER), "EJ_OBLIGATOIRE"),
    ("State, EJ", dict(buyer=STATE_BUYER, engagement="1300012345"), None),
    ("State, FACTURES_PUBLIQUES", dict(buyer=STATE_BUYER, engagement="1300012345",
                                       service="FACTURES_PUBLIQUES"), "SERVICE_RESERVE"),
    ("State service needs EJ", dict(buyer=STATE_BUYER, service="DGFIP-BIB"), "EJ_OBLIGATOIRE"),
    ("EJ required, missing", dict(buyer=EJ_BUYER), "EJ_OBLIGATOIRE"),
    ("EJ of 50 characters", dict(buyer=EJ_BUYER, engagement="E" * 50), None),
    ("EJ of 51 characters", dict(buyer=EJ_BUYER, engagement="E" * 51), "EJ_TROP_LONG"),
    ("either, none", dict(buyer=EITHER_BUYER), "SERVICE_OU_EJ_OBLIGATOIRE"),
    ("either, service", dict(buyer=EITHER_BUYER, service="CULTURE"), None),
    ("either, EJ", dict(buyer=EITHER_BUYER, engagement="EJ-9"), None),
    ("both, service only", dict(buyer=BOTH_BUYER, service="MEDIA10"), "EJ_OBLIGATOIRE"),
    ("both, EJ only", dict(buyer=BOTH_BUYER, engagement="AUBE-2026-0007"),
     "SERVICE_OBLIGATOIRE"),
    ("both, both", dict(buyer=BOTH_BUYER, service="MEDIA10", engagement="AUBE-2026-0007"), None),
    ("currency", dict(currency="USD"), "DEVISE_NON_ACCEPTEE"),
    ("totals", dict(break_totals=True), "TOTAUX_INCOHERENTS"),
    ("SIRET scheme 1", dict(scheme="1"), None),
    ("SIRET scheme SIRET", dict(scheme="SIRET"), None),
    ("not a SIRET scheme", dict(scheme="0002"), "FOURNISSEUR_INCONNU"),
]


@pytest.mark.parametrize("options, expected", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_structure_rules(options, expected):
    errors = check_invoice_document(ubl_invoice("R-1", **options), UBL, DIRECTORY)
    assert [e["code"] for e in errors][:1] == ([expected] if expected else [])
    for error in errors:
        assert error["invoice_number"] == "R-1"
        assert set(error) == {"code", "message", "invoice_number", "supplier_siret",
                              "buyer_siret"}


def test_every_rule_holds_end_to_end(sandbox, client):
    files = {f"{n}.xml": ubl_invoice(f"E-{n}", **options)
             for n, (_, options, _) in enumerate(RULES)}
    report = deposit(client, sandbox, "all.zip", zip_of(files))
    refused = {e["numeroDP"] for e in report["listeErreurDP"]}
    assert refused == {f"E-{n}" for n, (_, _, expected) in enumerate(RULES) if expected}
    assert report["status"] == "IN_INTEGRE_PARTIEL"


def test_rule_messages_read_like_chorus():
    [service] = check_invoice_document(ubl_invoice("M", buyer=SERVICE_BUYER), UBL, DIRECTORY)
    assert service["message"] == "Le code service est obligatoire pour ce destinataire."
    supplier = check_invoice_document(ubl_invoice("M", supplier="12345678900011"), UBL,
                                      DIRECTORY)[0]
    assert supplier["message"] == (
        "L'identifiant fournisseur de la demande de paiement (balise : "
        "AccountingSupplierParty.Party.PartyIdentification.ID.value) n'est pas référencé dans "
        "notre système.")
    [buyer] = check_invoice_document(ubl_invoice("M", buyer=INACTIVE_BUYER), UBL, DIRECTORY)
    assert buyer["message"].startswith("Destinataire non trouvé ou inactif")


def test_line_sum_must_match_the_line_total():
    document = ubl_invoice("L", lines=((1, "10.00"), (1, "5.00"))).replace(
        b'<cbc:LineExtensionAmount currencyID="EUR">5.00</cbc:LineExtensionAmount>',
        b'<cbc:LineExtensionAmount currencyID="EUR">5.50</cbc:LineExtensionAmount>')
    [error] = check_invoice_document(document, UBL, DIRECTORY)
    assert error["code"] == "TOTAUX_INCOHERENTS"
    assert "15.50" in error["message"]


def test_fallback_locations_of_siret_and_service():
    document = ubl_invoice("FB", buyer=SERVICE_BUYER, scheme="XX").replace(
        b"</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplier",
        b"</cbc:RegistrationName><cbc:CompanyID>83210456600019</cbc:CompanyID>"
        b"</cac:PartyLegalEntity></cac:Party></cac:AccountingSupplier",
    ).replace(
        b"</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomer",
        b"</cbc:RegistrationName><cbc:CompanyID>26750001500016</cbc:CompanyID>"
        b"</cac:PartyLegalEntity><cac:Contact><cbc:ID>BIBLIO</cbc:ID></cac:Contact>"
        b"</cac:Party></cac:AccountingCustomer",
    )
    assert check_invoice_document(document, UBL, DIRECTORY) == []


def test_cii_rules():
    assert check_invoice_document(cii_invoice("C"), "IN_DP_E1_CII_16B", DIRECTORY) == []
    codes = [e["code"] for e in check_invoice_document(
        cii_invoice("C", buyer=BOTH_BUYER, break_totals=True), "IN_DP_E1_CII_16B", DIRECTORY)]
    assert codes == ["SERVICE_OBLIGATOIRE", "EJ_OBLIGATOIRE", "TOTAUX_INCOHERENTS"]


def test_wrong_document_type_and_duplicates_in_checks():
    [wrong] = check_invoice_document(cii_invoice("C"), UBL, DIRECTORY)
    assert (wrong["code"], wrong["invoice_number"]) == ("SYNTAXE_INCORRECTE", None)
    [broken] = check_invoice_document(b"<oops", UBL, DIRECTORY)
    assert broken["code"] == "XML_ILLISIBLE"
    [duplicate] = check_invoice_document(ubl_invoice("X"), UBL, DIRECTORY,
                                         {("83210456600019", "X")})
    assert duplicate["code"] == "DOUBLON"
    pdf = generate_from_binary(tiny_pdf(["X"]), cii_invoice("X"), check_xsd=False)
    assert check_invoice_document(pdf, "IN_DP_E2_CII_FACTURX", DIRECTORY) == []


def test_extract_invoices():
    assert extract_invoices(ubl_invoice("A"), "a.xml", UBL) == [("A", ubl_invoice("A"))]
    archive = zip_of({"x/a.xml": ubl_invoice("A"), "__MACOSX/._a.xml": b"junk",
                      "b.xml": cii_invoice("B")})
    assert [n for n, _ in extract_invoices(archive, "lot.zip", UBL)] == ["A", "b.xml"]
    units = extract_invoices(cpp_mixte([{"number": "M1", "ht": 1, "tva": 0, "ttc": 1},
                                        {"number": "M2", "ht": 1, "tva": 0, "ttc": 1}]),
                             "m.xml", "IN_DP_E2_CPP_FACTURE_MIN")
    assert [n for n, _ in units] == ["M1", "M2"]
    with pytest.raises(UnreadableFlow):
        extract_invoices(b"PK\x03\x04", "lot.zip", UBL)


# -- admin routes, log, clock, command line ------------------------------------------------
def test_admin_routes_over_http(sandbox, client):
    base = f"{sandbox.url}/_sandbox"
    client.deposit_flow("F.xml", ubl_invoice("F"), UBL)
    assert requests.post(f"{base}/advance", json={"seconds": 600}, timeout=5).json()["now"] \
        == "2026-09-14T09:10:00"
    [invoice] = requests.get(f"{base}/invoices", timeout=5).json()["invoices"]
    assert invoice["historique"] == ["DEPOSEE", "MISE_A_DISPOSITION"]
    answer = requests.post(f"{base}/set_status", json={"idFacture": invoice[
        "identifiantFactureCPP"], "nouveauStatut": "SUSPENDUE"}, timeout=5)
    assert (answer.status_code, answer.json()["codeRetour"]) == (400, 20001)
    requests.post(f"{base}/set_status", json={"idFacture": invoice["identifiantFactureCPP"],
                                              "nouveauStatut": "SERVICE_FAIT"}, timeout=5)
    assert client.get_invoice_history(invoice["identifiantFactureCPP"])["status"] == \
        "SERVICE_FAIT"
    [flow] = requests.get(f"{base}/flows", timeout=5).json()["flows"]
    assert flow["etatCourantDepotFlux"] == "IN_INTEGRE"
    requests.post(f"{base}/fail_next", json={"path": "/cpro/transverses/v1/health-check",
                                             "mode": "http_500"}, timeout=5)
    with pytest.raises(TransportError) as info:
        client.health_check()
    assert info.value.kind == "transient"
    assert requests.post(f"{base}/fail_next", json={"path": "/x", "mode": "boom"},
                         timeout=5).status_code == 400
    stats = requests.get(f"{base}/stats", timeout=5).json()
    assert stats["calls"]["/cpro/factures/v1/deposer/flux"] == 1
    client.deposit_flow("G.xml", ubl_invoice("G"), UBL)
    assert requests.post(f"{base}/process_all", timeout=5).json() == {"flows": 2}
    requests.post(f"{base}/reset", timeout=5)
    assert sandbox.invoices() == [] and sandbox.flows() == []
    assert requests.get(f"{base}/nothing", timeout=5).status_code == 404


def test_request_log_has_no_secret_nor_content(sandbox, client, tmp_path):
    document = ubl_invoice("LOG-1")
    client.deposit_flow("LOG-1.xml", document, UBL)
    client.search_structure(FREE_BUYER)
    log = (tmp_path / "requests.log").read_text()
    assert "POST /cpro/factures/v1/deposer/flux 200" in log
    assert "POST /api/oauth/token 200" in log
    for secret in ("sandbox-client-secret", "Sandbox-Tech-1", "LOG-1",
                   base64.b64encode(document).decode()[:30], *sandbox.platform.tokens):
        assert secret not in log


def test_sandbox_clock():
    clock = SandboxClock(start=START)
    clock.advance(90)
    assert clock.now() == START + datetime.timedelta(seconds=90)
    with pytest.raises(ValueError):
        clock.advance(-1)
    live = SandboxClock()
    before = datetime.datetime.now().replace(microsecond=0)
    live.advance(3600)
    assert live.now() >= before + datetime.timedelta(seconds=3600)


def test_live_times_read_back_as_the_moment_they_were_written():
    """Chorus Pro writes Paris time (to the minute in histories, with the offset in flow
    reports): read by the addon, a live sandbox time is now, not an hour off, so no buyer
    answer looks older than the sending."""
    before = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, second=0, microsecond=0)
    now = SandboxClock().now()
    after = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert before <= parse_chorus_datetime(state_module._minute(now)) <= after
    assert before <= parse_chorus_datetime(state_module._iso(now)) <= after


def test_command_line_runs_the_sandbox(tmp_path):
    log = tmp_path / "cli.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandboxes.chorus_pro", "--port", "0", "--log", str(log)],
        stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        first = process.stdout.readline()
        url = first.rsplit(" ", 1)[-1].strip()
        banner = "".join(process.stdout.readline() for _ in range(7))
        assert "sandbox-client-secret" in banner and "Sandbox-Tech-1" in banner
        token = requests.post(f"{url}/api/oauth/token", data={
            "grant_type": "client_credentials", "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret"}, timeout=5)
        assert token.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=5)
    assert "POST /api/oauth/token 200" in log.read_text()
