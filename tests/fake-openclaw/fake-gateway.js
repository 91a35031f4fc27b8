// The fake `openclaw gateway run`: an HTTP server on 127.0.0.1 answering
// /healthz and /readyz like the real gateway (9.6 answers 503
// startup-sidecars first). argv: config path, port ("" = from config),
// ready-after ms (-1 = never ready), die-after-ready ms ("" = never: exit 1
// that long after its first 200 on /readyz). Exits 0 on SIGTERM, as the
// real one.
'use strict';
const fs = require('fs');
const http = require('http');
const [configPath, portArg, readyArg, dieArg] = process.argv.slice(2);
const dieAfterReady = dieArg ? parseInt(dieArg, 10) : -1;
let dying = false;
let port = parseInt(portArg, 10);
if (!port) {
  try {
    port = JSON.parse(fs.readFileSync(configPath, 'utf8')).gateway.port;
  } catch (e) { /* no config or no gateway.port: the default */ }
}
port = port || 18789;
const readyAfter = parseInt(readyArg || '0', 10);
const started = Date.now();
const server = http.createServer((req, res) => {
  const uptimeMs = Date.now() - started;
  let code = 200;
  let body = { ok: true, status: 'live' };
  if (req.url === '/readyz' || req.url === '/ready') {
    const ready = readyAfter >= 0 && uptimeMs >= readyAfter;
    code = ready ? 200 : 503;
    if (ready && dieAfterReady >= 0 && !dying) {
      dying = true;
      setTimeout(() => {
        console.error('[gateway] fake crash after ready');
        process.exit(1);
      }, dieAfterReady);
    }
    body = { ready, failing: ready ? [] : ['startup-sidecars'], uptimeMs };
  } else if (req.url !== '/healthz' && req.url !== '/health') {
    code = 404;
    body = { error: 'not found' };
  }
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
});
server.listen(port, '127.0.0.1', () => {
  console.log(`[gateway] listening on ws://127.0.0.1:${port} (fake, pid ${process.pid})`);
});
server.on('error', (e) => {
  console.error(`[gateway] cannot listen on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
});
process.on('SIGTERM', () => {
  console.log('[gateway] signal SIGTERM received');
  server.close();
  process.exit(0);
});
