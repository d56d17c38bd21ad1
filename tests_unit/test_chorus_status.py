"""Status tables of chorus-pro.md §4: every code labelled, summaries and finality as agreed."""
import pytest

from chorus_pro_dilifac.lib import chorus_status as cs

# The full enum of §4.2, copied from the spec on purpose: a label missing fails here.
SPEC_INVOICE_ENUM = """
BROUILLON A_VALIDER_1 ERREUR_FOURNISSEUR_SUR_VALIDEUR REFUSEE_1 VALIDEE_1
ABSENCE_VALIDATION_1_HORS_DELAI A_VALIDER_2 ERREUR_COTRAITANT_SUR_VALIDEUR REFUSEE_2 VALIDEE_2
ABSENCE_VALIDATION_2_HORS_DELAI DEPOSEE ERREUR_FOURNISSEUR_SUR_MOE EN_COURS_ACHEMINEMENT
MISE_A_DISPOSITION A_RECYCLER SUSPENDUE REJETEE MANDATEE MISE_EN_PAIEMENT COMPTABILISEE
MISE_A_DISPOSITION_COMPTABLE ABANDONNEE SUPPRIMEE ASSOCIEE EN_COURS_TRAITEMENT_PIVOT_S
A_VALIDER_MOE REFUSEE_MOE EN_ATTENTE_RECYCLAGE_FOURNISSEUR ERREUR_MOE_SUR_FOURNISSEUR
ERREUR_MOA_SUR_FOURNISSEUR INTERPRETEE_OCR COMPLETEE ERREUR_FOURNISSEUR_SUR_MOA ERREUR_MOE_SUR_MOA
ERREUR_DESTINATAIRE_PD ERREUR_DESTINATAIRE_EA SERVICE_FAIT NON_CONFORME A_ASSOCIER_MOE
ERREUR_DE_MOE MISE_A_DISPOSITION_MOE PRISE_EN_COMPTE_MOE A_ASSOCIER_MOA ERREUR_DE_MOA REFUSEE_MOA
A_ASSOCIER_FOURNISSEUR REFUSEE_FOURNISSEUR A_COMPLETER TRANSMISE_MOA PRISE_EN_COMPTE_DESTINATAIRE
REMPLACEE_PAR_A22 DUPLIQUE_APRES_REFUS MISE_A_DISPOSITION_MOA PRISE_EN_COMPTE_MOA
ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE TECHNIQUE_INCONNU
""".split()


def test_every_invoice_status_of_the_spec_has_a_french_label():
    assert len(SPEC_INVOICE_ENUM) == 57
    assert set(cs.INVOICE_STATUSES) == set(SPEC_INVOICE_ENUM)
    assert all(label and label != code for code, label in cs.INVOICE_STATUSES.items())


@pytest.mark.parametrize("code, label", [
    ("MISE_A_DISPOSITION", "Mise à disposition du destinataire"),
    ("MISE_EN_PAIEMENT", "Mise en paiement"),
    ("A_RECYCLER", "À recycler"),
    ("SUSPENDUE", "Suspendue"),
    ("REJETEE", "Rejetée"),
    ("SERVICE_FAIT", "Service fait"),
    ("MANDATEE", "Mandatée"),
    ("DEPOSEE", "Déposée"),
    ("COMPLETEE", "Complétée"),
])
def test_main_invoice_labels(code, label):
    assert cs.invoice_status_label(code) == label


def test_unknown_codes_label_as_themselves():
    assert cs.invoice_status_label("NOUVEAU_STATUT") == "NOUVEAU_STATUT"
    assert cs.flow_status_label("IN_NOUVEAU") == "IN_NOUVEAU"
    assert cs.invoice_status_label(None) == ""


@pytest.mark.parametrize("code, state", [
    ("DEPOSEE", "integrated"),
    ("EN_COURS_ACHEMINEMENT", "integrated"),
    ("COMPLETEE", "integrated"),
    ("A_VALIDER_1", "integrated"),
    ("STATUT_INCONNU", "integrated"),
    ("MISE_A_DISPOSITION", "made_available"),
    ("PRISE_EN_COMPTE_DESTINATAIRE", "made_available"),
    ("SERVICE_FAIT", "service_done"),
    ("MANDATEE", "mandated"),
    ("MISE_A_DISPOSITION_COMPTABLE", "mandated"),
    ("COMPTABILISEE", "mandated"),
    ("MISE_EN_PAIEMENT", "paid"),
    ("REJETEE", "rejected"),
    ("SUSPENDUE", "suspended"),
    ("A_COMPLETER", "suspended"),
    ("A_RECYCLER", "to_recycle"),
    ("SUPPRIMEE", "cancelled"),
    ("ABANDONNEE", "cancelled"),
])
def test_chorus_invoice_state(code, state):
    assert cs.chorus_invoice_state(code) == state


def test_every_mapping_lands_on_a_known_state():
    states = {key for key, _label in cs.STATES}
    assert {cs.chorus_invoice_state(code) for code in cs.INVOICE_STATUSES} <= states
    assert {cs.dilifac_state(code) for code in ("RECU", "TRANSMIS", "REJETE")} <= states
    for group in (cs.EDITABLE, cs.SENDABLE, cs.AWAITING, cs.ATTENTION, cs.FINAL):
        assert set(group) <= states


@pytest.mark.parametrize("code, state", [("RECU", "sent"), ("TRANSMIS", "sent"),
                                         ("REJETE", "error"), ("AUTRE", None)])
def test_dilifac_state(code, state):
    assert cs.dilifac_state(code) == state


def test_final_states_are_never_awaiting_nor_editable():
    assert set(cs.FINAL) == {"paid", "rejected", "cancelled"}
    assert not set(cs.FINAL) & set(cs.AWAITING)
    assert not set(cs.FINAL) & set(cs.EDITABLE)


def test_life_cycle_order_breaks_ties_forwards():
    order = ["sent", "integrated", "made_available", "service_done", "mandated", "paid"]
    assert [cs.state_rank(s) for s in order] == sorted(cs.state_rank(s) for s in order)
    assert cs.state_rank("error") > cs.state_rank("sent"), "REJETE beats RECU of the same minute"


def test_refused_flow_puts_its_invoices_in_error():
    assert cs.chorus_flow_state("IN_REJETE") == "error"
    assert cs.chorus_flow_state("IN_INTEGRE") is None


@pytest.mark.parametrize("code, outcome", [
    ("IN_RECU", "pending"),
    ("IN_TRAITE_SE_CPP", "pending"),
    ("IN_EN_ATTENTE_TRAITEMENT_CPP", "pending"),
    ("IN_EN_COURS_TRAITEMENT_CPP", "pending"),
    ("IN_EN_ATTENTE_RETRAITEMENT_CPP", "pending"),
    ("QP_RECEVABLE", "pending"),
    ("IN_INTEGRE", "success"),
    ("IN_INTEGRE_PARTIEL", "partial"),
    ("IN_REJETE", "failure"),
    ("IN_INCIDENTE", "failure"),
    ("QP_IRRECEVABLE", "failure"),
    ("QP_RECEVABLE_AVEC_ERREUR", "failure"),
])
def test_flow_outcome_and_finality(code, outcome):
    assert code in cs.FLOW_STATUSES
    assert cs.flow_outcome(code) == outcome
    assert cs.is_flow_final(code) is (outcome != "pending")


def test_flow_labels():
    assert cs.flow_status_label("IN_INTEGRE") == "Intégré"
    assert cs.flow_status_label("IN_INTEGRE_PARTIEL") == "Intégré partiellement"
    assert cs.flow_status_label("IN_REJETE") == "Rejeté"


def test_event_order_is_date_then_life_cycle():
    import datetime
    day = datetime.datetime(2026, 11, 5, 9, 0, 12)
    later = datetime.datetime(2026, 11, 10, 9, 0)
    paid = cs.event_order(later, "paid", "MISE_EN_PAIEMENT")
    done = cs.event_order(day, "service_done", "SERVICE_FAIT")
    assert max(paid, done) == paid, "the newest event wins whatever its meaning"
    received = cs.event_order(day, "sent", "RECU")
    forwarded = cs.event_order(day.replace(second=40), "sent", "TRANSMIS")
    rejected = cs.event_order(day.replace(second=1), "error", "REJETE")
    assert sorted([rejected, forwarded, received]) == [received, forwarded, rejected]


def test_lines_of_the_same_minute_are_listed_in_life_cycle_order():
    """The invoice's history lists the newest first; within a minute, by what happened."""
    sent = cs.history_rank("odoo", "sent", "SENT")
    flow_integrated = cs.history_rank("chorus_flow", None, "IN_INTEGRE")
    deposited = cs.history_rank("chorus_invoice", cs.chorus_invoice_state("DEPOSEE"), "DEPOSEE")
    available = cs.history_rank(
        "chorus_invoice", cs.chorus_invoice_state("MISE_A_DISPOSITION"), "MISE_A_DISPOSITION"
    )
    assert sent < flow_integrated <= deposited < available
    received = cs.history_rank("dilifac", "sent", "RECU")
    assert received < cs.history_rank("dilifac", "sent", "TRANSMIS")
