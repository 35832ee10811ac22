#!/usr/bin/env node
// Prints, as JSON, the shape of Envoy API types as upstream declares them, read from the
// .proto files that @grpc/grpc-js-xds ships. Baton.Protos.Tests compares Baton's generated
// descriptors against this output, so the facts come from upstream's own files and not
// from a second hand-written copy.
//
// Request (JSON on stdin, or proto paths as arguments for a look by hand):
//   { "files": ["envoy/config/cluster/v3/cluster.proto", ...], "types": ["envoy.config.cluster.v3.Cluster", ...] }
// "types" is optional; without it every type defined in the named files is printed.
// Response (stdout):
//   { "roots": [...], "types": { "<full name>": <message | enum | service> }, "missing": [...], "errors": {...} }
'use strict';

const fs = require('fs');
const path = require('path');
const { here, xdsPackage, protobuf, roots, fail, relativeToRoots, loadUpstream } = require('./upstream-protos');

function readRequest() {
  const args = process.argv.slice(2);
  if (args.length > 0) return { files: args };
  const text = fs.readFileSync(0, 'utf8');
  const request = JSON.parse(text);
  if (!Array.isArray(request.files)) fail('request needs a "files" array');
  return request;
}

function stripDot(name) {
  return name.startsWith('.') ? name.slice(1) : name;
}

const request = readRequest();

const loaded = loadUpstream(request.files);
const root = loaded.root;
const errors = {};
const missingFiles = loaded.missing;
if (loaded.error) errors['<load>'] = loaded.error;

function fieldType(field) {
  try {
    field.resolve();
  } catch (e) {
    // An unresolvable type name is reported as written, so the comparison shows it.
  }
  if (field.resolvedType) return stripDot(field.resolvedType.fullName);
  return field.type;
}

function describeMessage(type) {
  const fields = {};
  for (const field of type.fieldsArray) {
    let label = 'singular';
    let typeName = fieldType(field);
    if (field.map) {
      label = 'map';
      typeName = `map<${field.keyType},${typeName}>`;
    } else if (field.repeated) {
      label = 'repeated';
    } else if (field.options && field.options.proto3_optional) {
      label = 'optional';
    }
    const synthetic = field.options && field.options.proto3_optional;
    fields[field.name] = {
      number: field.id,
      type: typeName,
      label,
      oneof: field.partOf && !synthetic ? field.partOf.name : null,
    };
  }
  return { kind: 'message', file: type.filename ? relativeToRoots(type.filename) : null, fields };
}

function describeEnum(type) {
  return { kind: 'enum', file: type.filename ? relativeToRoots(type.filename) : null, values: { ...type.values } };
}

function describeService(service) {
  const methods = {};
  for (const method of service.methodsArray) {
    try { method.resolve(); } catch (e) { /* reported through the names below */ }
    methods[method.name] = {
      request: method.resolvedRequestType ? stripDot(method.resolvedRequestType.fullName) : method.requestType,
      response: method.resolvedResponseType ? stripDot(method.resolvedResponseType.fullName) : method.responseType,
      clientStreaming: !!method.requestStream,
      serverStreaming: !!method.responseStream,
    };
  }
  return { kind: 'service', file: service.filename ? relativeToRoots(service.filename) : null, methods };
}

function describe(object) {
  if (object instanceof protobuf.Type) return describeMessage(object);
  if (object instanceof protobuf.Enum) return describeEnum(object);
  if (object instanceof protobuf.Service) return describeService(object);
  return null;
}

const types = {};
const missing = [];

if (Array.isArray(request.types)) {
  for (const name of request.types) {
    let object = null;
    try {
      object = root.lookup(name);
    } catch (e) {
      errors[name] = String(e.message);
    }
    const described = object ? describe(object) : null;
    if (described) types[name] = described;
    else missing.push(name);
  }
} else {
  const wanted = new Set(toLoad);
  const walk = (ns) => {
    for (const object of ns.nestedArray) {
      const described = describe(object);
      if (described && wanted.has(described.file)) types[stripDot(object.fullName)] = described;
      if (object.nestedArray) walk(object);
    }
  };
  walk(root);
}

const output = {
  package: '@grpc/grpc-js-xds',
  version: JSON.parse(fs.readFileSync(path.join(xdsPackage, 'package.json'), 'utf8')).version,
  roots: roots.map((r) => path.relative(here, r).split(path.sep).join('/')),
  types,
  missing,
  missingFiles,
  errors,
};
process.stdout.write(JSON.stringify(output, null, 1) + '\n');
