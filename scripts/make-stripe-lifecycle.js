#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Builds fixtures/stripe-lifecycle.ndjson, the bundled Stripe cassette,
// from the dj-stripe test objects in tests/data/stripe/djstripe-fixtures.
//
// Usage: node scripts/make-stripe-lifecycle.js [OUT]   (Node 20, no deps)
//
// The output is deterministic: ids come from a hash of a label, times from
// a fixed start, so running it twice gives the same bytes. Objects keep
// the dj-stripe field sets, shaped for api_version 2020-08-27 (customer
// sources/subscriptions/tax_ids not expanded, no tax_percent), with ids,
// statuses, amounts and times changed so that the story is consistent.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, 'tests/data/stripe/djstripe-fixtures');
const OUT = process.argv[2] ||
    path.join(ROOT, 'fixtures/stripe-lifecycle.ndjson');
const SOURCE = 'scripts/make-stripe-lifecycle.js';

const API_VERSION = '2020-08-27';
const T0 = Date.UTC(2020, 8, 1, 9, 0, 0) / 1000; // 2020-09-01T09:00:00Z
const DAY_S = 86400;

const CUS = 'cus_6lsBvm5rJ0zyHc';
const SUB = 'sub_fakefakefakefakefake0001';
const SUB_ITEM = 'si_F5ukmkS6Bxi90Y';
const CARD_OK = 'card_fakefakefakefakefake0001';
const CARD_DECLINE = 'card_fakefakefakefakefake0003';
const TAX_RATE = 'txr_fakefakefakefakefake0001';
const OLD_EMAIL = 'michael.smith@example.com';
const NEW_EMAIL = 'm.smith@example.com';

// ---------------------------------------------------------------- helpers

function load(name) {
    const file = path.join(FIXTURES, name + '.json');
    return JSON.parse(fs.readFileSync(file, 'utf8'));
}

const clone = (v) => structuredClone(v);

function digest(label) {
    return crypto.createHash('sha256')
        .update('hookreplay/stripe-lifecycle/' + label).digest();
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(label, len) {
    const d = digest(label);
    let s = '';
    for (let i = 0; i < len; i++) s += B62[d[i] % 62];
    return s;
}

// An id shaped like Stripe's (prefix, "1H", 22 characters) from a label.
const rid = (prefix, label) => prefix + '_1H' + base62(prefix + label, 22);

function uuid(label) {
    const h = digest('uuid' + label).toString('hex');
    return [h.slice(0, 8), h.slice(8, 12), '4' + h.slice(13, 16),
        '8' + h.slice(17, 20), h.slice(20, 32)].join('-');
}

const small = (label, lo, span) => lo + (digest('n' + label)[0] % span);

// Stripe's JSON: 2-space indent, "key": value, id and object first, then
// keys in alphabetical order; floats such as tax percentages keep ".0".
const FLOAT_KEYS = new Set(['percentage']);

function orderedKeys(obj) {
    const head = ['id', 'object'].filter((k) => k in obj);
    const rest = Object.keys(obj).filter((k) => k !== 'id' && k !== 'object');
    return head.concat(rest.sort());
}

function pretty(v, indent, key) {
    if (v === null) return 'null';
    if (v === undefined) fail('undefined value at key ' + key);
    const inner = indent + '  ';
    if (Array.isArray(v)) {
        if (v.length === 0) return '[]';
        const items = v.map((x) => inner + pretty(x, inner, key));
        return '[\n' + items.join(',\n') + '\n' + indent + ']';
    }
    if (typeof v === 'object') {
        const keys = orderedKeys(v);
        if (keys.length === 0) return '{}';
        const items = keys.map((k) =>
            inner + JSON.stringify(k) + ': ' + pretty(v[k], inner, k));
        return '{\n' + items.join(',\n') + '\n' + indent + '}';
    }
    if (typeof v === 'number' && FLOAT_KEYS.has(key) && Number.isInteger(v))
        return v.toFixed(1);
    return JSON.stringify(v);
}

const inclusiveTax = (amount) => Math.round(amount * 15 / 115);
const stripeFee = (amount) => Math.round(amount * 0.029 + 30);

function addMonths(t, n) {
    const d = new Date(t * 1000);
    d.setUTCMonth(d.getUTCMonth() + n);
    return d.getTime() / 1000;
}

// ---------------------------------------------------------------- objects

const F = {
    customer: load('customer_cus_6lsBvm5rJ0zyHc'),
    card: load('card_card_fakefakefakefakefake0001'),
    charge: load('charge_ch_fakefakefakefakefake0001'),
    pi: load('payment_intent_pi_fakefakefakefakefake0001'),
    invoice: load('invoice_in_fakefakefakefakefake0004'),
    invoiceTaxed: load('invoice_in_fakefakefakefakefake0001'),
    sub: load('subscription_sub_fakefakefakefakefake0001'),
    taxRate: load('tax_rate_txr_fakefakefakefakefake0001'),
    plans: {
        gold21323: load('plan_gold21323'),
        silver41294: load('plan_silver41294'),
    },
    prices: {
        gold21323: load('price_gold21323'),
        silver41294: load('price_silver41294'),
    },
};

function customer(t, st) {
    const c = clone(F.customer);
    for (const k of ['sources', 'subscriptions', 'tax_ids']) delete c[k];
    c.created = T0;
    c.default_source = CARD_OK;
    c.email = st.email;
    c.name = st.name;
    c.next_invoice_sequence = st.nextInvoice;
    return c;
}

function card(id) {
    const c = clone(F.card);
    c.id = id;
    c.metadata = {};
    // The upstream card carries an e-mail-like holder name; use the
    // customer's own (fictitious) name instead.
    c.name = 'Michael Smith';
    if (id === CARD_DECLINE) {
        // Stripe's test card that is always declined (4000 0000 0000 0002).
        c.last4 = '0002';
        c.fingerprint = base62('fingerprint' + id, 16);
        c.name = null;
    }
    return c;
}

// A charge; p: {id, amount, pi, invoice, created, card, description,
// failed, refunds: [refund objects]}
function charge(p) {
    const c = clone(F.charge);
    const src = card(p.card);
    c.id = p.id;
    c.amount = p.amount;
    c.created = p.created;
    c.description = p.description;
    c.invoice = p.invoice;
    c.payment_intent = p.pi;
    c.payment_method = p.card;
    c.source = src;
    c.billing_details.name = src.name;
    c.metadata = {};
    const card_d = c.payment_method_details.card;
    card_d.last4 = src.last4;
    card_d.fingerprint = src.fingerprint;
    c.receipt_url = 'https://pay.stripe.com/receipts/acct_1EaetYCOCguPTL2B/' +
        p.id + '/rcpt_' + base62('rcpt' + p.id, 31);
    c.refunds = {
        object: 'list', data: p.refunds || [], has_more: false,
        total_count: (p.refunds || []).length,
        url: '/v1/charges/' + p.id + '/refunds',
    };
    const refunded = (p.refunds || []).reduce((s, r) => s + r.amount, 0);
    c.amount_refunded = refunded;
    c.refunded = refunded === p.amount;
    if (p.failed) {
        c.status = 'failed';
        c.paid = false;
        c.captured = false;
        c.amount_captured = 0;
        c.balance_transaction = null;
        c.failure_code = 'card_declined';
        c.failure_message = 'Your card was declined.';
        c.outcome = {
            network_status: 'declined_by_network', reason: 'generic_decline',
            risk_level: 'normal', risk_score: 41,
            seller_message: 'The bank did not return any further details ' +
                'with this decline.',
            type: 'issuer_declined',
        };
        c.receipt_url = null;
    } else {
        c.status = 'succeeded';
        c.paid = true;
        c.captured = true;
        c.amount_captured = p.amount;
        c.balance_transaction = rid('txn', p.id);
        c.outcome.risk_score = small('risk' + p.id, 2, 40);
    }
    return c;
}

// A payment intent; p: {id, amount, created, invoice, description,
// card, status, charges: [charge objects], lastError, offSession}
function paymentIntent(p) {
    const pi = clone(F.pi);
    pi.id = p.id;
    pi.amount = p.amount;
    pi.created = p.created;
    pi.invoice = p.invoice;
    pi.description = p.description;
    pi.source = p.card;
    pi.status = p.status;
    pi.metadata = {};
    pi.client_secret = p.id + '_secret_' + base62('secret' + p.id, 25);
    pi.setup_future_usage = p.invoice ? 'off_session' : null;
    pi.charges = {
        object: 'list', data: p.charges || [], has_more: false,
        total_count: (p.charges || []).length,
        url: '/v1/charges?payment_intent=' + p.id,
    };
    pi.amount_received = p.status === 'succeeded' ? p.amount : 0;
    pi.last_payment_error = p.lastError || null;
    return pi;
}

function declineError(ch) {
    return {
        charge: ch.id, code: 'card_declined', decline_code: 'generic_decline',
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
        message: 'Your card was declined.', source: card(CARD_DECLINE),
        type: 'card_error',
    };
}

function planOf(priceId) {
    const plan = clone(F.plans[priceId]);
    const price = clone(F.prices[priceId]);
    return {plan, price};
}

function subItems(st) {
    const {plan, price} = planOf(st.price);
    return {
        object: 'list',
        data: [{
            id: SUB_ITEM, object: 'subscription_item', billing_thresholds: null,
            created: st.created, metadata: {}, plan, price,
            quantity: st.quantity, subscription: SUB, tax_rates: [],
        }],
        has_more: false, total_count: 1,
        url: '/v1/subscription_items?subscription=' + SUB,
    };
}

// The subscription from its state st: {created, price, quantity,
// periodStart, periodEnd, latestInvoice, status, cancelAt, canceledAt,
// endedAt}
function subscription(st) {
    const s = clone(F.sub);
    delete s.tax_percent;
    s.created = st.created;
    s.billing_cycle_anchor = st.created;
    s.start_date = st.created;
    s.current_period_start = st.periodStart;
    s.current_period_end = st.periodEnd;
    s.items = subItems(st);
    s.plan = planOf(st.price).plan;
    s.quantity = st.quantity;
    s.latest_invoice = st.latestInvoice;
    s.status = st.status;
    s.cancel_at = st.cancelAt;
    s.cancel_at_period_end = st.cancelAt !== null;
    s.canceled_at = st.canceledAt;
    s.ended_at = st.endedAt;
    s.metadata = {};
    s.default_tax_rates = [clone(F.taxRate)];
    return s;
}

// An invoice for one subscription period; p: {id, number, created,
// reason, price, quantity, periodStart, periodEnd, email, status,
// finalizedAt, paidAt, pi, charge}
function invoice(p) {
    const inv = clone(F.invoice);
    delete inv.tax_percent;
    const {plan, price} = planOf(p.price);
    const total = price.unit_amount * p.quantity;
    const tax = inclusiveTax(total);
    const line = inv.lines.data[0];
    line.id = rid('il', p.id);
    line.amount = total;
    line.description = p.quantity + ' \u00d7 Fake Product (at $' +
        (price.unit_amount / 100).toFixed(2) + ' / month)';
    line.metadata = {};
    line.period = {end: p.periodEnd, start: p.periodStart};
    line.plan = plan;
    line.price = price;
    line.quantity = p.quantity;
    line.subscription = SUB;
    line.subscription_item = SUB_ITEM;
    line.tax_amounts[0].amount = tax;
    line.tax_rates = [clone(F.taxRate)];
    inv.lines.url = '/v1/invoices/' + p.id + '/lines';
    inv.id = p.id;
    inv.created = p.created;
    inv.billing_reason = p.reason;
    inv.customer = CUS;
    inv.customer_email = p.email;
    inv.default_tax_rates = clone(F.invoiceTaxed.default_tax_rates);
    inv.metadata = {};
    // Stripe's invoice period is the one its pending items came from:
    // empty for the first invoice, the previous period for a renewal.
    const first = p.reason === 'subscription_create';
    inv.period_start = first ? p.created : addMonths(p.periodStart, -1);
    inv.period_end = first ? p.created : p.periodStart;
    inv.subscription = SUB;
    inv.subtotal = total;
    inv.total = total;
    inv.tax = tax;
    inv.total_tax_amounts = [{amount: tax, inclusive: true,
        tax_rate: TAX_RATE}];
    inv.amount_due = total;
    applyInvoiceStatus(inv, p, total);
    return inv;
}

function applyInvoiceStatus(inv, p, total) {
    const draft = p.status === 'draft';
    const paid = p.status === 'paid';
    const url = 'https://pay.stripe.com/invoice/invst_' +
        base62('invst' + p.id, 26);
    inv.status = p.status;
    inv.number = draft ? null : p.number;
    inv.hosted_invoice_url = draft ? null : url;
    inv.invoice_pdf = draft ? null : url + '/pdf';
    inv.payment_intent = draft ? null : p.pi;
    inv.auto_advance = !paid;
    inv.paid = paid;
    inv.attempted = paid;
    inv.attempt_count = paid ? 1 : 0;
    inv.amount_paid = paid ? total : 0;
    inv.amount_remaining = paid ? 0 : total;
    inv.charge = paid ? p.charge : null;
    // A renewal draft waits an hour before it is finalized and charged.
    if (draft)
        inv.next_payment_attempt = p.reason === 'subscription_cycle' ?
            p.created + 3600 : null;
    else
        inv.next_payment_attempt = paid ? null : p.finalizedAt;
    inv.webhooks_delivered_at = draft ? null : p.created + 1;
    inv.status_transitions = {
        finalized_at: draft ? null : p.finalizedAt,
        marked_uncollectible_at: null,
        paid_at: paid ? p.paidAt : null,
        voided_at: null,
    };
}

function refund(p) {
    return {
        id: p.id, object: 'refund', amount: p.amount,
        balance_transaction: rid('txn', p.id), charge: p.charge,
        created: p.created, currency: 'usd', metadata: {},
        payment_intent: p.pi, reason: 'requested_by_customer',
        receipt_number: null, source_transfer_reversal: null,
        status: 'succeeded', transfer_reversal: null,
    };
}

// ---------------------------------------------------------------- story

const events = [];

// Records one event at time t caused by API request req (null: automatic).
function emit(t, type, object, req, previous) {
    const data = {object: clone(object)};
    if (previous) data.previous_attributes = clone(previous);
    events.push({
        id: rid('evt', String(events.length + 1) + type),
        object: 'event',
        api_version: API_VERSION,
        created: t,
        data,
        livemode: false,
        pending_webhooks: 1,
        request: req ? {id: 'req_' + base62('req' + req, 14),
            idempotency_key: uuid(req)} : {id: null, idempotency_key: null},
        type,
    });
}

// Payment of one invoice through its payment intent and charge.
function payInvoice(t, inv, p, req) {
    const piBase = {id: p.pi, amount: inv.total, created: t, invoice: inv.id,
        description: p.description, card: CARD_OK};
    emit(t, 'invoice.finalized', invoice({...p, status: 'open',
        finalizedAt: t}), req);
    emit(t + 1, 'payment_intent.created', paymentIntent({...piBase,
        status: 'requires_payment_method'}), req);
    const ch = charge({id: p.charge, amount: inv.total, pi: p.pi,
        invoice: inv.id, created: t + 2, card: CARD_OK,
        description: p.description});
    emit(t + 2, 'charge.succeeded', ch, req);
    emit(t + 3, 'payment_intent.succeeded', paymentIntent({...piBase,
        status: 'succeeded', charges: [ch]}), req);
    const paid = invoice({...p, status: 'paid', finalizedAt: t,
        paidAt: t + 3});
    emit(t + 4, 'invoice.paid', paid, req);
    emit(t + 5, 'invoice.payment_succeeded', paid, req);
}

function story() {
    const cust = {email: OLD_EMAIL, name: null, nextInvoice: 1};
    emit(T0, 'customer.created', customer(T0, cust), 'customer');

    // A one-off payment that succeeds (refunded later).
    const tA = T0 + 95;
    const piA = {id: 'pi_fakefakefakefakefake0002', amount: 2500,
        created: tA, invoice: null, description: 'Order #1042',
        card: CARD_OK};
    emit(tA, 'payment_intent.created', paymentIntent({...piA,
        status: 'requires_confirmation'}), 'pi-a');
    const chA = {id: 'ch_fakefakefakefakefake0002', amount: 2500,
        pi: piA.id, invoice: null, created: tA + 1, card: CARD_OK,
        description: piA.description};
    emit(tA + 1, 'charge.succeeded', charge(chA), 'pi-a');
    emit(tA + 2, 'payment_intent.succeeded', paymentIntent({...piA,
        status: 'succeeded', charges: [charge(chA)]}), 'pi-a');

    // A subscription to the gold plan, paid on creation.
    const t1 = T0 + 300;
    const p1 = addMonths(t1, 1);
    const p2 = addMonths(t1, 2);
    const sub = {created: t1, price: 'gold21323', quantity: 1,
        periodStart: t1, periodEnd: p1,
        latestInvoice: 'in_fakefakefakefakefake0001', status: 'active',
        cancelAt: null, canceledAt: null, endedAt: null};
    emit(t1, 'customer.subscription.created', subscription(sub), 'sub');
    const inv1 = {id: 'in_fakefakefakefakefake0001', number: 'E5B23224-0001',
        created: t1 + 1, reason: 'subscription_create', price: sub.price,
        quantity: 1, periodStart: t1, periodEnd: p1, email: cust.email,
        pi: 'pi_fakefakefakefakefake0001',
        charge: 'ch_fakefakefakefakefake0001',
        description: 'Subscription creation'};
    emit(t1 + 1, 'invoice.created', invoice({...inv1, status: 'draft'}),
        'sub');
    payInvoice(t1 + 2, invoice({...inv1, status: 'draft'}), inv1, 'sub');
    cust.nextInvoice = 2;

    // The customer changes their email address.
    const tU = T0 + 2 * DAY_S + 4000;
    cust.email = NEW_EMAIL;
    emit(tU, 'customer.updated', customer(tU, cust), 'cus-email',
        {email: OLD_EMAIL});

    // A one-off payment with a card that is declined.
    const tC = T0 + 3 * DAY_S + 7200;
    const piC = {id: 'pi_fakefakefakefakefake0003', amount: 4500,
        created: tC, invoice: null, description: 'Order #1077',
        card: CARD_DECLINE};
    emit(tC, 'payment_intent.created', paymentIntent({...piC,
        status: 'requires_confirmation'}), 'pi-c');
    const chC = charge({id: 'ch_fakefakefakefakefake0003', amount: 4500,
        pi: piC.id, invoice: null, created: tC + 1, card: CARD_DECLINE,
        description: piC.description, failed: true});
    emit(tC + 1, 'charge.failed', chC, 'pi-c');
    emit(tC + 2, 'payment_intent.payment_failed', paymentIntent({...piC,
        status: 'requires_payment_method', charges: [chC],
        lastError: declineError(chC)}), 'pi-c');

    // The first order is refunded in full.
    const tR = T0 + 5 * DAY_S + 600;
    const reA = refund({id: 're_fakefakefakefakefake0001', amount: 2500,
        charge: chA.id, pi: piA.id, created: tR});
    emit(tR, 'charge.refunded', charge({...chA, refunds: [reA]}), 'refund',
        {amount_refunded: 0, refunded: false,
            refunds: {object: 'list', data: [], has_more: false,
                total_count: 0, url: '/v1/charges/' + chA.id + '/refunds'}});
    emit(tR + 1, 'refund.created', reA, 'refund');

    // Upgrade to silver, then two seats.
    const tP = T0 + 10 * DAY_S + 1800;
    const before = subscription(sub);
    sub.price = 'silver41294';
    emit(tP, 'customer.subscription.updated', subscription(sub), 'sub-plan',
        {items: before.items, plan: before.plan});
    const tQ = tP + 140;
    const beforeQ = subscription(sub);
    sub.quantity = 2;
    emit(tQ, 'customer.subscription.updated', subscription(sub), 'sub-qty',
        {items: beforeQ.items, quantity: 1});

    // Renewal at the end of the first period: automatic, no request.
    const inv2 = {id: 'in_fakefakefakefakefake0002', number: 'E5B23224-0002',
        created: p1, reason: 'subscription_cycle', price: sub.price,
        quantity: sub.quantity, periodStart: p1, periodEnd: p2,
        email: cust.email, pi: 'pi_fakefakefakefakefake0004',
        charge: 'ch_fakefakefakefakefake0004',
        description: 'Subscription update'};
    emit(p1, 'invoice.created', invoice({...inv2, status: 'draft'}), null);
    const renewed = {periodStart: sub.periodStart, periodEnd: sub.periodEnd,
        latestInvoice: sub.latestInvoice};
    Object.assign(sub, {periodStart: p1, periodEnd: p2,
        latestInvoice: inv2.id});
    emit(p1 + 1, 'customer.subscription.updated', subscription(sub), null,
        {current_period_end: renewed.periodEnd,
            current_period_start: renewed.periodStart,
            latest_invoice: renewed.latestInvoice});
    payInvoice(p1 + 3600, invoice({...inv2, status: 'draft'}), inv2, null);
    cust.nextInvoice = 3;

    // Cancel at the end of the second period.
    const tX = p1 + 12 * DAY_S + 3000;
    sub.cancelAt = p2;
    sub.canceledAt = tX;
    emit(tX, 'customer.subscription.updated', subscription(sub), 'sub-cancel',
        {cancel_at: null, cancel_at_period_end: false, canceled_at: null});
    const tN = tX + DAY_S + 500;
    cust.name = 'Michael Smith';
    emit(tN, 'customer.updated', customer(tN, cust), 'cus-name',
        {name: null});
    sub.status = 'canceled';
    sub.endedAt = p2;
    emit(p2, 'customer.subscription.deleted', subscription(sub), null);
}

// ---------------------------------------------------------------- checks

function fail(msg) {
    throw new Error('stripe-lifecycle: ' + msg);
}

// Invariants a consumer may rely on; the script refuses to write a
// cassette that breaks one.
function check() {
    const known = {pi: new Set(), ch: new Set(), in: new Set()};
    let last = 0;
    for (const e of events) {
        const o = e.data.object;
        if (e.created <= last) fail(e.id + ': created does not increase');
        last = e.created;
        if (o.customer !== undefined && o.customer !== CUS)
            fail(e.id + ': customer ' + o.customer);
        if (o.object === 'invoice' && o.subscription !== SUB)
            fail(e.id + ': invoice.subscription');
        if (o.object === 'charge' && !known.pi.has(o.payment_intent))
            fail(e.id + ': charge before its payment intent');
        if (o.object === 'payment_intent' && o.invoice &&
            !known.in.has(o.invoice)) fail(e.id + ': pi before its invoice');
        if (o.object === 'refund' && !known.ch.has(o.charge))
            fail(e.id + ': refund of an unknown charge');
        if (o.object) known[o.id.split('_')[0]]?.add(o.id);
        checkStatus(e);
    }
    if (events.length < 30 || events.length > 40)
        fail(events.length + ' events, want 30-40');
}

const STATUS = {
    'payment_intent.created': ['requires_payment_method',
        'requires_confirmation'],
    'payment_intent.succeeded': ['succeeded'],
    'payment_intent.payment_failed': ['requires_payment_method'],
    'charge.succeeded': ['succeeded'],
    'charge.failed': ['failed'],
    'charge.refunded': ['succeeded'],
    'refund.created': ['succeeded'],
    'invoice.created': ['draft'],
    'invoice.finalized': ['open'],
    'invoice.paid': ['paid'],
    'invoice.payment_succeeded': ['paid'],
    'customer.subscription.created': ['active'],
    'customer.subscription.updated': ['active'],
    'customer.subscription.deleted': ['canceled'],
};

function checkStatus(e) {
    const o = e.data.object;
    const want = STATUS[e.type];
    if (want && !want.includes(o.status))
        fail(e.id + ': ' + e.type + ' with status ' + o.status);
    if (e.type === 'customer.subscription.deleted' &&
        (!o.canceled_at || !o.ended_at)) fail('deleted sub not ended');
    if (e.type === 'charge.refunded' && !o.refunded) fail('not refunded');
}

// ---------------------------------------------------------------- output

// Real gaps of days become one to two seconds of replay time; bursts inside
// one API request keep their relative spacing, about eight times faster.
function gapMs(gapS) {
    if (gapS <= 5) return 120 * gapS;
    return 600 + Math.round(200 * Math.log10(gapS / 5));
}

function interaction(e, seq, atMs) {
    return {
        seq, at_ms: atMs, kind: 'webhook', endpoint: 'stripe',
        event: {id: e.id, type: e.type, object: e.data.object.id,
            created: e.created},
        attempt: 1, delivery: 'd_' + seq,
        request: {
            method: 'POST', path: '/webhooks/stripe', query: '',
            headers: [
                ['Content-Type', 'application/json; charset=utf-8'],
                ['User-Agent',
                    'Stripe/1.0 (+https://stripe.com/docs/webhooks)'],
            ],
            body: pretty(e, ''),
        },
        response: {status: 200, ms: small('ms' + e.id, 9, 48),
            headers: [], body: ''},
    };
}

function write() {
    const header = {
        hookreplay: 'cassette', version: 1,
        endpoints: {stripe: {profile: 'stripe'}},
        recorded_at: new Date(T0 * 1000).toISOString()
            .replace('.000Z', 'Z'),
        source: SOURCE,
    };
    const lines = [JSON.stringify(header)];
    let base = 0;
    events.forEach((e, i) => {
        if (i > 0) base += gapMs(e.created - events[i - 1].created);
        const atMs = i === 0 ? 0 : base + small('at' + e.id, 0, 40);
        lines.push(JSON.stringify(interaction(e, i + 1, atMs)));
    });
    fs.writeFileSync(OUT, lines.join('\n') + '\n');
    const span = JSON.parse(lines[lines.length - 1]).at_ms;
    process.stderr.write('wrote ' + events.length + ' events over ' +
        span + ' ms to ' + path.relative(process.cwd(), OUT) + '\n');
}

story();
check();
write();
