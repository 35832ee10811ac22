// The app both supervisors run in the agent benchmark: a plain HTTP server on $PORT that
// exits cleanly on SIGTERM (Baton's default stop signal) and SIGINT (PM2's), so both
// "graceful stop" figures measure a real graceful exit and never a kill after a timeout.
'use strict';
const http = require('http');

const port = Number(process.env.PORT || 0);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok\n');
});

function shutdown() {
  server.close(() => process.exit(0));
  // Open keep-alive connections would hold close() back; a graceful stop should not wait on them.
  setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, '127.0.0.1');
