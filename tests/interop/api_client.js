#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Reads hookreplay's mock Stripe API with the official stripe-node
// client, the way a consumer reconciles, and prints what it saw as JSON.
//
// Usage: STRIPE_KEY=sk_test_... node api_client.js --port N
//            --invoice ID --customer ID
//
// Output: {"events": [ids, newest first, every page walked by the
// client's auto-pagination], "event_fetched": id, "invoice": {
// "customer", "payment_intent", "payment_intent_customer"} (the JSON type
// each came back as), "listed_subscriptions": [types, one per invoice],
// "missing": {"status", "type", "code", "param"}, "bad_expand": {...}}.
// Exits 1 with a message on anything the client could not do.
'use strict';

const Stripe = require('stripe');

function args() {
    const out = {};
    const a = process.argv.slice(2);
    for (let i = 0; i + 1 < a.length; i += 2) out[a[i].slice(2)] = a[i + 1];
    for (const k of ['port', 'invoice', 'customer'])
        if (!out[k]) throw new Error('missing --' + k);
    return out;
}

const kind = (v) => (v === null ? 'null' : typeof v);

// The fields of a Stripe error a consumer branches on.
async function failure(call) {
    try {
        await call();
    } catch (e) {
        return {status: e.statusCode, type: e.type, code: e.code || null,
            param: e.param || null};
    }
    throw new Error('the call succeeded');
}

async function main() {
    const a = args();
    const stripe = new Stripe(process.env.STRIPE_KEY, {
        host: '127.0.0.1', port: Number(a.port), protocol: 'http',
        maxNetworkRetries: 0, timeout: 10000,
    });
    const out = {events: []};
    for await (const ev of stripe.events.list({limit: 7}))
        out.events.push(ev.id);
    out.event_fetched = (await stripe.events.retrieve(out.events[0])).id;
    const inv = await stripe.invoices.retrieve(a.invoice,
        {expand: ['customer', 'payment_intent.customer']});
    out.invoice = {
        customer: kind(inv.customer),
        customer_id: inv.customer && inv.customer.id,
        payment_intent: kind(inv.payment_intent),
        payment_intent_customer: inv.payment_intent &&
            kind(inv.payment_intent.customer),
    };
    const list = await stripe.invoices.list({limit: 100,
        expand: ['data.subscription']});
    out.listed_subscriptions = list.data.map((i) => kind(i.subscription));
    out.missing = await failure(() =>
        stripe.customers.retrieve(a.customer + '_missing'));
    out.bad_expand = await failure(() =>
        stripe.invoices.retrieve(a.invoice, {expand: ['amount_due']}));
    process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
    process.stderr.write('api_client: ' + (e && e.stack ? e.stack : e) +
        '\n');
    process.exit(1);
});
