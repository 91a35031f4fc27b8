// A tiny file server for the import tests: GET /file/<name> serves
// <dir>/<name>; GET /cut/<name> promises the whole file but closes the
// connection halfway. argv: dir [request log]. Prints the port it listens
// on; with a request log, appends "METHOD URL" for each request.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const [dir, requestLog] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  if (requestLog) fs.appendFileSync(requestLog, `${req.method} ${req.url}\n`);
  const m = /^\/(file|cut)\/([A-Za-z0-9._-]+)$/.exec(req.url);
  if (!m) { res.writeHead(404); res.end(); return; }
  let data;
  try { data = fs.readFileSync(path.join(dir, m[2])); } catch (e) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': data.length });
  if (m[1] === 'file') { res.end(data); return; }
  res.write(data.subarray(0, data.length >> 1), () => req.socket.destroy());
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
