/**
 * Tests for src/reply_match.ts: which probe a packet answers. TCP replies
 * are built with the encoder (the rules under test are the matcher's); the
 * ICMP and ICMPv6 errors are scapy's bytes (`/usr/bin/python3`, scapy 2.5),
 * with tcpdump's reading of each above it.
 *
 * @module
 */

import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  encodePacket,
  expectedAck,
  makeTcpPacket,
  type Probe,
  type Reply,
  ReplyMatcher,
  TCP_FLAGS,
  type TcpPacketInit,
} from "../mod.ts";

const { syn, ack, rst, fin, psh } = TCP_FLAGS;

// ---------------------------------------------------------------- fixtures

// IP 10.0.0.254 > 10.0.0.1: ICMP time exceeded in-transit, length 48
// (quoting IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 1024, length 0; TTL 1)
const ICMP4_TIME_EXCEEDED = new Uint8Array([
  0x45,
  0x00,
  0x00,
  0x44,
  0x00,
  0x63,
  0x00,
  0x00,
  0x3f,
  0x01,
  0x66,
  0x58,
  0x0a,
  0x00,
  0x00,
  0xfe,
  0x0a,
  0x00,
  0x00,
  0x01,
  0x0b,
  0x00,
  0x09,
  0x1d,
  0x00,
  0x00,
  0x00,
  0x00,
  0x45,
  0x00,
  0x00,
  0x28,
  0x00,
  0x07,
  0x00,
  0x00,
  0x01,
  0x06,
  0xa5,
  0xc7,
  0x0a,
  0x00,
  0x00,
  0x01,
  0x0a,
  0x00,
  0x00,
  0x02,
  0x9c,
  0x40,
  0x00,
  0x50,
  0x00,
  0x00,
  0x03,
  0xe8,
  0x00,
  0x00,
  0x00,
  0x00,
  0x50,
  0x02,
  0x04,
  0x00,
  0xf7,
  0x67,
  0x00,
  0x00,
]);

// IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.2 unreachable - admin prohibited filter, length 48
// (quoting the same SYN)
const ICMP4_ADMIN_PROHIBITED = new Uint8Array([
  0x45,
  0x00,
  0x00,
  0x44,
  0x00,
  0x64,
  0x00,
  0x00,
  0x40,
  0x01,
  0x66,
  0x53,
  0x0a,
  0x00,
  0x00,
  0x02,
  0x0a,
  0x00,
  0x00,
  0x01,
  0x03,
  0x0d,
  0x11,
  0x10,
  0x00,
  0x00,
  0x00,
  0x00,
  0x45,
  0x00,
  0x00,
  0x28,
  0x00,
  0x07,
  0x00,
  0x00,
  0x01,
  0x06,
  0xa5,
  0xc7,
  0x0a,
  0x00,
  0x00,
  0x01,
  0x0a,
  0x00,
  0x00,
  0x02,
  0x9c,
  0x40,
  0x00,
  0x50,
  0x00,
  0x00,
  0x03,
  0xe8,
  0x00,
  0x00,
  0x00,
  0x00,
  0x50,
  0x02,
  0x04,
  0x00,
  0xf7,
  0x67,
  0x00,
  0x00,
]);

// IP6 fd00::fe > fd00::1: ICMP6, time exceeded in-transit for fd00::2, length 68
// (quoting IP6 fd00::1.40000 > fd00::2.80: Flags [S], seq 1000, win 1024, length 0; hlim 1)
const ICMP6_TIME_EXCEEDED = new Uint8Array([
  0x60,
  0x00,
  0x00,
  0x00,
  0x00,
  0x44,
  0x3a,
  0x40,
  0xfd,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0xfe,
  0xfd,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01,
  0x03,
  0x00,
  0x9b,
  0x85,
  0x00,
  0x00,
  0x00,
  0x00,
  0x60,
  0x00,
  0x00,
  0x00,
  0x00,
  0x14,
  0x06,
  0x01,
  0xfd,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01,
  0xfd,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x02,
  0x9c,
  0x40,
  0x00,
  0x50,
  0x00,
  0x00,
  0x03,
  0xe8,
  0x00,
  0x00,
  0x00,
  0x00,
  0x50,
  0x02,
  0x04,
  0x00,
  0x11,
  0x66,
  0x00,
  0x00,
]);

// IP6 fd00::2 > fd00::1: ICMP6, destination unreachable, unreachable port, fd00::2 tcp port 80, length 68
// (quoting the same SYN)
const ICMP6_PORT_UNREACHABLE = new Uint8Array([
  0x60,
  0x00,
  0x00,
  0x00,
  0x00,
  0x44,
  0x3a,
  0x40,
  0xfd,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x02,
  0xfd,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01,
  0x01,
  0x04,
  0x9e,
  0x7d,
  0x00,
  0x00,
  0x00,
  0x00,
  0x60,
  0x00,
  0x00,
  0x00,
  0x00,
  0x14,
  0x06,
  0x01,
  0xfd,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01,
  0xfd,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x02,
  0x9c,
  0x40,
  0x00,
  0x50,
  0x00,
  0x00,
  0x03,
  0xe8,
  0x00,
  0x00,
  0x00,
  0x00,
  0x50,
  0x02,
  0x04,
  0x00,
  0x11,
  0x66,
  0x00,
  0x00,
]);

// ---------------------------------------------------------------- helpers

/** The SYN quoted by the ICMP fixtures: 10.0.0.1:40000 -> 10.0.0.2:80, seq 1000. */
function probe4(overrides: Partial<Probe> = {}): Probe {
  return {
    id: 1,
    family: 4,
    src: "10.0.0.1",
    dst: "10.0.0.2",
    srcPort: 40000,
    dstPort: 80,
    seq: 1000,
    ack: 0,
    flags: syn,
    payloadLength: 0,
    sentAt: 1_000_000,
    ...overrides,
  };
}

function probe6(overrides: Partial<Probe> = {}): Probe {
  return probe4({ family: 6, src: "fd00::1", dst: "fd00::2", ...overrides });
}

/** A reply from 10.0.0.2:80 to 10.0.0.1:40000 (or the IPv6 pair), fields overridden. */
function reply(init: Partial<TcpPacketInit> = {}): Uint8Array {
  return encodePacket(makeTcpPacket({
    src: "10.0.0.2",
    dst: "10.0.0.1",
    srcPort: 80,
    dstPort: 40000,
    seq: 0x5eed,
    ack: 1001,
    flags: syn | ack,
    ...init,
  }));
}

function matcherWith(...probes: Probe[]): ReplyMatcher {
  const matcher = new ReplyMatcher();
  for (const p of probes) matcher.add(p);
  return matcher;
}

/** Cut an IPv4 ICMP datagram so that `tcpBytes` bytes of the quoted TCP header remain. */
function cutQuote4(bytes: Uint8Array, tcpBytes: number): Uint8Array {
  return bytes.slice(0, 20 + 8 + 20 + tcpBytes);
}

function cutQuote6(bytes: Uint8Array, tcpBytes: number): Uint8Array {
  return bytes.slice(0, 40 + 8 + 40 + tcpBytes);
}

// ------------------------------------------------------------------- TCP

Deno.test("matchTcp() matches a SYN-ACK whose ack is the SYN's seq + 1", () => {
  const p = probe4();
  const matcher = matcherWith(p);
  const answer = matcher.matchTcp(
    encodePacket(makeTcpPacket({
      src: "10.0.0.2",
      dst: "10.0.0.1",
      srcPort: 80,
      dstPort: 40000,
      seq: 0x12345678,
      ack: 1001,
      flags: syn | ack,
      window: 64240,
      options: [{ kind: "mss", value: 1460 }, { kind: "nop" }, {
        kind: "wscale",
        shift: 7,
      }],
    })),
    1_000_000.375,
  );
  assert.ok(answer !== undefined && answer.kind === "tcp");
  assert.equal(answer.probe, p);
  assert.equal(answer.rttMs, 0.375);
  assert.equal(answer.receivedAt, 1_000_000.375);
  assert.equal(answer.packet.tcp.seq, 0x12345678);
  assert.deepEqual(answer.packet.tcp.options[0], { kind: "mss", value: 1460 });
  // Matching leaves the probe pending: a SYN-ACK may be retransmitted.
  assert.equal(matcher.pending, 1);
});

Deno.test("matchTcp() matches a RST+ACK answering a SYN to a closed port", () => {
  const matcher = matcherWith(probe4());
  const answer = matcher.matchTcp(
    reply({ seq: 0, flags: rst | ack }),
    1_000_002,
  );
  assert.equal(answer?.kind, "tcp");
  assert.equal(answer?.rttMs, 2);
});

Deno.test("matchTcp() matches a RST without ACK whose seq is an ACK probe's ack", () => {
  const p = probe4({ flags: ack, seq: 5, ack: 0xdeadbeef });
  const matcher = matcherWith(p);
  assert.equal(
    matcher.matchTcp(reply({ seq: 0xdeadbeef, ack: 0, flags: rst }), 1_000_001)
      ?.probe,
    p,
  );
  // Another seq, or a RST without ACK answering a probe without ACK: ignored.
  assert.equal(
    matcher.matchTcp(reply({ seq: 0xdeadbeee, ack: 0, flags: rst }), 1),
    undefined,
  );
  const synMatcher = matcherWith(probe4({ ack: 0 }));
  assert.equal(
    synMatcher.matchTcp(reply({ seq: 0, ack: 0, flags: rst }), 1),
    undefined,
  );
});

Deno.test("matchTcp() ignores a reply whose ack is not the probe's seq + length", () => {
  const matcher = matcherWith(probe4());
  for (const wrong of [1000, 1002, 0, 0xffffffff]) {
    assert.equal(
      matcher.matchTcp(reply({ ack: wrong }), 1),
      undefined,
      `ack ${wrong}`,
    );
  }
  // Neither ACK nor RST: a bare SYN (simultaneous open) answers nothing.
  assert.equal(matcher.matchTcp(reply({ flags: syn }), 1), undefined);
});

Deno.test("matchTcp() counts payload, SYN and FIN in the expected ack, modulo 2^32", () => {
  const data = probe4({
    flags: psh | ack | fin,
    seq: 0xfffffffe,
    payloadLength: 5,
  });
  assert.equal(expectedAck(data), 4);
  const matcher = matcherWith(data);
  assert.equal(matcher.matchTcp(reply({ flags: ack, ack: 4 }), 1)?.probe, data);
  assert.equal(matcher.matchTcp(reply({ flags: ack, ack: 3 }), 1), undefined);
});

Deno.test("matchTcp() ignores replies on other ports", () => {
  const matcher = matcherWith(probe4());
  assert.equal(matcher.matchTcp(reply({ srcPort: 81 }), 1), undefined);
  assert.equal(matcher.matchTcp(reply({ dstPort: 40001 }), 1), undefined);
  // Ports swapped: our own SYN seen coming back on loopback, say.
  assert.equal(
    matcher.matchTcp(reply({ srcPort: 40000, dstPort: 80 }), 1),
    undefined,
  );
});

Deno.test("matchTcp() ignores replies from another host or to another address", () => {
  const matcher = matcherWith(probe4());
  assert.equal(matcher.matchTcp(reply({ src: "10.0.0.3" }), 1), undefined);
  assert.equal(matcher.matchTcp(reply({ dst: "10.0.0.9" }), 1), undefined);
  assert.equal(
    matcher.matchTcp(reply({ src: "fd00::2", dst: "fd00::1" }), 1),
    undefined,
  );
});

Deno.test("matchTcp() matches IPv6 replies, whatever the spelling of the probe's addresses", () => {
  const p = probe6({ src: "fd00:0::0:1", dst: "FD00::2" });
  const matcher = matcherWith(p);
  const answer = matcher.matchTcp(
    reply({ src: "fd00::2", dst: "fd00::1" }),
    1_000_000.5,
  );
  assert.equal(answer?.probe, p);
  assert.equal(answer?.kind === "tcp" && answer.packet.ip.version, 6);
});

Deno.test("matchTcp() tells probes that share ports apart by their seq", () => {
  const first = probe4({ id: 1, seq: 1000, ttl: 1 });
  const second = probe4({ id: 2, seq: 2000, ttl: 2, sentAt: 1_000_010 });
  const matcher = matcherWith(first, second);
  assert.equal(
    matcher.matchTcp(reply({ ack: 2001 }), 1_000_011)?.probe,
    second,
  );
  assert.equal(matcher.matchTcp(reply({ ack: 1001 }), 1_000_011)?.probe, first);
  assert.equal(matcher.matchTcp(reply({ ack: 1001 }), 1_000_011)?.rttMs, 11);
  // Same seq twice: the probe added first wins; removed, the other answers.
  const twin = probe4({ id: 3 });
  const twins = matcherWith(first, twin);
  assert.equal(twins.matchTcp(reply(), 1)?.probe, first);
  assert.equal(twins.remove(first), true);
  assert.equal(twins.matchTcp(reply(), 1)?.probe, twin);
});

Deno.test("matchTcp() ignores everything once the probe is removed", () => {
  const matcher = matcherWith(probe4());
  assert.equal(matcher.remove(1), true);
  assert.equal(matcher.remove(1), false);
  assert.equal(matcher.pending, 0);
  assert.equal(matcher.matchTcp(reply(), 1), undefined);
});

Deno.test("matchTcp() ignores non-TCP datagrams, fragments and cut-short headers", () => {
  const matcher = matcherWith(probe4());
  assert.equal(matcher.matchTcp(ICMP4_TIME_EXCEEDED, 1), undefined);
  const fragment = reply();
  fragment[6] = 0x20; // MF
  assert.equal(matcher.matchTcp(fragment, 1), undefined);
  const whole = reply();
  for (let length = 0; length < 40; length++) {
    assert.equal(
      matcher.matchTcp(whole.subarray(0, length), 1),
      undefined,
      `${length} bytes`,
    );
  }
  assert.equal(matcher.matchTcp(whole, 1)?.probe.id, 1);
});

// ------------------------------------------------------------------ ICMP

Deno.test("matchIcmp() matches an ICMP time exceeded by the SYN it quotes", () => {
  const p = probe4({ ttl: 1 });
  const answer = matcherWith(p).matchIcmp(ICMP4_TIME_EXCEEDED, 1_000_000.25, 4);
  assert.deepEqual(
    answer,
    {
      kind: "icmp",
      probe: p,
      family: 4,
      type: 11,
      code: 0,
      category: "time-exceeded",
      description: "time exceeded in transit",
      from: "10.0.0.254",
      receivedAt: 1_000_000.25,
      rttMs: 0.25,
      ttl: 63,
    } satisfies Reply,
  );
});

Deno.test("matchIcmp() matches an ICMP administratively prohibited", () => {
  const answer = matcherWith(probe4()).matchIcmp(
    ICMP4_ADMIN_PROHIBITED,
    1_000_001,
    4,
  );
  assert.ok(answer !== undefined && answer.kind === "icmp");
  assert.equal(answer.type, 3);
  assert.equal(answer.code, 13);
  assert.equal(answer.category, "prohibited");
  assert.equal(answer.description, "administratively prohibited");
  assert.equal(answer.from, "10.0.0.2");
});

Deno.test("matchIcmp() matches ICMPv6 time exceeded and port unreachable", () => {
  const p = probe6();
  const matcher = matcherWith(p);
  const exceeded = matcher.matchIcmp(ICMP6_TIME_EXCEEDED, 1_000_003, 6);
  assert.ok(exceeded !== undefined && exceeded.kind === "icmp");
  assert.equal(exceeded.probe, p);
  assert.equal(exceeded.from, "fd00::fe");
  assert.equal(exceeded.description, "hop limit exceeded in transit");
  assert.equal(exceeded.category, "time-exceeded");
  assert.equal(exceeded.ttl, 64);
  assert.equal(exceeded.rttMs, 3);
  const unreachable = matcher.matchIcmp(ICMP6_PORT_UNREACHABLE, 1_000_000, 6);
  assert.ok(unreachable !== undefined && unreachable.kind === "icmp");
  assert.equal(unreachable.type, 1);
  assert.equal(unreachable.code, 4);
  assert.equal(unreachable.description, "port unreachable");
  assert.equal(unreachable.category, "unreachable");
  assert.equal(unreachable.from, "fd00::2");
});

Deno.test("matchIcmp() matches a quote of 8 TCP bytes and ignores a shorter one", () => {
  const matcher = matcherWith(probe4(), probe6({ id: 2 }));
  assert.equal(
    matcher.matchIcmp(cutQuote4(ICMP4_TIME_EXCEEDED, 8), 1, 4)?.probe.id,
    1,
  );
  assert.equal(
    matcher.matchIcmp(cutQuote6(ICMP6_TIME_EXCEEDED, 8), 1, 6)?.probe.id,
    2,
  );
  for (let cut = 0; cut < 8; cut++) {
    assert.equal(
      matcher.matchIcmp(cutQuote4(ICMP4_TIME_EXCEEDED, cut), 1, 4),
      undefined,
    );
    assert.equal(
      matcher.matchIcmp(cutQuote6(ICMP6_TIME_EXCEEDED, cut), 1, 6),
      undefined,
    );
  }
  // Cut inside the quoted IP header, or inside the ICMP header.
  for (let length = 0; length < 48; length++) {
    assert.equal(
      matcher.matchIcmp(ICMP4_TIME_EXCEEDED.subarray(0, length), 1, 4),
      undefined,
    );
  }
});

Deno.test("matchIcmp() ignores errors quoting another probe, host or port", () => {
  assert.equal(
    matcherWith(probe4({ seq: 1001 })).matchIcmp(ICMP4_TIME_EXCEEDED, 1, 4),
    undefined,
  );
  assert.equal(
    matcherWith(probe4({ dstPort: 81 })).matchIcmp(ICMP4_TIME_EXCEEDED, 1, 4),
    undefined,
  );
  assert.equal(
    matcherWith(probe4({ srcPort: 40001 })).matchIcmp(
      ICMP4_TIME_EXCEEDED,
      1,
      4,
    ),
    undefined,
  );
  assert.equal(
    matcherWith(probe4({ dst: "10.0.0.3" })).matchIcmp(
      ICMP4_TIME_EXCEEDED,
      1,
      4,
    ),
    undefined,
  );
  assert.equal(
    matcherWith(probe4({ src: "10.0.0.7" })).matchIcmp(
      ICMP4_TIME_EXCEEDED,
      1,
      4,
    ),
    undefined,
  );
  assert.equal(
    matcherWith(probe6({ seq: 7 })).matchIcmp(ICMP6_TIME_EXCEEDED, 1, 6),
    undefined,
  );
});

Deno.test("matchIcmp() ignores ICMP that is not an error, and the wrong family", () => {
  const matcher = matcherWith(probe4(), probe6({ id: 2 }));
  const echo = ICMP4_TIME_EXCEEDED.slice();
  echo[20] = 0; // echo reply
  assert.equal(matcher.matchIcmp(echo, 1, 4), undefined);
  const redirect = ICMP4_TIME_EXCEEDED.slice();
  redirect[20] = 5;
  assert.equal(matcher.matchIcmp(redirect, 1, 4), undefined);
  const echo6 = ICMP6_TIME_EXCEEDED.slice();
  echo6[40] = 129;
  assert.equal(matcher.matchIcmp(echo6, 1, 6), undefined);
  assert.equal(matcher.matchIcmp(ICMP4_TIME_EXCEEDED, 1, 6), undefined);
  assert.equal(matcher.matchIcmp(ICMP6_TIME_EXCEEDED, 1, 4), undefined);
  // A TCP packet handed to the ICMP matcher.
  assert.equal(matcher.matchIcmp(reply(), 1, 4), undefined);
});

Deno.test("matchIcmp() ignores a quote of a non-first fragment", () => {
  const bytes = ICMP4_TIME_EXCEEDED.slice();
  bytes[28 + 7] = 1; // quoted fragment offset 1 (8 bytes)
  assert.equal(matcherWith(probe4()).matchIcmp(bytes, 1, 4), undefined);
});

// ------------------------------------------------------------------- add

Deno.test("add() refuses a reused id, a wrong family and out-of-range fields", () => {
  const matcher = matcherWith(probe4());
  assert.throws(
    () => matcher.add(probe4()),
    /Cannot add probe: id 1 is already pending/,
  );
  assert.throws(
    () => matcher.add(probe4({ id: 2, dst: "fd00::2" })),
    /Cannot add probe: destination fd00::2 is not an IPv4 address/,
  );
  assert.throws(
    () => matcher.add(probe4({ id: 2, srcPort: 70000 })),
    /Cannot add probe: srcPort 70000 is not in 0\.\.65535/,
  );
  assert.throws(
    () => matcher.add(probe4({ id: 2, seq: 2 ** 32 })),
    /Cannot add probe: seq 4294967296 is not in 0\.\.4294967295/,
  );
  assert.equal(matcher.pending, 1);
  assert.deepEqual(matcher.probes().map((p) => p.id), [1]);
});

// ------------------------------------------------------------ robustness

/** Whatever a matcher returns must satisfy the rules, whatever the bytes. */
function checkConsistent(answer: Reply | undefined, bytes: Uint8Array): void {
  if (answer === undefined) return;
  const p = answer.probe;
  if (answer.kind === "tcp") {
    const { ip, tcp } = answer.packet;
    assert.equal(ip.src, p.family === 4 ? p.dst : "fd00::2");
    assert.equal(tcp.srcPort, p.dstPort);
    assert.equal(tcp.dstPort, p.srcPort);
    if ((tcp.flags & ack) !== 0) assert.equal(tcp.ack, expectedAck(p));
    else assert.equal(tcp.seq, p.ack);
  } else {
    assert.ok(bytes.length >= (p.family === 4 ? 56 : 96));
  }
}

const FIXTURES = [
  ICMP4_TIME_EXCEEDED,
  ICMP4_ADMIN_PROHIBITED,
  ICMP6_TIME_EXCEEDED,
  ICMP6_PORT_UNREACHABLE,
  reply(),
  reply({ src: "fd00::2", dst: "fd00::1" }),
];

Deno.test("ReplyMatcher never throws on random or mutated bytes, and what it matches obeys the rules", () => {
  const matcher = matcherWith(
    probe4(),
    probe6({ id: 2 }),
    probe4({ id: 3, flags: ack, ack: 0x01020304 }),
  );
  const mutated = fc.tuple(
    fc.constantFrom(...FIXTURES),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      maxLength: 8,
    }),
    fc.nat(),
  ).map(([base, edits, cut]) => {
    const bytes = base.slice(0, base.length - (cut % 16));
    for (const [at, value] of edits) {
      if (bytes.length > 0) bytes[at % bytes.length] = value;
    }
    return bytes;
  });
  fc.assert(
    fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated),
      fc.constantFrom<4 | 6>(4, 6),
      (bytes, family) => {
        checkConsistent(matcher.matchTcp(bytes, 1), bytes);
        checkConsistent(matcher.matchIcmp(bytes, 1, family), bytes);
      },
    ),
    { numRuns: 20000 },
  );
});
