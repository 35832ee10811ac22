// The quickstart app, release v2: a dependency-free Node HTTP server that Baton (or PM2) runs.
//
//   GET /          {"app":"hello","version":"v2","pid":...,"greeting":...,"instance":...}
//                  (new in v2: "instance", the agent's instance id, or the PM2 worker number)
//   GET /healthz   200 once listening, 503 while shutting down (Baton's readiness probe)
//   GET /slow?ms=N answers after N ms (a request held in flight across a switch of releases)
//
// Port: $PORT, which the agent sets per instance; PM2 sets none, so 3000 by default (PM2's
// cluster workers then share it). On SIGTERM (Baton's stop signal) or SIGINT (PM2's) it stops
// accepting, finishes the requests in flight, then exits.
//
// For tests and benchmarks: HELLO_CRASH_ON_START=1 exits 1 at once (a broken release),
// HELLO_FAIL_RATE=0.3 answers that fraction of `GET /` with 500, HELLO_NEVER_READY=1 answers
// /healthz with 503 for ever (a release that starts but never gets ready).
'use strict';
const http = require('http');

const VERSION = 'v2';
const GREETING = 'Hello again, from v2';
const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
const failRate = Number(process.env.HELLO_FAIL_RATE || 0);
const neverReady = process.env.HELLO_NEVER_READY === '1';
const maxSlowMs = 60_000;

if (process.env.HELLO_CRASH_ON_START === '1') {
  console.error(`hello ${VERSION}: HELLO_CRASH_ON_START=1, exiting`);
  process.exit(1);
}

let closing = false;

function send(res, status, body) {
  const headers = { 'content-type': 'application/json' };
  // A keep-alive connection that is mid-request when the server closes would otherwise stay open
  // after its response; this makes Node close it once the response is written.
  if (closing) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(JSON.stringify(body) + '\n');
}

// New in v2: which instance answered (BATON_INSTANCE_ID under Baton, NODE_APP_INSTANCE under PM2).
const instance = process.env.BATON_INSTANCE_ID || (process.env.NODE_APP_INSTANCE !== undefined ? `pm2-${process.env.NODE_APP_INSTANCE}` : null);

function hello() {
  return { app: 'hello', version: VERSION, pid: process.pid, greeting: GREETING, instance };
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method !== 'GET') return send(res, 405, { error: 'GET only' });
  switch (url.pathname) {
    case '/':
      if (failRate > 0 && Math.random() < failRate) return send(res, 500, { error: 'HELLO_FAIL_RATE', version: VERSION });
      return send(res, 200, hello());
    case '/healthz':
      return send(res, closing || neverReady ? 503 : 200, { ready: !closing && !neverReady });
    case '/slow': {
      const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), maxSlowMs);
      setTimeout(() => send(res, 200, { ...hello(), slept_ms: ms }), ms);
      return undefined;
    }
    default:
      return send(res, 404, { error: 'not found' });
  }
});

function shutdown(signal) {
  if (closing) return;
  closing = true;
  console.log(`hello ${VERSION}: ${signal}: finishing the requests in flight, then exiting`);
  // close() stops accepting and calls back once every connection is gone; idle keep-alive
  // connections are closed now, busy ones after their response (see send()).
  server.close(() => process.exit(0));
  server.closeIdleConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.listen(port, host, () => {
  console.log(`hello ${VERSION} listening on ${host}:${port} (pid ${process.pid})`);
});
