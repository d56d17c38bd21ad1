/** @odoo-module **/
/*
 * The whole Chorus Pro flow clicked through, as an accountant does it: check a public
 * customer in the Chorus Pro directory, invoice it, send the invoice to Chorus Pro and
 * see its state change once Chorus Pro has processed it.
 *
 * Run by tests/test_tour.py against a local Chorus Pro sandbox. A step may ask the
 * test for something the browser cannot do (a screenshot, letting the sandbox process
 * the flows) by logging "chorus_tour:<request>"; the test answers by setting
 * body[data-chorus-tour="<request>"], which the next step waits for.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CUSTOMER = "Commune de Saint-Libre";
const PRODUCT = "Roman de poche";

function screenshot(name) {
    return [
        {
            content: "Close the notifications",
            trigger: "body",
            run() {
                for (const button of document.querySelectorAll(".o_notification_close")) {
                    button.click();
                }
            },
        },
        {
            content: "Show the Chorus Pro tab at the top of the screen",
            trigger: ".o_form_view .o_notebook",
            run() {
                this.anchor.scrollIntoView({ block: "start" });
            },
        },
        ...askTheTest(`screenshot:${name}`),
    ];
}

function askTheTest(request) {
    return [
        {
            content: `Ask the test: ${request}`,
            trigger: "body",
            run() {
                console.log(`chorus_tour:${request}`);
            },
        },
        {
            content: `The test did: ${request}`,
            trigger: `body[data-chorus-tour="${request}"]`,
        },
    ];
}

registry.category("web_tour.tours").add("chorus_pro_dilifac_tour", {
    url: "/odoo",
    steps: () => [
        // -- the public customer -------------------------------------------------------
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Customers menu",
            trigger: ".o_menu_sections [data-menu-xmlid='account.menu_finance_receivables']",
            run: "click",
        },
        {
            content: "Customers",
            trigger: ".dropdown-item[data-menu-xmlid='account.menu_account_customer']",
            run: "click",
        },
        {
            content: "Search the public customer",
            trigger: ".o_searchview_input",
            run: `edit ${CUSTOMER}`,
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Open it",
            trigger: `.o_kanban_record:contains(${CUSTOMER})`,
            run: "click",
        },
        {
            content: "Its Chorus Pro tab",
            trigger: ".o_form_view .o_notebook a.nav-link:contains(Chorus Pro)",
            run: "click",
        },
        {
            content: "Check it in the Chorus Pro directory",
            trigger: "button[name=action_chorus_check_directory]",
            run: "click",
        },
        {
            content: "The directory answered: the structure is active and has services",
            trigger: "div[name=chorus_structure_active] input:checked",
        },
        {
            trigger: "div[name=chorus_service_ids] .o_data_row:contains(MEDIATHEQUE)",
        },
        ...screenshot("partner_chorus_tab"),

        // -- the invoice ---------------------------------------------------------------------
        {
            content: "Customers menu",
            trigger: ".o_menu_sections [data-menu-xmlid='account.menu_finance_receivables']",
            run: "click",
        },
        {
            content: "Invoices",
            trigger: ".dropdown-item[data-menu-xmlid='account.menu_action_move_out_invoice_type']",
            run: "click",
        },
        {
            content: "New invoice",
            trigger: "button.o_list_button_add",
            run: "click",
        },
        {
            content: "For the public customer",
            trigger: "div[name=partner_id] input",
            run: `edit ${CUSTOMER}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option) a:contains(${CUSTOMER})`,
            run: "click",
        },
        {
            content: "Add a line",
            trigger: "div[name=invoice_line_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: "div[name=invoice_line_ids] .o_selected_row div[name=product_id] input",
            run: `edit ${PRODUCT}`,
        },
        {
            content: "A book, at 5.5 % VAT",
            trigger: `.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option) a:contains(${PRODUCT})`,
            run: "click",
        },
        {
            trigger: "div[name=invoice_line_ids] .o_selected_row div[name=quantity] input",
            run: "edit 12",
        },
        {
            content: "Confirm the invoice",
            trigger: "button[name=action_post]",
            run: "click",
        },
        {
            content: "Posted",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Posted)",
        },
        {
            content: "Send it to Chorus Pro: Send & Print opens with Chorus Pro ticked",
            trigger: "button[name=action_chorus_send]",
            run: "click",
        },
        {
            content: "Send",
            trigger: ".modal button[name=action_send_and_print]:visible",
            run: "click",
        },
        {
            content: "Sent: the send button is gone, the status refresh button is there",
            trigger: "button[name=action_chorus_interface]",
        },
        {
            trigger: ".o_form_view .o_notebook a.nav-link:contains(Chorus Pro)",
            run: "click",
        },
        {
            content: "Deposited on Chorus Pro: a flow number",
            trigger: "div[name=chorus_flow_number]:not(:empty)",
        },
        {
            trigger: "div[name=chorus_history_ids] .o_data_row:contains(SENT)",
        },
        ...askTheTest("process_all"),
        {
            content: "Remember this rendering of the form: the button reloads it",
            trigger: ".o_form_view",
            run() {
                this.anchor.dataset.chorusTourBefore = "1";
            },
        },
        {
            content: "Fetch the news from Chorus Pro",
            trigger: "button[name=action_chorus_interface]",
            run: "click",
        },
        {
            content: "Chorus Pro answered",
            trigger: ".o_notification:contains(Chorus Pro)",
        },
        {
            content: "The form is shown again with the news",
            trigger: ".o_form_view:not([data-chorus-tour-before]) .o_notebook a.nav-link:contains(Chorus Pro)",
            run: "click",
        },
        {
            content: "The invoice is made available to the buyer",
            trigger: "div[name=chorus_status_code]:contains(MISE_A_DISPOSITION)",
        },
        {
            trigger: "div[name=chorus_history_ids] .o_data_row:contains(IN_INTEGRE)",
        },
        ...screenshot("invoice_chorus_tab"),
    ],
});
