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


@pytest.mark.parametrize("code, summary", [
    ("DEPOSEE", "sent"),
    ("EN_COURS_ACHEMINEMENT", "sent"),
    ("COMPLETEE", "sent"),
    ("A_VALIDER_1", "sent"),
    ("STATUT_INCONNU", "sent"),
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
def test_summary_state(code, summary):
    assert cs.summary_state(code) == summary
    assert summary in cs.SUMMARY_STATES


def test_every_known_status_summarises_to_a_known_key():
    assert {cs.summary_state(code) for code in cs.INVOICE_STATUSES} <= set(cs.SUMMARY_STATES)


def test_terminal_and_action_required_sets():
    assert cs.TERMINAL == {"MISE_EN_PAIEMENT", "REJETEE", "SUPPRIMEE", "ABANDONNEE"}
    assert cs.ACTION_REQUIRED == {"A_RECYCLER", "SUSPENDUE", "A_COMPLETER"}
    assert not cs.TERMINAL & cs.ACTION_REQUIRED
    assert (cs.TERMINAL | cs.ACTION_REQUIRED) <= set(cs.INVOICE_STATUSES)


@pytest.mark.parametrize("code, final", [
    ("MISE_EN_PAIEMENT", True), ("REJETEE", True), ("SUPPRIMEE", True), ("ABANDONNEE", True),
    ("A_RECYCLER", False), ("SUSPENDUE", False), ("MANDATEE", False), ("COMPTABILISEE", False),
    ("MISE_A_DISPOSITION", False), ("DEPOSEE", False), (None, False),
])
def test_is_final(code, final):
    assert cs.is_final(code) is final


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
