// A small HTTP app whose behaviour the agent tests choose with flags.
//   --ignore-sigterm        keep running on SIGTERM (the agent must SIGKILL after the grace period)
//   --child                 spawn a child process that also ignores SIGTERM (must die with the group)
//   --exit CODE             exit with CODE right after starting
//   --exit-after MS         exit with the --exit code (default 1) after MS milliseconds
//   --ready-after MS        /ready answers 503 until MS milliseconds after start
//   --unhealthy-after MS    /live answers 500 from MS milliseconds after start
//   --log-every MS          print a numbered line to stdout every MS milliseconds
//   --stderr TEXT           print TEXT to stderr at start
'use strict';
const http = require('http');
const { spawn } = require('child_process');

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};

const started = Date.now();
const port = Number(process.env.PORT || 0);
console.log(`started pid=${process.pid} port=${port} instance=${process.env.BATON_INSTANCE_ID} version=${process.env.BATON_VERSION}`);
if (value('--stderr')) console.error(value('--stderr'));

const exitCode = Number(value('--exit', '1'));
if (args.includes('--exit') && !args.includes('--exit-after')) process.exit(exitCode);
if (value('--exit-after')) setTimeout(() => process.exit(exitCode), Number(value('--exit-after')));

if (flag('--ignore-sigterm')) {
  process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
} else {
  process.on('SIGTERM', () => {
    console.log('SIGTERM: shutting down');
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 200).unref();
  });
}
process.on('SIGINT', () => {
  console.log('SIGINT: shutting down');
  process.exit(0);
});

if (flag('--child')) {
  const child = spawn(process.execPath, ['-e', "process.on('SIGTERM',()=>{}); console.log('child pid=' + process.pid); setInterval(()=>{}, 1000)"], { stdio: 'inherit' });
  console.log(`spawned child pid=${child.pid}`);
}

if (value('--log-every')) {
  let n = 0;
  setInterval(() => console.log(`line ${++n}`), Number(value('--log-every')));
}

const readyAfter = Number(value('--ready-after', '0'));
const unhealthyAfter = Number(value('--unhealthy-after', '0'));
const server = http.createServer((req, res) => {
  const age = Date.now() - started;
  if (req.url === '/ready') {
    res.writeHead(age >= readyAfter ? 200 : 503);
    return res.end(age >= readyAfter ? 'ready' : 'not yet');
  }
  if (req.url === '/live') {
    const dead = unhealthyAfter > 0 && age >= unhealthyAfter;
    res.writeHead(dead ? 500 : 200);
    return res.end(dead ? 'unhealthy' : 'alive');
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${process.env.BATON_VERSION} ${process.env.BATON_INSTANCE_ID}\n`);
});
server.listen(port, '127.0.0.1');
