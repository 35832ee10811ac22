#!/usr/bin/env node
// A proxyless xDS client built on @grpc/grpc-js-xds: dials xds:///<app> with the bootstrap named by
// GRPC_XDS_BOOTSTRAP and keeps calling ReleaseEcho.Which, so a test can watch how traffic splits
// between an app's releases while the control plane changes weights.
//
//   GRPC_XDS_BOOTSTRAP=bootstrap.json node xds-client.js --target xds:///web [--concurrency 4]
//     [--deadline-ms 5000] [--max-calls 200000] [--max-seconds 150] [--pause-ms 0]
//   --pause-ms N  each worker waits N ms between its calls (keeps a long run light on a small machine)
//
// Commands on stdin, one per line:
//   window <label> <calls> [<ms>]  count the next <calls> calls started after this line (with <ms>: only
//                           those started within <ms> of it); print a "window" event once they have all
//                           finished (so a window never mixes configs from before it)
//   stats <id>              print a "stats" event with the totals since the start
//   quit                    stop calling, print "end" and exit 0 (so does the end of stdin)
// Events on stdout, one JSON object a line; errors of the client itself go to stderr.
// xds_client.py speaks the same protocol on top of gRPC C-core.
'use strict';

const path = require('path');
const readline = require('readline');

const grpc = require('@grpc/grpc-js');
const grpcXds = require('@grpc/grpc-js-xds');
const protobuf = require('protobufjs');

function parseArgs(argv) {
  const options = { target: null, concurrency: 4, deadlineMs: 5000, maxCalls: 200000, maxSeconds: 150, pauseMs: 0 };
  const numeric = { '--concurrency': 'concurrency', '--deadline-ms': 'deadlineMs', '--max-calls': 'maxCalls', '--max-seconds': 'maxSeconds',
    '--pause-ms': 'pauseMs' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--target' && value !== undefined) {
      options.target = value;
      i++;
    } else if (numeric[arg] && value !== undefined && Number(value) > 0) {
      options[numeric[arg]] = Number(value);
      i++;
    } else {
      throw new Error(`unknown or incomplete argument '${arg}'`);
    }
  }
  if (!options.target || !options.target.startsWith('xds:///')) throw new Error('--target xds:///<app> is required');
  if (!process.env.GRPC_XDS_BOOTSTRAP) throw new Error('GRPC_XDS_BOOTSTRAP must name the bootstrap file');
  return options;
}

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function increment(map, key) {
  map[key] = (map[key] || 0) + 1;
}

/** Counts of a set of finished calls: per release, per instance, failures per status code and per failing release. */
class Tally {
  constructor() {
    this.calls = 0;
    this.ok = 0;
    this.versions = {};
    this.instances = {};
    this.failures = {};
    this.failedVersions = {};
    this.errors = [];
  }

  record(outcome) {
    this.calls++;
    if (outcome.ok) {
      this.ok++;
      increment(this.versions, outcome.version);
      increment(this.instances, `${outcome.version}@${outcome.instance}`);
    } else {
      increment(this.failures, outcome.code);
      // The release that failed the call, when its server said so (trailer baton-release); "" when none did
      // (the call never reached a release, or the release did not say).
      increment(this.failedVersions, outcome.release || '');
      // A few distinct messages are enough to explain a failure without flooding the test's output.
      if (this.errors.length < 5 && !this.errors.includes(outcome.message)) this.errors.push(outcome.message);
    }
  }

  toJSON() {
    return { calls: this.calls, ok: this.ok, failed: this.calls - this.ok, versions: this.versions,
      instances: this.instances, failures: this.failures, failedVersions: this.failedVersions, errors: this.errors };
  }
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  grpcXds.register();

  const root = protobuf.loadSync(path.join(__dirname, 'protos', 'release_echo.proto'));
  const WhichRequest = root.lookupType('baton.conformance.WhichRequest');
  const WhichReply = root.lookupType('baton.conformance.WhichReply');
  const serialize = (message) => Buffer.from(WhichRequest.encode(message).finish());
  const deserialize = (bytes) => WhichReply.toObject(WhichReply.decode(bytes), { defaults: true });

  const client = new grpc.Client(options.target, grpc.credentials.createInsecure());
  const total = new Tally();
  const windows = [];
  const startedAt = Date.now();
  let started = 0;
  let running = true;
  let workersLeft = options.concurrency;

  emit({ event: 'started', client: 'grpc-js-xds', version: require('@grpc/grpc-js-xds/package.json').version,
    target: options.target });

  function call() {
    return new Promise((resolve) => {
      const deadline = new Date(Date.now() + options.deadlineMs);
      client.makeUnaryRequest('/baton.conformance.ReleaseEcho/Which', serialize, deserialize, {}, new grpc.Metadata(),
        { deadline }, (error, reply) => {
          if (error) {
            const release = error.metadata ? error.metadata.get('baton-release')[0] : undefined;
            resolve({ ok: false, code: grpc.status[error.code] || String(error.code), message: error.details || error.message,
              release: release === undefined ? '' : String(release) });
          }
          else resolve({ ok: true, version: reply.version, instance: reply.instance });
        });
    });
  }

  function finishWindowIfDone(window) {
    if (window.pending === 0 && window.remaining === 0) {
      windows.splice(windows.indexOf(window), 1);
      emit({ event: 'window', label: window.label, ...window.tally.toJSON() });
    }
  }

  async function worker() {
    while (running) {
      if (started >= options.maxCalls) return stop('max-calls');
      if (Date.now() - startedAt > options.maxSeconds * 1000) return stop('max-seconds');
      started++;
      // A call belongs to every open window that still wants calls, decided when it starts.
      const members = windows.filter((w) => w.remaining > 0);
      for (const window of members) {
        window.remaining--;
        window.pending++;
      }
      const outcome = await call();
      total.record(outcome);
      for (const window of members) {
        window.tally.record(outcome);
        window.pending--;
        finishWindowIfDone(window);
      }
      if (options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  }

  let stopReason = null;
  function stop(reason) {
    if (!running) return;
    running = false;
    stopReason = reason;
  }

  const input = readline.createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'window' && (words.length === 3 || (words.length === 4 && Number(words[3]) > 0)) && Number(words[2]) > 0) {
      const window = { label: words[1], remaining: Number(words[2]), pending: 0, tally: new Tally() };
      windows.push(window);
      if (words.length === 4) {
        // Time's up: no more calls join; the window ends once its calls in flight have finished.
        setTimeout(() => {
          if (!windows.includes(window)) return;
          window.remaining = 0;
          finishWindowIfDone(window);
        }, Number(words[3]));
      }
    } else if (words[0] === 'stats' && words.length === 2) {
      emit({ event: 'stats', id: words[1], ...total.toJSON() });
    } else if (words[0] === 'quit') {
      stop('quit');
    } else if (words[0] !== '') {
      process.stderr.write(`unknown command '${line}'\n`);
    }
  });
  input.on('close', () => stop('stdin-closed'));

  for (let i = 0; i < options.concurrency; i++) {
    worker().then(() => {
      if (--workersLeft === 0) {
        emit({ event: 'end', reason: stopReason || 'stopped', ...total.toJSON() });
        client.close();
        // The xDS and LRS streams keep timers alive; the run is over, so leave without waiting for them.
        process.exit(0);
      }
    }, (error) => {
      process.stderr.write(`worker failed: ${error && error.stack ? error.stack : error}\n`);
      process.exit(3);
    });
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`xds-client: ${error.message}\n`);
  process.exit(2);
}
