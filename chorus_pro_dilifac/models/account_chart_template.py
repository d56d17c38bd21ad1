from odoo import models
from odoo.addons.account.models.chart_template import template

# The 0 % sale taxes of the French chart and the exemption they stand for.
FR_EXEMPTIONS = {
    "tva_sale_good_0": "VATEX-EU-132",
    "tva_sale_service_0": "VATEX-EU-132",
    "tva_sale_good_export_0": "VATEX-EU-G",
    "tva_sale_service_export_0": "VATEX-EU-G",
    "tva_sale_good_intra_0": "VATEX-EU-IC",
    "tva_sale_service_intra_0": "VATEX-EU-IC",
}


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    @template("fr", "account.tax")
    def _get_fr_chorus_account_tax(self):
        """French default exemption reasons, so that exempt lines carry a legal ground."""
        from ..lib.codes import VATEX_DEFAULT_TEXT

        return {
            xmlid: {
                "chorus_exemption_code": code,
                "chorus_exemption_reason": VATEX_DEFAULT_TEXT[code],
            }
            for xmlid, code in FR_EXEMPTIONS.items()
        }
