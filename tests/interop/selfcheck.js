#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Checks consumer.js for each profile against deliveries signed here with
// node:crypto (independent of hookreplay's signer), and replays the
// bundled Stripe cassette through the Stripe consumer.
//
// Usage: node selfcheck.js      (after ./setup.sh; exits 1 on a failure)
'use strict';

const assert = require('node:assert/strict');
const {spawn} = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const CASSETTE = path.join(__dirname, '../../fixtures/stripe-lifecycle.ndjson');
const SW_KEY = crypto.randomBytes(24);
const SECRETS = {
    'stripe': 'whsec_selfcheck_' + crypto.randomBytes(8).toString('hex'),
    'github': 'gh-selfcheck-' + crypto.randomBytes(8).toString('hex'),
    'standard-webhooks': 'whsec_' + SW_KEY.toString('base64'),
    'svix': 'whsec_' + SW_KEY.toString('base64'),
    'slack': 'slack-selfcheck-' + crypto.randomBytes(8).toString('hex'),
    'shopify': 'shpss_selfcheck' + crypto.randomBytes(8).toString('hex'),
};
// Profiles whose signature carries no timestamp, so nothing goes stale.
const UNTIMED = ['github', 'shopify'];

const hmac = (key, data, enc) =>
    crypto.createHmac('sha256', key).update(data).digest(enc);
const now = () => Math.floor(Date.now() / 1000);
const children = new Set();

// Signature headers for body (a Buffer), as each provider makes them.
function sign(profile, secret, body, id, t = now()) {
    if (profile === 'stripe') {
        const v1 = hmac(secret, Buffer.concat([Buffer.from(t + '.'), body]),
            'hex');
        return {'Stripe-Signature': 't=' + t + ',v1=' + v1};
    }
    if (profile === 'github') {
        return {'X-Hub-Signature-256': 'sha256=' + hmac(secret, body, 'hex'),
            'X-GitHub-Delivery': id, 'X-GitHub-Event': 'ping'};
    }
    if (profile === 'slack') {
        const base = Buffer.concat([Buffer.from('v0:' + t + ':'), body]);
        return {'X-Slack-Request-Timestamp': String(t),
            'X-Slack-Signature': 'v0=' + hmac(secret, base, 'hex')};
    }
    if (profile === 'shopify') {
        return {'X-Shopify-Hmac-Sha256': hmac(secret, body, 'base64'),
            'X-Shopify-Topic': 'orders/create',
            'X-Shopify-Shop-Domain': 'selfcheck.myshopify.com',
            'X-Shopify-API-Version': '2025-07',
            'X-Shopify-Webhook-Id': id, 'X-Shopify-Event-Id': id};
    }
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const sig = hmac(key, Buffer.concat([Buffer.from(id + '.' + t + '.'),
        body]), 'base64');
    const p = profile === 'svix' ? 'svix' : 'webhook';
    return {[p + '-id']: id, [p + '-timestamp']: String(t),
        [p + '-signature']: 'v1,' + sig};
}

function request(port, method, urlPath, headers, body) {
    return new Promise((resolve, reject) => {
        const req = http.request({host: '127.0.0.1', port, method,
            path: urlPath, headers}, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({status: res.statusCode,
                body: Buffer.concat(chunks).toString('utf8')}));
        });
        req.on('error', reject);
        req.end(body);
    });
}

const post = (port, headers, body) => request(port, 'POST', '/hook',
    {'Content-Type': 'application/json', ...headers}, body);

async function state(port) {
    const r = await request(port, 'GET', '/__state', {});
    assert.equal(r.status, 200);
    return JSON.parse(r.body);
}

// Starts the consumer and resolves with {child, port} once it is ready.
function startConsumer(profile) {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath,
            [path.join(__dirname, 'consumer.js'), '--profile', profile,
                '--port', '0'],
            {env: {...process.env,
                HOOKREPLAY_SECRET: SECRETS[profile] + '\nwhsec_unused\n'},
            stdio: ['ignore', 'pipe', 'inherit']});
        children.add(child);
        let out = '';
        child.stdout.on('data', (c) => {
            out += c;
            const m = /^listening on 127\.0\.0\.1:(\d+)\n$/.exec(out);
            if (m) resolve({child, port: Number(m[1])});
        });
        child.on('exit', (code) => reject(new Error(profile +
            ' consumer exited with ' + code + ', stdout: ' + out)));
    });
}

function stopConsumer(child) {
    return new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', (code, sig) => {
            children.delete(child);
            resolve({code, sig});
        });
        child.kill('SIGTERM');
    });
}

// A signed url_verification gets its challenge back as JSON.
async function checkSlackHandshake(port, secret) {
    const body = Buffer.from('{"token":"t","challenge":"c-' +
        crypto.randomBytes(6).toString('hex') + '","type":"url_verification"}');
    const r = await post(port, sign('slack', secret, body), body);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body),
        {challenge: JSON.parse(body).challenge});
}

// Valid, duplicate, forged, tampered, re-serialized and stale deliveries.
async function checkProfile(profile) {
    const {child, port} = await startConsumer(profile);
    const secret = SECRETS[profile];
    const body = Buffer.from('{\n  "id": "evt_self_1",\n  "type": ' +
        '"selfcheck.ping",\n  "event_id": "Ev_self_1",\n  "amount": 1.50,' +
        '\n  "name": "Zoë 🚀"\n}');
    const id = 'msg_selfcheck_1';
    const good = sign(profile, secret, body, id);

    assert.equal((await post(port, good, body)).status, 200);
    assert.equal((await post(port, good, body)).status, 200);
    const forged = sign(profile, 'whsec_not_the_secret', body, id);
    assert.equal((await post(port, forged, body)).status, 400);
    const tampered = Buffer.from(body.toString().replace('1.50', '9.50'));
    assert.equal((await post(port, good, tampered)).status, 400);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body)));
    assert.equal((await post(port, good, reserialized)).status, 400);
    let expectRejected = 3;
    if (!UNTIMED.includes(profile)) {
        const stale = sign(profile, secret, body, id, now() - 3600);
        assert.equal((await post(port, stale, body)).status, 400);
        expectRejected++;
    }

    let expectAccepted = 2;
    if (profile === 'slack') {
        await checkSlackHandshake(port, secret);
        expectAccepted++;
    }

    const s = await state(port);
    const key = {stripe: 'evt_self_1', slack: 'Ev_self_1'}[profile] || id;
    const type = {github: 'ping', shopify: 'ORDERS_CREATE'}[profile] ||
        'selfcheck.ping';
    assert.equal(s.accepted, expectAccepted);
    assert.equal(s.rejected, expectRejected);
    assert.equal(s.events[key].count, 2);
    assert.equal(s.events[key].type, type);
    assert.equal(s.rejections.length, expectRejected);
    for (const r of s.rejections) assert.ok(r.reason.length > 0);
    const stopped = await stopConsumer(child);
    assert.equal(stopped.code, 0);
    return s;
}

// Every event of the bundled cassette, signed over its exact body bytes,
// must pass stripe.webhooks.constructEvent exactly once.
async function checkCassette() {
    const lines = fs.readFileSync(CASSETTE, 'utf8').trim().split('\n');
    const items = lines.slice(1).map((l) => JSON.parse(l));
    const {child, port} = await startConsumer('stripe');
    for (const it of items) {
        const body = Buffer.from(it.request.body, 'utf8');
        const headers = Object.fromEntries(it.request.headers);
        const sig = sign('stripe', SECRETS.stripe, body);
        const r = await post(port, {...headers, ...sig}, body);
        assert.equal(r.status, 200, it.event.id + ': ' + r.body);
    }
    const s = await state(port);
    assert.equal(s.accepted, items.length);
    assert.equal(s.rejected, 0);
    for (const it of items) {
        assert.equal(s.events[it.event.id].count, 1);
        assert.equal(s.events[it.event.id].type, it.event.type);
    }
    await stopConsumer(child);
    return items.length;
}

async function main() {
    for (const profile of Object.keys(SECRETS)) {
        const s = await checkProfile(profile);
        process.stdout.write('ok ' + profile + ': accepted ' + s.accepted +
            ', rejected ' + s.rejected + ' (' +
            s.rejections.map((r) => r.reason.slice(0, 40)).join(' | ') +
            ')\n');
    }
    const n = await checkCassette();
    process.stdout.write('ok cassette: ' + n + ' stripe events verified\n');
}

main().catch((e) => {
    process.stderr.write('selfcheck failed: ' + (e.stack || e) + '\n');
    for (const child of children) child.kill('SIGTERM');
    process.exit(1);
});
