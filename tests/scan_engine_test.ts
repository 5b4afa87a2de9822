/**
 * The scan engine (src/engine/scan/) without the command line and without
 * root: a fake network whose receivers answer as a Linux peer does, on the
 * memory host's virtual clock (a receiver's wait advances it), so a scan
 * of seconds runs in milliseconds and every result is deterministic.
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  encodeIpv4Header,
  encodePacket,
  makeTcpPacket,
  type NetReceivedPacket,
  openScan,
  parsePorts,
  parseTargetSpec,
  planScan,
  type RunScanOptions,
  type ScanNet,
  type ScanOutcome,
  type ScanPacket,
  type ScanResult,
  ScanSourceError,
  type ScanType,
  TCP_FLAGS,
} from "../mod.ts";
import { TokenBucket } from "../src/engine/scan/pacing.ts";
import { createMemoryHost, type MemoryHost } from "../src/host/memory.ts";

const SRC = "192.0.2.100";

/** How a fake port answers. */
type Behaviour = "open" | "closed" | "drop" | "prohibited";

interface Sent {
  at: number;
  dst: string;
  port: number;
  seq: number;
  flags: number;
}

interface Fake {
  host: MemoryHost;
  net: ScanNet;
  sent: Sent[];
  /** Probes of the send calls that succeeded. */
  delivered: number;
  opened: number;
  closed: number;
}

/** The answer of a Linux peer to one probe. */
function answer(
  probe: Uint8Array,
  behaviour: Behaviour,
): { kind: "tcp" | "icmp"; bytes: Uint8Array } | undefined {
  const { ip, tcp } = decodePacket(probe);
  const { syn, ack, rst } = TCP_FLAGS;
  const reply = (flags: number, seq: number, ackNumber: number) => ({
    kind: "tcp" as const,
    bytes: encodePacket(makeTcpPacket({
      src: ip.dst,
      dst: ip.src,
      srcPort: tcp.dstPort,
      dstPort: tcp.srcPort,
      seq,
      ack: ackNumber,
      flags,
      window: 0,
      ttl: 61,
    })),
  });
  switch (behaviour) {
    case "open":
      if ((tcp.flags & (syn | ack | rst)) === syn) {
        return reply(syn | ack, 777, (tcp.seq + 1) >>> 0);
      }
      return (tcp.flags & ack) !== 0 ? reply(rst, tcp.ack, 0) : undefined;
    case "closed":
      if ((tcp.flags & ack) !== 0) return reply(rst, tcp.ack, 0);
      return reply(
        rst | ack,
        0,
        (tcp.seq + ((tcp.flags & (syn | TCP_FLAGS.fin)) !== 0 ? 1 : 0)) >>> 0,
      );
    case "prohibited": {
      const quoted = probe.subarray(0, 28);
      const message = new Uint8Array(8 + quoted.length);
      message[0] = 3;
      message[1] = 13;
      message.set(quoted, 8);
      const header = encodeIpv4Header({
        version: 4,
        tos: 0,
        id: 0,
        dontFragment: false,
        moreFragments: false,
        fragmentOffset: 0,
        ttl: 250,
        protocol: 1,
        src: "192.0.2.254",
        dst: ip.src,
        options: new Uint8Array(),
      }, { payloadLength: message.length });
      const bytes = new Uint8Array(header.length + message.length);
      bytes.set(header);
      bytes.set(message, header.length);
      return { kind: "icmp", bytes };
    }
    case "drop":
      return undefined;
  }
}

/** A network of peers: address → port → behaviour (unlisted ports closed). */
function fakeNet(
  peers: Record<string, Record<number, Behaviour>>,
  options: { failCall?: number } = {},
): Fake {
  const host = createMemoryHost();
  const fake: Fake = {
    host,
    net: undefined!,
    sent: [],
    delivered: 0,
    opened: 0,
    closed: 0,
  };
  let calls = 0;
  const call = (probes: number) => {
    if (++calls === options.failCall) {
      throw new Error("no buffer space available");
    }
    fake.delivered += probes;
  };
  const wallClock = () => 1.7e12 + host.now();
  fake.net = {
    routeSource: () => SRC,
    wallClock,
    openReceiver() {
      fake.opened++;
      const tcp: NetReceivedPacket[] = [];
      const icmp: NetReceivedPacket[] = [];
      const send = (bytes: Uint8Array, destination: string) => {
        const { tcp: probe } = decodePacket(bytes);
        fake.sent.push({
          at: host.now(),
          dst: destination,
          port: probe.dstPort,
          seq: probe.seq,
          flags: probe.flags,
        });
        const behaviour = peers[destination]?.[probe.dstPort] ?? "closed";
        const reply = answer(bytes, behaviour);
        if (reply === undefined) return;
        (reply.kind === "tcp" ? tcp : icmp).push({
          bytes: reply.bytes,
          source: destination,
          receivedAt: wallClock() + 0.25,
        });
      };
      return {
        send(bytes, destination) {
          call(1);
          send(bytes, destination);
          return bytes.length;
        },
        sendMany(packets, destination) {
          call(packets.length);
          for (const bytes of packets) send(bytes, destination);
          return packets.length;
        },
        async poll(timeoutMs) {
          if (tcp.length + icmp.length === 0) await host.sleep(timeoutMs);
          return { tcp: tcp.splice(0), icmp: icmp.splice(0) };
        },
        close() {
          fake.closed++;
        },
      };
    },
  };
  return fake;
}

function plan(targets: string, ports: string, seed = 1) {
  const spec = parseTargetSpec(targets);
  if (spec.kind !== "addresses") throw new Error("a name");
  return planScan({ include: [spec.range], ports: parsePorts(ports), seed });
}

async function scan(
  fake: Fake,
  targets: string,
  ports: string,
  options: Partial<RunScanOptions> & { scan?: ScanType } = {},
): Promise<{ results: ScanResult[]; outcome: ScanOutcome }> {
  const session = openScan(plan(targets, ports), {
    net: fake.net,
    scan: options.scan ?? "syn",
    sport: 50000,
  });
  const results: ScanResult[] = [];
  const outcome = await session.run({
    clock: fake.host,
    rate: 1000,
    retries: 1,
    timeoutMs: 200,
    ...options,
    onResult(result) {
      results.push(result);
      options.onResult?.(result);
    },
  });
  return { results, outcome };
}

const byPort = (results: ScanResult[]) =>
  Object.fromEntries(
    results.map((r) => [`${r.host}:${r.port}`, `${r.state} ${r.reason}`]),
  );

Deno.test("run() decides every port once, with nmap's states and reasons", async () => {
  const fake = fakeNet({
    "192.0.2.1": { 22: "open", 23: "closed", 24: "drop", 25: "prohibited" },
  });
  const { results, outcome } = await scan(fake, "192.0.2.1", "22-25");
  assert.deepEqual(byPort(results), {
    "192.0.2.1:22": "open syn-ack",
    "192.0.2.1:23": "closed reset",
    "192.0.2.1:24": "filtered no-response",
    "192.0.2.1:25": "filtered admin-prohibited",
  });
  const prohibited = results.find((r) => r.port === 25)!;
  assert.equal(prohibited.reasonIp, "192.0.2.254");
  assert.equal(prohibited.ttl, 250);
  assert.equal(results.find((r) => r.port === 22)!.ttl, 61);
  assert.equal(results.find((r) => r.port === 24)!.rttMs, null);
  assert.deepEqual(outcome.counts, {
    open: 1,
    closed: 1,
    filtered: 2,
    unfiltered: 0,
    "open|filtered": 0,
  });
  // One probe each, and a retry for the silent port.
  assert.equal(outcome.probesSent, 5);
  assert.equal(outcome.interrupted, false);
  assert.equal(outcome.failure, undefined);
});

Deno.test("run() sends an unanswered probe again, with a new SYN cookie, then gives the type's no-response state", async () => {
  const fake = fakeNet({ "192.0.2.1": { 80: "drop" } });
  const { results } = await scan(fake, "192.0.2.1", "80", {
    scan: "fin",
    retries: 2,
  });
  assert.deepEqual(byPort(results), {
    "192.0.2.1:80": "open|filtered no-response",
  });
  assert.equal(fake.sent.length, 3);
  assert.equal(new Set(fake.sent.map((s) => s.seq)).size, 3);
  assert.ok(fake.sent.every((s) => s.flags === TCP_FLAGS.fin));
  // Each retry waits for the previous try's timeout.
  assert.ok(fake.sent[1]!.at - fake.sent[0]!.at >= 200);
  assert.ok(fake.sent[2]!.at - fake.sent[1]!.at >= 200);
});

Deno.test("run() reads replies by the scan type: an ACK scan's RST is unfiltered", async () => {
  const fake = fakeNet({ "192.0.2.1": { 80: "open", 81: "closed" } });
  const { results } = await scan(fake, "192.0.2.1", "80-81", { scan: "ack" });
  assert.deepEqual(byPort(results), {
    "192.0.2.1:80": "unfiltered reset",
    "192.0.2.1:81": "unfiltered reset",
  });
  assert.ok(fake.sent.every((s) => s.flags === TCP_FLAGS.ack));
});

Deno.test("run() hands every packet to record() in order: each try sent, each reply received", async () => {
  const fake = fakeNet({ "192.0.2.1": { 22: "open", 24: "drop" } });
  const packets: ScanPacket[] = [];
  await scan(fake, "192.0.2.1", "22-24", {
    record(packet) {
      packets.push(packet);
      return Promise.resolve();
    },
  });
  const sent = packets.filter((p) => p.event === "sent");
  const received = packets.filter((p) => p.event === "received");
  assert.equal(sent.length, 4);
  assert.deepEqual(
    sent.filter((p) => p.port === 24).map((p) => p.try),
    [1, 2],
  );
  assert.equal(received.length, 2);
  for (const packet of sent) {
    assert.equal(decodePacket(packet.bytes).tcp.dstPort, packet.port);
  }
});

Deno.test("run() stops with the failure when record() rejects, and reports what it decided before", async () => {
  const fake = fakeNet({ "192.0.2.1": {} });
  const { outcome } = await scan(fake, "192.0.2.1", "1-100", {
    rate: 100,
    record: () => Promise.reject(new Error("no space left on device")),
  });
  assert.match(String(outcome.failure?.error), /no space left on device/);
  assert.ok(outcome.probesSent < 100);
  assert.equal(fake.closed, 1);
});

Deno.test("run() stops at a failed send with the error, the probes of the calls before it counted", async () => {
  const fake = fakeNet({ "192.0.2.1": {} }, { failCall: 3 });
  const { outcome } = await scan(fake, "192.0.2.1", "1-100", { rate: 100 });
  assert.match(String(outcome.failure?.error), /no buffer space/);
  assert.equal(outcome.probesSent, fake.delivered);
  assert.ok(outcome.probesSent > 0 && outcome.probesSent < 100);
  assert.equal(fake.closed, 1);
});

Deno.test("run() stops when the signal aborts: interrupted, undecided ports not reported", async () => {
  const fake = fakeNet({ "192.0.2.1": { 1: "drop", 2: "drop", 3: "drop" } });
  const controller = new AbortController();
  const { results, outcome } = await scan(fake, "192.0.2.1", "1-3", {
    signal: controller.signal,
    onProgress: () => controller.abort(),
    progressMs: 10,
  });
  assert.equal(outcome.interrupted, true);
  assert.deepEqual(results, []);
});

Deno.test("run() keeps to the rate: the n-th probe leaves no sooner than the bucket allows", async () => {
  const fake = fakeNet({ "192.0.2.1": {} });
  const { outcome } = await scan(fake, "192.0.2.1", "1-200", { rate: 100 });
  assert.equal(outcome.probesSent, 200);
  const last = fake.sent.at(-1)!.at - fake.sent[0]!.at;
  // 200 probes at 100 a second, less the bucket's start of at most 4.
  assert.ok(last >= (200 - 5) * 10, `${last} ms`);
});

Deno.test("run() reports progress every progressMs with an estimate of the time left", async () => {
  const fake = fakeNet({ "192.0.2.1": {} });
  const seen: number[] = [];
  await scan(fake, "192.0.2.1", "1-50", {
    rate: 100,
    progressMs: 100,
    onProgress: (progress) => {
      assert.equal(progress.total, 50);
      assert.ok(progress.etaSeconds >= 0);
      seen.push(progress.started);
    },
  });
  assert.ok(seen.length >= 3);
  assert.deepEqual([...seen].sort((a, b) => a - b), seen);
});

Deno.test("shards of one seed split the probes between them, each once", async () => {
  const spec = parseTargetSpec("192.0.2.0/30");
  if (spec.kind !== "addresses") throw new Error("a name");
  const probes: string[] = [];
  for (const index of [1, 2, 3]) {
    const fake = fakeNet({});
    const session = openScan(
      planScan({
        include: [spec.range],
        ports: parsePorts("22,80"),
        seed: 9,
        shard: { index, count: 3 },
      }),
      { net: fake.net, scan: "syn", sport: 50000 },
    );
    await session.run({
      clock: fake.host,
      rate: 1000,
      retries: 0,
      timeoutMs: 50,
      onResult() {},
    });
    probes.push(...fake.sent.map((s) => `${s.dst}:${s.port}`));
  }
  assert.equal(probes.length, 8);
  assert.equal(new Set(probes).size, 8);
});

Deno.test("openScan() finds no source without a route, before any socket is open", () => {
  const fake = fakeNet({});
  const net: ScanNet = {
    ...fake.net,
    routeSource: () => {
      throw new Error("network is unreachable");
    },
  };
  assert.throws(
    () => openScan(plan("192.0.2.1", "80"), { net, scan: "syn", sport: 1 }),
    (error) =>
      error instanceof ScanSourceError && error.destination === "192.0.2.1",
  );
  assert.equal(fake.opened, 0);
});

Deno.test("openScan() closes the receivers it opened when the next one fails", () => {
  const fake = fakeNet({});
  let calls = 0;
  const net: ScanNet = {
    ...fake.net,
    routeSource: (dst) => dst.includes(":") ? "2001:db8::100" : SRC,
    openReceiver(family, options) {
      if (++calls === 2) throw new Error("operation not permitted");
      return fake.net.openReceiver(family, options);
    },
  };
  const v4 = parseTargetSpec("192.0.2.1");
  const v6 = parseTargetSpec("2001:db8::1");
  if (v4.kind !== "addresses" || v6.kind !== "addresses") throw new Error();
  const both = planScan({
    include: [v4.range, v6.range],
    ports: [{ first: 80, last: 80 }],
  });
  assert.throws(
    () => openScan(both, { net, scan: "syn", sport: 1 }),
    /operation not permitted/,
  );
  assert.equal(fake.opened, 1);
  assert.equal(fake.closed, 1);
});

Deno.test("TokenBucket refills at its rate up to 20 ms of tokens", () => {
  const bucket = new TokenBucket(10_000, 0);
  assert.equal(bucket.capacity, 200);
  bucket.refill(1000);
  assert.equal(bucket.tokens, 200);
  for (let i = 0; i < 200; i++) bucket.take();
  assert.ok(!bucket.ready);
  assert.equal(bucket.waitMs(), 0.1);
});
