// The fake `openclaw config validate [--json]` and `models status --json
// [--agent ID]`, per version ($FAKE_OPENCLAW_VERSION), as the real
// releases behave in ../shared/fixtures/openclaw and in the real tier
// (agent/compat.c cites each): it refuses what they refuse, and reads the
// chain of every surface. tests/e2e/real/expected.sh runs this fake beside
// the real releases on the same files and fails when they disagree.
//   node fake-config.js validate CONFIG [--json]
//   node fake-config.js status CONFIG [--agent ID]
'use strict';
const fs = require('fs');
const [mode, configPath, ...rest] = process.argv.slice(2);
const version = process.env.FAKE_OPENCLAW_VERSION || '2026.9.6';

// "2026.8.2" -> [2026, 8, 2]; pre-releases count as their release
const parts = (v) => v.split(/[.-]/).slice(0, 3).map((x) => parseInt(x, 10) || 0);
const atLeast = (v) => {
  const a = parts(version), b = parts(v);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};

// JSON5 as the real CLI accepts it (comments, unquoted keys, single
// quotes, trailing commas): the fixture files are object literals.
function load(path) {
  const text = fs.readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    return new Function(`"use strict"; return (${text}\n);`)();
  }
}

const BINDS = ['auto', 'lan', 'loopback', 'custom', 'tailnet'];
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isRef = (v) => typeof v === 'string' && v.includes('/');

function modelIssues(model, path, issues) {
  if (model === undefined || typeof model === 'string') return;
  if (!isObj(model) || (model.primary !== undefined && typeof model.primary !== 'string') ||
      (model.fallbacks !== undefined &&
       (!Array.isArray(model.fallbacks) || !model.fallbacks.every(isRef)))) {
    issues.push({ path, message: 'Invalid input' });
  }
}

function validate(c) {
  const issues = [];
  const gw = c.gateway || {};
  const num96 = atLeast('2026.9.1');
  if (gw.port !== undefined && !(Number.isInteger(gw.port) && gw.port > 0 && gw.port < 65536)) {
    issues.push({ path: 'gateway.port', message: num96 && typeof gw.port === 'string'
      ? 'Invalid input: expected number, received string' : 'Invalid input' });
  }
  if (gw.bind !== undefined && !BINDS.includes(gw.bind)) {
    issues.push({ path: 'gateway.bind', message: `Invalid input (allowed: ${BINDS.map((b) => `"${b}"`).join(', ')})`,
      allowedValues: BINDS });
  }
  // touched_at_in_db: 8.1-beta.1 and later keep it in their database
  if (atLeast('2026.8.1-beta.1') && isObj(c.meta) && 'lastTouchedAt' in c.meta) {
    issues.push({ path: 'meta', message: 'Unrecognized key: "lastTouchedAt"' });
  }
  // meta.migrations (9.6 writes it): 5.28 to 7.35 refuse the whole meta
  // object, 8.2 and 9.1 know modelPolicyAllowlist but not
  // utilityModelSeparation, 9.6 both (real config validate, 2026-12-01)
  if (isObj(c.meta) && c.meta.migrations !== undefined) {
    if (!atLeast('2026.8.2')) {
      issues.push({ path: 'meta', message: 'Invalid input' });
    } else {
      const known = ['modelPolicyAllowlist'].concat(atLeast('2026.9.6') ? ['utilityModelSeparation'] : []);
      Object.keys(isObj(c.meta.migrations) ? c.meta.migrations : {})
        .filter((k) => !known.includes(k))
        .forEach((k) => issues.push({ path: 'meta.migrations', message: `Unrecognized key: "${k}"` }));
    }
  }
  const agents = c.agents || {};
  // agents_entries: keyed agents.entries from 2026.8.1; 6.35/7.35 refuse it
  if (agents.entries !== undefined && !atLeast('2026.8.1')) {
    issues.push({ path: 'agents', message: 'Invalid input' });
  }
  // agents_ownership: 8.1+ rosters of more than one agent need it explicit
  if (atLeast('2026.8.1') && isObj(agents.entries) && Object.keys(agents.entries).length > 1 &&
      agents.ownership !== 'explicit') {
    issues.push({ path: 'agents', message: 'multi-agent rosters require agents.ownership="explicit"' });
  }
  modelIssues((agents.defaults || {}).model, 'agents.defaults.model', issues);
  (Array.isArray(agents.list) ? agents.list : []).forEach((a, i) =>
    modelIssues((a || {}).model, `agents.list.${i}.model`, issues));
  Object.entries(isObj(agents.entries) ? agents.entries : {}).forEach(([id, a]) =>
    modelIssues((a || {}).model, `agents.entries.${id}.model`, issues));
  return issues;
}

// The chain a surface runs: an agent's own model, else the defaults'. An
// object without "fallbacks" inherits the defaults' fallbacks; a string
// pins the model with none.
function chain(c, agentId) {
  const agents = c.agents || {};
  const dm = (agents.defaults || {}).model || {};
  const dPrimary = typeof dm === 'string' ? dm : dm.primary || null;
  const dFallbacks = typeof dm === 'string' ? [] : dm.fallbacks || [];
  if (!agentId) return { primary: dPrimary, fallbacks: dFallbacks };
  let a = isObj(agents.entries) ? agents.entries[agentId] : undefined;
  if (a === undefined && Array.isArray(agents.list)) a = agents.list.find((x) => x && x.id === agentId);
  const m = a && a.model;
  if (m === undefined || m === null) return { primary: dPrimary, fallbacks: dFallbacks };
  if (typeof m === 'string') return { primary: m, fallbacks: [] };
  return { primary: m.primary || dPrimary, fallbacks: m.fallbacks !== undefined ? m.fallbacks : dFallbacks };
}

let config;
try {
  config = load(configPath);
} catch (e) {
  console.error(`Invalid config at ${configPath}: ${e.message}`);
  process.exit(1);
}

if (mode === 'validate') {
  const json = rest.includes('--json');
  const issues = validate(config);
  if (issues.length === 0) {
    if (json) console.log(JSON.stringify({ valid: true, path: configPath }));
    else console.log(`Config valid: ${configPath}`);
    process.exit(0);
  }
  const head = `OpenClaw config is invalid: ${configPath}`;
  console.error([head, ...issues.map((i) => `  × ${i.path}: ${i.message}`), '',
    'Run `openclaw doctor --fix` to repair, or fix the keys above manually.'].join('\n'));
  if (json) {
    const doc = { valid: false, path: configPath, issues };
    // 9.6 wraps the result (fixtures: 2026.9.6/config-json5)
    console.log(JSON.stringify(atLeast('2026.9.1')
      ? { ok: false, error: { type: 'cli_error', message: head }, ...doc } : doc, null, 2));
  }
  process.exit(1);
}

if (mode === 'status') {
  const i = rest.indexOf('--agent');
  const agentId = i >= 0 ? rest[i + 1] : null;
  const { primary, fallbacks } = chain(config, agentId);
  console.log(JSON.stringify({
    configPath, agentDir: `${process.env.OPENCLAW_STATE_DIR}/agents/${agentId || 'main'}/agent`,
    defaultModel: primary, resolvedDefault: primary, fallbacks,
    imageModel: null, imageFallbacks: [], aliases: {}, allowed: [], auth: {},
  }, null, 2));
  process.exit(0);
}
console.error(`fake-config.js: unknown mode ${mode}`);
process.exit(2);
