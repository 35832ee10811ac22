#!/usr/bin/python3
"""A proxyless xDS client built on gRPC C-core (Debian's python3-grpcio).

Dials xds:///<app> with the bootstrap named by GRPC_XDS_BOOTSTRAP and keeps calling
ReleaseEcho.Which, speaking the same stdin/stdout protocol as xds-client.js (see there):

  GRPC_XDS_BOOTSTRAP=bootstrap.json /usr/bin/python3 xds_client.py --target xds:///web \\
      --descriptor-set release_echo.pb [--concurrency 4] [--deadline-ms 5000] [--max-calls N] [--max-seconds S]

The ReleaseEcho messages come from a serialized FileDescriptorSet of protos/release_echo.proto
(the C# tests write the one their build compiled), so no Python code generator is needed:
Debian's python3-grpc-tools is years older than its python3-protobuf.
"""
import argparse
import json
import os
import sys
import threading
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

METHOD = "/baton.conformance.ReleaseEcho/Which"


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--descriptor-set", required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--deadline-ms", type=int, default=5000)
    parser.add_argument("--max-calls", type=int, default=200000)
    parser.add_argument("--max-seconds", type=float, default=150)
    options = parser.parse_args()
    if not options.target.startswith("xds:///"):
        parser.error("--target must be xds:///<app>")
    if not os.environ.get("GRPC_XDS_BOOTSTRAP"):
        parser.error("GRPC_XDS_BOOTSTRAP must name the bootstrap file")
    return options


def load_messages(descriptor_set_path):
    with open(descriptor_set_path, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)

    def message_class(name):
        descriptor = pool.FindMessageTypeByName(name)
        # protobuf >= 4.22 has GetMessageClass; Debian bookworm's 4.21 only the factory.
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(descriptor)
        return message_factory.MessageFactory(pool).GetPrototype(descriptor)

    return message_class("baton.conformance.WhichRequest"), message_class("baton.conformance.WhichReply")


class Output:
    """Serializes event lines from the worker and command threads."""

    def __init__(self):
        self._lock = threading.Lock()

    def emit(self, event):
        line = json.dumps(event)
        with self._lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


class Tally:
    """Counts of a set of finished calls: per release, per instance, failures per status code."""

    def __init__(self):
        self.calls = 0
        self.ok = 0
        self.versions = {}
        self.instances = {}
        self.failures = {}
        self.errors = []

    def record(self, outcome):
        self.calls += 1
        if outcome["ok"]:
            self.ok += 1
            self.versions[outcome["version"]] = self.versions.get(outcome["version"], 0) + 1
            key = "%s@%s" % (outcome["version"], outcome["instance"])
            self.instances[key] = self.instances.get(key, 0) + 1
        else:
            self.failures[outcome["code"]] = self.failures.get(outcome["code"], 0) + 1
            # A few distinct messages explain a failure without flooding the test's output.
            if len(self.errors) < 5 and outcome["message"] not in self.errors:
                self.errors.append(outcome["message"])

    def to_json(self):
        return {"calls": self.calls, "ok": self.ok, "failed": self.calls - self.ok, "versions": dict(self.versions),
                "instances": dict(self.instances), "failures": dict(self.failures), "errors": list(self.errors)}


class Window:
    def __init__(self, label, calls):
        self.label = label
        self.remaining = calls
        self.pending = 0
        self.tally = Tally()


class Client:
    def __init__(self, options, output):
        self.options = options
        self.output = output
        request_class, reply_class = load_messages(options.descriptor_set)
        self.request = request_class()
        self.channel = grpc.insecure_channel(options.target)
        self.which = self.channel.unary_unary(METHOD, request_serializer=request_class.SerializeToString,
                                              response_deserializer=reply_class.FromString)
        self.lock = threading.Lock()
        self.total = Tally()
        self.windows = []
        self.started = 0
        self.started_at = time.monotonic()
        self.stop_reason = None

    def stop(self, reason):
        with self.lock:
            if self.stop_reason is None:
                self.stop_reason = reason

    def call(self):
        try:
            reply = self.which(self.request, timeout=self.options.deadline_ms / 1000.0)
            return {"ok": True, "version": reply.version, "instance": reply.instance}
        except grpc.RpcError as error:
            return {"ok": False, "code": error.code().name, "message": error.details() or str(error)}

    def worker(self):
        while True:
            with self.lock:
                if self.stop_reason is not None:
                    return
                if self.started >= self.options.max_calls:
                    self.stop_reason = "max-calls"
                    return
                if time.monotonic() - self.started_at > self.options.max_seconds:
                    self.stop_reason = "max-seconds"
                    return
                self.started += 1
                # A call belongs to every open window that still wants calls, decided when it starts.
                members = [w for w in self.windows if w.remaining > 0]
                for window in members:
                    window.remaining -= 1
                    window.pending += 1
            outcome = self.call()
            finished = []
            with self.lock:
                self.total.record(outcome)
                for window in members:
                    window.tally.record(outcome)
                    window.pending -= 1
                    if window.pending == 0 and window.remaining == 0:
                        self.windows.remove(window)
                        finished.append(window)
            for window in finished:
                self.output.emit(dict(event="window", label=window.label, **window.tally.to_json()))

    def read_commands(self):
        for line in sys.stdin:
            words = line.split()
            if len(words) == 3 and words[0] == "window" and words[2].isdigit() and int(words[2]) > 0:
                with self.lock:
                    self.windows.append(Window(words[1], int(words[2])))
            elif len(words) == 2 and words[0] == "stats":
                with self.lock:
                    totals = self.total.to_json()
                self.output.emit(dict(event="stats", id=words[1], **totals))
            elif words == ["quit"]:
                self.stop("quit")
                return
            elif words:
                sys.stderr.write("unknown command %r\n" % line)
        self.stop("stdin-closed")


def main():
    options = parse_args()
    output = Output()
    client = Client(options, output)
    output.emit({"event": "started", "client": "grpc-core-python", "version": grpc.__version__, "target": options.target})
    commands = threading.Thread(target=client.read_commands, daemon=True)
    commands.start()
    workers = [threading.Thread(target=client.worker) for _ in range(options.concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with client.lock:
        totals = client.total.to_json()
    output.emit(dict(event="end", reason=client.stop_reason, **totals))
    client.channel.close()


if __name__ == "__main__":
    main()
