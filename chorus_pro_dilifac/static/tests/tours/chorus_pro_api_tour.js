/** @odoo-module **/
/*
 * A supplier sending through the Chorus Pro API, clicked through as an accountant does
 * it: check a public customer in the Chorus Pro directory, invoice it, send it with Send
 * & Print, see the flow integrated with "Interface Chorus", then the buyer rejects it:
 * process the rejection into a full credit note and a draft copy, confirm the copy and
 * send it with "Send to Chorus Pro".
 *
 * Run by tests/test_tour.py against the local Chorus Pro sandbox (real HTTP).
 */
import {
    PRODUCT,
    addJourney,
    askTheTest,
    chorusState,
    confirmInvoice,
    historyLine,
    interfaceChorus,
    invoiceNumber,
    newInvoice,
    openChorusTab,
    openCustomerChorusTab,
    screenshot,
    sendAndPrint,
    waitFor,
} from "@chorus_pro_dilifac/../tests/tours/chorus_tour_tools";

const CUSTOMER = "Commune de Saint-Libre";
const REJECTION_REASON = "Quantités erronées";

addJourney("chorus_pro_dilifac_api_tour", () => [
    // -- the public customer, checked in the directory ------------------------------------
    ...openCustomerChorusTab(CUSTOMER),
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
    ...screenshot("partner_chorus_tab", ".o_form_view .o_notebook"),

    // -- the invoice, sent with Send & Print -----------------------------------------------
    ...newInvoice(CUSTOMER, PRODUCT, 12),
    ...sendAndPrint("api_send_and_print"),
    ...openChorusTab(),
    chorusState("sent"),
    {
        content: "Deposited on Chorus Pro: a flow number",
        trigger: "div[name=chorus_flow_number]:not(:empty)",
    },
    historyLine("Déposée sur Chorus Pro, flux CPP001"),

    // -- the flow is integrated: "Interface Chorus" refreshes the status -------------------
    ...askTheTest("process_all"),
    ...interfaceChorus(),
    historyLine("IN_INTEGRE"),
    chorusState("made_available"),
    ...screenshot("invoice_chorus_tab", ".o_form_view .o_notebook"),

    // -- the buyer rejects it ---------------------------------------------------------------
    ...askTheTest("buyer_rejects", invoiceNumber),
    ...interfaceChorus(),
    chorusState("rejected"),
    {
        content: "The buyer's reason is shown",
        trigger: `div[name=chorus_error_message]:contains(${REJECTION_REASON})`,
    },
    {
        content: "Process the rejection",
        trigger: ".o_form_view .o_statusbar_buttons button[name=action_chorus_process_rejection]",
        run: "click",
    },
    {
        content: "The wizard shows the buyer's reason",
        trigger: `.modal div[name=buyer_reason]:contains(${REJECTION_REASON})`,
    },
    ...screenshot("api_rejection_wizard"),
    {
        content: "Issue the credit note and a new invoice",
        trigger: ".modal footer button[name=action_process]",
        run: "click",
    },

    // -- the draft copy opens: confirm it and send it ---------------------------------------
    ...waitFor(
        "The draft copy of the rejected invoice is open",
        ".o_form_view .o_statusbar_status button.o_arrow_button_current[data-value=draft]"
    ),
    {
        trigger: `.o_form_view div[name=partner_id] input:value(${CUSTOMER})`,
    },
    ...confirmInvoice(),
    {
        content: "Send it to Chorus Pro: the button opens Send & Print, Chorus Pro ticked",
        trigger: ".o_form_view .o_statusbar_buttons button[name=action_chorus_send]",
        run: "click",
    },
    {
        content: "Chorus Pro is the sending method",
        trigger: ".modal div[name=sending_method_checkboxes] input#chorus_pro:checked",
    },
    {
        content: "Send",
        trigger: ".modal footer button[name=action_send_and_print]",
        run: "click",
    },
    ...waitFor("The wizard closed once the invoice was sent", "body:not(:has(.modal))"),
    ...waitFor(
        "Sent: the send button gave way to Interface Chorus",
        ".o_form_view .o_statusbar_buttons button[name=action_chorus_interface]"
    ),
    ...openChorusTab(),
    chorusState("sent"),
]);
