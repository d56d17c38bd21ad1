"""Chorus Pro flow and invoice statuses, their French labels, and what they mean for us.

Flow statuses are chorus-pro.md §4.1, invoice statuses the full enum of §4.2. The Odoo
layer stores the raw Chorus code and shows ``summary_state``, a short list a bookseller
understands, computed here so the cron, the views and the tests agree.

assumed (the spec is silent):

* ``QP_RECEVABLE`` and ``IN_EN_ATTENTE_RETRAITEMENT_CPP`` are pending (not final).
* ``EN_ATTENTE_RECYCLAGE_FOURNISSEUR`` waits for the supplier like ``A_RECYCLER``:
  summary ``to_recycle``, action required.
* Validator, project-manager and works statuses (``A_VALIDER_*``, ``*_MOE``, ``*_MOA``...)
  do not occur for an A1 invoice; they summarise as ``sent`` (pending), except the
  ``MISE_A_DISPOSITION_MOA``/``PRISE_EN_COMPTE_MOA``/``TRANSMISE_MOA`` ones
  (``made_available``). An unknown code is ``sent`` too, so polling goes on.
"""

FLOW_STATUSES = {
    "IN_RECU": "Reçu",
    "IN_TRAITE_SE_CPP": "Traité par le système d'échange",
    "IN_EN_ATTENTE_TRAITEMENT_CPP": "En attente de traitement",
    "IN_EN_COURS_TRAITEMENT_CPP": "En cours de traitement",
    "IN_EN_ATTENTE_RETRAITEMENT_CPP": "En attente de retraitement",
    "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP": "Dépôt en attente de traitement",
    "IN_INTEGRE": "Intégré",
    "IN_INTEGRE_PARTIEL": "Intégré partiellement",
    "IN_REJETE": "Rejeté",
    "IN_INCIDENTE": "Incidenté",
    "QP_IRRECEVABLE": "Irrecevable",
    "QP_RECEVABLE": "Recevable",
    "QP_RECEVABLE_AVEC_ERREUR": "Recevable avec erreur",
}
FLOW_SUCCESS = frozenset({"IN_INTEGRE"})
FLOW_PARTIAL = frozenset({"IN_INTEGRE_PARTIEL"})
FLOW_FAILURE = frozenset({"IN_REJETE", "IN_INCIDENTE", "QP_IRRECEVABLE",
                          "QP_RECEVABLE_AVEC_ERREUR"})
FLOW_FINAL = FLOW_SUCCESS | FLOW_PARTIAL | FLOW_FAILURE

INVOICE_STATUSES = {
    "BROUILLON": "Brouillon",
    "A_VALIDER_1": "À valider par le premier valideur",
    "ERREUR_FOURNISSEUR_SUR_VALIDEUR": "Erreur du fournisseur sur le valideur",
    "REFUSEE_1": "Refusée par le premier valideur",
    "VALIDEE_1": "Validée par le premier valideur",
    "ABSENCE_VALIDATION_1_HORS_DELAI": "Absence de validation du premier valideur dans le délai",
    "A_VALIDER_2": "À valider par le second valideur",
    "ERREUR_COTRAITANT_SUR_VALIDEUR": "Erreur du cotraitant sur le valideur",
    "REFUSEE_2": "Refusée par le second valideur",
    "VALIDEE_2": "Validée par le second valideur",
    "ABSENCE_VALIDATION_2_HORS_DELAI": "Absence de validation du second valideur dans le délai",
    "DEPOSEE": "Déposée",
    "ERREUR_FOURNISSEUR_SUR_MOE": "Erreur du fournisseur sur la maîtrise d'œuvre",
    "EN_COURS_ACHEMINEMENT": "En cours d'acheminement",
    "MISE_A_DISPOSITION": "Mise à disposition du destinataire",
    "A_RECYCLER": "À recycler",
    "SUSPENDUE": "Suspendue",
    "REJETEE": "Rejetée",
    "MANDATEE": "Mandatée",
    "MISE_EN_PAIEMENT": "Mise en paiement",
    "COMPTABILISEE": "Comptabilisée",
    "MISE_A_DISPOSITION_COMPTABLE": "Mise à disposition du comptable",
    "ABANDONNEE": "Abandonnée",
    "SUPPRIMEE": "Supprimée",
    "ASSOCIEE": "Associée",
    "EN_COURS_TRAITEMENT_PIVOT_S": "En cours de traitement",
    "A_VALIDER_MOE": "À valider par la maîtrise d'œuvre",
    "REFUSEE_MOE": "Refusée par la maîtrise d'œuvre",
    "EN_ATTENTE_RECYCLAGE_FOURNISSEUR": "En attente de recyclage par le fournisseur",
    "ERREUR_MOE_SUR_FOURNISSEUR": "Erreur de la maîtrise d'œuvre sur le fournisseur",
    "ERREUR_MOA_SUR_FOURNISSEUR": "Erreur de la maîtrise d'ouvrage sur le fournisseur",
    "INTERPRETEE_OCR": "Interprétée par reconnaissance de caractères",
    "COMPLETEE": "Complétée",
    "ERREUR_FOURNISSEUR_SUR_MOA": "Erreur du fournisseur sur la maîtrise d'ouvrage",
    "ERREUR_MOE_SUR_MOA": "Erreur de la maîtrise d'œuvre sur la maîtrise d'ouvrage",
    "ERREUR_DESTINATAIRE_PD": "Erreur de destinataire (PD)",
    "ERREUR_DESTINATAIRE_EA": "Erreur de destinataire (EA)",
    "SERVICE_FAIT": "Service fait",
    "NON_CONFORME": "Non conforme",
    "A_ASSOCIER_MOE": "À associer par la maîtrise d'œuvre",
    "ERREUR_DE_MOE": "Erreur de maîtrise d'œuvre",
    "MISE_A_DISPOSITION_MOE": "Mise à disposition de la maîtrise d'œuvre",
    "PRISE_EN_COMPTE_MOE": "Prise en compte par la maîtrise d'œuvre",
    "A_ASSOCIER_MOA": "À associer par la maîtrise d'ouvrage",
    "ERREUR_DE_MOA": "Erreur de maîtrise d'ouvrage",
    "REFUSEE_MOA": "Refusée par la maîtrise d'ouvrage",
    "A_ASSOCIER_FOURNISSEUR": "À associer par le fournisseur",
    "REFUSEE_FOURNISSEUR": "Refusée par le fournisseur",
    "A_COMPLETER": "À compléter",
    "TRANSMISE_MOA": "Transmise à la maîtrise d'ouvrage",
    "PRISE_EN_COMPTE_DESTINATAIRE": "Prise en compte par le destinataire",
    "REMPLACEE_PAR_A22": "Remplacée par un projet de décompte général tacite (A22)",
    "DUPLIQUE_APRES_REFUS": "Dupliquée après refus",
    "MISE_A_DISPOSITION_MOA": "Mise à disposition de la maîtrise d'ouvrage",
    "PRISE_EN_COMPTE_MOA": "Prise en compte par la maîtrise d'ouvrage",
    "ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE":
        "Absence de validation de la maîtrise d'œuvre dans le délai réglementaire",
    "TECHNIQUE_INCONNU": "Statut technique inconnu",
}
TERMINAL = frozenset({"MISE_EN_PAIEMENT", "REJETEE", "SUPPRIMEE", "ABANDONNEE"})
ACTION_REQUIRED = frozenset({"A_RECYCLER", "SUSPENDUE", "A_COMPLETER"})

# Summary keys in life-cycle order, with the label the Odoo selection shows.
SUMMARY_STATES = {
    "sent": "Envoyée",
    "made_available": "Mise à disposition",
    "service_done": "Service fait",
    "mandated": "Mandatée",
    "paid": "Mise en paiement",
    "suspended": "Suspendue",
    "to_recycle": "À recycler",
    "rejected": "Rejetée",
    "cancelled": "Annulée",
}
_SUMMARY = {
    "MISE_A_DISPOSITION": "made_available",
    "PRISE_EN_COMPTE_DESTINATAIRE": "made_available",
    "TRANSMISE_MOA": "made_available",
    "MISE_A_DISPOSITION_MOA": "made_available",
    "PRISE_EN_COMPTE_MOA": "made_available",
    "SERVICE_FAIT": "service_done",
    "MANDATEE": "mandated",
    "MISE_A_DISPOSITION_COMPTABLE": "mandated",
    "COMPTABILISEE": "mandated",
    "MISE_EN_PAIEMENT": "paid",
    "REJETEE": "rejected",
    "SUSPENDUE": "suspended",
    "A_COMPLETER": "suspended",
    "A_RECYCLER": "to_recycle",
    "EN_ATTENTE_RECYCLAGE_FOURNISSEUR": "to_recycle",
    "SUPPRIMEE": "cancelled",
    "ABANDONNEE": "cancelled",
}


def summary_state(invoice_status):
    """The summary key (see ``SUMMARY_STATES``) of a Chorus invoice status code."""
    return _SUMMARY.get(invoice_status, "sent")


def is_final(invoice_status):
    """True when the invoice will not move any more: stop polling it."""
    return invoice_status in TERMINAL


def invoice_status_label(code):
    return INVOICE_STATUSES.get(code, code or "")


def flow_status_label(code):
    return FLOW_STATUSES.get(code, code or "")


def flow_outcome(flow_status):
    """``success``, ``partial``, ``failure`` or ``pending`` for a flow status code."""
    if flow_status in FLOW_SUCCESS:
        return "success"
    if flow_status in FLOW_PARTIAL:
        return "partial"
    if flow_status in FLOW_FAILURE:
        return "failure"
    return "pending"


def is_flow_final(flow_status):
    return flow_status in FLOW_FINAL
