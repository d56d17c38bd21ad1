/** @odoo-module **/
/*
 * A supplier without API nor Dilifac, clicked through: select several invoices, export
 * them into one Chorus Pro portal file, download it, and see them marked as sent.
 *
 * Run by tests/test_tour_portal.py, which reads the downloaded file back.
 */
import {
    addJourney,
    askTheTest,
    notCut,
    openInvoices,
    screenshot,
    waitFor,
} from "@chorus_pro_dilifac/../tests/tours/chorus_tour_tools";

const BUYERS = ["Commune de Saint-Libre", "Bibliothèque DGFiP", "Centre hospitalier de Paris-Est"];

addJourney("chorus_pro_dilifac_portal_tour", () => [
    ...openInvoices(),
    ...BUYERS.map((buyer) => ({
        content: `An invoice to ${buyer}`,
        trigger: `.o_list_view .o_data_row:contains(${buyer})`,
    })),
    {
        content: "Select them all",
        trigger: ".o_list_view thead .o_list_record_selector input",
        run: "click",
    },
    {
        content: "Actions",
        trigger: ".o_cp_action_menus button:has(.fa-cog)",
        run: "click",
    },
    {
        content: "Chorus Pro portal file",
        trigger: ".o-dropdown--menu .o_menu_item:contains(Chorus Pro)",
        run: "click",
    },
    ...BUYERS.map((buyer) => ({
        content: `The file will hold the invoice to ${buyer}`,
        trigger: `.modal div[name=line_ids] .o_data_row:contains(${buyer})`,
    })),
    {
        content: "Paid by credit transfer",
        trigger: ".modal div[name=payment_means] select",
        run: 'select "30"',
    },
    {
        content: "Mark them as sent once the file is built",
        trigger: ".modal div[name=mark_as_sent] input",
        run: "check",
    },
    notCut(
        "the portal file's columns at 1280 px",
        ".modal div[name=line_ids] thead th span.text-truncate, .modal div[name=line_ids] td.o_data_cell"
    ),
    ...screenshot("portal_export_wizard"),
    {
        content: "Build the file",
        trigger: ".modal footer button[name=action_export]",
        run: "click",
    },
    ...waitFor("The file is built", ".modal div[name=file_ids] a.o_form_uri"),
    {
        content: "Download the file",
        trigger: ".modal div[name=file_ids] a.o_form_uri",
        run: "click",
    },
    ...askTheTest("portal_file", null, 300),
    ...screenshot("portal_file_ready"),
    {
        content: "Close the file's own dialog, opened by the click on its row",
        trigger: ".modal:last .modal-header button.btn-close",
        run: "click",
    },
    {
        content: "Close",
        trigger: ".modal footer button.btn-secondary",
        run: "click",
    },
    {
        trigger: "body:not(:has(.modal))",
    },
]);
