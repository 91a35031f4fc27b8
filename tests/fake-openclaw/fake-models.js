// The fake `openclaw agent`: read the chain from the config (plain JSON)
// and call each
// candidate's provider at its baseUrl in order, writing real-shaped
// model_fallback_decision records to logging.file (tslog JSON lines) and
// the console line to stderr, as OpenClaw does.
'use strict';
const fs = require('fs');
const [mode, configPath] = process.argv.slice(2);
let config = {};
try {
  config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
} catch (e) {
  console.error(`Invalid config at ${configPath}: ${e.message}`);
  process.exit(1);
}
const model = ((config.agents || {}).defaults || {}).model || {};
const primary = typeof model === 'string' ? model : model.primary || null;
const fallbacks = typeof model === 'string' ? [] : model.fallbacks || [];

const chain = [primary].concat(process.env.FAKE_OPENCLAW_STRIP_FALLBACKS ? [] : fallbacks);
const logFile = (config.logging || {}).file;
const split = (ref) => [ref.slice(0, ref.indexOf('/')), ref.slice(ref.indexOf('/') + 1)];

function record(decision, cand, reason, status, detail, next) {
  const [rp, rm] = split(primary);
  const [cp, cm] = split(cand);
  const now = new Date().toISOString();
  const fields = {
    event: 'model_fallback_decision', decision, requestedProvider: rp, requestedModel: rm,
    candidateProvider: cp, candidateModel: cm, attempt: chain.indexOf(cand) + 1,
    total: chain.length, reason, status, errorPreview: detail,
  };
  if (next) {
    [fields.nextCandidateProvider, fields.nextCandidateModel] = split(next);
  }
  if (logFile) {
    fs.appendFileSync(logFile, JSON.stringify({
      0: '{"subsystem":"model-fallback/decision"}', 1: fields, 2: 'model fallback decision',
      _meta: { logLevelName: 'WARN', date: now }, time: now, message: 'model fallback decision',
    }) + '\n');
  }
  process.stderr.write(`[model-fallback/decision] model fallback decision: decision=${decision} ` +
    `requested=${primary} candidate=${cand} reason=${reason} next=${next || 'none'}` +
    (detail ? ` detail=${detail}` : '') + '\n');
}

async function attempt(ref) {
  const [p, m] = split(ref);
  const prov = ((config.models || {}).providers || {})[p];
  if (!prov || !prov.baseUrl) return { status: 0, detail: `No API key found for provider "${p}"` };
  const path = prov.api === 'anthropic-messages' ? '/v1/messages'
    : prov.api === 'ollama' ? '/api/chat' : '/chat/completions';
  try {
    const res = await fetch(prov.baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${prov.apiKey}` },
      body: JSON.stringify({ model: m, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await res.text();
    let detail = text.slice(0, 200);
    try { detail = JSON.parse(text).error.message; } catch (e) { /* a stream */ }
    return { status: res.status, detail };
  } catch (e) {
    return { status: 0, detail: `fetch failed | ${e.message}` };
  }
}

(async () => {
  const errors = [];
  for (let i = 0; i < chain.length; i++) {
    const r = await attempt(chain[i]);
    if (r.status === 200) {
      record('candidate_succeeded', chain[i], 'unknown', 200, '', null);
      console.log('hello from fallback');
      process.exit(0);
    }
    const reason = r.status === 401 ? 'auth' : r.status === 429 ? 'rate_limit' : 'timeout';
    record('candidate_failed', chain[i], reason, r.status, `${r.status} ${r.detail}`, chain[i + 1]);
    errors.push(`${chain[i]}: ${r.detail} (${reason})`);
  }
  process.stderr.write(`All models failed (${chain.length}): ${errors.join(' | ')}\n`);
  process.exit(1);
})();
