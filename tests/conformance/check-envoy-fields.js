#!/usr/bin/env node
// Checks a document in Envoy's JSON/YAML form against upstream's .proto definitions (the ones
// @grpc/grpc-js-xds ships, loaded by upstream-protos.js as for dump-upstream.js): every key must be a
// real field of its message, oneofs hold one member, enums name real values, Any names a real
// type, and no deprecated field is used. Baton's tests feed it the YAML of `baton envoy bootstrap`,
// which no Envoy runs here.
//
// Request (JSON on stdin):
//   { "type": "envoy.config.bootstrap.v3.Bootstrap", "files": ["envoy/config/bootstrap/v3/bootstrap.proto", ...],
//     "document": { ... } }
// Response (stdout): { "checked": ["node.id", ...], "problems": ["node.idd: no field idd in ...", ...] }
'use strict';

const fs = require('fs');
const { protobuf, fail, loadUpstream } = require('./upstream-protos');

const request = JSON.parse(fs.readFileSync(0, 'utf8'));
if (typeof request.type !== 'string' || !Array.isArray(request.files) || typeof request.document !== 'object') {
  fail('request needs "type", "files" and "document"');
}

const loaded = loadUpstream(request.files);
if (loaded.missing.length > 0) fail(`proto file not found on the roots: ${loaded.missing.join(', ')}`);
if (loaded.error) throw new Error(loaded.error);
const root = loaded.root;

const checked = [];
const problems = [];
const problem = (at, message) => problems.push(`${at}: ${message}`);

const INTEGER = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS = {
  'google.protobuf.BoolValue': 'bool', 'google.protobuf.StringValue': 'string', 'google.protobuf.BytesValue': 'bytes',
  'google.protobuf.UInt32Value': 'uint32', 'google.protobuf.Int32Value': 'int32', 'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int64Value': 'int64', 'google.protobuf.DoubleValue': 'double', 'google.protobuf.FloatValue': 'float',
};

function fullName(type) {
  return type.fullName.replace(/^\./, '');
}

function checkScalar(value, scalar, at) {
  const ok = scalar === 'bool' ? typeof value === 'boolean'
    : scalar === 'string' || scalar === 'bytes' ? typeof value === 'string'
      : INTEGER.has(scalar) ? (Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)))
        : typeof value === 'number' || (typeof value === 'string' && !Number.isNaN(Number(value)));
  if (!ok) problem(at, `${JSON.stringify(value)} is not a ${scalar}`);
}

function checkValue(value, field, at) {
  let type = null;
  try {
    field.resolve();
    type = field.resolvedType;
  } catch (e) {
    problem(at, `type ${field.type} does not resolve: ${e.message}`);
    return;
  }
  if (type instanceof protobuf.Enum) {
    if (!(typeof value === 'string' && value in type.values) && !(Number.isInteger(value) && Object.values(type.values).includes(value))) {
      problem(at, `${JSON.stringify(value)} is not a value of ${fullName(type)}`);
    }
  } else if (type instanceof protobuf.Type) {
    checkMessage(value, type, at);
  } else {
    checkScalar(value, field.type, at);
  }
}

function checkMessage(value, type, at) {
  const name = fullName(type);
  if (WRAPPERS[name]) return checkScalar(value, WRAPPERS[name], at);
  if (name === 'google.protobuf.Duration') {
    if (!(typeof value === 'string' && /^-?\d+(\.\d{1,9})?s$/.test(value))) problem(at, `${JSON.stringify(value)} is not a Duration like "5s"`);
    return;
  }
  if (name === 'google.protobuf.Struct' || name === 'google.protobuf.Value' || name === 'google.protobuf.ListValue') return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problem(at, `a ${name} must be a mapping`);
    return;
  }
  let keys = Object.keys(value);
  if (name === 'google.protobuf.Any') {
    const url = value['@type'];
    const target = typeof url === 'string' ? root.lookup(url.slice(url.lastIndexOf('/') + 1)) : null;
    if (!(target instanceof protobuf.Type)) {
      problem(at, `Any with @type ${JSON.stringify(url)} names no known message (add its file to "files")`);
      return;
    }
    checked.push(`${at}.@type`);
    const { ['@type']: _ignored, ...rest } = value;
    return checkMessage(rest, target, at);
  }
  const setOneofMembers = {};
  for (const key of keys) {
    const at2 = at ? `${at}.${key}` : key;
    const field = type.fields[key];
    if (!field) {
      problem(at2, `no field ${key} in ${name}`);
      continue;
    }
    checked.push(at2);
    if (field.options && field.options.deprecated) problem(at2, `${name}.${key} is deprecated`);
    if (field.partOf && !(field.options && field.options.proto3_optional)) {
      (setOneofMembers[field.partOf.name] = setOneofMembers[field.partOf.name] || []).push(key);
    }
    const item = value[key];
    if (field.map) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) problem(at2, 'a map must be a mapping');
      else for (const [k, v] of Object.entries(item)) checkValue(v, field, `${at2}[${k}]`);
    } else if (field.repeated) {
      if (!Array.isArray(item)) problem(at2, 'a repeated field must be a sequence');
      else item.forEach((v, i) => checkValue(v, field, `${at2}[${i}]`));
    } else {
      checkValue(item, field, at2);
    }
  }
  for (const [oneof, members] of Object.entries(setOneofMembers)) {
    if (members.length > 1) problem(at || name, `oneof ${oneof} has ${members.join(' and ')} set`);
  }
}

const rootType = root.lookup(request.type);
if (!(rootType instanceof protobuf.Type)) fail(`type ${request.type} not found in ${request.files.join(', ')}`);
checkMessage(request.document, rootType, '');
process.stdout.write(JSON.stringify({ type: request.type, checked, problems }, null, 1) + '\n');
