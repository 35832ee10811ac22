// Loads Envoy's upstream .proto files, the ones @grpc/grpc-js-xds ships, with protobufjs: shared by
// dump-upstream.js (what upstream declares) and check-envoy-fields.js (a document against it).
'use strict';

const fs = require('fs');
const path = require('path');

const here = __dirname;
const modules = path.join(here, 'node_modules');
const xdsPackage = path.join(modules, '@grpc', 'grpc-js-xds');

function fail(message) {
  process.stderr.write(message + '\n');
  process.exit(2);
}

let protobuf;
try {
  protobuf = require(path.join(modules, 'protobufjs'));
} catch (e) {
  fail(`protobufjs is not installed: run "npm ci" in ${here} (${e.message})`);
}
if (!fs.existsSync(xdsPackage)) {
  fail(`@grpc/grpc-js-xds is not installed: run "npm ci" in ${here}`);
}

// Import roots in the order protoc would get them as -I flags. protobufjs's own copy of
// descriptor.proto comes last: the annotation files import it, and nothing here needs
// more than its names.
const roots = [
  path.join(xdsPackage, 'deps', 'envoy-api'),
  path.join(xdsPackage, 'deps', 'xds'),
  path.join(xdsPackage, 'deps', 'googleapis'),
  path.join(xdsPackage, 'deps', 'protoc-gen-validate'),
  path.join(modules, 'protobufjs'),
];

function findOnRoots(relative) {
  for (const root of roots) {
    const candidate = path.join(root, relative);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

function relativeToRoots(absolute) {
  for (const root of roots) {
    const rel = path.relative(root, absolute);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return absolute;
}

// Loads the files found on the roots into one protobufjs Root. Imports are looked up on the roots;
// one found nowhere is skipped instead of failing the whole load, since only options (validate,
// annotations) come from such files. Types are not resolved here: callers resolve per field, so one
// unresolvable option or type elsewhere in a file hides nothing else.
// Returns { root, missing: [files not on the roots], error: load error message or null }.
function loadUpstream(files) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : findOnRoots(target));
  const resolveAll = root.resolveAll;
  root.resolveAll = function () { return this; };
  const missing = files.filter((file) => !findOnRoots(file));
  let error = null;
  try {
    root.loadSync(files.filter((file) => findOnRoots(file)), { keepCase: true, alternateCommentMode: true });
  } catch (e) {
    error = String(e && e.message ? e.message : e);
  }
  root.resolveAll = resolveAll;
  return { root, missing, error };
}

module.exports = { here, xdsPackage, protobuf, roots, fail, relativeToRoots, loadUpstream };
