"""The action that shows a wizard again in its dialog, after a button that fills it (a
directory search, a portal file built): a button's own answer would close the dialog."""


def reopen(wizard, title):
    return {
        "type": "ir.actions.act_window",
        "res_model": wizard._name,
        "res_id": wizard.id,
        "view_mode": "form",
        "target": "new",
        "name": title,
    }
