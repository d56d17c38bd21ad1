{
    "name": "Chorus Pro e-invoicing (API, Dilifac, portal)",
    "summary": "Send invoices and credit notes to French public buyers through Chorus Pro, "
    "directly, via Dilifac or as a portal file, and follow them until paid",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations/EDI",
    "countries": ["fr"],
    "license": "AGPL-3",
    "author": "chorus_pro_dilifac developers",
    "website": "https://github.com/chorus-pro-dilifac/chorus_pro_dilifac",
    "depends": [
        "account",
        "l10n_fr_account",
        "account_edi_ubl_cii",
        "l10n_fr_facturx_chorus_pro",
    ],
    "external_dependencies": {
        "python": ["requests", "paramiko", "facturx", "saxonche"],
    },
    "data": [
        "security/chorus_pro_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "data/ubl_chorus_templates.xml",
        "data/cii_chorus_templates.xml",
        "views/chorus_pro_service_views.xml",
        "views/chorus_pro_history_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/account_payment_term_views.xml",
        "views/res_config_settings_views.xml",
        "views/chorus_portal_export_views.xml",
        "data/ir_cron_followup.xml",
        "views/account_move_followup_views.xml",
        "views/chorus_recycle_wizard_views.xml",
        "views/chorus_complete_wizard_views.xml",
        "views/chorus_rejection_wizard_views.xml",
        "views/report_invoice_duplicata.xml",
    ],
    "demo": [
        "demo/chorus_pro_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "chorus_pro_dilifac/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
