// SPDX-License-Identifier: MIT
// Validates JSON files against a JSON Schema (draft 2020-12) with ajv.
// usage: node validate.js SCHEMA FILE...   exit 0 valid, 1 invalid,
// 2 bad usage or unreadable input.
'use strict';
const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020');

function load(path) {
    try {
        return JSON.parse(fs.readFileSync(path, 'utf8'));
    } catch (e) {
        console.error(`${path}: ${e.message}`);
        process.exit(2);
    }
}

const [schemaPath, ...files] = process.argv.slice(2);
if (!schemaPath || files.length === 0) {
    console.error('usage: node validate.js SCHEMA FILE...');
    process.exit(2);
}
const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    // required in oneOf branches names properties declared one level up
    strictRequired: false,
});
const validate = ajv.compile(load(schemaPath));
let bad = 0;
for (const f of files) {
    if (validate(load(f))) {
        console.log(`${f}: valid`);
        continue;
    }
    bad++;
    for (const e of validate.errors)
        console.error(`${f}: ${e.instancePath || '/'} ${e.message} ` +
                      `(${e.schemaPath})`);
}
process.exit(bad ? 1 : 0);
