#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// A Stripe webhook consumer written the way an application writes one:
// the official stripe library verifies the raw body, and what the events
// say is kept in PostgreSQL through pg. Two behaviours:
//
//   careful  records each event id in the same transaction as its effect
//            (INSERT ... ON CONFLICT DO NOTHING) and applies an event only
//            the first time; an object is written only when the event is
//            newer than what the row holds (the event's `created`); with
//            --api it refetches the object from the Stripe API first and
//            stores what the API says.
//   naive    verifies too, but has no dedupe: every delivery writes a
//            ledger row and overwrites the object in arrival order.
//
// Usage:
//   STRIPE_WEBHOOK_SECRET=whsec_... DATABASE_URL=postgres://... \
//     node consumer.js --mode careful|naive [--port N] [--api URL]
//
// STRIPE_SECRET_KEY is the API key for --api (default a test key). The
// server binds 127.0.0.1 only and prints "listening on 127.0.0.1:PORT"
// once it accepts connections; port 0 picks a free one. POST
// /webhooks/stripe takes deliveries (200, or 400 when the signature
// fails); GET /healthz answers 200 when the database answers. SIGTERM
// and SIGINT close the server and the pool and exit 0.
'use strict';

const http = require('node:http');
const {Pool} = require('pg');
const Stripe = require('stripe');

const MAX_BODY_BYTES = 1024 * 1024;

// Each table keeps a few columns of its Stripe object, as an app does.
const TABLES = {
    customer: {table: 'customers', columns: {
        email: (o) => o.email, name: (o) => o.name}},
    subscription: {table: 'subscriptions', columns: {
        customer: (o) => o.customer, status: (o) => o.status,
        cancel_at_period_end: (o) => o.cancel_at_period_end,
        current_period_end: (o) => o.current_period_end}},
    invoice: {table: 'invoices', columns: {
        customer: (o) => o.customer, status: (o) => o.status,
        amount_paid: (o) => o.amount_paid}},
    payment_intent: {table: 'payment_intents', columns: {
        customer: (o) => o.customer, status: (o) => o.status,
        amount: (o) => o.amount}},
    charge: {table: 'charges', columns: {
        status: (o) => o.status, amount_refunded: (o) => o.amount_refunded,
        refunded: (o) => o.refunded}},
    refund: {table: 'refunds', columns: {
        charge: (o) => o.charge, status: (o) => o.status,
        amount: (o) => o.amount}},
};

const SCHEMA = `
create table if not exists processed_events (
    event_id text primary key,
    received_at timestamptz not null default now());
create table if not exists ledger (
    id bigserial primary key,
    event_id text not null,
    type text not null,
    object_id text,
    applied_at timestamptz not null default now());
create table if not exists customers (
    id text primary key, email text, name text,
    version bigint not null);
create table if not exists subscriptions (
    id text primary key, customer text, status text,
    cancel_at_period_end boolean, current_period_end bigint,
    version bigint not null);
create table if not exists invoices (
    id text primary key, customer text, status text, amount_paid bigint,
    version bigint not null);
create table if not exists payment_intents (
    id text primary key, customer text, status text, amount bigint,
    version bigint not null);
create table if not exists charges (
    id text primary key, status text, amount_refunded bigint,
    refunded boolean, version bigint not null);
create table if not exists refunds (
    id text primary key, charge text, status text, amount bigint,
    version bigint not null);
`;

function usage(msg) {
    process.stderr.write('consumer.js: ' + msg + '\n' +
        'usage: STRIPE_WEBHOOK_SECRET=... DATABASE_URL=... node consumer.js' +
        ' --mode careful|naive [--port N] [--api URL]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const opts = {mode: null, port: 0, api: null};
    for (let i = 0; i < argv.length; i += 2) {
        const [arg, value] = [argv[i], argv[i + 1]];
        if (arg === '--mode' && ['careful', 'naive'].includes(value)) {
            opts.mode = value;
        } else if (arg === '--port' && /^[0-9]+$/.test(value || '') &&
                   Number(value) <= 65535) {
            opts.port = Number(value);
        } else if (arg === '--api' && /^https?:\/\//.test(value || '')) {
            opts.api = new URL(value);
        } else {
            usage('unexpected argument ' + JSON.stringify(arg));
        }
    }
    if (!opts.mode) usage('--mode is required');
    if (opts.api && opts.mode !== 'careful')
        usage('--api is for the careful mode');
    return opts;
}

function stripeClient(api) {
    const key = process.env.STRIPE_SECRET_KEY || 'sk_test_thirdparty';
    if (!api) return new Stripe(key);
    return new Stripe(key, {
        host: api.hostname,
        port: Number(api.port) || (api.protocol === 'https:' ? 443 : 80),
        protocol: api.protocol.replace(':', ''),
        maxNetworkRetries: 2,
        timeout: 10000,
    });
}

// The API's current version of an event's object, or null when the API
// does not know it (yet): the event's own copy is used then.
async function refetch(stripe, kind, id) {
    const fetchers = {
        customer: (x) => stripe.customers.retrieve(x),
        subscription: (x) => stripe.subscriptions.retrieve(x),
        invoice: (x) => stripe.invoices.retrieve(x),
        payment_intent: (x) => stripe.paymentIntents.retrieve(x),
        charge: (x) => stripe.charges.retrieve(x),
        refund: (x) => stripe.refunds.retrieve(x),
    };
    try {
        return await fetchers[kind](id);
    } catch (e) {
        if (e && e.statusCode === 404) return null;
        throw e;
    }
}

// Writes obj into its table. With newerOnly the row is changed only when
// version is above the one it holds.
async function upsert(db, obj, version, newerOnly) {
    const spec = TABLES[obj.object];
    if (!spec) return;
    const names = Object.keys(spec.columns);
    const values = names.map((n) => spec.columns[n](obj) ?? null);
    const cols = ['id', ...names, 'version'];
    const params = cols.map((_, i) => '$' + (i + 1));
    const sets = [...names, 'version'].map((n) => n + ' = excluded.' + n);
    let sql = `insert into ${spec.table} (${cols.join(', ')})
               values (${params.join(', ')})
               on conflict (id) do update set ${sets.join(', ')}`;
    if (newerOnly) sql += ` where ${spec.table}.version < excluded.version`;
    await db.query(sql, [obj.id, ...values, version]);
}

async function inTransaction(pool, fn) {
    const db = await pool.connect();
    try {
        await db.query('begin');
        const r = await fn(db);
        await db.query('commit');
        return r;
    } catch (e) {
        await db.query('rollback').catch(() => {});
        throw e;
    } finally {
        db.release();
    }
}

const ledger = (db, event, obj) => db.query(
    'insert into ledger (event_id, type, object_id) values ($1, $2, $3)',
    [event.id, event.type, obj && obj.id ? obj.id : null]);

// careful: one transaction per event; a known event id changes nothing.
async function applyCareful(pool, stripe, api, event) {
    let obj = event.data && event.data.object;
    if (api && obj && TABLES[obj.object])
        obj = (await refetch(stripe, obj.object, obj.id)) || obj;
    return inTransaction(pool, async (db) => {
        const r = await db.query('insert into processed_events (event_id) ' +
            'values ($1) on conflict do nothing', [event.id]);
        if (r.rowCount === 0) return 'duplicate ignored';
        await ledger(db, event, obj);
        if (obj && obj.id) await upsert(db, obj, event.created, true);
        return 'applied';
    });
}

// naive: whatever arrives is written, in the order it arrives.
async function applyNaive(pool, event) {
    const obj = event.data && event.data.object;
    return inTransaction(pool, async (db) => {
        await ledger(db, event, obj);
        if (obj && obj.id) await upsert(db, obj, event.created, false);
        return 'applied';
    });
}

function send(res, status, obj) {
    const body = JSON.stringify(obj) + '\n';
    res.writeHead(status, {'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body)});
    res.end(body);
}

function readBody(req) {
    return new Promise((resolve, fail) => {
        const chunks = [];
        let bytes = 0;
        req.on('data', (c) => {
            bytes += c.length;
            if (bytes <= MAX_BODY_BYTES) chunks.push(c);
        });
        req.on('end', () =>
            resolve(bytes > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
        req.on('error', fail);
    });
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const secret = process.env.STRIPE_WEBHOOK_SECRET;
    if (!secret) usage('STRIPE_WEBHOOK_SECRET must be set');
    if (!process.env.DATABASE_URL) usage('DATABASE_URL must be set');
    const pool = new Pool({connectionString: process.env.DATABASE_URL,
        max: 5});
    await pool.query(SCHEMA);
    const stripe = stripeClient(opts.api);

    async function webhook(req, res) {
        const raw = await readBody(req);
        if (raw === null) return send(res, 413, {error: 'too large'});
        let event;
        try {
            event = stripe.webhooks.constructEvent(raw,
                req.headers['stripe-signature'], secret);
        } catch (e) {
            return send(res, 400, {error: String(e.message || e)});
        }
        const outcome = opts.mode === 'careful' ?
            await applyCareful(pool, stripe, opts.api, event) :
            await applyNaive(pool, event);
        send(res, 200, {received: true, outcome});
    }

    const server = http.createServer((req, res) => {
        const path = req.url.split('?')[0];
        let work;
        if (req.method === 'POST' && path === '/webhooks/stripe')
            work = webhook(req, res);
        else if (req.method === 'GET' && path === '/healthz')
            work = pool.query('select 1').then(() => send(res, 200, {ok: 1}));
        else
            work = Promise.resolve(send(res, 404, {error: 'not found'}));
        work.catch((e) => {
            process.stderr.write('consumer.js: ' + (e.stack || e) + '\n');
            if (!res.headersSent) send(res, 500, {error: 'internal'});
        });
    });
    server.listen(opts.port, '127.0.0.1', () => {
        process.stdout.write('listening on 127.0.0.1:' +
            server.address().port + '\n');
    });

    let stopping = false;
    const stop = () => {
        if (stopping) return;
        stopping = true;
        server.close();
        server.closeAllConnections();
        pool.end().finally(() => process.exit(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
}

main().catch((e) => {
    process.stderr.write('consumer.js: ' + (e.stack || e) + '\n');
    process.exit(1);
});
