/**
 * The send engine (src/engine/send.ts) without the command line and without
 * root: a socket that records its calls, on the memory host's virtual
 * clock.
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  fragment,
  makeTcpPacket,
  PacketSeries,
  type PacketSeriesOptions,
  parseCidr,
  parseHex,
  RING_BATCH,
  SeededRandom,
  SEND_BATCH,
  sendPackets,
  type SendPacketsOptions,
  TCP_FLAGS,
  verifyPacketChecksums,
} from "../mod.ts";
import { createMemoryHost } from "../src/host/memory.ts";
import { DatagramSeries } from "../src/cli/fragment_sending.ts";
import { python, SCAPY } from "./_peers.ts";

interface Call {
  at: number;
  packets: Uint8Array[];
}

function socket(
  host: { now(): number },
  options: { failCall?: number; onCall?: (call: number) => void } = {},
) {
  const calls: Call[] = [];
  const call = (packets: Uint8Array[]) => {
    options.onCall?.(calls.length + 1);
    if (calls.length + 1 === options.failCall) {
      throw new Error(
        "Cannot send packet to 192.0.2.1: network is unreachable",
      );
    }
    calls.push({ at: host.now(), packets });
  };
  return {
    calls,
    socket: {
      send(packet: Uint8Array) {
        call([packet]);
        return packet.length;
      },
      sendMany(packets: Uint8Array[]) {
        call(packets);
        return packets.length;
      },
    },
  };
}

function run(
  options: Partial<SendPacketsOptions> & { count: number },
  fake: ReturnType<typeof socket>,
  host = createMemoryHost(),
) {
  return sendPackets({
    socket: fake.socket,
    destination: "192.0.2.1",
    series: new PacketSeries(
      makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
    ),
    headerIncluded: true,
    intervalMs: 0,
    clock: host,
    wallClock: () => 1.7e12 + host.now(),
    ...options,
  }, () => {});
}

Deno.test("PacketSeries steps the source port and sequence number, checksums adjusted, unless the model fixes the checksum", () => {
  const stepped = new PacketSeries(
    makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", srcPort: 1000 }),
    { sportStep: -3, seqStep: 0x8000_0000 },
  );
  const packets = stepped.take(3).map((bytes) => decodePacket(bytes).tcp);
  assert.deepEqual(packets.map((tcp) => tcp.srcPort), [1000, 997, 994]);
  assert.deepEqual(packets.map((tcp) => tcp.seq), [0, 0x8000_0000, 0]);
  const fixed = new PacketSeries(
    makeTcpPacket({
      src: "192.0.2.42",
      dst: "192.0.2.1",
      checksum: 0x1234,
    }),
    { sportStep: 1 },
  );
  for (const bytes of fixed.take(2)) {
    assert.equal(decodePacket(bytes).tcp.checksum, 0x1234);
  }
  for (const bytes of stepped.take(2)) {
    assert.ok(verifyPacketChecksums(bytes).tcp);
  }
});

Deno.test("PacketSeries without steps hands out the same bytes", () => {
  const series = new PacketSeries(
    makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
  );
  const [a, b] = series.take(2);
  assert.equal(a, b);
});

Deno.test("sendPackets() floods in batches of SEND_BATCH, one call each", async () => {
  const fake = socket(createMemoryHost());
  const outcome = await run({ count: SEND_BATCH * 2 + 5 }, fake);
  assert.deepEqual(fake.calls.map((c) => c.packets.length), [
    SEND_BATCH,
    SEND_BATCH,
    5,
  ]);
  assert.equal(outcome.packets, SEND_BATCH * 2 + 5);
  assert.equal(outcome.bytes, (SEND_BATCH * 2 + 5) * 40);
});

Deno.test("sendPackets() paces packet i at start + i × interval", async () => {
  const host = createMemoryHost();
  const fake = socket(host);
  const outcome = await run({ count: 4, intervalMs: 250 }, fake, host);
  assert.deepEqual(fake.calls.map((c) => c.at), [0, 250, 500, 750]);
  assert.equal(outcome.elapsedMs, 750);
});

Deno.test("sendPackets() hands the kernel the TCP segment when it writes the IP header", async () => {
  const fake = socket(createMemoryHost());
  await run({ count: 1, headerIncluded: false }, fake);
  assert.equal(fake.calls[0]!.packets[0]!.length, 20);
});

Deno.test("sendPackets() stops at a failed call: what was sent before is counted, the error kept", async () => {
  const host = createMemoryHost();
  const fake = socket(host, { failCall: 3 });
  const outcome = await run({ count: 5, intervalMs: 10 }, fake, host);
  assert.equal(outcome.packets, 2);
  assert.match(String(outcome.failure?.error), /network is unreachable/);
});

Deno.test("sendPackets() stops after the packets being sent when the signal aborts", async () => {
  const controller = new AbortController();
  const host = createMemoryHost();
  const fake = socket(host, {
    onCall: (n) => {
      if (n === 2) controller.abort();
    },
  });
  const outcome = await run(
    { count: 10, intervalMs: 100, signal: controller.signal },
    fake,
    host,
  );
  assert.equal(outcome.packets, 2);
  assert.equal(outcome.interrupted, true);
});

// ---------------------------------------------------------------------------
// Random and stepped fields per packet.

/** A series drawing every field it can, from a seed. */
function drawing(
  seed: number,
  family: 4 | 6 = 4,
  extra: PacketSeriesOptions = {},
): PacketSeries {
  const v4 = family === 4;
  return new PacketSeries(
    makeTcpPacket({
      src: v4 ? "192.0.2.42" : "2001:db8::42",
      dst: v4 ? "192.0.2.1" : "2001:db8::1",
      dstPort: 80,
      flags: TCP_FLAGS.ack | TCP_FLAGS.psh,
      options: [{ kind: "mss", value: 1460 }],
      payload: new TextEncoder().encode("odd"),
    }),
    {
      randomSource: parseCidr(v4 ? "10.9.0.0/16" : "2001:db8:9::/48"),
      randomDestination: parseCidr(v4 ? "198.51.100.0/24" : "2001:db8:a::/64"),
      randomSourcePort: true,
      randomSeq: true,
      randomAck: true,
      ...(v4 ? { randomId: true } : {}),
      dportStep: 7,
      random: new SeededRandom(seed),
      ...extra,
    },
  );
}

/** The fast path's bytes: fill, then `rounds` batches of advance(). */
function fastPath(series: PacketSeries, slots: number, rounds: number) {
  const ring = Array.from(
    { length: slots },
    () => new Uint8Array(series.length),
  );
  series.fill(ring);
  const out: Uint8Array[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const slot of ring) out.push(slot.slice());
    series.advance(ring, slots, slots);
  }
  return out;
}

Deno.test("PacketSeries draws the same packets for a seed, other packets for another seed, by next() and by the fast path alike", () => {
  for (const family of [4, 6] as const) {
    const a = drawing(42, family).take(2000);
    assert.deepEqual(drawing(42, family).take(2000), a);
    const b = drawing(43, family).take(2000);
    const same = a.filter((bytes, i) =>
      bytes.every((byte, j) => byte === b[i]![j])
    );
    assert.equal(same.length, 0, `IPv${family}: seeds 42 and 43 agree`);
    // The fast path: slots filled once, then moved on in place 40 times.
    const fast = fastPath(drawing(42, family), 50, 40);
    assert.deepEqual(fast, a, `IPv${family}: fast path differs from next()`);
  }
});

Deno.test("every drawn packet's checksums are right, IPv4 and IPv6, next() and the fast path's slots after many advance() calls", () => {
  for (const family of [4, 6] as const) {
    const packets = [
      ...drawing(1, family).take(3000),
      ...fastPath(drawing(2, family), RING_BATCH, 20),
    ];
    for (const [i, bytes] of packets.entries()) {
      const checks = verifyPacketChecksums(bytes);
      assert.ok(checks.tcp, `IPv${family} packet ${i}: TCP checksum`);
      if (family === 4) assert.ok(checks.ip, `packet ${i}: IPv4 checksum`);
    }
  }
  // Steps and draws together, in kernel mode's layout (no IP options).
  const mixed = new PacketSeries(
    makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", srcPort: 65530 }),
    {
      sportStep: 3,
      seqStep: -5,
      randomDestinationPort: { min: 8000, max: 8009 },
      randomAck: true,
      random: new SeededRandom(3),
    },
  );
  for (const bytes of fastPath(mixed, 64, 64)) {
    assert.deepEqual(verifyPacketChecksums(bytes), { ip: true, tcp: true });
  }
});

Deno.test("drawn values stay in their block and range and spread over it; steps and the fixed fields stay as asked", () => {
  const packets = drawing(9).take(4096).map((bytes) => decodePacket(bytes));
  const seen = {
    src: new Set<string>(),
    dst: new Set<string>(),
    sport: new Set<number>(),
    seq: new Set<number>(),
    ack: new Set<number>(),
    id: new Set<number>(),
  };
  packets.forEach(({ ip, tcp }, i) => {
    assert.match(ip.src, /^10\.9\.\d+\.\d+$/);
    assert.match(ip.dst, /^198\.51\.100\.\d+$/);
    assert.ok(tcp.srcPort >= 1024 && tcp.srcPort <= 65535);
    assert.equal(tcp.dstPort, (80 + 7 * i) % 65536);
    assert.equal(tcp.window, 8192);
    assert.deepEqual(tcp.options, [{ kind: "mss", value: 1460 }]);
    seen.src.add(ip.src);
    seen.dst.add(ip.dst);
    seen.sport.add(tcp.srcPort);
    seen.seq.add(tcp.seq);
    seen.ack.add(tcp.ack);
    if (ip.version === 4) seen.id.add(ip.id);
  });
  // 4096 draws from 65536 sources, 256 destinations, 64512 ports, 2^32
  // numbers, 65536 IDs: repeats are rare, and every destination comes up.
  assert.ok(seen.src.size > 3900, `${seen.src.size} sources`);
  assert.equal(seen.dst.size, 256);
  assert.ok(seen.sport.size > 3900, `${seen.sport.size} ports`);
  assert.ok(seen.seq.size > 4090 && seen.ack.size > 4090);
  assert.ok(seen.id.size > 3900, `${seen.id.size} IDs`);
  const ranged = new PacketSeries(
    makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
    {
      randomDestinationPort: { min: 8000, max: 8009 },
      random: new SeededRandom(4),
    },
  );
  const ports = new Set(
    ranged.take(500).map((b) => decodePacket(b).tcp.dstPort),
  );
  assert.deepEqual([...ports].sort(), [
    8000,
    8001,
    8002,
    8003,
    8004,
    8005,
    8006,
    8007,
    8008,
    8009,
  ]);
});

Deno.test("PacketSeries without a random source draws from crypto values: two series differ", () => {
  const make = () =>
    new PacketSeries(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }), {
      randomSeq: true,
    }).take(64).map((bytes) => decodePacket(bytes).tcp.seq);
  assert.notDeepEqual(make(), make());
});

Deno.test("PacketSeries refuses a field both stepped and random, a block of the other family, an IPv6 ID, and drawn destinations under a source route", () => {
  const v4 = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
  const v6 = makeTcpPacket({ src: "2001:db8::42", dst: "2001:db8::1" });
  const cases: [() => unknown, RegExp][] = [
    [
      () => new PacketSeries(v4, { sportStep: 1, randomSourcePort: true }),
      /the source port is both stepped and random/,
    ],
    [
      () => new PacketSeries(v4, { seqStep: 1, randomSeq: true }),
      /the sequence number is both stepped and random/,
    ],
    [
      () => new PacketSeries(v4, { randomSource: parseCidr("2001:db8::/32") }),
      /block is IPv6, the packets IPv4/,
    ],
    [() => new PacketSeries(v6, { randomId: true }), /IPv6 headers have none/],
    [
      () =>
        new PacketSeries(v4, {
          randomDestinationPort: { min: 9, max: 8 },
        }),
      /Cannot draw destination ports from 9\.\.8/,
    ],
    [
      () =>
        new PacketSeries(
          makeTcpPacket({
            src: "192.0.2.42",
            dst: "198.51.100.7",
            ipOptions: parseHex("830b04 c6336407 cb007109 00"),
          }),
          { randomDestination: parseCidr("198.51.100.0/24") },
        ),
      /final destination/,
    ],
  ];
  for (const [make, message] of cases) {
    assert.throws(make, (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("sendPackets() sends drawn destinations each to its own address: per-slot send slots on the fast path, one send each off it", async () => {
  const series = () =>
    new PacketSeries(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }), {
      randomDestination: parseCidr("198.51.100.0/28"),
      random: new SeededRandom(5),
    });
  const expected = series().take(600).map((bytes) =>
    decodePacket(bytes).ip.dst
  );
  // Off the fast path (paced, or watched): one send per packet.
  const host = createMemoryHost();
  const sent: { bytes: Uint8Array; to: string }[] = [];
  const socket = {
    send: (bytes: Uint8Array, to: string) => (sent.push({ bytes, to }), 40),
    sendMany: () => {
      throw new Error("sendMany cannot send to many destinations");
    },
  };
  const outcome = await sendPackets({
    socket,
    destination: "198.51.100.0",
    series: series(),
    headerIncluded: true,
    count: 600,
    intervalMs: 0,
    clock: host,
    wallClock: () => 0,
  }, () => {});
  assert.equal(outcome.packets, 600);
  assert.deepEqual(sent.map((s) => s.to), expected);
  for (const { bytes, to } of sent) {
    assert.equal(decodePacket(bytes).ip.dst, to);
  }
  // The fast path: slots opened per-slot.
  const opened: string[] = [];
  const fast: string[] = [];
  const ring = {
    slots: Array.from({ length: RING_BATCH }, () => new Uint8Array(40)),
    send(count: number) {
      for (const slot of this.slots.slice(0, count)) {
        fast.push(decodePacket(slot).ip.dst);
      }
      return count;
    },
  };
  await sendPackets({
    socket: {
      ...socket,
      openSendRing(options: { destination: string }) {
        opened.push(options.destination);
        return ring;
      },
    },
    destination: "198.51.100.0",
    series: series(),
    headerIncluded: true,
    count: 600,
    intervalMs: 0,
    clock: host,
    wallClock: () => 0,
  });
  assert.deepEqual(opened, ["per-slot"]);
  assert.deepEqual(fast, expected);
  // The kernel writing the IP header cannot send each to its own.
  await assert.rejects(
    sendPackets({
      socket,
      destination: "198.51.100.0",
      series: series(),
      headerIncluded: false,
      count: 1,
      intervalMs: 0,
      clock: host,
      wallClock: () => 0,
    }),
    /only a header-included socket/,
  );
});

Deno.test("sendPackets() to drawn destinations counts the packets sent before a failed send", async () => {
  let calls = 0;
  const socket = {
    send: (bytes: Uint8Array) => {
      if (++calls === 4) throw new Error("Cannot send packet: no route");
      return bytes.length;
    },
    sendMany: () => 0,
  };
  const host = createMemoryHost();
  const batches: number[] = [];
  const outcome = await sendPackets({
    socket,
    destination: "198.51.100.0",
    series: new PacketSeries(
      makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
      { randomDestination: parseCidr("198.51.100.0/24") },
    ),
    headerIncluded: true,
    count: 10,
    intervalMs: 0,
    clock: host,
    wallClock: () => 0,
  }, (datagrams) => void batches.push(datagrams.length));
  assert.equal(outcome.packets, 3);
  assert.equal(outcome.bytes, 120);
  assert.deepEqual(batches, [3]);
  assert.match(String(outcome.failure?.error), /no route/);
});

Deno.test({
  name:
    "scapy recomputes the same IPv4 and TCP checksums for drawn packets, and Python's ipaddress finds each address in its block",
  ignore: !SCAPY,
  async fn() {
    const packets = [
      ...drawing(11, 4).take(300),
      ...fastPath(drawing(12, 4), 100, 3),
      ...drawing(13, 6).take(300),
      ...fastPath(drawing(14, 6), 100, 3),
    ];
    const out = await python(
      `
import ipaddress, json, sys
from scapy.all import IP, IPv6, TCP
bad = []
for i, h in enumerate(json.load(sys.stdin)):
    raw = bytes.fromhex(h)
    p = IP(raw) if raw[0] >> 4 == 4 else IPv6(raw)
    v4 = raw[0] >> 4 == 4
    want_tcp = p[TCP].chksum
    q = p.copy()
    del q[TCP].chksum
    if v4:
        want_ip = p.chksum
        del q.chksum
    r = (IP if v4 else IPv6)(bytes(q))
    if r[TCP].chksum != want_tcp or (v4 and r.chksum != want_ip):
        bad.append(i)
    src, dst = (("10.9.0.0/16", "198.51.100.0/24") if v4 else ("2001:db8:9::/48", "2001:db8:a::/64"))
    if ipaddress.ip_address(p.src) not in ipaddress.ip_network(src) or ipaddress.ip_address(p.dst) not in ipaddress.ip_network(dst):
        bad.append(i)
print(json.dumps(bad))
`,
      packets.map((bytes) =>
        Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
      ),
    );
    assert.deepEqual(JSON.parse(out), []);
  },
});

Deno.test("sendPackets() floods a packet's fragments by next(), never from send slots (they differ in length)", async () => {
  const packet = makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    payload: new TextEncoder().encode("0123456789abcdef0123456789abcdef"),
  });
  const pieces = fragment(packet, { size: 24 });
  const series = new DatagramSeries(packet, pieces);
  assert.equal(series.slotted, false);
  assert.equal(new PacketSeries(packet).slotted, true);
  const sent: Uint8Array[] = [];
  const host = createMemoryHost();
  await sendPackets({
    socket: {
      send: (bytes: Uint8Array) => (sent.push(bytes), bytes.length),
      sendMany: (
        packets: Uint8Array[],
      ) => (sent.push(...packets), packets.length),
      openSendRing: () => {
        throw new Error("fragments went to the send slots");
      },
    },
    destination: "192.0.2.1",
    series,
    headerIncluded: true,
    count: 2 * pieces.length,
    intervalMs: 0,
    clock: host,
    wallClock: () => 0,
  });
  assert.deepEqual(sent, [...pieces, ...pieces]);
});
