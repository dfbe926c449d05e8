#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// A GitHub webhook consumer written the way an application writes one:
// the official @octokit/webhooks library verifies each delivery and
// dispatches it to `on(...)` handlers through its Node middleware, and
// what the events say is kept in PostgreSQL through pg. Two behaviours:
//
//   careful  records each delivery id (X-GitHub-Delivery) in
//            processed_deliveries in the same transaction as its effect
//            (INSERT ... ON CONFLICT DO NOTHING): a delivery already seen
//            changes nothing. Issues and pull requests are upserted and
//            only replaced by a newer `updated_at` (GitHub's deliveries
//            carry no event time; the object's own time orders them).
//   naive    lets octokit verify too, but has no dedupe: every delivery
//            writes an activity row, and every comment delivery adds one
//            to its issue's comment counter.
//
// Both answer GitHub's ping as the library does (200 "ok" once verified).
//
// Usage:
//   GITHUB_WEBHOOK_SECRET=... DATABASE_URL=postgres://... \
//     node github-consumer.mjs --mode careful|naive [--port N]
//
// The server binds 127.0.0.1 only and prints "listening on
// 127.0.0.1:PORT" once it accepts connections; port 0 picks a free one.
// POST /webhooks/github takes deliveries (octokit's answers: 200, 400
// for a bad or missing signature, 415 for another content type, 500
// when a handler fails); GET /healthz answers 200 when the database
// answers. SIGTERM and SIGINT close the server and the pool and exit 0.
import http from 'node:http';
import process from 'node:process';
import {Webhooks, createNodeMiddleware} from '@octokit/webhooks';
import pg from 'pg';

const SCHEMA = `
create table if not exists processed_deliveries (
    delivery_id text primary key,
    event text not null,
    received_at timestamptz not null default now());
create table if not exists activity (
    id bigserial primary key,
    delivery_id text not null,
    event text not null,
    action text,
    subject text,
    at timestamptz not null default now());
create table if not exists issues (
    node_id text primary key, number bigint, title text, state text,
    comments_seen bigint not null default 0, updated_at text);
create table if not exists pull_requests (
    node_id text primary key, number bigint, title text, state text,
    merged boolean, updated_at text);
`;

function usage(msg) {
    process.stderr.write('github-consumer.mjs: ' + msg + '\n' +
        'usage: GITHUB_WEBHOOK_SECRET=... DATABASE_URL=... node ' +
        'github-consumer.mjs --mode careful|naive [--port N]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const opts = {mode: null, port: 0};
    for (let i = 0; i < argv.length; i += 2) {
        const [arg, value] = [argv[i], argv[i + 1]];
        if (arg === '--mode' && ['careful', 'naive'].includes(value)) {
            opts.mode = value;
        } else if (arg === '--port' && /^[0-9]+$/.test(value || '') &&
                   Number(value) <= 65535) {
            opts.port = Number(value);
        } else {
            usage('unexpected argument ' + JSON.stringify(arg));
        }
    }
    if (!opts.mode) usage('--mode is required');
    return opts;
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

// With newerOnly a row is replaced only by a later updated_at (ISO 8601
// in UTC compares as text).
async function upsertIssue(db, issue, newerOnly) {
    let sql = `insert into issues (node_id, number, title, state, updated_at)
               values ($1, $2, $3, $4, $5)
               on conflict (node_id) do update set number = excluded.number,
                 title = excluded.title, state = excluded.state,
                 updated_at = excluded.updated_at`;
    if (newerOnly) sql += ' where issues.updated_at <= excluded.updated_at';
    await db.query(sql, [issue.node_id, issue.number, issue.title,
        issue.state, issue.updated_at]);
}

async function upsertPull(db, pr, newerOnly) {
    let sql = `insert into pull_requests
                 (node_id, number, title, state, merged, updated_at)
               values ($1, $2, $3, $4, $5, $6)
               on conflict (node_id) do update set number = excluded.number,
                 title = excluded.title, state = excluded.state,
                 merged = excluded.merged, updated_at = excluded.updated_at`;
    if (newerOnly)
        sql += ' where pull_requests.updated_at <= excluded.updated_at';
    await db.query(sql, [pr.node_id, pr.number, pr.title, pr.state,
        pr.merged ?? null, pr.updated_at]);
}

// The effect of one delivery: an activity row, the object upserted, and
// for a new comment one more on its issue's counter.
async function effect(db, {id, name, payload}, newerOnly) {
    const subject = (payload.issue || payload.pull_request || {}).node_id;
    await db.query('insert into activity (delivery_id, event, action, ' +
        'subject) values ($1, $2, $3, $4)',
    [id, name, payload.action ?? null, subject ?? null]);
    if (payload.issue) await upsertIssue(db, payload.issue, newerOnly);
    if (payload.pull_request)
        await upsertPull(db, payload.pull_request, newerOnly);
    if (name === 'issue_comment' && payload.action === 'created')
        await db.query('update issues set comments_seen = comments_seen + 1' +
            ' where node_id = $1', [payload.issue.node_id]);
}

function handler(pool, mode) {
    if (mode === 'naive')
        return (event) => inTransaction(pool, (db) => effect(db, event, false));
    return (event) => inTransaction(pool, async (db) => {
        const r = await db.query('insert into processed_deliveries ' +
            '(delivery_id, event) values ($1, $2) on conflict do nothing',
        [event.id, event.name]);
        if (r.rowCount === 1) await effect(db, event, true);
    });
}

function send(res, status, obj) {
    const body = JSON.stringify(obj) + '\n';
    res.writeHead(status, {'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body)});
    res.end(body);
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const secret = process.env.GITHUB_WEBHOOK_SECRET;
    if (!secret) usage('GITHUB_WEBHOOK_SECRET must be set');
    if (!process.env.DATABASE_URL) usage('DATABASE_URL must be set');
    const pool = new pg.Pool({connectionString: process.env.DATABASE_URL,
        max: 5});
    await pool.query(SCHEMA);

    const webhooks = new Webhooks({secret});
    webhooks.on(['issues', 'issue_comment', 'pull_request'],
        handler(pool, opts.mode));
    // stdout is for the listening line only (the caller may stop reading)
    webhooks.on('ping', ({id}) => {
        process.stderr.write('github-consumer.mjs: ping ' + id + '\n');
    });
    const quiet = () => {};
    const middleware = createNodeMiddleware(webhooks, {
        path: '/webhooks/github',
        log: {debug: quiet, info: quiet, warn: console.warn,
            error: (e) => console.error('github-consumer.mjs: ' +
                (e && e.message ? e.message : e))},
    });

    const server = http.createServer((req, res) => {
        const path = req.url.split('?')[0];
        let work;
        if (req.method === 'GET' && path === '/healthz')
            work = pool.query('select 1').then(() => send(res, 200, {ok: 1}));
        else
            work = middleware(req, res, () => send(res, 404,
                {error: 'not found'}));
        work.catch((e) => {
            process.stderr.write('github-consumer.mjs: ' + (e.stack || e) +
                '\n');
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
    process.stderr.write('github-consumer.mjs: ' + (e.stack || e) + '\n');
    process.exit(1);
});
