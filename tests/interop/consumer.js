#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// A webhook consumer that verifies every delivery with the provider's
// official library and reports what it accepted and rejected.
//
// Usage: HOOKREPLAY_SECRET=... node consumer.js
//            --profile stripe|github|standard-webhooks|svix|slack|shopify
//            [--port N] [--tls-cert PEM --tls-key PEM]
//
// With --tls-cert and --tls-key it serves https only, with that
// certificate (a consumer behind TLS).
// HOOKREPLAY_SECRET holds one secret per line; the first one is the
// consumer's secret (the others are ignored here). Secrets never come from
// argv. The server binds 127.0.0.1 only and prints exactly
// "listening on 127.0.0.1:PORT\n" on stdout once it accepts connections.
//
// POST to any path: the raw body bytes are verified, never re-serialized;
// 200 on success, 400 with the library's message on failure. A verified
// Slack url_verification is answered as Slack requires: 200 with
// {"challenge": ...} (bolt's own response builder).
// GET /__state: {"accepted","rejected","events":{ID:{count,type}},
// "rejections":[{reason}]} (the first 100 rejections). For stripe also
// "typed_checked" and "type_mismatches":[{id,type,reason}] (the first
// 100): each accepted event is judged against the library's own typed
// events (resources/Events.d.ts): its type must be one the library
// knows, data.object.object must be the resource that type carries, and
// every field the library's EventBase requires must be present.
'use strict';

const http = require('node:http');

const PROFILES = ['stripe', 'github', 'standard-webhooks', 'svix', 'slack',
    'shopify'];
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_REJECTIONS = 100;
const MAX_REASON_CHARS = 500;
const MAX_MISMATCHES = 100;

// PaymentIntent -> payment_intent, Checkout.Session -> checkout.session
const resourceName = (tsName) => tsName.split('.').map((part) =>
    part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()).join('.');

// The stripe library's typed events: type -> resource name, and the
// fields every event must have.
function loadStripeTypes() {
    const fs = require('node:fs');
    const path = require('node:path');
    const dts = path.join(path.dirname(require.resolve('stripe')),
        'resources', 'Events.d.ts');
    const text = fs.readFileSync(dts, 'utf8');
    const objects = new Map();
    const re = new RegExp('interface (\\w+) extends EventBase \\{\\s*' +
        "type: '([^']+)';[\\s\\S]*?namespace \\1 \\{\\s*" +
        'interface Data extends Event\\.Data \\{\\s*object: ([\\w.]+);',
        'g');
    for (const m of text.matchAll(re)) objects.set(m[2], resourceName(m[3]));
    const base = /export interface EventBase \{([\s\S]*?)\n\}/.exec(text);
    const required = [];
    for (const m of (base ? base[1] : '').matchAll(/^    (\w+):/gm))
        required.push(m[1]);
    if (objects.size < 50 || required.length < 5)
        throw new Error('cannot read the typed events in ' + dts);
    return {objects, required};
}

// Why event is not the typed event its type names, or null.
function typeMismatch(types, event) {
    const missing = types.required.filter((k) => !(k in event));
    if (missing.length) return 'missing ' + missing.join(', ');
    const want = types.objects.get(event.type);
    if (!want) return 'type unknown to the library';
    const obj = event.data && event.data.object;
    const got = obj && typeof obj.object === 'string' ? obj.object : null;
    if (got !== want) return 'data.object.object is ' + got + ', not ' + want;
    return null;
}

function usage(msg) {
    process.stderr.write('consumer.js: ' + msg + '\n' +
        'usage: HOOKREPLAY_SECRET=... node consumer.js --profile ' +
        PROFILES.join('|') +
        ' [--port N] [--tls-cert PEM --tls-key PEM]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const opts = {profile: null, port: 0, cert: null, key: null};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = argv[i + 1];
        if (arg === '--profile' && value !== undefined) {
            opts.profile = value;
        } else if (arg === '--port' && /^[0-9]+$/.test(value || '')) {
            opts.port = Number(value);
        } else if (arg === '--tls-cert' && value !== undefined) {
            opts.cert = value;
        } else if (arg === '--tls-key' && value !== undefined) {
            opts.key = value;
        } else {
            usage('unexpected argument ' + JSON.stringify(arg));
        }
        i++;
    }
    if (!PROFILES.includes(opts.profile))
        usage('--profile must be one of ' + PROFILES.join(', '));
    if (opts.port > 65535) usage('--port must be 0..65535');
    if (!opts.cert !== !opts.key) usage('--tls-cert goes with --tls-key');
    return opts;
}

function firstSecret() {
    const lines = (process.env.HOOKREPLAY_SECRET || '').split('\n')
        .map((s) => s.replace(/\r$/, ''))
        .filter((s) => s !== '');
    if (lines.length === 0)
        usage('HOOKREPLAY_SECRET must hold at least one secret');
    return lines[0];
}

const header = (req, name) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
};

// Slack: what bolt's HTTPReceiver does, minus the app. Headers are read
// with bolt's getHeader and passed as parseAndVerifyHTTPRequest passes
// them (the timestamp as a Number), then verifySlackRequest checks the
// raw body as text. The body is parsed with bolt's parser: JSON, or a
// form (slash commands) whose payload field holds JSON (interactivity).
function slackVerifier(secret) {
    const {verifySlackRequest, HTTPModuleFunctions: fns} =
        require('@slack/bolt');
    return async (raw, req) => {
        verifySlackRequest({
            signingSecret: secret,
            body: raw.toString(),
            headers: {
                'x-slack-signature': fns.getHeader(req, 'x-slack-signature'),
                'x-slack-request-timestamp':
                    Number(fns.getHeader(req, 'x-slack-request-timestamp')),
            },
        });
        const body = fns.parseHTTPRequestBody({rawBody: raw,
            headers: req.headers});
        if (body && body.type === 'url_verification') {
            return {id: null, type: body.type, respond: (res) =>
                fns.buildUrlVerificationResponse(res, body)};
        }
        const id = body.event_id || body.trigger_id || null;
        const type = (body.event && body.event.type) || body.command ||
            body.type || null;
        return {id, type};
    };
}

// Shopify: shopify.webhooks.validate with the node adapter, the secret as
// apiSecretKey. It checks the HMAC over rawBody (a string: the library
// encodes it as UTF-8) and then the topic, shop, API version and webhook
// id headers; {valid: false, reason} becomes the error message.
function shopifyVerifier(secret) {
    require('@shopify/shopify-api/adapters/node');
    const {shopifyApi, ApiVersion, LogSeverity} =
        require('@shopify/shopify-api');
    const shopify = shopifyApi({
        apiKey: 'hookreplay-interop',
        apiSecretKey: secret,
        apiVersion: ApiVersion.July25,
        hostName: '127.0.0.1',
        isEmbeddedApp: false,
        // stdout carries only the "listening on" line
        logger: {level: LogSeverity.Error,
            log: (sev, msg) => process.stderr.write(msg + '\n')},
    });
    return async (raw, req, res) => {
        const v = await shopify.webhooks.validate({rawBody: raw.toString(),
            rawRequest: req, rawResponse: res});
        if (!v.valid) {
            throw new Error('webhooks.validate: ' + v.reason +
                (v.missingHeaders ? ' ' + v.missingHeaders.join(', ') : ''));
        }
        return {id: v.eventId || v.webhookId || null, type: v.topic || null};
    };
}

// Each verifier takes (raw Buffer, req, res) and resolves to {id, type}
// (and respond(res) when the reply is not the usual one) or throws with
// the library's message.
async function makeVerifier(profile, secret) {
    if (profile === 'slack') return slackVerifier(secret);
    if (profile === 'shopify') return shopifyVerifier(secret);
    if (profile === 'stripe') {
        const Stripe = require('stripe');
        const stripe = new Stripe('sk_test_interop_consumer_unused');
        const types = loadStripeTypes();
        return async (raw, req) => {
            const sig = header(req, 'stripe-signature');
            const event = stripe.webhooks.constructEvent(raw, sig, secret);
            return {id: event.id, type: event.type,
                mismatch: typeMismatch(types, event)};
        };
    }
    if (profile === 'github') {
        const {verify} = await import('@octokit/webhooks-methods');
        return async (raw, req) => {
            const sig = header(req, 'x-hub-signature-256');
            const ok = await verify(secret, raw.toString('utf8'), sig);
            if (!ok) throw new Error('verify returned false');
            return {id: header(req, 'x-github-delivery') || null,
                type: header(req, 'x-github-event') || null};
        };
    }
    const lib = profile === 'svix' ? require('svix') :
        require('standardwebhooks');
    const wh = new lib.Webhook(secret);
    const idHeader = profile === 'svix' ? 'svix-id' : 'webhook-id';
    return async (raw, req) => {
        const payload = wh.verify(raw, req.headers);
        const type = payload && typeof payload.type === 'string' ?
            payload.type : null;
        const id = header(req, idHeader) ||
            (profile === 'svix' ? header(req, 'webhook-id') : null);
        return {id: id || null, type};
    };
}

function newState(profile) {
    const state = {accepted: 0, rejected: 0, events: Object.create(null),
        rejections: []};
    if (profile === 'stripe') {
        state.typed_checked = 0;
        state.type_mismatches = [];
    }
    return state;
}

function accept(state, ev) {
    state.accepted++;
    const key = ev.id === null ? '' : String(ev.id);
    const seen = state.events[key];
    if (seen) seen.count++;
    else state.events[key] = {count: 1, type: ev.type};
    if (!('mismatch' in ev)) return;
    state.typed_checked++;
    if (ev.mismatch && state.type_mismatches.length < MAX_MISMATCHES)
        state.type_mismatches.push({id: key, type: ev.type,
            reason: ev.mismatch});
}

function reject(state, reason) {
    state.rejected++;
    if (state.rejections.length < MAX_REJECTIONS)
        state.rejections.push({reason: reason.slice(0, MAX_REASON_CHARS)});
}

function send(res, status, obj) {
    const body = JSON.stringify(obj) + '\n';
    res.writeHead(status, {'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body)});
    res.end(body);
}

// Reads the whole body as bytes; resolves null when it is too large.
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

async function handleWebhook(state, verifier, req, res) {
    const raw = await readBody(req);
    if (raw === null) {
        reject(state, 'body larger than ' + MAX_BODY_BYTES + ' bytes');
        send(res, 413, {error: 'body too large'});
        return;
    }
    let ev;
    try {
        ev = await verifier(raw, req, res);
    } catch (e) {
        const reason = (e && e.message) ? e.message : String(e);
        reject(state, reason);
        send(res, 400, {error: reason});
        return;
    }
    accept(state, ev);
    if (ev.respond) ev.respond(res);
    else send(res, 200, {received: true});
}

function handler(state, verifier) {
    return (req, res) => {
        const path = (req.url || '').split('?')[0];
        if (req.method === 'GET' && path === '/__state') {
            send(res, 200, state);
        } else if (req.method === 'POST') {
            handleWebhook(state, verifier, req, res).catch((e) => {
                if (!res.headersSent) send(res, 500, {error: String(e)});
            });
        } else {
            send(res, 405, {error: 'POST a webhook or GET /__state'});
        }
    };
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const secret = firstSecret();
    let verifier;
    try {
        verifier = await makeVerifier(opts.profile, secret);
    } catch (e) {
        usage('cannot use the secret: ' + e.message);
    }
    const state = newState(opts.profile);
    // With a certificate the consumer serves https only, as behind TLS.
    const server = opts.cert
        ? require('node:https').createServer({
            cert: require('node:fs').readFileSync(opts.cert),
            key: require('node:fs').readFileSync(opts.key),
        }, handler(state, verifier))
        : http.createServer(handler(state, verifier));
    const stop = () => {
        server.close(() => process.exit(0));
        server.closeAllConnections();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    server.on('error', (e) => {
        process.stderr.write('consumer.js: ' + e.message + '\n');
        process.exit(1);
    });
    server.listen(opts.port, '127.0.0.1', () => {
        const port = server.address().port;
        process.stdout.write('listening on 127.0.0.1:' + port + '\n');
    });
}

main();
