/**
 * The stateless scan engine without root: what it keeps per probe (one
 * bit, or nothing), replies validated from their own bytes (a forged
 * cookie, a wrong port or address is ignored), the send-slot fast path,
 * the flood's fast path and the kernel-drop warning, on fake networks and
 * the memory host's virtual clock.
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  makeTcpPacket,
  type NetReceivedPacket,
  type NetReceiver,
  openScan,
  PacketSeries,
  parsePorts,
  parseTargetSpec,
  Permutation,
  planScan,
  type ScanOutcome,
  type ScanResult,
  sendPackets,
  TargetSpace,
  TCP_FLAGS,
  verifyPacketChecksums,
} from "../mod.ts";
import { cookieV4 } from "../src/engine/scan/cookies.ts";
import { ReplyReader } from "../src/engine/scan/replies.ts";
import { SpaceIndex } from "../src/engine/scan/space_index.ts";
import { createMemoryHost, type MemoryHost } from "../src/host/memory.ts";
import { runCli } from "../src/cli/main.ts";

const SRC = "192.0.2.100";

/** How the fake peer answers each probe. */
type Answer = "reset" | "forged-ack" | "wrong-port" | "wrong-source" | "none";

interface FakeOptions {
  answer?: Answer;
  /** Give the receivers the fast path (send slots and drain). */
  fast?: boolean;
  drops?: number;
}

/** A peer whose every port is closed (RST+ACK), answering as told. */
function fakeNet(host: MemoryHost, options: FakeOptions = {}) {
  const sent: Uint8Array[] = [];
  let ringCalls = 0;
  const net = {
    routeSource: () => SRC,
    wallClock: () => 1.7e12 + host.now(),
    openReceiver(): NetReceiver {
      const queue: NetReceivedPacket[] = [];
      const answer = (bytes: Uint8Array) => {
        sent.push(bytes.slice());
        const { ip, tcp } = decodePacket(bytes);
        const kind = options.answer ?? "reset";
        if (kind === "none") return;
        let ack = (tcp.seq + 1) >>> 0;
        if (kind === "forged-ack") ack = (ack + 0x10000) >>> 0;
        queue.push({
          bytes: encodePacket(makeTcpPacket({
            src: kind === "wrong-source" ? "192.0.2.99" : ip.dst,
            dst: ip.src,
            srcPort: tcp.dstPort,
            dstPort: kind === "wrong-port" ? tcp.srcPort + 1 : tcp.srcPort,
            seq: 0,
            ack,
            flags: TCP_FLAGS.rst | TCP_FLAGS.ack,
            window: 0,
          })),
          source: ip.dst,
          receivedAt: 1.7e12 + host.now() + 0.25,
        });
      };
      const receiver: NetReceiver = {
        send(bytes) {
          answer(bytes);
          return bytes.length;
        },
        sendMany(packets) {
          for (const bytes of packets) answer(bytes);
          return packets.length;
        },
        async poll(timeoutMs) {
          if (queue.length === 0) await host.sleep(timeoutMs);
          return { tcp: queue.splice(0), icmp: [] };
        },
        close() {},
      };
      if (options.drops !== undefined) {
        const drops = options.drops;
        receiver.drops = () => drops;
      }
      if (options.fast === true) {
        receiver.openSendRing = ({ slots, slotBytes }) => {
          const list = Array.from(
            { length: slots },
            () => new Uint8Array(slotBytes),
          );
          return {
            slots: list,
            send(count, length) {
              ringCalls++;
              for (let i = 0; i < count; i++) {
                answer(list[i]!.subarray(0, length));
              }
              return count;
            },
          };
        };
        receiver.drain = (onPacket) => {
          const packets = queue.splice(0);
          for (const p of packets) {
            // In place, as a ring hands them over: inside a larger buffer.
            const buffer = new Uint8Array(p.bytes.length + 7);
            buffer.set(p.bytes, 7);
            onPacket(buffer, 7, p.bytes.length, p.receivedAt, false);
          }
          return packets.length;
        };
      }
      return receiver;
    },
  };
  return { net, sent, ringCalls: () => ringCalls };
}

function plan(targets: string, ports: string) {
  const spec = parseTargetSpec(targets);
  if (spec.kind !== "addresses") throw new Error("a name");
  return planScan({ include: [spec.range], ports: parsePorts(ports), seed: 3 });
}

async function scan(
  targets: string,
  ports: string,
  options: FakeOptions & {
    retries?: number;
    reportSilence?: boolean;
    rate?: number;
  } = {},
): Promise<
  {
    results: ScanResult[];
    outcome: ScanOutcome;
    sent: Uint8Array[];
    ringCalls: number;
  }
> {
  const host = createMemoryHost();
  const fake = fakeNet(host, options);
  const session = openScan(plan(targets, ports), {
    net: fake.net,
    scan: "syn",
    sport: 50000,
  });
  const results: ScanResult[] = [];
  const outcome = await session.run({
    clock: host,
    rate: options.rate ?? 100_000,
    retries: options.retries ?? 0,
    timeoutMs: 50,
    ...(options.reportSilence === undefined
      ? {}
      : { reportSilence: options.reportSilence }),
    onResult: (result) => results.push(result),
  });
  return { results, outcome, sent: fake.sent, ringCalls: fake.ringCalls() };
}

Deno.test("a scan's state is one bit per probe, whatever its size: no per-probe records", async () => {
  const per: number[] = [];
  for (const ports of ["1-1024", "1-16384", "1-65535"]) {
    const { outcome, results } = await scan("192.0.2.1", ports, {
      retries: 1,
    });
    const probes = results.length;
    assert.equal(outcome.counts.closed, probes);
    // The bits: ceil(probes / 32) words of 4 bytes.
    const bits = Math.ceil(probes / 32) * 4;
    assert.ok(outcome.stateBytes! >= bits, `${outcome.stateBytes}`);
    per.push(outcome.stateBytes! - bits);
  }
  // The rest (the send log: entries per batch of the last timeouts) does
  // not grow with the scan: the same at 1024 probes as at 65535.
  assert.ok(Math.max(...per) <= 2 * Math.min(...per) + 4096, String(per));
});

Deno.test("a scan that reports only answers and sends no retries keeps no bits at all", async () => {
  const { outcome, results } = await scan("192.0.2.0/28", "1-1000", {
    reportSilence: false,
  });
  assert.equal(results.length, 16 * 1000);
  const logOnly = outcome.stateBytes!;
  assert.ok(logOnly < 16 * 1000 / 8, `${logOnly} bytes`);
  // Silence is still counted, without reporting it.
  const silent = await scan("192.0.2.1", "1-500", {
    reportSilence: false,
    answer: "none",
  });
  assert.deepEqual(silent.results, []);
  assert.equal(silent.outcome.counts.filtered, 500);
});

Deno.test("replies are validated from their own bytes: a forged cookie, a wrong port or a stranger is ignored", async () => {
  for (const answer of ["forged-ack", "wrong-port", "wrong-source"] as const) {
    const { results } = await scan("192.0.2.1", "20-29", { answer });
    assert.equal(results.length, 10, answer);
    assert.ok(
      results.every((r) => `${r.state} ${r.reason}` === "filtered no-response"),
      `${answer}: ${results.map((r) => r.state)}`,
    );
  }
  const { results } = await scan("192.0.2.1", "20-29");
  assert.ok(results.every((r) => r.state === "closed" && r.rttMs === 0.25));
});

Deno.test("ReplyReader takes a RST+ACK whose cookie matches a try, and nothing else", () => {
  const key = new Uint32Array([9, 8, 7, 6]);
  const space = new TargetSpace(
    [{ family: 4, first: 0xc0000201n, last: 0xc0000202n }],
    parsePorts("80,443"),
  );
  const reader = new ReplyReader({
    key,
    index: new SpaceIndex(space),
    sport: 40000,
    flags: TCP_FLAGS.syn,
    maxTry: 2,
    srcV4: 0xc0000264,
  });
  const reply = (
    fields: { src?: string; srcPort?: number; dstPort?: number; ack: number },
  ) =>
    encodePacket(makeTcpPacket({
      src: fields.src ?? "192.0.2.2",
      dst: SRC,
      srcPort: fields.srcPort ?? 443,
      dstPort: fields.dstPort ?? 40000,
      ack: fields.ack,
      flags: TCP_FLAGS.rst | TCP_FLAGS.ack,
    }));
  const cookie = cookieV4(key, 0xc0000202, 443, 40000);
  const read = (bytes: Uint8Array) =>
    reader.read(bytes, 0, bytes.length, false);
  for (const t of [0, 1, 2]) {
    assert.ok(read(reply({ ack: (cookie + t + 1) >>> 0 })));
    assert.equal(reader.tryNumber, t);
    assert.equal(reader.addressIndex, 1);
    assert.equal(reader.portIndex, 1);
  }
  assert.ok(!read(reply({ ack: (cookie + 4) >>> 0 })), "a try never sent");
  assert.ok(!read(reply({ ack: cookie })), "no sequence space");
  assert.ok(!read(reply({ ack: (cookie + 1) >>> 0, srcPort: 22 })), "port");
  assert.ok(
    !read(reply({ ack: (cookie + 1) >>> 0, dstPort: 40001 })),
    "our port",
  );
  assert.ok(
    !read(reply({ ack: (cookie + 1) >>> 0, src: "192.0.2.9" })),
    "address",
  );
  assert.ok(!read(new Uint8Array(19)));
});

Deno.test("the fast path writes probes into send slots and drains replies in place", async () => {
  const { results, sent, ringCalls } = await scan("192.0.2.0/30", "1-100", {
    fast: true,
    rate: 10_000,
  });
  assert.equal(results.length, 400);
  assert.ok(results.every((r) => r.state === "closed"));
  assert.equal(new Set(sent.map((b) => decodePacket(b).tcp.seq)).size, 400);
  for (const bytes of sent) {
    const checks = verifyPacketChecksums(bytes);
    assert.ok(checks.ip && checks.tcp);
  }
  // Batches, not a call per probe.
  assert.ok(ringCalls < 400 / 4, `${ringCalls} calls`);
});

Deno.test("Permutation.positionOf inverts at(), and a shard finds its own positions only", () => {
  const permutation = new Permutation(10_007, { seed: 5 });
  for (let k = 0; k < 10_007; k += 13) {
    assert.equal(permutation.positionOf(permutation.at(k)), k);
  }
  const shard = permutation.shard({ index: 2, count: 3 });
  const other = permutation.shard({ index: 1, count: 3 });
  for (let j = 0; j < shard.length; j += 7) {
    assert.equal(shard.positionOf(shard.at(j)), j);
    assert.equal(other.positionOf(shard.at(j)), -1);
  }
});

Deno.test("send --flood's fast path sends the series' packets from slots, stepped in place with right checksums", async () => {
  const first = makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    srcPort: 65530,
    seq: 0xfffffff0,
  });
  const expected = new PacketSeries(first, { sportStep: 1, seqStep: 3 }).take(
    700,
  );
  const got: Uint8Array[] = [];
  let calls = 0;
  const socket = {
    send: () => {
      throw new Error("not on the fast path");
    },
    sendMany: () => {
      throw new Error("not on the fast path");
    },
    openSendRing({ slots, slotBytes }: { slots: number; slotBytes: number }) {
      const list = Array.from(
        { length: slots },
        () => new Uint8Array(slotBytes),
      );
      return {
        slots: list,
        send(count: number, length: number, offset = 0) {
          calls++;
          for (let i = 0; i < count; i++) {
            got.push(list[i]!.slice(offset, length));
          }
          return count;
        },
      };
    },
  };
  const host = createMemoryHost();
  const outcome = await sendPackets({
    socket,
    destination: "192.0.2.1",
    series: new PacketSeries(first, { sportStep: 1, seqStep: 3 }),
    headerIncluded: true,
    count: 700,
    intervalMs: 0,
    clock: host,
    wallClock: () => 0,
  });
  assert.equal(outcome.packets, 700);
  assert.equal(calls, Math.ceil(700 / 256));
  assert.deepEqual(got, expected);
  assert.ok(got.every((bytes) => verifyPacketChecksums(bytes).tcp));
});

Deno.test("scan warns when the kernel dropped replies, with the count, on standard error", async () => {
  const host = createMemoryHost();
  const fake = fakeNet(host, { drops: 42 });
  host.net = {
    ...fake.net,
    openRawSocket: () => {
      throw new Error("unused");
    },
    resolveHost: () => Promise.resolve([]),
  };
  const code = await runCli(["scan", "192.0.2.1", "-p", "1-3"], host, {
    version: "0",
  });
  assert.equal(code, 0, host.err);
  assert.match(
    host.err,
    /\nwarning: 42 replies dropped by the kernel: lower --rate\n$/,
  );
  const quiet = createMemoryHost();
  quiet.net = {
    ...fakeNet(quiet, { drops: 0 }).net,
    openRawSocket: () => {
      throw new Error("unused");
    },
    resolveHost: () => Promise.resolve([]),
  };
  await runCli(["scan", "192.0.2.1", "-p", "1-3"], quiet, { version: "0" });
  assert.ok(!quiet.err.includes("dropped"), quiet.err);
});
