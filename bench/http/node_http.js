// HTTP competitor: Node.js `http` module. Node runs JavaScript on one thread,
// so to use the same 2 cores as the others this starts HTTP_WORKERS (else
// GOMAXPROCS, else 2) processes with `cluster` sharing the listening socket
// (the primary accepts and hands connections out round-robin, Node's default
// on Linux); 1 = a single process, no cluster.
// Routes and /work computation: as bench/http/go_nethttp/main.go (xorshift64
// on BigInt would be slow, so the state is two 32-bit halves of the same
// xorshift64 step).
//
// Usage: node node_http.js [addr]   (default 127.0.0.1:8080)
'use strict';
const cluster = require('cluster');
const http = require('http');

const addr = process.argv[2] || '127.0.0.1:8080';
const i = addr.lastIndexOf(':');
const host = addr.slice(0, i) || '127.0.0.1';
const port = Number(addr.slice(i + 1));
const workers = Number(process.env.HTTP_WORKERS || process.env.GOMAXPROCS || 2);

const hello = Buffer.from('Hello, World!\n');

// xorshift64 (x ^= x<<13; x ^= x>>7; x ^= x<<17) on (hi, lo) uint32 halves,
// the monotonic clock read every 1000 steps until ms have passed since start.
function spin(startNs, ms) {
  let hi = 0x9E3779B9 >>> 0, lo = 0x7F4A7C15 >>> 0;
  const d = BigInt(ms) * 1000000n;
  for (;;) {
    for (let k = 0; k < 1000; k++) {
      // x ^= x << 13
      hi = (hi ^ ((hi << 13) | (lo >>> 19))) >>> 0; lo = (lo ^ (lo << 13)) >>> 0;
      // x ^= x >> 7
      lo = (lo ^ ((lo >>> 7) | (hi << 25))) >>> 0; hi = (hi ^ (hi >>> 7)) >>> 0;
      // x ^= x << 17
      hi = (hi ^ ((hi << 17) | (lo >>> 15))) >>> 0; lo = (lo ^ (lo << 17)) >>> 0;
    }
    if (process.hrtime.bigint() - startNs >= d) break;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

function handler(req, res) {
  const start = process.hrtime.bigint();
  const url = req.url;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path === '/') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 14 });
    res.end(hello);
  } else if (path === '/work') {
    const m = /(?:^|&)ms=(\d+)/.exec(q < 0 ? '' : url.slice(q + 1));
    const body = 'work ' + spin(start, m ? Number(m[1]) : 1) + '\n';
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  } else {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
  }
}

if (workers > 1 && cluster.isPrimary) {
  for (let k = 0; k < workers; k++) cluster.fork();
  const stop = () => {
    for (const id in cluster.workers) cluster.workers[id].process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.error(`node-http primary: ${workers} workers listening on ${addr}`);
} else {
  const server = http.createServer({ noDelay: true }, handler);
  // No idle timeout, as Go's net/http (keep-alive connections stay open).
  server.keepAliveTimeout = 0;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.listen(port, host);
  if (workers <= 1) console.error(`node-http listening on ${addr}`);
}
