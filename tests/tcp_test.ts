import assert from "node:assert/strict";
import { parseAddress } from "../src/wire/address.ts";
import { DecodeError } from "../src/wire/errors.ts";
import {
  type DecodedTcpSegment,
  decodeTcp,
  encodeTcp,
  encodeTcpInto,
  TCP_HEADER_OFFSETS,
  tcpChecksum,
  tcpHeaderLength,
  TcpHeaderView,
  type TcpSegment,
  verifyTcpChecksum,
} from "../src/wire/tcp.ts";
import {
  hex,
  linuxSyn,
  MALFORMED_OPTIONS,
  pshAck,
  synAckV6,
  TCP_FIXTURES,
  xmas,
} from "./_tcp_fixtures.ts";

const SRC = "192.0.2.42";
const DST = "192.0.2.1";

/** A model without its checksum, so the encoder computes one. */
function withoutChecksum(segment: TcpSegment): TcpSegment {
  const { checksum: _, ...rest } = segment;
  return rest;
}

/** A plain SYN to build variations on. */
function syn(overrides: Partial<TcpSegment> = {}): TcpSegment {
  return {
    srcPort: 40000,
    dstPort: 80,
    seq: 1,
    ack: 0,
    flags: 0x02,
    window: 1024,
    urgentPointer: 0,
    options: [],
    payload: new Uint8Array(),
    ...overrides,
  };
}

/** A small deterministic generator (xorshift32) for seeded loops. */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

// ---------------------------------------------------------------- golden

for (const fixture of TCP_FIXTURES) {
  Deno.test(`decodeTcp() reads the ${fixture.name} segment as scapy built it`, () => {
    assert.deepEqual(decodeTcp(fixture.bytes), fixture.segment);
  });

  Deno.test(`encodeTcpInto() writes the ${fixture.name} segment byte for byte, checksum computed`, () => {
    const target = new Uint8Array(fixture.bytes.length + 13).fill(0xa5);
    const written = encodeTcpInto(withoutChecksum(fixture.segment), target, {
      src: fixture.src,
      dst: fixture.dst,
      offset: 5,
    });
    assert.equal(written, fixture.bytes.length);
    assert.deepEqual(target.subarray(5, 5 + written), fixture.bytes);
    assert.ok(target.subarray(0, 5).every((byte) => byte === 0xa5));
    assert.ok(target.subarray(5 + written).every((byte) => byte === 0xa5));
  });

  Deno.test(`encodeTcpInto() writes the ${fixture.name} segment with its stored checksum and no addresses`, () => {
    const target = new Uint8Array(fixture.bytes.length).fill(0xa5);
    assert.equal(encodeTcpInto(fixture.segment, target), fixture.bytes.length);
    assert.deepEqual(target, fixture.bytes);
  });

  Deno.test(`encodeTcp() re-encodes the decoded ${fixture.name} segment to the same bytes`, () => {
    const decoded = decodeTcp(fixture.bytes);
    assert.deepEqual(encodeTcp(decoded), fixture.bytes);
    assert.deepEqual(
      encodeTcp(withoutChecksum(decoded), {
        src: fixture.src,
        dst: fixture.dst,
      }),
      fixture.bytes,
    );
    assert.equal(tcpHeaderLength(decoded), decoded.dataOffset * 4);
  });

  Deno.test(`tcpChecksum() gives scapy's checksum for the ${fixture.name} segment`, () => {
    assert.equal(
      tcpChecksum(fixture.bytes, fixture.src, fixture.dst),
      fixture.segment.checksum,
    );
    assert.equal(
      tcpChecksum(
        fixture.bytes,
        parseAddress(fixture.src).bytes,
        parseAddress(fixture.dst).bytes,
      ),
      fixture.segment.checksum,
    );
  });

  Deno.test(`verifyTcpChecksum() accepts the ${fixture.name} segment and rejects every one-bit flip`, () => {
    assert.ok(verifyTcpChecksum(fixture.bytes, fixture.src, fixture.dst));
    const bytes = fixture.bytes.slice();
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
      assert.ok(
        !verifyTcpChecksum(bytes, fixture.src, fixture.dst),
        `bit ${bit}`,
      );
      bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
    }
  });
}

Deno.test("verifyTcpChecksum() rejects a segment checked against the wrong addresses", () => {
  assert.ok(!verifyTcpChecksum(linuxSyn.bytes, linuxSyn.src, "192.0.2.2"));
  assert.ok(!verifyTcpChecksum(synAckV6.bytes, "2001:db8::1", "2001:db8::3"));
});

Deno.test("verifyTcpChecksum() accepts 0xffff where the computed checksum is 0x0000", () => {
  // Find a segment whose checksum computes to 0 by choosing the urgent pointer.
  const segment = syn({ urgentPointer: 0 });
  const first = encodeTcp(segment, { src: SRC, dst: DST });
  const sum = ~decodeTcp(first).checksum & 0xffff; // folded sum with urgent 0
  // Adding u to the sum gives 0xffff when u = 0xffff - sum (one's complement).
  const urgentPointer = 0xffff - sum;
  const bytes = encodeTcp(syn({ urgentPointer }), { src: SRC, dst: DST });
  assert.equal(decodeTcp(bytes).checksum, 0x0000);
  assert.ok(verifyTcpChecksum(bytes, SRC, DST));
  bytes[16] = 0xff;
  bytes[17] = 0xff;
  assert.ok(verifyTcpChecksum(bytes, SRC, DST));
  assert.equal(tcpChecksum(bytes, SRC, DST), 0x0000);
});

Deno.test("tcpChecksum() and verifyTcpChecksum() refuse fewer than 20 bytes and mixed families", () => {
  assert.throws(() => tcpChecksum(new Uint8Array(19), SRC, DST), {
    name: "DecodeError",
    message:
      "Cannot decode TCP header: buffer is 19 bytes, expected at least 20",
  });
  assert.throws(
    () => verifyTcpChecksum(new Uint8Array(3), SRC, DST),
    DecodeError,
  );
  assert.throws(() => tcpChecksum(xmas.bytes, SRC, "2001:db8::1"), {
    name: "RangeError",
    message:
      "Cannot compute TCP checksum: mixed address families (src is IPv4, dst is IPv6)",
  });
  assert.throws(() => verifyTcpChecksum(xmas.bytes, "2001:db8::1", DST), {
    name: "RangeError",
    message:
      "Cannot verify TCP checksum: mixed address families (src is IPv6, dst is IPv4)",
  });
});

// ---------------------------------------------------------------- encoding

Deno.test("encodeTcp() pads options to a multiple of 4 bytes", () => {
  const segment = syn({
    options: [{ kind: "mss", value: 1460 }, { kind: "wscale", shift: 7 }],
    payload: hex`aa`,
  });
  const bytes = encodeTcp(segment, { src: SRC, dst: DST });
  assert.equal(bytes.length, 29);
  assert.equal(bytes[12]! >> 4, 7);
  assert.deepEqual(bytes.subarray(20), hex`02 04 05 b4 03 03 07 00 aa`);
  assert.ok(verifyTcpChecksum(bytes, SRC, DST));
  const target = new Uint8Array(29).fill(0xa5);
  encodeTcpInto(segment, target, { src: SRC, dst: DST });
  assert.deepEqual(target, bytes);
});

Deno.test("encodeTcp() writes padding after the options, then zeros to a multiple of 4", () => {
  const bytes = encodeTcp(
    syn({
      options: [{ kind: "nop" }, { kind: "eol" }],
      padding: hex`ee dd dd`,
      checksum: 0,
    }),
  );
  assert.deepEqual(bytes.subarray(20), hex`01 00 ee dd dd 00 00 00`);
  assert.equal(bytes[12]! >> 4, 7);
});

Deno.test("decodeTcp() and encodeTcp() round-trip option areas under the padding rule", () => {
  const areas = [
    hex`03 03 07 00`,
    hex`00 00 00 00`,
    hex`01 00 ee 00`,
    hex`03 03 07 00 00 00 00 00`,
    hex`02 04 05 b4 00 00 00 00`,
    hex`01 01 01 00`,
    hex`00 ff ff ff ff ff ff ff`,
  ];
  for (const area of areas) {
    const header = encodeTcp(syn({ checksum: 0x1234 }));
    const bytes = new Uint8Array([...header, ...area]);
    bytes[12] = ((bytes.length / 4) << 4) | (bytes[12]! & 0x0f);
    const decoded = decodeTcp(bytes);
    assert.deepEqual(encodeTcp(decoded), bytes, `area ${area}`);
    assert.deepEqual(decodeTcp(encodeTcp(decoded)), decoded);
  }
});

Deno.test("encodeTcp() writes a bogus dataOffset as given and lays out the rest as computed", () => {
  for (const dataOffset of [0, 2, 4, 9, 15]) {
    const bytes = encodeTcp(
      syn({
        dataOffset,
        options: [{ kind: "mss", value: 1460 }],
        payload: hex`aa bb`,
      }),
      { src: SRC, dst: DST },
    );
    assert.equal(bytes.length, 26);
    assert.equal(bytes[12], dataOffset << 4);
    assert.deepEqual(bytes.subarray(20), hex`02 04 05 b4 aa bb`);
    assert.ok(verifyTcpChecksum(bytes, SRC, DST));
  }
});

Deno.test("encodeTcp() writes reserved bits, AE and an explicit checksum as given", () => {
  const bytes = encodeTcp(syn({ reserved: 7, flags: 0x1ff, checksum: 0xbeef }));
  assert.equal(bytes[12], 0x5f);
  assert.equal(bytes[13], 0xff);
  assert.equal(bytes[16], 0xbe);
  assert.equal(bytes[17], 0xef);
  const decoded = decodeTcp(bytes);
  assert.equal(decoded.reserved, 7);
  assert.equal(decoded.flags, 0x1ff);
  assert.equal(decoded.checksum, 0xbeef);
  assert.equal(
    encodeTcp(syn({ reserved: 2, flags: 0x100, checksum: 0 }))[12],
    0x55,
  );
});

Deno.test("encodeTcp() refuses a header over 60 bytes unless dataOffset is given", () => {
  const options = Array.from({ length: 41 }, () => ({ kind: "nop" as const }));
  assert.throws(() => encodeTcp(syn({ options }), { src: SRC, dst: DST }), {
    name: "RangeError",
    message:
      "Cannot encode TCP header: options and padding make a 64-byte header, more than 60 (give dataOffset to write it anyway)",
  });
  assert.throws(
    () =>
      encodeTcp(syn({ options: options.slice(1), padding: hex`00` }), {
        src: SRC,
        dst: DST,
      }),
    RangeError,
  );
  assert.equal(
    encodeTcp(syn({ options: options.slice(1) }), { src: SRC, dst: DST })
      .length,
    60,
  );
  const bytes = encodeTcp(syn({ options, dataOffset: 15 }), {
    src: SRC,
    dst: DST,
  });
  assert.equal(bytes.length, 64);
  assert.equal(bytes[12]! >> 4, 15);
  assert.deepEqual(bytes.subarray(61), hex`00 00 00`);
  assert.ok(verifyTcpChecksum(bytes, SRC, DST));
  assert.equal(tcpHeaderLength(syn({ options, dataOffset: 15 })), 64);
});

Deno.test("encodeTcp() refuses each field out of range with a RangeError naming it", () => {
  const cases: [Partial<TcpSegment>, string][] = [
    [{ srcPort: 70000 }, "srcPort 70000 is not in 0..65535"],
    [{ dstPort: -1 }, "dstPort -1 is not in 0..65535"],
    [{ seq: 2 ** 32 }, "seq 4294967296 is not in 0..4294967295"],
    [{ ack: 1.5 }, "ack 1.5 is not in 0..4294967295"],
    [{ flags: 0x200 }, "flags 512 is not in 0..511"],
    [{ window: 65536 }, "window 65536 is not in 0..65535"],
    [{ urgentPointer: NaN }, "urgentPointer NaN is not in 0..65535"],
    [{ reserved: 8 }, "reserved 8 is not in 0..7"],
    [{ dataOffset: 16 }, "dataOffset 16 is not in 0..15"],
    [{ checksum: 0x10000 }, "checksum 65536 is not in 0..65535"],
  ];
  for (const [overrides, reason] of cases) {
    assert.throws(() => encodeTcp(syn(overrides), { src: SRC, dst: DST }), {
      name: "RangeError",
      message: `Cannot encode TCP header: ${reason}`,
    });
  }
  assert.throws(
    () =>
      encodeTcp(syn({ options: [{ kind: "mss", value: 70000 }] }), {
        src: SRC,
        dst: DST,
      }),
    {
      name: "RangeError",
      message: "Cannot encode TCP option mss: value 70000 is not in 0..65535",
    },
  );
});

Deno.test("encodeTcp() needs both addresses, of one family, to compute the checksum", () => {
  const message =
    "Cannot encode TCP header: the checksum needs src and dst addresses for the pseudo-header (or give checksum)";
  assert.throws(() => encodeTcp(syn()), { name: "RangeError", message });
  assert.throws(() => encodeTcp(syn(), { src: SRC }), {
    name: "RangeError",
    message,
  });
  assert.throws(() => encodeTcp(syn(), { dst: DST }), {
    name: "RangeError",
    message,
  });
  assert.throws(() => encodeTcp(syn(), { src: SRC, dst: "2001:db8::1" }), {
    name: "RangeError",
    message:
      "Cannot encode TCP header: mixed address families (src is IPv4, dst is IPv6)",
  });
  assert.throws(
    () => encodeTcp(syn(), { src: "2001:db8::1", dst: new Uint8Array(4) }),
    {
      name: "RangeError",
      message:
        "Cannot encode TCP header: mixed address families (src is IPv6, dst is IPv4)",
    },
  );
  assert.equal(encodeTcp(syn({ checksum: 7 })).length, 20);
});

Deno.test("encodeTcpInto() refuses a target too small and leaves it untouched", () => {
  const target = new Uint8Array(30).fill(0xa5);
  assert.throws(
    () =>
      encodeTcpInto(syn({ payload: new Uint8Array(5) }), target, {
        src: SRC,
        dst: DST,
        offset: 6,
      }),
    {
      name: "RangeError",
      message:
        "Cannot encode TCP header: the segment is 25 bytes, but the target has 24 bytes from offset 6",
    },
  );
  assert.throws(
    () => encodeTcpInto(syn(), target, { src: SRC, dst: "::1", offset: 0 }),
    /mixed address families/,
  );
  assert.throws(
    () =>
      encodeTcpInto(
        syn({ options: [{ kind: "wscale", shift: 256 }] }),
        target,
        { src: SRC, dst: DST },
      ),
    RangeError,
  );
  assert.throws(
    () => encodeTcpInto(syn({ checksum: 1 }), target, { offset: 31 }),
    { message: "Cannot encode TCP header: offset 31 is not in 0..30" },
  );
  assert.throws(
    () => encodeTcpInto(syn(), target, { offset: -1, src: SRC, dst: DST }),
    {
      message: "Cannot encode TCP header: offset -1 is not in 0..30",
    },
  );
  assert.ok(target.every((byte) => byte === 0xa5));
  assert.equal(
    encodeTcpInto(syn({ payload: new Uint8Array(5) }), target, {
      src: SRC,
      dst: DST,
      offset: 5,
    }),
    25,
  );
});

Deno.test("tcpHeaderLength() counts the fixed header, options and padding rounded up to 4", () => {
  assert.equal(tcpHeaderLength(syn()), 20);
  assert.equal(tcpHeaderLength(syn({ options: [{ kind: "nop" }] })), 24);
  assert.equal(
    tcpHeaderLength(syn({ options: [{ kind: "mss", value: 1 }] })),
    24,
  );
  assert.equal(
    tcpHeaderLength(
      syn({ options: [{ kind: "mss", value: 1 }], padding: hex`00` }),
    ),
    28,
  );
  assert.equal(tcpHeaderLength(linuxSyn.segment), 40);
  assert.equal(tcpHeaderLength(pshAck.segment), 52);
});

Deno.test("TCP_HEADER_OFFSETS places each field where scapy's bytes have it", () => {
  const bytes = linuxSyn.bytes;
  const o = TCP_HEADER_OFFSETS;
  const at16 = (at: number) => (bytes[at]! << 8) | bytes[at + 1]!;
  assert.equal(at16(o.srcPort), 45678);
  assert.equal(at16(o.dstPort), 80);
  assert.equal(at16(o.seq) * 0x10000 + at16(o.seq + 2), 1804289383);
  assert.equal(at16(o.window), 64240);
  assert.equal(at16(o.checksum), 0x5951);
  assert.equal(bytes[o.options], 2);
});

// ---------------------------------------------------------------- decoding

Deno.test("decodeTcp() refuses a buffer under 20 bytes, even when lenient", () => {
  for (let length = 0; length < 20; length++) {
    for (const lenient of [false, true]) {
      assert.throws(
        () => decodeTcp(new Uint8Array(length), { lenient }),
        (error) => {
          assert.ok(error instanceof DecodeError);
          assert.equal(error.kind, "truncated");
          assert.equal(error.layer, "TCP header");
          assert.equal(
            error.message,
            `Cannot decode TCP header: buffer is ${length} bytes, expected at least 20`,
          );
          return true;
        },
      );
    }
  }
});

/** The xmas fixture with byte 12 set to a data offset, checksum as stored. */
function withDataOffset(bytes: Uint8Array, dataOffset: number): Uint8Array {
  const copy = bytes.slice();
  copy[12] = (dataOffset << 4) | (copy[12]! & 0x0f);
  return copy;
}

Deno.test("decodeTcp() refuses a data offset under 5", () => {
  for (let dataOffset = 0; dataOffset < 5; dataOffset++) {
    const bytes = withDataOffset(pshAck.bytes, dataOffset);
    assert.throws(() => decodeTcp(bytes), (error) => {
      assert.ok(error instanceof DecodeError);
      assert.equal(error.kind, "malformed");
      assert.equal(error.offset, 12);
      assert.equal(
        error.message,
        `Cannot decode TCP header: data offset ${dataOffset} at byte 12 is under 5 (a header is at least 20 bytes)`,
      );
      return true;
    });
  }
});

Deno.test("decodeTcp() in lenient mode reads a data offset under 5 as a 20-byte header and re-encodes it exactly", () => {
  for (let dataOffset = 0; dataOffset < 5; dataOffset++) {
    const bytes = withDataOffset(pshAck.bytes, dataOffset);
    const decoded = decodeTcp(bytes, { lenient: true });
    assert.equal(decoded.dataOffset, dataOffset);
    assert.deepEqual(decoded.options, []);
    assert.deepEqual(decoded.payload, pshAck.bytes.subarray(20));
    assert.deepEqual(encodeTcp(decoded), bytes);
  }
});

Deno.test("decodeTcp() refuses a data offset past the end of the buffer", () => {
  const bytes = withDataOffset(xmas.bytes, 6);
  assert.throws(() => decodeTcp(bytes), (error) => {
    assert.ok(error instanceof DecodeError);
    assert.equal(error.kind, "truncated");
    assert.equal(error.offset, 12);
    assert.equal(
      error.message,
      "Cannot decode TCP header: data offset 6 at byte 12 makes a 24-byte header, but the buffer is 20 bytes",
    );
    return true;
  });
  assert.throws(() => decodeTcp(linuxSyn.bytes.subarray(0, 39)), {
    message:
      "Cannot decode TCP header: data offset 10 at byte 12 makes a 40-byte header, but the buffer is 39 bytes",
  });
});

Deno.test("decodeTcp() in lenient mode reads a data offset past the end up to the buffer's last whole word and re-encodes it exactly", () => {
  for (let length = 20; length < 40; length++) {
    const bytes = linuxSyn.bytes.slice(0, length);
    const decoded = decodeTcp(bytes, { lenient: true });
    assert.equal(decoded.dataOffset, 10);
    assert.equal(decoded.payload.length, (length - 20) % 4);
    assert.deepEqual(encodeTcp(decoded), bytes, `length ${length}`);
  }
  assert.deepEqual(
    decodeTcp(linuxSyn.bytes.slice(0, 28), { lenient: true }).options,
    [
      { kind: "mss", value: 1460 },
      { kind: "sackOk" },
      { kind: "raw", bytes: hex`08 0a` },
    ],
  );
});

for (const bad of MALFORMED_OPTIONS) {
  /** A header from the xmas fixture followed by the bad option area. */
  const bytes = new Uint8Array([...xmas.bytes, ...bad.bytes, 0x61, 0x62, 0x63]);
  bytes[12] = (((20 + bad.bytes.length) / 4) << 4) | (bytes[12]! & 0x0f);

  Deno.test(`decodeTcp() refuses an option with ${bad.what}, naming its offset in the header`, () => {
    assert.throws(() => decodeTcp(bytes), (error) => {
      assert.ok(error instanceof DecodeError);
      assert.equal(error.kind, "malformed");
      assert.equal(error.offset, bad.offset);
      assert.equal(error.message, `Cannot decode TCP options: ${bad.reason}`);
      return true;
    });
  });

  Deno.test(`decodeTcp() in lenient mode re-encodes a segment with an option with ${bad.what} exactly`, () => {
    const decoded = decodeTcp(bytes, { lenient: true });
    assert.equal(decoded.options.at(-1)?.kind, "raw");
    assert.deepEqual(decoded.payload, hex`61 62 63`);
    assert.deepEqual(encodeTcp(decoded), bytes);
  });
}

Deno.test("decodeTcp() in lenient mode never throws for 20 bytes or more and re-encodes random segments exactly", () => {
  const next = xorshift(0x5eed);
  for (let round = 0; round < 2000; round++) {
    const length = 20 + (next() % 61);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const r = next();
      // Option bytes drawn mostly from small values so that real options appear.
      bytes[i] = i >= 20 && r % 2 === 0 ? (r >>> 8) % 12 : r >>> 24;
    }
    const decoded = decodeTcp(bytes, { lenient: true });
    assert.deepEqual(encodeTcp(decoded), bytes, `round ${round}`);
    let strict: DecodedTcpSegment | undefined;
    try {
      strict = decodeTcp(bytes);
    } catch (error) {
      assert.ok(error instanceof DecodeError, String(error));
    }
    if (strict !== undefined) assert.deepEqual(strict, decoded);
  }
});

Deno.test("decodeTcp() returns a payload and options that do not share memory with the input", () => {
  const bytes = pshAck.bytes.slice();
  const decoded = decodeTcp(bytes);
  bytes.fill(0);
  assert.deepEqual(decoded, pshAck.segment);
});

Deno.test("decodeTcp() reads a segment inside a larger buffer through a subarray", () => {
  const buffer = new Uint8Array(100).fill(0xa5);
  buffer.set(pshAck.bytes, 17);
  const decoded = decodeTcp(buffer.subarray(17, 17 + pshAck.bytes.length));
  assert.deepEqual(decoded, pshAck.segment);
});

// ---------------------------------------------------------------- view

Deno.test("TcpHeaderView reads every field of each fixture", () => {
  for (const fixture of TCP_FIXTURES) {
    const buffer = new Uint8Array(fixture.bytes.length + 3);
    buffer.set(fixture.bytes, 3);
    const view = new TcpHeaderView(buffer, 3);
    const s = fixture.segment;
    assert.deepEqual(
      {
        srcPort: view.srcPort,
        dstPort: view.dstPort,
        seq: view.seq,
        ack: view.ack,
        dataOffset: view.dataOffset,
        reserved: view.reserved,
        flags: view.flags,
        window: view.window,
        checksum: view.checksum,
        urgentPointer: view.urgentPointer,
      },
      {
        srcPort: s.srcPort,
        dstPort: s.dstPort,
        seq: s.seq,
        ack: s.ack,
        dataOffset: s.dataOffset,
        reserved: s.reserved,
        flags: s.flags,
        window: s.window,
        checksum: s.checksum,
        urgentPointer: s.urgentPointer,
      },
      fixture.name,
    );
    assert.equal(view.headerLength, s.dataOffset * 4);
    assert.equal(view.bytes, buffer);
    assert.equal(view.offset, 3);
  }
});

Deno.test("TcpHeaderView setters write each field where the encoder would", () => {
  const base: DecodedTcpSegment = { ...linuxSyn.segment };
  const changes: Partial<DecodedTcpSegment>[] = [
    { srcPort: 0xfedc },
    { dstPort: 1 },
    { seq: 0xffffffff },
    { ack: 0x80000001 },
    { dataOffset: 3 },
    { reserved: 6 },
    { flags: 0x1ab },
    { window: 0x0102 },
    { checksum: 0xabcd },
    { urgentPointer: 0xffff },
  ];
  for (const change of changes) {
    const bytes = linuxSyn.bytes.slice();
    const view = new TcpHeaderView(bytes);
    const [[key, value]] = Object.entries(change) as [
      [keyof TcpHeaderView, number],
    ];
    (view as unknown as Record<string, number>)[key] = value;
    assert.equal(view[key], value);
    assert.deepEqual(bytes, encodeTcp({ ...base, ...change }), key);
  }
});

Deno.test("TcpHeaderView setters of byte 12 leave the neighbouring bits alone", () => {
  const bytes = encodeTcp(
    syn({ dataOffset: 0xa, reserved: 5, flags: 0x1ff, checksum: 0 }),
  );
  const view = new TcpHeaderView(bytes);
  view.dataOffset = 6;
  assert.deepEqual([view.dataOffset, view.reserved, view.flags], [6, 5, 0x1ff]);
  view.reserved = 2;
  assert.deepEqual([view.dataOffset, view.reserved, view.flags], [6, 2, 0x1ff]);
  view.flags = 0x002;
  assert.deepEqual([view.dataOffset, view.reserved, view.flags], [6, 2, 0x002]);
  view.flags = 0x100;
  assert.deepEqual([view.dataOffset, view.reserved, view.flags], [6, 2, 0x100]);
  assert.equal(bytes[12], 0x65);
  assert.equal(bytes[13], 0x00);
});

Deno.test("TcpHeaderView setters refuse values out of range and change nothing", () => {
  const bytes = linuxSyn.bytes.slice();
  const view = new TcpHeaderView(bytes);
  assert.throws(() => (view.srcPort = 65536), {
    name: "RangeError",
    message: "Cannot encode TCP header: srcPort 65536 is not in 0..65535",
  });
  assert.throws(() => (view.seq = -1), RangeError);
  assert.throws(() => (view.flags = 0x200), RangeError);
  assert.throws(() => (view.dataOffset = 16), RangeError);
  assert.throws(() => (view.reserved = 8), RangeError);
  assert.throws(() => (view.checksum = 0x10000), RangeError);
  assert.throws(() => view.setDstPortAndSeq(80, 2 ** 32), RangeError);
  assert.throws(
    () => view.patch({ window: 1, urgentPointer: 70000 }),
    RangeError,
  );
  assert.throws(() => view.patch({ checksum: 1 } as never), {
    name: "RangeError",
    message: 'Cannot patch TCP header: unknown field "checksum"',
  });
  assert.deepEqual(bytes, linuxSyn.bytes);
});

Deno.test("TcpHeaderView refuses a buffer with fewer than 20 bytes after the offset", () => {
  assert.throws(() => new TcpHeaderView(new Uint8Array(19)), {
    name: "DecodeError",
    message:
      "Cannot decode TCP header: buffer is 19 bytes from offset 0, expected at least 20",
  });
  assert.throws(() => new TcpHeaderView(new Uint8Array(40), 21), DecodeError);
  assert.throws(() => new TcpHeaderView(new Uint8Array(40), -1), RangeError);
  assert.equal(new TcpHeaderView(new Uint8Array(40), 20).srcPort, 0);
});

Deno.test("TcpHeaderView.setDstPortAndSeq() keeps the checksum equal to a full recomputation", () => {
  const next = xorshift(0xc0ffee);
  for (const fixture of TCP_FIXTURES) {
    const bytes = fixture.bytes.slice();
    const view = new TcpHeaderView(bytes);
    for (let i = 0; i < 200; i++) {
      const port = next() & 0xffff;
      const seq = next();
      view.setDstPortAndSeq(port, seq);
      assert.equal(view.dstPort, port);
      assert.equal(view.seq, seq);
      assert.equal(
        view.checksum,
        tcpChecksum(bytes, fixture.src, fixture.dst),
        fixture.name,
      );
    }
    // Extremes.
    for (
      const [port, seq] of [[0, 0], [0xffff, 0xffffffff], [
        0,
        0xffffffff,
      ]] as const
    ) {
      view.setDstPortAndSeq(port, seq);
      assert.equal(view.checksum, tcpChecksum(bytes, fixture.src, fixture.dst));
    }
  }
});

Deno.test("TcpHeaderView.patch() keeps the checksum equal to a full recomputation", () => {
  const next = xorshift(0xbadf00d);
  const fields = [
    ["srcPort", 0xffff],
    ["dstPort", 0xffff],
    ["seq", 0xffffffff],
    ["ack", 0xffffffff],
    ["dataOffset", 15],
    ["reserved", 7],
    ["flags", 0x1ff],
    ["window", 0xffff],
    ["urgentPointer", 0xffff],
  ] as const;
  for (const fixture of TCP_FIXTURES) {
    const bytes = fixture.bytes.slice();
    const view = new TcpHeaderView(bytes);
    for (let i = 0; i < 200; i++) {
      const patch: Record<string, number> = {};
      for (const [name, max] of fields) {
        if (next() % 3 === 0) patch[name] = next() % (max + 1);
      }
      view.patch(patch);
      for (const [name, value] of Object.entries(patch)) {
        assert.equal(view[name as keyof TcpHeaderView], value);
      }
      assert.equal(
        view.checksum,
        tcpChecksum(bytes, fixture.src, fixture.dst),
        fixture.name,
      );
      assert.ok(verifyTcpChecksum(bytes, fixture.src, fixture.dst));
    }
  }
});

Deno.test("TcpHeaderView.patch() keeps a wrong checksum wrong", () => {
  const bytes = xmas.bytes.slice();
  const view = new TcpHeaderView(bytes);
  view.checksum = (view.checksum + 1) & 0xffff;
  view.patch({ dstPort: 22, seq: 99 });
  assert.ok(!verifyTcpChecksum(bytes, xmas.src, xmas.dst));
  view.setDstPortAndSeq(23, 100);
  assert.ok(!verifyTcpChecksum(bytes, xmas.src, xmas.dst));
});

Deno.test("TcpHeaderView plain setters leave the checksum as stored", () => {
  const bytes = xmas.bytes.slice();
  const view = new TcpHeaderView(bytes);
  view.dstPort = 667;
  assert.equal(view.checksum, xmas.segment.checksum);
  assert.ok(!verifyTcpChecksum(bytes, xmas.src, xmas.dst));
});
