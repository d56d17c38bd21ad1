/** @odoo-module **/
/*
 * Steps shared by the three Chorus Pro journeys (tests/test_tour*.py).
 *
 * The journeys run with a French user, so the steps find elements by field, button and
 * page names, raw selection values and record data, never by a translated label.
 *
 * A step may ask the test for what a browser cannot do (let the sandbox play Chorus Pro,
 * Dilifac or the buyer, take a screenshot, read a downloaded file) by logging
 * "chorus_tour:" followed by {ticket, request, arg} in JSON; the test answers by setting
 * body[data-chorus-tour-done="<ticket>"], which the next step waits for. A failed request
 * is a console error, which fails the tour at once.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/** The product every journey invoices (tests/tour_common.py names it). */
export const PRODUCT = "Roman de poche";

let lastTicket = 0;
let lastClock = 0;

/**
 * The tour's steps, each given 45 s (instead of 10) to find its element: the tests share
 * their machine, and a busy browser may take seconds to render a form.
 */
export function patient(steps) {
    return steps.map((step) => ({ timeout: 45000, ...step }));
}

/**
 * Wait up to ``seconds`` for ``trigger``. A tour step waits one minute at most, and
 * sending, printing or building a file takes longer on a loaded machine: a clock ticks
 * every 20 s on the body, and each step waits for the trigger or the clock's next tick.
 * Once the trigger is there, the remaining steps pass at once.
 */
export function waitFor(content, trigger, seconds = 300) {
    const clock = `data-chorus-clock-${++lastClock}`;
    const ticks = Math.ceil(seconds / 20);
    const steps = [
        {
            content: `${content}: start the clock`,
            trigger: "body",
            run() {
                let tick = 0;
                const timer = setInterval(() => {
                    document.body.setAttribute(clock, String(++tick));
                    if (tick >= ticks) {
                        clearInterval(timer);
                    }
                }, 20000);
            },
        },
    ];
    for (let tick = 1; tick <= ticks; tick++) {
        steps.push({
            content: `${content} (${tick * 20} s at most)`,
            trigger: `${trigger}, body[${clock}="${tick}"]`,
            timeout: 30000,
        });
    }
    steps.push({ content, trigger });
    return steps;
}

/**
 * Ask the test for ``request``, then wait for its answer (up to ``seconds``). ``arg`` is
 * a value, or a function called in the browser when the request is made (to pass what
 * the screen shows, such as the invoice number).
 */
export function askTheTest(request, arg = null, seconds = 60) {
    const ticket = String(++lastTicket);
    return [
        {
            content: `Ask the test: ${request}`,
            trigger: "body",
            run() {
                const value = typeof arg === "function" ? arg() : arg;
                console.log(`chorus_tour:${JSON.stringify({ ticket, request, arg: value })}`);
            },
        },
        ...waitFor(`The test did: ${request}`, `body[data-chorus-tour-done="${ticket}"]`, seconds),
    ];
}

/** Close the notifications, show ``top`` at the top of the screen, then save the screen. */
export function screenshot(name, top = null) {
    const steps = [
        {
            content: "Close the notifications, hide the tour's pointer",
            trigger: "body",
            run() {
                for (const button of document.querySelectorAll(".o_notification_close")) {
                    button.click();
                }
                if (!document.getElementById("o_chorus_tour_style")) {
                    const style = document.createElement("style");
                    style.id = "o_chorus_tour_style";
                    style.textContent = ".o_tour_pointer { visibility: hidden !important; }";
                    document.head.append(style);
                }
            },
        },
        {
            content: "No notification left on the screen",
            trigger: "body:not(:has(.o_notification))",
        },
    ];
    if (top) {
        steps.push({
            content: `Show ${top} at the top of the screen`,
            trigger: top,
            run() {
                this.anchor.scrollIntoView({ block: "start" });
            },
        });
    }
    return [...steps, ...askTheTest("screenshot", name)];
}

/** The number of the invoice shown in the form (e.g. INV/2026/00001). */
export function invoiceNumber() {
    return document.querySelector(".o_form_view div[name=name]").textContent.trim();
}

export function openInvoicing() {
    return stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing");
}

/**
 * Register a journey: it starts on the home screen, opens Invoicing, then runs
 * ``steps()``, each step given the patience of ``patient``.
 */
export function addJourney(name, steps) {
    registry.category("web_tour.tours").add(name, {
        url: "/odoo",
        steps: () => patient([...openInvoicing(), ...steps()]),
    });
}

/** A menu of Invoicing's top bar (``section``), then its item ``xmlid``. */
function menuSteps(section, sectionName, xmlid, content) {
    return [
        {
            content: `${sectionName} menu`,
            trigger: `.o_menu_sections [data-menu-xmlid='${section}']`,
            run: "click",
        },
        {
            content,
            trigger: `.dropdown-item[data-menu-xmlid='${xmlid}']`,
            run: "click",
        },
    ];
}

/** Invoicing > Chorus Pro > the menu ``xmlid`` (of this addon). */
export function chorusMenu(xmlid, content) {
    return menuSteps(
        "chorus_pro_dilifac.menu_chorus_pro_root",
        "Chorus Pro",
        `chorus_pro_dilifac.${xmlid}`,
        content
    );
}

/**
 * Nothing cut at the browser's width (1280 px, tests/tour_common.py): each visible
 * element of ``selector`` shows its whole text (scrollWidth <= clientWidth). A cut
 * one is a console error naming it, which fails the tour.
 */
export function notCut(content, selector) {
    return {
        content: `Nothing cut: ${content}`,
        trigger: selector,
        run() {
            if (window.innerWidth > 1280) {
                console.error(`The browser is ${window.innerWidth} px wide, not 1280 px at most`);
            }
            const cut = [...document.querySelectorAll(selector)]
                .filter((el) => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
                .map((el) => `"${el.textContent.trim()}" (${el.scrollWidth} > ${el.clientWidth} px)`);
            if (cut.length) {
                console.error(`${content}: cut at ${window.innerWidth} px: ${cut.join(", ")}`);
            }
        },
    };
}

function receivablesMenu(xmlid, content) {
    return menuSteps("account.menu_finance_receivables", "Customers", xmlid, content);
}

export function openInvoices() {
    return receivablesMenu("account.menu_action_move_out_invoice_type", "Invoices");
}

/** Invoicing > Customers > Customers, then the customer's Chorus Pro tab. */
export function openCustomerChorusTab(customer) {
    return [
        ...receivablesMenu("account.menu_account_customer", "Customers"),
        {
            content: "Search the customer",
            trigger: ".o_searchview_input",
            run: `edit ${customer}`,
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Open it",
            trigger: `.o_kanban_record:contains(${customer})`,
            run: "click",
        },
        {
            content: "Its Chorus Pro tab",
            trigger: ".o_form_view .o_notebook a.nav-link[name=chorus_pro]",
            run: "click",
        },
    ];
}

/**
 * Invoicing > Customers > Invoices > New: one line, then the steps ``beforeConfirm``
 * (e.g. fill the Chorus Pro tab), confirmed.
 */
export function newInvoice(customer, product, quantity, beforeConfirm = []) {
    return [
        ...openInvoices(),
        {
            content: "New invoice",
            trigger: "button.o_list_button_add",
            run: "click",
        },
        {
            content: "For the public customer",
            trigger: "div[name=partner_id] input",
            run: `edit ${customer}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option) a:contains(${customer})`,
            run: "click",
        },
        {
            content: "Add a line",
            trigger: "div[name=invoice_line_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: "div[name=invoice_line_ids] .o_selected_row div[name=product_id] input",
            run: `edit ${product}`,
        },
        {
            content: `The product: ${product}`,
            trigger: `.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option) a:contains(${product})`,
            run: "click",
        },
        {
            trigger: "div[name=invoice_line_ids] .o_selected_row div[name=quantity] input",
            run: `edit ${quantity}`,
        },
        ...beforeConfirm,
        ...confirmInvoice(),
    ];
}

export function confirmInvoice() {
    return [
        {
            content: "Confirm the invoice",
            trigger: ".o_form_view button[name=action_post]",
            run: "click",
        },
        {
            content: "Posted",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=posted]",
        },
    ];
}

export function openChorusTab() {
    return [
        {
            content: "The invoice's Chorus Pro tab",
            trigger: ".o_form_view .o_notebook a.nav-link[name=chorus_pro]",
            run: "click",
        },
    ];
}

/** The Chorus Pro state shown on the invoice's Chorus Pro tab (raw value, any language). */
export function chorusState(state) {
    return {
        content: `Chorus Pro state: ${state}`,
        trigger: `.o_form_view div[name=chorus_state] span[raw-value=${state}]`,
    };
}

/**
 * A line of the invoice's Chorus Pro history showing ``text``: a code of Chorus Pro or Dilifac,
 * or, for Odoo's own lines (which show no code), their label as the French user reads it.
 */
export function historyLine(code) {
    return {
        content: `History line ${code}`,
        trigger: `.o_form_view div[name=chorus_history_ids] .o_data_row:contains(${code})`,
    };
}

/**
 * Send & Print: the wizard opens with "Chorus Pro" ticked (the customer's sending method),
 * is saved as ``shot`` when given, and sends. Building, validating and delivering the
 * document takes a while: the next step is given a minute.
 */
export function sendAndPrint(shot = null) {
    return [
        {
            content: "Send & Print",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_invoice_sent]",
            run: "click",
        },
        {
            content: "Chorus Pro is the sending method",
            trigger: ".modal div[name=sending_method_checkboxes] input#chorus_pro:checked",
        },
        {
            content: "Nothing stops the sending",
            trigger: ".modal:not(:has(div[name=alerts] .alert-danger))",
        },
        ...(shot ? screenshot(shot) : []),
        {
            content: "Send",
            trigger: ".modal footer button[name=action_send_and_print]",
            run: "click",
        },
        ...waitFor("The wizard closed once the invoice was sent", "body:not(:has(.modal))"),
    ];
}

/**
 * The "Interface Chorus" button: fetch the news now. The button reloads the form; the
 * steps mark the current rendering first so that they wait for the new one.
 */
export function interfaceChorus() {
    return [
        {
            content: "Remember this rendering of the form: the button reloads it",
            trigger: ".o_form_view",
            run() {
                this.anchor.dataset.chorusTourBefore = "1";
            },
        },
        {
            content: "Interface Chorus: fetch the news now",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_chorus_interface]",
            run: "click",
        },
        ...waitFor("The news was read", ".o_notification", 120),
        {
            content: "The form is shown again with the news",
            trigger: ".o_form_view:not([data-chorus-tour-before]) .o_notebook a.nav-link[name=chorus_pro]",
            run: "click",
        },
    ];
}
