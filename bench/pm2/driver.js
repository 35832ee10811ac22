// Drives PM2 through its programmatic API (pm2.connect / pm2.start / pm2.stop) for the agent
// benchmark, doing the same work Baton's side does, and prints one JSON object on its last line.
// The caller (bench/Baton.Bench.Agent) sets PM2_HOME to a temp dir and runs `pm2 kill` afterwards.
//
// usage: node driver.js --app-dir DIR --count N --first-port P --probe-interval-ms MS --settle-ms MS
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const pm2 = require('pm2');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const appDir = path.resolve(arg('--app-dir', path.join(__dirname, '..', 'apps')));
const count = Number(arg('--count', '100'));
const firstPort = Number(arg('--first-port', '21000'));
const probeIntervalMs = Number(arg('--probe-interval-ms', '50'));
const settleMs = Number(arg('--settle-ms', '2000'));

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const promisify = (fn) => (...a) => new Promise((resolve, reject) => fn(...a, (err, res) => (err ? reject(err) : resolve(res))));
const connect = promisify(pm2.connect.bind(pm2));
const start = promisify(pm2.start.bind(pm2));
const stop = promisify(pm2.stop.bind(pm2));
const del = promisify(pm2.delete.bind(pm2));

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function daemonPid() {
  return Number(fs.readFileSync(path.join(process.env.PM2_HOME, 'pm2.pid'), 'utf8').trim());
}

// The same check as the agent's TCP readiness probe: a connect to 127.0.0.1:port that succeeds.
function tcpOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function main() {
  if (!process.env.PM2_HOME) throw new Error('PM2_HOME must be set (the benchmark uses a PM2 of its own)');
  const result = { launchToRunningMs: [], launchToReadyMs: [], stopMs: [], pids: [] };

  const connectStarted = nowMs();
  await connect();
  result.daemonStartMs = nowMs() - connectStarted;
  result.daemonPid = daemonPid();
  await sleep(settleMs);
  result.daemonRssIdleBytes = rssBytes(result.daemonPid);

  let port = firstPort;
  const names = [];
  for (let i = 0; i < count; i++) {
    while (!(await portFree(port))) port++;
    const name = `bench-${i}`;
    names.push(name);
    const t0 = nowMs();
    // Fork mode: PM2 spawns the app as its own process, as Baton does. (Cluster mode would make
    // the PM2 daemon the cluster master that accepts every connection, a different job.)
    const procs = await start({
      script: path.join(appDir, 'app.js'),
      name,
      cwd: appDir,
      exec_mode: 'fork',
      instances: 1,
      autorestart: true,
      env: { PORT: String(port) },
    });
    const t1 = nowMs();
    result.pids.push((procs[0].process && procs[0].process.pid) || procs[0].pid || 0);
    while (!(await tcpOpen(port))) await sleep(probeIntervalMs);
    const t2 = nowMs();
    result.launchToRunningMs.push(t1 - t0);
    result.launchToReadyMs.push(t2 - t0);
    port++;
  }

  await sleep(settleMs);
  result.daemonRssLoadedBytes = rssBytes(result.daemonPid);

  for (const name of names) {
    const t0 = nowMs();
    await stop(name);
    result.stopMs.push(nowMs() - t0);
  }
  await del('all');
  pm2.disconnect();
  console.log(JSON.stringify(result));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  pm2.disconnect();
  process.exit(1);
});
