// Validates recorded API responses against api/openapi.yaml: each
// record's status must be documented for its operation (method + path
// template), its Content-Type must be the documented one, and a JSON body
// must validate against the documented schema (JSON Schema 2020-12, as
// OpenAPI 3.1 uses; $refs resolved in the spec itself).
//   node validate-responses.js OPENAPI.yaml RECORDS.jsonl
// A record: {"method","route","status","content_type","body","what"}
// (route: the spec's path template, e.g. /v1/operations/{id}).
'use strict';
const fs = require('fs');
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020');

const [specPath, recordsPath] = process.argv.slice(2);
const spec = YAML.parse(fs.readFileSync(specPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(spec, 'openapi.json');

const pointer = (parts) => '#/' + parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const deref = (obj) => {
  let o = obj;
  const seen = new Set();
  while (o && o.$ref && o.$ref.startsWith('#/') && !seen.has(o.$ref)) {
    seen.add(o.$ref);
    o = o.$ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((acc, k) => (acc ? acc[k] : undefined), spec);
  }
  return o;
};

let failed = 0, passed = 0;
const seenOps = new Set();
const lines = fs.readFileSync(recordsPath, 'utf8').split('\n').filter(Boolean);
for (const line of lines) {
  const r = JSON.parse(line);
  const what = `${r.method} ${r.route} -> ${r.status} (${r.what})`;
  const bad = (msg) => { failed++; console.log(`NOT OK: ${what}: ${msg}`); };
  // HEAD answers as GET does, without a body (the spec's description)
  const method = r.method === 'HEAD' ? 'get' : r.method.toLowerCase();
  const item = spec.paths[r.route];
  if (item && !item[method]) {
    // a known path with another method: 405 with the MethodNotAllowed body
    if (r.status !== 405) { bad(`not in the spec, and answered ${r.status}, not 405`); continue; }
    const v = ajv.compile({ $ref: 'openapi.json#/components/responses/MethodNotAllowed/content/application~1json/schema' });
    if (!v(JSON.parse(r.body))) { bad(`405 body: ${ajv.errorsText(v.errors)}`); continue; }
    passed++; console.log(`ok: ${what}: 405 as components.responses.MethodNotAllowed`);
    continue;
  }
  const op = (item || {})[method];
  if (!op) { bad('the spec has no such operation'); continue; }
  seenOps.add(`${method.toUpperCase()} ${r.route}`);
  const key = String(r.status);
  const responses = op.responses || {};
  const rkey = responses[key] ? key : responses[key[0] + 'XX'] ? key[0] + 'XX' : responses.default ? 'default' : null;
  if (!rkey) { bad(`status ${key} is not documented (documented: ${Object.keys(responses).join(', ')})`); continue; }
  const resp = deref(responses[rkey]);
  const content = resp.content || {};
  const types = Object.keys(content);
  const ct = (r.content_type || '').split(';')[0].trim();
  if (r.method === 'HEAD' || types.length === 0) {
    passed++; console.log(`ok: ${what}: documented${types.length ? '' : ' (no body)'}`);
    continue;
  }
  if (!types.includes(ct)) { bad(`Content-Type ${ct || '(none)'} is not the documented ${types.join(', ')}`); continue; }
  if (ct !== 'application/json') { passed++; console.log(`ok: ${what}: ${ct} as documented`); continue; }
  let body;
  try { body = JSON.parse(r.body); } catch (e) { bad(`body is not JSON: ${e.message}`); continue; }
  // the schema where the spec holds it (a response object may be a $ref)
  const base = responses[rkey].$ref ? responses[rkey].$ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    : ['paths', r.route, r.method.toLowerCase(), 'responses', rkey];
  const validate = ajv.compile({ $ref: 'openapi.json' + pointer([...base, 'content', ct, 'schema']) });
  if (!validate(body)) {
    bad(`body breaks the schema: ${ajv.errorsText(validate.errors, { separator: '; ' }).slice(0, 400)}`);
    continue;
  }
  passed++;
  console.log(`ok: ${what}: body valid against the spec`);
}
// every operation of the spec was called at least once
for (const [path, item] of Object.entries(spec.paths)) {
  for (const m of Object.keys(item)) {
    if (!['get', 'put', 'post', 'delete', 'patch'].includes(m)) continue;
    if (!seenOps.has(`${m.toUpperCase()} ${path}`)) { failed++; console.log(`NOT OK: ${m.toUpperCase()} ${path}: never called`); }
  }
}
console.log(`contract: ${passed} responses valid, ${failed} failed`);
process.exit(failed ? 1 : 0);
