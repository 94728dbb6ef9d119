'use strict';
// baton interop: Node.js's built-in servers on 127.0.0.1, started by
// crates/interop/src/node.rs as `node server.js '<json config>'`.
//
//   h2c   http2.createServer                      (prior knowledge)
//   tls   http2.createSecureServer, allowHTTP1    (ALPN h2, http/1.1)
//   h1    http.createServer                       (cleartext HTTP/1.1)
//
// Routes (crates/interop/src/content.rs): /files/small, /files/large, /echo,
// /trailers, /headers, and /stats (shedding counters, JSON).
//
// Shedding (HTTP/2 sessions only), from the config:
//   shed: "close"  -> session.close() once a session has served `every`
//                     streams (GOAWAY with the last processed stream id,
//                     open streams finish), and every `closeFreshEvery`-th
//                     new session is closed at once (GOAWAY(0), DESIGN.md S10)
//   shed: "goaway" -> session.goaway() (NO_ERROR) once a session has served
//                     `every` streams; the socket stays open for the client
//                     to close (DESIGN.md S15)
// Once ready it prints one line: "PORTS h2c=N tls=N h1=N".

const http = require('node:http');
const http2 = require('node:http2');
const fs = require('node:fs');

const cfg = JSON.parse(process.argv[2] || '{}');

function pattern(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}
const small = pattern(100);
const large = pattern(1 << 20);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const big = {};
for (let i = 0; i < 10; i++) {
  let v = '';
  for (let j = 0; j < 3000; j++) v += ALPHABET[(i * 7 + j) % ALPHABET.length];
  big[`x-big-${i}`] = v;
}

const stats = { sessions: 0, streams: 0, echoes: 0, closed: 0, closedFresh: 0, goaways: 0 };

function onSession(session) {
  stats.sessions += 1;
  session.served = 0;
  if (cfg.shed === 'close' && cfg.closeFreshEvery && stats.sessions % cfg.closeFreshEvery === 0) {
    stats.closedFresh += 1;
    session.close();
  }
}

function countStream(session) {
  stats.streams += 1;
  session.served += 1;
  if (session.served !== cfg.every) return;
  if (cfg.shed === 'close') {
    stats.closed += 1;
    session.close();
  } else if (cfg.shed === 'goaway') {
    stats.goaways += 1;
    session.goaway(http2.constants.NGHTTP2_NO_ERROR);
  }
}

function handle(req, res) {
  const path = req.url.split('?')[0];
  if (req.stream && req.stream.session) countStream(req.stream.session);
  const octets = { 'content-type': 'application/octet-stream' };
  if (path === '/files/small' || path === '/files/large') {
    const body = path === '/files/small' ? small : large;
    res.writeHead(200, { ...octets, 'content-length': body.length });
    res.end(body);
  } else if (path === '/echo') {
    stats.echoes += 1;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { ...octets, 'content-length': body.length });
      res.end(body);
    });
  } else if (path === '/trailers') {
    res.writeHead(200, { ...octets, trailer: 'x-interop-trailer' });
    res.write(small);
    res.addTrailers({ 'x-interop-trailer': 'done' });
    res.end();
  } else if (path === '/headers') {
    res.writeHead(200, { ...big, 'content-type': 'text/plain' });
    res.end('ok');
  } else if (path === '/stats') {
    const body = JSON.stringify(stats);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  }
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

async function main() {
  const h2c = http2.createServer({}, handle);
  h2c.on('session', onSession);
  const tls = http2.createSecureServer(
    { key: fs.readFileSync(cfg.key), cert: fs.readFileSync(cfg.cert), allowHTTP1: true },
    handle,
  );
  tls.on('session', onSession);
  const h1 = http.createServer(handle);
  const ports = [await listen(h2c), await listen(tls), await listen(h1)];
  process.stdout.write(`PORTS h2c=${ports[0]} tls=${ports[1]} h1=${ports[2]}\n`);
}

process.on('SIGTERM', () => process.exit(0));
main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
