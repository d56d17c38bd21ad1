/** @odoo-module **/
/*
 * A bookseller sending through Dilifac, clicked through: mark a public customer for
 * e-invoicing on its Chorus Pro tab, invoice it, send it with Send & Print, follow it
 * with "Interface Chorus" until it is made available then paid, and print it: the
 * printed invoice is a duplicata.
 *
 * Run by tests/test_tour_dilifac.py against the local Dilifac (a real sshd and its
 * processor, which the test runs between steps as Dilifac and the buyer would).
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";
import {
    askTheTest,
    patient,
    chorusState,
    historyLine,
    interfaceChorus,
    invoiceNumber,
    newInvoice,
    openChorusTab,
    openCustomerChorusTab,
    openInvoicing,
    screenshot,
    sendAndPrint,
} from "@chorus_pro_dilifac/../tests/tours/chorus_tour_tools";

const CUSTOMER = "Commune de Saint-Libre";
const PRODUCT = "Roman de poche";
const LOCAL_AUTHORITY_GLN = "3025594696108";

registry.category("web_tour.tours").add("chorus_pro_dilifac_dilifac_tour", {
    url: "/odoo",
    steps: () =>
        patient([
            // -- the customer's Chorus Pro tab --------------------------------------------------------
            ...openInvoicing(),
            ...openCustomerChorusTab(CUSTOMER),
            {
                content: "Its invoices go through Chorus Pro",
                trigger: "div[name=chorus_einvoicing] input",
                run: "check",
            },
            {
                content: "A local authority",
                trigger: "div[name=chorus_debtor_type] select",
                run: 'select "local_authority"',
            },
            {
                content: "Dilifac routes local authorities on their fixed GLN",
                trigger: `div[name=chorus_gln]:contains(${LOCAL_AUTHORITY_GLN})`,
            },
            ...stepUtils.saveForm(),
            ...screenshot("dilifac_partner_chorus_tab", ".o_form_view .o_notebook"),

            // -- the invoice, sent with Send & Print ---------------------------------------------------
            ...newInvoice(CUSTOMER, PRODUCT, 12),
            ...sendAndPrint("dilifac_send_and_print"),
            ...openChorusTab(),
            chorusState("sent"),
            historyLine("SENT"),

            // -- Dilifac passes it to Chorus Pro, which makes it available to the buyer -----------------
            ...askTheTest("dilifac_processes"),
            ...interfaceChorus(),
            chorusState("made_available"),
            historyLine("MISE_A_DISPOSITION"),
            ...screenshot("dilifac_made_available", ".o_form_view .o_notebook"),

            // -- the buyer pays ----------------------------------------------------------------------------
            ...askTheTest("buyer_pays", invoiceNumber),
            ...interfaceChorus(),
            chorusState("paid"),
            historyLine("MISE_EN_PAIEMENT"),
            {
                content: "The days from the sending to the payment are shown",
                trigger: ".o_form_view div[name=chorus_days_to_payment]",
            },
            ...screenshot("dilifac_paid", ".o_form_view .o_notebook"),

            // -- printed afterwards, it is a duplicata ------------------------------------------------------
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
        ]),
});
