"""Chorus Pro flow and invoice statuses, their French labels, and what they mean for us.

Flow statuses are chorus-pro.md §4.1, invoice statuses the full enum of §4.2. The Odoo
layer stores the raw code and shows one of ``STATES``, a short list a bookseller
understands. Every code -> state mapping and every group of states lives here, so the
crons, the models, the views and the tests agree.

assumed (the spec is silent):

* ``QP_RECEVABLE`` and ``IN_EN_ATTENTE_RETRAITEMENT_CPP`` are pending (not final).
* ``EN_ATTENTE_RECYCLAGE_FOURNISSEUR`` waits for the supplier like ``A_RECYCLER``:
  state ``to_recycle``, action required.
* Validator, project-manager and works statuses (``A_VALIDER_*``, ``*_MOE``, ``*_MOA``...)
  do not occur for an A1 invoice; they are ``integrated`` (pending), except the
  ``MISE_A_DISPOSITION_MOA``/``PRISE_EN_COMPTE_MOA``/``TRANSMISE_MOA`` ones
  (``made_available``). An unknown code is ``integrated`` too, so polling goes on.
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
# -- the Odoo side: one table for every transport ------------------------------------

# The state an accountant reads on the invoice, in life-cycle order: when two events of
# an invoice carry the same date, the one later in this list wins.
STATES = (
    ("not_concerned", "Not concerned"),
    ("to_transmit", "To transmit"),
    ("sending", "Being sent"),
    ("sent", "Sent, awaiting answer"),
    ("error", "Error"),
    ("integrated", "Integrated"),
    ("made_available", "Made available"),
    ("suspended", "Suspended"),
    ("to_recycle", "To recycle"),
    ("service_done", "Service done"),
    ("mandated", "Mandated"),
    ("paid", "Paid"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
)
_RANK = {state: rank for rank, (state, _label) in enumerate(STATES)}

# Groups of states, each used by the code that decides something from it.
# Nothing valid left Odoo: routing data may change, the invoice may be reset or cancelled.
EDITABLE = ("not_concerned", "to_transmit", "error")
# What a sender may (re)send; 'sending' is looked up on the other side first.
SENDABLE = ("to_transmit", "error")
# Left Odoo, no answer from the buyer's side yet.
AWAITING = ("sending", "sent", "integrated")
# A person must act (correct, recycle, complete, process the rejection).
ATTENTION = ("error", "rejected", "suspended", "to_recycle")
# The invoice will not move any more on Chorus Pro: polling stops.
FINAL = ("paid", "rejected", "cancelled")

# Chorus Pro invoice status (§4.2) -> Odoo state; any other code is 'integrated'
# (deposited on Chorus Pro, on its way), so polling goes on.
_CHORUS_INVOICE = {
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
# Dilifac's own statuses (dilifac.md "Notifications") -> Odoo state.
_DILIFAC = {"RECU": "sent", "TRANSMIS": "sent", "REJETE": "error"}


def chorus_invoice_state(invoice_status):
    """The Odoo state of a Chorus Pro invoice status code."""
    return _CHORUS_INVOICE.get(invoice_status, "integrated")


def chorus_flow_state(flow_status):
    """The Odoo state a final flow report gives its invoices when they are not found
    integrated: 'error' for a refused flow, None otherwise."""
    return "error" if flow_status in FLOW_FAILURE else None


def dilifac_state(status):
    """The Odoo state of a Dilifac status (RECU, TRANSMIS, REJETE), None if unknown."""
    return _DILIFAC.get(status)


def state_rank(state):
    """Position of ``state`` in the life cycle (tie-break between same-dated events)."""
    return _RANK.get(state, -1)


# Dilifac writes its two steps in the same minute: received comes before forwarded.
_CODE_RANK = {"RECU": 0, "TRANSMIS": 1, "REJETE": 2}


def history_rank(source, state, code):
    """Where a history line goes among the lines of the same date, for the list (newest
    first): by life cycle, as ``event_order``. A flow's report without a state of its
    own (integrated) comes with the deposited invoice, above the sending, below what
    Chorus Pro says of the invoice next."""
    if not state and source == "chorus_flow":
        state = "integrated"
    return 4 * (state_rank(state) + 1) + _CODE_RANK.get(code, 0)


def event_order(date, state, code, key=""):
    """Sort key of an event from the other side: newest by date, then by life cycle.

    Dates are compared to the minute, the precision of Dilifac's notifications and of
    Chorus Pro's status history, so that two events of the same minute are ordered by
    what they mean, never by the order they were read in. ``key`` (the event's own
    key) only makes the order total.
    """
    minute = date.replace(second=0, microsecond=0) if date else None
    return (minute is not None, minute, state_rank(state), _CODE_RANK.get(code, 0),
            code or "", key or "")


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
