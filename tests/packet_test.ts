import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  type DecodedTcpPacket,
  DecodeError,
  decodeIp,
  decodePacket,
  encodePacket,
  encodePacketInto,
  makeTcpPacket,
  packetLength,
  ParseError,
  type TcpPacket,
  verifyPacketChecksums,
} from "../mod.ts";
import { hex, PACKET_FIXTURES, xmas } from "./_fixtures.ts";

/** The fixture's model with every computed field removed, so the encoder must compute them. */
function withoutComputed(packet: DecodedTcpPacket): TcpPacket {
  const { ihl: _ihl, totalLength: _tl, checksum: _c, ...ip4 } = packet.ip as
    & typeof packet.ip
    & { ihl?: number; totalLength?: number; checksum?: number };
  const { payloadLength: _pl, ...ip } = ip4 as typeof ip4 & {
    payloadLength?: number;
  };
  const { dataOffset: _d, checksum: _tc, reserved: _r, ...tcp } = packet.tcp;
  const result: TcpPacket = { ip: ip as TcpPacket["ip"], tcp };
  if (packet.extensionHeaders !== undefined) {
    result.extensionHeaders = packet.extensionHeaders.map((h) => ({
      nextHeader: h.nextHeader,
      data: h.data,
    }));
  }
  return result;
}

function catchDecodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw new Error(`expected a DecodeError, got ${error}`, { cause: error });
  }
  throw new Error("expected a DecodeError, nothing was thrown");
}

for (const fixture of PACKET_FIXTURES) {
  Deno.test(`decodePacket() reads every field of the ${fixture.name} packet as scapy does`, () => {
    assert.deepEqual(decodePacket(fixture.bytes), fixture.packet);
  });

  Deno.test(`encodePacketInto() writes the ${fixture.name} model byte for byte, touching nothing else`, () => {
    const buffer = new Uint8Array(fixture.bytes.length + 16).fill(0xa5);
    const written = encodePacketInto(fixture.packet, buffer, { offset: 8 });
    assert.equal(written, fixture.bytes.length);
    assert.deepEqual(buffer.subarray(8, 8 + written), fixture.bytes);
    assert.ok(buffer.subarray(0, 8).every((b) => b === 0xa5));
    assert.ok(buffer.subarray(8 + written).every((b) => b === 0xa5));
  });

  Deno.test(`encodePacket() computes the lengths and checksums scapy computed for ${fixture.name}`, () => {
    const model = withoutComputed(fixture.packet);
    assert.equal(packetLength(model), fixture.bytes.length);
    assert.deepEqual(encodePacket(model), fixture.bytes);
  });

  Deno.test(`verifyPacketChecksums() accepts the ${fixture.name} packet`, () => {
    assert.deepEqual(verifyPacketChecksums(fixture.bytes), {
      ip: fixture.packet.ip.version === 4 ? true : null,
      tcp: true,
    });
  });

  const init = fixture.init;
  if (init !== undefined) {
    Deno.test(`makeTcpPacket() with scapy's defaults builds the ${fixture.name} packet`, () => {
      assert.deepEqual(encodePacket(makeTcpPacket(init)), fixture.bytes);
    });
  }
}

Deno.test("decodeIp() finds the TCP payload after the IP header and IPv6 extension headers", () => {
  const expected: Record<string, number> = {
    xmas: 20,
    ipv4Options: 60,
    ipv6FlowLabel: 40,
    ipv6HopByHop: 48,
    ipv6Routing: 80,
    ipv6SegmentRouting: 88,
  };
  for (const fixture of PACKET_FIXTURES) {
    const decoded = decodeIp(fixture.bytes);
    assert.equal(decoded.protocol, 6);
    assert.equal(decoded.fragment, false);
    assert.deepEqual(
      decoded.payload,
      fixture.bytes.subarray(decoded.payloadOffset),
    );
    const offset = expected[fixture.name];
    if (offset !== undefined) assert.equal(decoded.payloadOffset, offset);
    assert.deepEqual(decoded.extensionHeaders, fixture.packet.extensionHeaders);
  }
});

Deno.test("decodeIp() refuses an empty buffer and a version other than 4 or 6", () => {
  const empty = catchDecodeError(() => decodeIp(new Uint8Array()));
  assert.equal(empty.kind, "truncated");
  assert.equal(
    empty.message,
    "Cannot decode IP header: buffer is 0 bytes, expected at least 20",
  );
  const bytes = xmas.bytes.slice();
  bytes[0] = 0x55;
  const v5 = catchDecodeError(() => decodeIp(bytes));
  assert.equal(v5.kind, "malformed");
  assert.equal(v5.offset, 0);
  assert.equal(
    v5.message,
    "Cannot decode IP header: version 5 at byte 0 is neither 4 nor 6",
  );
});

Deno.test("decodePacket() refuses a protocol other than TCP as unsupported", () => {
  const bytes = xmas.bytes.slice();
  bytes[9] = 17;
  assert.equal(decodeIp(bytes).protocol, 17);
  const error = catchDecodeError(() => decodePacket(bytes));
  assert.equal(error.kind, "unsupported");
  assert.equal(error.offset, 9);
  assert.equal(error.message, "Cannot decode packet: protocol 17 is not TCP");
});

Deno.test("decodePacket() names the Next Header of the last IPv6 extension header when it is not TCP", () => {
  const fixture = PACKET_FIXTURES.find((f) => f.name === "ipv6HopByHop")!;
  const bytes = fixture.bytes.slice();
  bytes[40] = 17;
  const error = catchDecodeError(() => decodePacket(bytes));
  assert.equal(error.kind, "unsupported");
  assert.equal(error.offset, 40);
  assert.equal(error.message, "Cannot decode packet: protocol 17 is not TCP");
});

Deno.test("decodeIp() reports IPv4 fragments and decodePacket() refuses them", () => {
  for (const [byte6, byte7] of [[0x20, 0x00], [0x00, 0x01], [0x3f, 0xff]]) {
    const bytes = xmas.bytes.slice();
    bytes[6] = byte6!;
    bytes[7] = byte7!;
    assert.equal(decodeIp(bytes).fragment, true);
    const error = catchDecodeError(() => decodePacket(bytes));
    assert.equal(error.kind, "unsupported");
    assert.equal(error.offset, 6);
    assert.match(error.message, /fragments are not reassembled$/);
  }
  const df = xmas.bytes.slice();
  df[6] = 0x40;
  assert.equal(decodeIp(df).fragment, false);
});

Deno.test("decodeIp() stops at an IPv6 fragment header and decodePacket() refuses it", () => {
  const fixture = PACKET_FIXTURES.find((f) => f.name === "ipv6FlowLabel")!;
  const fixed = fixture.bytes.slice(0, 40);
  fixed[6] = 44; // next header: fragment
  fixed[5] = fixed[5]! + 8;
  const fragment = hex`06 00 00 01 12 34 56 78`; // offset 0, M=1, id 0x12345678
  const bytes = new Uint8Array([
    ...fixed,
    ...fragment,
    ...fixture.bytes.slice(40),
  ]);
  const decoded = decodeIp(bytes);
  assert.equal(decoded.protocol, 44);
  assert.equal(decoded.fragment, true);
  assert.equal(decoded.payloadOffset, 40);
  const error = catchDecodeError(() => decodePacket(bytes));
  assert.equal(error.kind, "unsupported");
  assert.equal(error.offset, 40);
  assert.equal(
    error.message,
    "Cannot decode packet: IPv6 fragment header at byte 40: fragments are not reassembled",
  );
});

// scapy: IPv6(src="2001:db8::1", dst="2001:db8::2")
//   / IPv6ExtHdrFragment(offset=0, m=0, id=0x1234)
//   / TCP(sport=1234, dport=80, flags="S", options=[("MSS", 1460)]) / b"hi"
// tcpdump: IP6 2001:db8::1.1234 > 2001:db8::2.80: Flags [S], seq 0:2, win 8192, options [mss 1460], length 2
const ATOMIC_FRAGMENT = hex`
  60 00 00 00
  00 22 2c 40
  20 01 0d b8
  00 00 00 00
  00 00 00 00
  00 00 00 01
  20 01 0d b8
  00 00 00 00
  00 00 00 00
  00 00 00 02
  06 00 00 00
  00 00 12 34
  04 d2 00 50
  00 00 00 00
  00 00 00 00
  60 02 20 00
  af 24 00 00
  02 04 05 b4
  68 69
`;

Deno.test("decodePacket() walks an IPv6 atomic fragment (offset 0, M clear) to the TCP inside", () => {
  const decoded = decodePacket(ATOMIC_FRAGMENT);
  assert.equal(decodeIp(ATOMIC_FRAGMENT).fragment, false);
  assert.equal(decoded.tcp.srcPort, 1234);
  assert.equal(decoded.tcp.dstPort, 80);
  assert.equal(decoded.tcp.checksum, 0xaf24); // scapy's
  assert.deepEqual(decoded.tcp.payload, new TextEncoder().encode("hi"));
  assert.deepEqual(decoded.extensionHeaders, [{
    type: 44,
    offset: 40,
    nextHeader: 6,
    data: hex`00 00 00 00 12 34`,
  }]);
  assert.deepEqual(verifyPacketChecksums(ATOMIC_FRAGMENT), {
    ip: null,
    tcp: true,
  });
  const target = new Uint8Array(ATOMIC_FRAGMENT.length).fill(0xa5);
  encodePacketInto(decoded, target);
  assert.deepEqual(target, ATOMIC_FRAGMENT);
});

Deno.test("decodeIp() refuses an IPv6 extension header cut short by the payload length", () => {
  const fixture = PACKET_FIXTURES.find((f) => f.name === "ipv6HopByHop")!;
  const bytes = fixture.bytes.slice(0, 44);
  bytes[4] = 0;
  bytes[5] = 4; // payload length 4: half the hop-by-hop header
  const error = catchDecodeError(() => decodeIp(bytes));
  assert.equal(error.kind, "truncated");
  assert.equal(error.layer, "IPv6 extension header");
  assert.equal(error.offset, 41);
  assert.equal(
    error.message,
    "Cannot decode IPv6 extension header: hop-by-hop options header at byte 40 is 8 bytes (Hdr Ext Len 0 at byte 41), past the end of the IPv6 payload at byte 44",
  );
  bytes[5] = 1;
  const tiny = catchDecodeError(() => decodeIp(bytes.subarray(0, 41)));
  assert.equal(tiny.kind, "truncated");
  assert.equal(
    tiny.message,
    "Cannot decode IPv6 extension header: hop-by-hop options header at byte 40 needs 2 bytes, the IPv6 payload ends at byte 41",
  );

  // Lenient: the walk stops, the cut header stays in the payload.
  bytes[5] = 4;
  const lenient = decodeIp(bytes, { lenient: true });
  assert.equal(lenient.protocol, 0);
  assert.deepEqual(lenient.extensionHeaders, []);
  assert.deepEqual(lenient.payload, bytes.subarray(40));
});

Deno.test("decodeIp() refuses a hop-by-hop header that is not first, unless lenient", () => {
  // fixed header -> destination options (60) -> hop-by-hop (0) -> TCP
  const packet = makeTcpPacket({
    src: "2001:db8::1",
    dst: "2001:db8::2",
    protocol: 60,
    extensionHeaders: [
      { nextHeader: 0, data: hex`01 04 00 00 00 00` },
      { nextHeader: 6, data: hex`01 04 00 00 00 00` },
    ],
  });
  const bytes = encodePacket(packet);
  assert.equal(bytes.length, 40 + 16 + 20);
  const error = catchDecodeError(() => decodeIp(bytes));
  assert.equal(error.kind, "malformed");
  assert.equal(error.offset, 48);
  assert.equal(
    error.message,
    "Cannot decode IPv6 extension header: hop-by-hop options header at byte 48 is not the first extension header (RFC 8200 §4.1)",
  );
  const lenient = decodePacket(bytes, { lenient: true });
  assert.deepEqual(
    lenient.extensionHeaders?.map((h) => [h.type, h.offset]),
    [[60, 40], [0, 48]],
  );
  assert.deepEqual(encodePacket(lenient), bytes);
});

Deno.test("decodePacket() reports TCP errors with offsets from the start of the packet", () => {
  const bytes = xmas.bytes.slice();
  bytes[32] = 0x40; // data offset 4
  const error = catchDecodeError(() => decodePacket(bytes));
  assert.equal(error.layer, "TCP header");
  assert.equal(error.kind, "malformed");
  assert.equal(error.offset, 20 + 12);
  assert.match(
    error.message,
    /^Cannot decode TCP header: data offset 4 at byte 12/,
  );
  assert.ok(error.cause instanceof DecodeError);
  assert.equal(error.cause.offset, 12);
});

Deno.test("verifyPacketChecksums() notices a corrupted IP or TCP checksum", () => {
  const ipBad = xmas.bytes.slice();
  ipBad[10] = ipBad[10]! ^ 0x01;
  assert.deepEqual(verifyPacketChecksums(ipBad), { ip: false, tcp: true });
  const tcpBad = xmas.bytes.slice();
  tcpBad[36] = tcpBad[36]! ^ 0x80;
  assert.deepEqual(verifyPacketChecksums(tcpBad), { ip: true, tcp: false });
  const v6 = PACKET_FIXTURES.find((f) => f.name === "ipv6Routing")!;
  const v6Bad = v6.bytes.slice();
  v6Bad[v6Bad.length - 1] = v6Bad.at(-1)! ^ 0x01; // urgent pointer
  assert.deepEqual(verifyPacketChecksums(v6Bad), { ip: null, tcp: false });
  const notTcp = xmas.bytes.slice();
  notTcp[9] = 17;
  assert.throws(() => verifyPacketChecksums(notTcp), DecodeError);
});

Deno.test("encodePacket() sums the final destination of an IPv4 source route while addresses are left", () => {
  // Both sent to a Linux peer (10.99.0.2, 10.99.1.2 on its loopback,
  // accept_source_route=1) and checked by its kernel.
  // LSRR [10.99.1.2], pointer 4: the peer routed to 10.99.1.2 and answered
  // with a SYN-ACK from it; tcpdump and scapy agree the checksum is right.
  // IP 10.99.0.1.41001 > 10.99.0.2.8080: Flags [S], cksum 0x13a2 (correct), seq 4019500841, win 8192, length 0
  const active = hex`
    47 00 00 30
    00 01 00 00
    40 06 77 ec
    0a 63 00 01
    0a 63 00 02
    83 07 04 0a
    63 01 02 00
    a0 29 1f 90
    ef 94 b7 29
    00 00 00 00
    50 02 20 00
    13 a2 00 00`;
  // LSRR [192.0.2.99], pointer 8 > length 7: the route is used up, the
  // IPv4 destination is final; the peer counted no TcpInCsumErrors
  // (tcpdump and scapy, which ignore the pointer, sum 192.0.2.99).
  // IP 10.99.0.1.41002 > 10.99.0.2.8080: Flags [S], cksum 0xea51, seq 884120667, win 8192, length 0
  const usedUp = hex`
    47 00 00 30
    00 01 00 00
    40 06 75 35
    0a 63 00 01
    0a 63 00 02
    83 07 08 c0
    00 02 63 00
    a0 2a 1f 90
    34 b2 9c 5b
    00 00 00 00
    50 02 20 00
    ea 51 00 00`;
  for (const bytes of [active, usedUp]) {
    const model = withoutComputed(decodePacket(bytes));
    const target = new Uint8Array(bytes.length).fill(0xa5);
    assert.equal(encodePacketInto(model, target), bytes.length);
    assert.deepEqual(target, bytes);
    assert.deepEqual(verifyPacketChecksums(bytes), { ip: true, tcp: true });
  }
  // The same packet summed over the IPv4 destination is a bad checksum.
  const wrong = active.slice();
  wrong.set([0x14, 0xa2], 36); // the checksum over 10.99.0.2 (scapy)
  assert.deepEqual(verifyPacketChecksums(wrong), { ip: true, tcp: false });
});

Deno.test("encodePacket() sums the TCP pseudo-header with protocol 6 whatever protocol the IP header carries", () => {
  const as253 = encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    dstPort: 666,
    flags: 0x29,
    protocol: 253,
  }));
  assert.equal(as253[9], 253);
  assert.deepEqual(as253.subarray(20), xmas.bytes.subarray(20));
  const v6 = makeTcpPacket({
    src: "2001:db8::1",
    dst: "2001:db8::2",
    protocol: 253,
  });
  const v6Tcp = makeTcpPacket({ src: "2001:db8::1", dst: "2001:db8::2" });
  assert.deepEqual(
    encodePacket(v6).subarray(40),
    encodePacket(v6Tcp).subarray(40),
  );
});

Deno.test("encodePacket() writes overrides as given, so broken packets can be crafted", () => {
  const packet = makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    checksum: 0xdead,
    ipChecksum: 0xbeef,
    dataOffset: 15,
    reserved: 7,
  });
  const bytes = encodePacket(packet);
  assert.deepEqual(bytes.subarray(10, 12), hex`be ef`);
  assert.deepEqual(bytes.subarray(36, 38), hex`de ad`);
  assert.equal(bytes[32], 0xfe);
  assert.deepEqual(verifyPacketChecksums(bytes), { ip: false, tcp: false });
  assert.throws(() => decodePacket(bytes), DecodeError); // data offset past the end
  const lenient = decodePacket(bytes, { lenient: true });
  assert.equal(lenient.tcp.dataOffset, 15);
  assert.deepEqual(encodePacket(lenient), bytes);
});

Deno.test("encodePacketInto() refuses a target that is too small", () => {
  const packet = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
  assert.throws(
    () => encodePacketInto(packet, new Uint8Array(50), { offset: 14 }),
    {
      name: "RangeError",
      message:
        "Cannot encode packet: 40 bytes do not fit at offset 14 of a 50-byte buffer",
    },
  );
  assert.equal(
    encodePacketInto(packet, new Uint8Array(54), { offset: 14 }),
    40,
  );
});

Deno.test("encodePacket() refuses extension headers of a wrong size or on IPv4", () => {
  const v6 = makeTcpPacket({
    src: "2001:db8::1",
    dst: "2001:db8::2",
    protocol: 60,
    extensionHeaders: [{ nextHeader: 6, data: hex`01 02 00 00` }],
  });
  assert.throws(() => encodePacket(v6), {
    name: "RangeError",
    message:
      "Cannot encode IPv6 extension header: data is 4 bytes, must be 6 + 8n (n = 0..255)",
  });
  const v4 = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
  v4.extensionHeaders = [{ nextHeader: 6, data: hex`01 04 00 00 00 00` }];
  assert.throws(() => encodePacket(v4), {
    name: "RangeError",
    message: "Cannot encode packet: IPv6 extension headers on an IPv4 packet",
  });
});

Deno.test("makeTcpPacket() fills in scapy's defaults", () => {
  assert.deepEqual(makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }), {
    ip: {
      version: 4,
      tos: 0,
      id: 1,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: "192.0.2.42",
      dst: "192.0.2.1",
      options: new Uint8Array(),
    },
    tcp: {
      srcPort: 20,
      dstPort: 80,
      seq: 0,
      ack: 0,
      flags: 0x02,
      window: 8192,
      urgentPointer: 0,
      options: [],
      payload: new Uint8Array(),
    },
  });
  assert.deepEqual(
    makeTcpPacket({ src: "2001:db8::1", dst: "2001:db8::2" }).ip,
    {
      version: 6,
      trafficClass: 0,
      flowLabel: 0,
      nextHeader: 6,
      hopLimit: 64,
      src: "2001:db8::1",
      dst: "2001:db8::2",
    },
  );
});

Deno.test("makeTcpPacket() stores addresses as canonical text", () => {
  const packet = makeTcpPacket({
    src: "2001:DB8:0:0:0:0:0:1",
    dst: "[2001:0db8::0002]",
  });
  assert.equal(packet.ip.src, "2001:db8::1");
  assert.equal(packet.ip.dst, "2001:db8::2");
});

Deno.test("makeTcpPacket() refuses addresses of two families", () => {
  assert.throws(() => makeTcpPacket({ src: "192.0.2.1", dst: "2001:db8::1" }), {
    name: "RangeError",
    message:
      "Cannot build packet: source 192.0.2.1 is IPv4 but destination 2001:db8::1 is IPv6",
  });
  assert.throws(() => makeTcpPacket({ src: "2001:db8::1", dst: "192.0.2.1" }), {
    name: "RangeError",
    message:
      "Cannot build packet: source 2001:db8::1 is IPv6 but destination 192.0.2.1 is IPv4",
  });
  assert.throws(
    () => makeTcpPacket({ src: "192.0.2.300", dst: "192.0.2.1" }),
    ParseError,
  );
});

Deno.test("makeTcpPacket() refuses fields of the other family and disagreeing aliases", () => {
  assert.throws(
    () => makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.2", flowLabel: 1 }),
    {
      name: "RangeError",
      message:
        "Cannot build packet: flowLabel applies only to IPv6, and 192.0.2.1 is IPv4",
    },
  );
  assert.throws(
    () => makeTcpPacket({ src: "::1", dst: "::1", dontFragment: true }),
    /dontFragment applies only to IPv4/,
  );
  assert.throws(
    () => makeTcpPacket({ src: "::1", dst: "::1", ttl: 3, hopLimit: 4 }),
    /ttl 3 and hopLimit 4 are the same field and disagree/,
  );
  assert.throws(
    () =>
      makeTcpPacket({
        src: "::1",
        dst: "::1",
        extensionHeaders: [{ nextHeader: 6, data: new Uint8Array(6) }],
      }),
    /set protocol to the type of the first one/,
  );
  // Aliases that agree, and undefined counted as absent.
  const v6 = makeTcpPacket({
    src: "::1",
    dst: "::1",
    ttl: 5,
    hopLimit: 5,
    tos: 4,
    id: undefined,
  });
  assert.equal((v6.ip as { hopLimit: number }).hopLimit, 5);
  assert.equal((v6.ip as { trafficClass: number }).trafficClass, 4);
});

Deno.test("decodePacket() then encodePacket() gives back every prefix of the golden packets, leniently", () => {
  let decodedCount = 0;
  let expectedCount = 0;
  for (const fixture of PACKET_FIXTURES) {
    // Every prefix that still holds the IP headers and 20 TCP bytes decodes.
    expectedCount += fixture.bytes.length -
      decodeIp(fixture.bytes).payloadOffset - 19;
    for (let end = 0; end <= fixture.bytes.length; end++) {
      const bytes = fixture.bytes.slice(0, end);
      let decoded: DecodedTcpPacket;
      try {
        decoded = decodePacket(bytes, { lenient: true });
      } catch (error) {
        assert.ok(error instanceof DecodeError, String(error));
        continue;
      }
      decodedCount++;
      assert.deepEqual(
        encodePacket(decoded),
        bytes,
        `${fixture.name} cut at ${end}`,
      );
    }
  }
  assert.equal(decodedCount, expectedCount);
});

Deno.test("decodePacket() throws nothing but DecodeError, whatever the bytes", () => {
  const mutated = fc.record({
    index: fc.nat(PACKET_FIXTURES.length - 1),
    flips: fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), {
      maxLength: 6,
    }),
    cut: fc.nat(200),
  }).map(({ index, flips, cut }) => {
    const bytes = PACKET_FIXTURES[index]!.bytes.slice();
    for (const [at, value] of flips) {
      if (at < bytes.length) bytes[at] = value;
    }
    return bytes.subarray(0, Math.max(cut, 20));
  });
  const anything = fc.uint8Array({ maxLength: 120 });
  fc.assert(
    fc.property(fc.oneof(mutated, anything), fc.boolean(), (bytes, lenient) => {
      try {
        const packet = decodePacket(bytes, { lenient });
        if (!lenient) {
          assert.deepEqual(
            encodePacket(packet),
            bytes.subarray(0, packetLength(packet)),
          );
        }
        verifyPacketChecksums(bytes);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
      }
    }),
    { numRuns: 3000 },
  );
});
