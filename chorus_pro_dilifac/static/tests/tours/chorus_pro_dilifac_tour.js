/** @odoo-module **/
/*
 * A bookseller sending through Dilifac, with PISTE credentials for directory look-ups,
 * clicked through: find a new public customer in the Chorus Pro directory and create it
 * from there, invoice it, send it with Send & Print; the buyer puts it "to recycle": the
 * dashboard shows one invoice needing attention, the bookseller recycles it on the portal
 * as the wizard says (never a second upload); the buyer takes it back and pays it; the
 * dashboard shows it paid with its days to payment, and the printed invoice is a
 * duplicata. Along the way, nothing is cut at 1280 px.
 *
 * Run by tests/test_tour_dilifac.py against the local Dilifac (a real sshd and its
 * processor, which the test runs between steps as Dilifac and the buyer would) and the
 * local Chorus Pro's directory.
 */
import {
    PRODUCT,
    addJourney,
    askTheTest,
    chorusMenu,
    chorusState,
    historyLine,
    interfaceChorus,
    invoiceNumber,
    newInvoice,
    notCut,
    openChorusTab,
    openInvoices,
    screenshot,
    sendAndPrint,
    waitFor,
} from "@chorus_pro_dilifac/../tests/tours/chorus_tour_tools";

const CUSTOMER = "Ville de Port-Lumière";
const LOCAL_AUTHORITY_GLN = "3025594696108";
const ENGAGEMENT = "BC-2026-118";
const SERVICE = "CULTURE";

function dashboardCount(bucket, count) {
    return {
        content: `Dashboard: ${count} in "${bucket}"`,
        trigger: `.o_kanban_record .o_chorus_count_${bucket}[data-count="${count}"]`,
    };
}

addJourney("chorus_pro_dilifac_dilifac_tour", () => [
    // -- a new public customer, found in the Chorus Pro directory ---------------------------
    ...chorusMenu("menu_chorus_pro_directory", "Search the directory"),
    {
        content: "Search by town",
        trigger: ".modal div[name=text] input",
        run: "edit Port-Lumière",
    },
    {
        content: "Search",
        trigger: ".modal footer button[name=action_search]",
        run: "click",
    },
    {
        content: "The directory answered with the town",
        trigger: `.modal div[name=line_ids] .o_data_row:contains(${CUSTOMER}):contains(21130055300016)`,
    },
    notCut("the structures found", ".modal div[name=line_ids] thead th span, .modal div[name=line_ids] td.o_data_cell"),
    ...screenshot("dilifac_directory_search"),
    {
        content: "Choose it: the customer is created with its directory data",
        trigger: `.modal div[name=line_ids] .o_data_row:contains(${CUSTOMER}) button[name=action_choose]`,
        run: "click",
    },
    {
        content: "The new customer's form",
        trigger: "body:not(:has(.modal)) .o_form_view .o_notebook a.nav-link[name=chorus_pro]",
        run: "click",
    },
    {
        content: "Its invoices go through Chorus Pro",
        trigger: "div[name=chorus_einvoicing] input:checked",
    },
    {
        content: "A local authority: Dilifac routes it on the fixed GLN",
        trigger: `div[name=chorus_gln]:contains(${LOCAL_AUTHORITY_GLN})`,
    },
    {
        content: "The directory says the structure is active and lists its service",
        trigger: "div[name=chorus_structure_active] input:checked",
    },
    {
        trigger: `div[name=chorus_service_ids] .o_data_row:contains(${SERVICE})`,
    },
    {
        content: "Its structure id, as Chorus Pro writes it (no thousands separator)",
        trigger:
            "div[name=chorus_structure_id]:contains(2005), div[name=chorus_structure_id] input:value(2005)",
    },
    notCut("the services' columns", "div[name=chorus_service_ids] thead th span.text-truncate"),
    ...screenshot("dilifac_partner_chorus_tab", ".o_form_view .o_notebook"),

    // -- the invoice, with the town's order number, sent with Send & Print -------------------
    ...newInvoice(CUSTOMER, PRODUCT, 12, [
        ...openChorusTab(),
        {
            content: "The town's order number: the engagement number",
            trigger: "div[name=purchase_order_reference] input",
            run: `edit ${ENGAGEMENT}`,
        },
    ]),
    ...sendAndPrint("dilifac_send_and_print"),
    ...openChorusTab(),
    chorusState("sent"),
    historyLine("Envoyée à Dilifac sous le nom"),

    // -- Dilifac passes it to Chorus Pro, which makes it available to the buyer -------------
    ...askTheTest("dilifac_processes"),
    ...interfaceChorus(),
    chorusState("made_available"),
    historyLine("MISE_A_DISPOSITION"),
    ...screenshot("dilifac_made_available", ".o_form_view .o_notebook"),

    // -- the buyer puts it "to recycle": the dashboard says so ------------------------------
    ...askTheTest("buyer_recycles", invoiceNumber),
    ...interfaceChorus(),
    chorusState("to_recycle"),
    {
        content: "The buyer's reason is shown",
        trigger: `div[name=chorus_error_message]:contains(${SERVICE})`,
    },
    ...chorusMenu("menu_chorus_pro_dashboard", "Dashboard"),
    dashboardCount("attention", 1),
    dashboardCount("delivered", 0),
    ...screenshot("dilifac_dashboard_attention"),
    {
        content: "Open the invoices needing attention",
        trigger: ".o_kanban_record button.o_chorus_open_attention",
        run: "click",
    },
    {
        content: "The invoice to recycle is listed",
        trigger: `.o_list_view .o_data_row:contains(${CUSTOMER}) td.o_data_cell`,
        run: "click",
    },

    // -- recycled on the portal, as the wizard says: nothing is uploaded again --------------
    {
        content: "Recycle",
        trigger: ".o_form_view .o_statusbar_buttons button[name=action_chorus_recycle]",
        run: "click",
    },
    {
        content: "On the portal by hand (Dilifac has no recycle message)",
        trigger: ".modal div[name=mode] input[data-value=portal]",
        run: "click",
    },
    {
        content: "The service the buyer asks for",
        trigger: ".modal div[name=service_code] input",
        run: `edit ${SERVICE}`,
    },
    {
        content: "On to the comment: the steps follow the corrected routing",
        trigger: ".modal div[name=comment] input",
        run: "click",
    },
    {
        content: "The portal steps name the invoice, the action and the service to type",
        trigger: `.modal div[name=portal_steps]:contains(Recycler):contains(${SERVICE})`,
    },
    ...screenshot("dilifac_recycle_wizard"),
    {
        content: "Recycled on the portal",
        trigger: ".modal footer button[name=action_confirm_portal]",
        run: "click",
    },
    ...waitFor("The wizard closed", "body:not(:has(.modal)) .o_form_view"),
    ...openChorusTab(),
    chorusState("integrated"),
    historyLine("Recyclée sur le portail Chorus Pro"),

    // -- the buyer takes it back, then pays ---------------------------------------------------
    ...askTheTest("buyer_takes_back", invoiceNumber),
    ...interfaceChorus(),
    chorusState("made_available"),
    ...askTheTest("buyer_pays", invoiceNumber),
    ...interfaceChorus(),
    chorusState("paid"),
    historyLine("MISE_EN_PAIEMENT"),
    {
        content: "The days from the deposit to the payment are shown",
        trigger: ".o_form_view div[name=chorus_days_to_payment]:contains(24)",
    },
    ...screenshot("dilifac_paid", ".o_form_view .o_notebook"),

    // -- printed afterwards, it is a duplicata ------------------------------------------------
    {
        content: "Print the invoice",
        trigger: ".o_form_view .o_statusbar_buttons button[name=action_print_pdf]",
        run: "click",
    },
    ...askTheTest("printed_invoice", invoiceNumber, 300),
    {
        content: "Show the printed invoice (the same report, in HTML) over the form",
        trigger: ".o_form_view",
        run() {
            const id = window.location.pathname.split("/").pop();
            const frame = document.createElement("iframe");
            frame.className = "o_chorus_tour_report";
            frame.src = `/report/html/account.report_invoice_with_payments/${id}`;
            Object.assign(frame.style, {
                position: "fixed",
                inset: "0",
                width: "100%",
                height: "100%",
                zIndex: "2000",
                border: "0",
                background: "white",
            });
            document.body.append(frame);
        },
    },
    {
        content: "The printed invoice carries the duplicata mention",
        trigger: "iframe.o_chorus_tour_report:iframe div[name=chorus_duplicata]",
        timeout: 60000,
    },
    ...askTheTest("screenshot", "dilifac_duplicata"),
    {
        content: "Back to the form",
        trigger: "iframe.o_chorus_tour_report",
        run() {
            this.anchor.remove();
        },
    },
    {
        trigger: "body:not(:has(iframe.o_chorus_tour_report)) .o_form_view",
    },

    // -- the dashboard: paid, nothing needs attention, the days to payment --------------------
    ...chorusMenu("menu_chorus_pro_dashboard", "Dashboard"),
    dashboardCount("attention", 0),
    dashboardCount("paid", 1),
    {
        content: "The average days to payment",
        trigger: ".o_kanban_record .o_chorus_average_days:contains(24)",
    },
    ...screenshot("dilifac_dashboard"),
    {
        content: "Open the paid invoices",
        trigger: ".o_kanban_record button.o_chorus_open_paid",
        run: "click",
    },
    {
        content: "The invoice, paid, with its days to payment",
        trigger: `.o_list_view .o_data_row:contains(${CUSTOMER}) td[name=chorus_days_to_payment]:contains(24)`,
    },
    ...chorusMenu("menu_chorus_pro_delay_buyer", "Days to payment per buyer"),
    {
        content: "The buyer's days to payment",
        trigger: `.o_list_view .o_data_row:contains(${CUSTOMER}) td[name=average_days]:contains(24)`,
    },

    // -- nothing cut at 1280 px: the filters of the invoice list ------------------------------
    ...openInvoices(),
    {
        content: "Open the filters",
        trigger: ".o_control_panel .o_searchview_dropdown_toggler",
        run: "click",
    },
    notCut(
        "the filter labels",
        // Odoo's own "Add Custom Filter" is cut in French at 1280 px: not ours to fix.
        ".o_search_bar_menu .o_filter_menu .o-dropdown-item:not(.o_add_custom_filter), .o_search_bar_menu .o_group_by_menu .o-dropdown-item:not(.o_add_custom_group_menu)"
    ),
    {
        content: "Close the filters",
        trigger: ".o_control_panel .o_searchview_dropdown_toggler",
        run: "click",
    },
    {
        trigger: "body:not(:has(.o_search_bar_menu))",
    },
]);
