#!/usr/bin/env node
// The app the end-to-end deploy tests ship as a release: a ReleaseEcho gRPC server on
// 127.0.0.1:$PORT that answers with its release ($BATON_VERSION), run by baton-agent.
//
//   node release-server.js [--fail-rate 0.3] [--crash-on-start] [--never-ready] [--slow-ms N]
//
//   --fail-rate F     answer UNAVAILABLE to a fraction F of calls (a bad release for analysis)
//   --crash-on-start  exit 1 at once (a release that never starts)
//   --never-ready     run but never listen (a release that never becomes ready)
//   --slow-ms N       hold every call N ms before answering (requests in flight across a switch)
//   --ready-after-ms N listen only N ms after starting (a release slow to become ready)
// An optional release-mode.json beside this script sets the same behaviours per artifact, so each
// release can carry its own: {"failRate": 0.3, "crashOnStart": true, "neverReady": true, "slowMs": 200,
// "readyAfterMs": 3000}; a flag on the command line wins over the file.
// A single call can also ask to be held: request metadata `slow-ms: N` holds that call N ms (at least
// the release's own --slow-ms), so a client can keep a long call in flight across a switch of weights
// while its other calls stay quick.
// A call failed on purpose carries the release in its trailers (baton-release), so a client can tell
// which release failed it.
// On SIGTERM it stops accepting calls, lets the in-flight ones finish, then exits 0.
// @grpc/grpc-js and protobufjs come from NODE_PATH (the tests point it at tests/conformance/node_modules).
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protobuf = require('protobufjs');

const fs = require('fs');

const args = process.argv.slice(2);
const modeFile = path.join(__dirname, 'release-mode.json');
const mode = fs.existsSync(modeFile) ? JSON.parse(fs.readFileSync(modeFile, 'utf8')) : {};
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const flag = (name, key) => args.includes(name) || mode[key] === true;
const version = process.env.BATON_VERSION || 'unknown';
const port = Number(process.env.PORT || 0);

if (flag('--crash-on-start', 'crashOnStart')) {
  console.error(`release ${version}: crashing on start as asked`);
  process.exit(1);
}
if (flag('--never-ready', 'neverReady')) {
  console.log(`release ${version}: running, never listening`);
  setInterval(() => {}, 1000);
  return;
}

const failRate = Number(value('--fail-rate', String(mode.failRate || 0)));
const slowMs = Number(value('--slow-ms', String(mode.slowMs || 0)));
const readyAfterMs = Number(value('--ready-after-ms', String(mode.readyAfterMs || 0)));
const root = protobuf.loadSync(path.join(__dirname, 'release_echo.proto'));
const WhichReply = root.lookupType('baton.conformance.WhichReply');
const WhichRequest = root.lookupType('baton.conformance.WhichRequest');
const service = {
  Which: {
    path: '/baton.conformance.ReleaseEcho/Which',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m) => Buffer.from(WhichRequest.encode(m).finish()),
    requestDeserialize: (b) => WhichRequest.decode(b),
    responseSerialize: (m) => Buffer.from(WhichReply.encode(WhichReply.create(m)).finish()),
    responseDeserialize: (b) => WhichReply.decode(b),
  },
};

const instance = `127.0.0.1:${port}`;
const server = new grpc.Server();
server.addService(service, {
  Which: (call, callback) => {
    const answer = () => {
      if (failRate > 0 && Math.random() < failRate) {
        const trailers = new grpc.Metadata();
        trailers.set('baton-release', version);
        callback({ code: grpc.status.UNAVAILABLE, details: `release ${version} failing on purpose`, metadata: trailers });
      } else {
        callback(null, { version, instance });
      }
    };
    const holdMs = Math.max(slowMs, Number(call.metadata.get('slow-ms')[0] || 0));
    if (holdMs > 0) setTimeout(answer, holdMs);
    else answer();
  },
});

const listen = () => server.bindAsync(instance, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    console.error(`release ${version}: cannot listen on ${instance}: ${err.message}`);
    process.exit(1);
  }
  console.log(`release ${version} serving on ${instance}`);
});
if (readyAfterMs > 0) setTimeout(listen, readyAfterMs);
else listen();

process.on('SIGTERM', () => {
  console.log(`release ${version}: SIGTERM, finishing in-flight calls`);
  server.tryShutdown(() => process.exit(0));
});
