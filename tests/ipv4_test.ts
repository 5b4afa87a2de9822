import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  type DecodedIpv4Header,
  DecodeError,
  decodeIpv4,
  encodeIpv4Header,
  encodeIpv4HeaderInto,
  IPV4_HEADER_OFFSETS,
  type Ipv4Header,
  ipv4HeaderLength,
  ParseError,
  verifyIpv4Checksum,
} from "../mod.ts";
import {
  hex,
  PACKET_FIXTURES,
  pythonHas,
  runPython,
  seededRandom,
  xmas,
} from "./_fixtures.ts";

const V4_FIXTURES = PACKET_FIXTURES.filter((f) => f.packet.ip.version === 4);

const BASE: Ipv4Header = {
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
};

function catchDecodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw new Error(`expected a DecodeError, got ${error}`, { cause: error });
  }
  throw new Error("expected a DecodeError, nothing was thrown");
}

function withoutComputed(header: DecodedIpv4Header): Ipv4Header {
  const { ihl: _i, totalLength: _t, checksum: _c, ...rest } = header;
  return rest;
}

Deno.test("IPV4_HEADER_OFFSETS places the fields where RFC 791 does", () => {
  assert.deepEqual({ ...IPV4_HEADER_OFFSETS }, {
    versionIhl: 0,
    tos: 1,
    totalLength: 2,
    id: 4,
    flagsFragmentOffset: 6,
    ttl: 8,
    protocol: 9,
    checksum: 10,
    src: 12,
    dst: 16,
    options: 20,
  });
});

for (const fixture of V4_FIXTURES) {
  const header = fixture.packet.ip as DecodedIpv4Header;
  const headerLength = header.ihl * 4;

  Deno.test(`decodeIpv4() reads the ${fixture.name} header as scapy does`, () => {
    const decoded = decodeIpv4(fixture.bytes);
    assert.deepEqual(decoded.header, header);
    assert.deepEqual(decoded.payload, fixture.bytes.subarray(headerLength));
  });

  Deno.test(`encodeIpv4HeaderInto() writes the ${fixture.name} header into a 0xa5-filled buffer`, () => {
    const payloadLength = fixture.bytes.length - headerLength;
    for (const model of [header, withoutComputed(header)]) {
      const buffer = new Uint8Array(headerLength + 8).fill(0xa5);
      const written = encodeIpv4HeaderInto(model, buffer, {
        payloadLength,
        offset: 4,
      });
      assert.equal(written, headerLength);
      assert.deepEqual(
        buffer.subarray(4, 4 + written),
        fixture.bytes.subarray(0, headerLength),
      );
      assert.ok(buffer.subarray(0, 4).every((b) => b === 0xa5));
      assert.ok(buffer.subarray(4 + written).every((b) => b === 0xa5));
      assert.deepEqual(
        encodeIpv4Header(model, { payloadLength }),
        fixture.bytes.subarray(0, headerLength),
      );
    }
    assert.ok(verifyIpv4Checksum(fixture.bytes));
  });
}

Deno.test("encodeIpv4Header() pads options with zero bytes to a multiple of 4", () => {
  const header = { ...BASE, options: hex`01 01 01` };
  assert.equal(ipv4HeaderLength(header), 24);
  const buffer = new Uint8Array(24).fill(0xa5);
  encodeIpv4HeaderInto(header, buffer, { payloadLength: 0 });
  assert.equal(buffer[0], 0x46);
  assert.deepEqual(buffer.subarray(20), hex`01 01 01 00`);
  assert.equal((buffer[2]! << 8) | buffer[3]!, 24);
  assert.ok(verifyIpv4Checksum(buffer));
  assert.deepEqual(decodeIpv4(buffer).header.options, hex`01 01 01 00`);
});

Deno.test("encodeIpv4Header() refuses options over 40 bytes", () => {
  assert.equal(ipv4HeaderLength({ ...BASE, options: new Uint8Array(40) }), 60);
  assert.throws(
    () =>
      encodeIpv4Header({ ...BASE, options: new Uint8Array(41) }, {
        payloadLength: 0,
      }),
    {
      name: "RangeError",
      message:
        "Cannot encode IPv4 header: options are 41 bytes, at most 40 fit",
    },
  );
});

Deno.test("encodeIpv4Header() refuses out-of-range fields, naming field and value", () => {
  const cases: [Partial<Ipv4Header>, string][] = [
    [{ tos: 256 }, "tos 256 is not in 0..255"],
    [{ id: 65536 }, "id 65536 is not in 0..65535"],
    [{ id: -1 }, "id -1 is not in 0..65535"],
    [{ fragmentOffset: 8192 }, "fragmentOffset 8192 is not in 0..8191"],
    [{ ttl: 256 }, "ttl 256 is not in 0..255"],
    [{ ttl: 1.5 }, "ttl 1.5 is not in 0..255"],
    [{ protocol: 300 }, "protocol 300 is not in 0..255"],
    [{ ihl: 16 }, "ihl 16 is not in 0..15"],
    [{ totalLength: 65536 }, "totalLength 65536 is not in 0..65535"],
    [{ checksum: 0x10000 }, "checksum 65536 is not in 0..65535"],
    [{ version: 6 as 4 }, "version 6 is not 4"],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => encodeIpv4Header({ ...BASE, ...change }, { payloadLength: 0 }),
      { name: "RangeError", message: `Cannot encode IPv4 header: ${message}` },
    );
  }
  assert.throws(() => encodeIpv4Header(BASE, { payloadLength: 65516 }), {
    name: "RangeError",
    message:
      "Cannot encode IPv4 header: total length 65536 (header 20 + payload 65516) is over 65535",
  });
  assert.equal(encodeIpv4Header(BASE, { payloadLength: 65515 })[2], 0xff);
  assert.throws(
    () => encodeIpv4Header(BASE, { payloadLength: -1 }),
    /payloadLength -1/,
  );
});

Deno.test("encodeIpv4Header() refuses addresses that are not IPv4", () => {
  assert.throws(
    () =>
      encodeIpv4Header({ ...BASE, dst: "2001:db8::1" }, { payloadLength: 0 }),
    ParseError,
  );
  assert.throws(
    () =>
      encodeIpv4Header({ ...BASE, src: "192.0.2.256" }, { payloadLength: 0 }),
    ParseError,
  );
});

Deno.test("encodeIpv4HeaderInto() refuses a target too small for the header", () => {
  assert.throws(
    () =>
      encodeIpv4HeaderInto(BASE, new Uint8Array(30), {
        payloadLength: 0,
        offset: 12,
      }),
    {
      name: "RangeError",
      message:
        "Cannot encode IPv4 header: 20 bytes do not fit at offset 12 of a 30-byte buffer",
    },
  );
});

Deno.test("encodeIpv4Header() writes the reserved bit, DF, MF and the 13-bit fragment offset", () => {
  const cases: [Partial<Ipv4Header>, number][] = [
    [{}, 0x0000],
    [{ reservedBit: true }, 0x8000],
    [{ dontFragment: true }, 0x4000],
    [{ moreFragments: true }, 0x2000],
    [{ fragmentOffset: 0x1fff }, 0x1fff],
    [{ moreFragments: true, fragmentOffset: 185 }, 0x20b9],
    [{
      reservedBit: true,
      dontFragment: true,
      moreFragments: true,
      fragmentOffset: 0x1fff,
    }, 0xffff],
  ];
  for (const [change, word] of cases) {
    const bytes = encodeIpv4Header({ ...BASE, ...change }, {
      payloadLength: 0,
    });
    assert.equal((bytes[6]! << 8) | bytes[7]!, word);
    const decoded = decodeIpv4(bytes).header;
    assert.equal(decoded.reservedBit, change.reservedBit ?? false);
    assert.equal(decoded.dontFragment, change.dontFragment ?? false);
    assert.equal(decoded.moreFragments, change.moreFragments ?? false);
    assert.equal(decoded.fragmentOffset, change.fragmentOffset ?? 0);
  }
});

Deno.test("encodeIpv4Header() writes IHL, total length and checksum overrides as given", () => {
  const bytes = encodeIpv4Header(
    { ...BASE, ihl: 4, totalLength: 1500, checksum: 0xdead },
    { payloadLength: 20 },
  );
  assert.deepEqual(bytes.subarray(0, 4), hex`44 00 05 dc`);
  assert.deepEqual(bytes.subarray(10, 12), hex`de ad`);
  assert.equal(verifyIpv4Checksum(bytes), false);
  // A wrong total length with a computed checksum: the checksum is right.
  const computed = encodeIpv4Header({ ...BASE, totalLength: 1500 }, {
    payloadLength: 20,
  });
  assert.ok(verifyIpv4Checksum(computed));
});

Deno.test("decodeIpv4() ignores bytes after the total length (Ethernet padding)", () => {
  const padded = new Uint8Array([...xmas.bytes, 0, 0, 0, 0, 0, 0]);
  const plain = decodeIpv4(xmas.bytes);
  const decoded = decodeIpv4(padded);
  assert.deepEqual(decoded.header, plain.header);
  assert.deepEqual(decoded.payload, plain.payload);
  assert.equal(decoded.payload.length, 20);
});

/** xmas with some bytes changed, and a length. */
function xmasWith(length: number, changes: Record<number, number>): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes.set(xmas.bytes.subarray(0, Math.min(length, xmas.bytes.length)));
  for (const [at, value] of Object.entries(changes)) bytes[Number(at)] = value;
  return bytes;
}

const STRICT_ERRORS: {
  name: string;
  bytes: Uint8Array;
  kind: string;
  offset: number;
  message: string;
}[] = [
  {
    name: "under 20 bytes",
    bytes: xmas.bytes.slice(0, 12),
    kind: "truncated",
    offset: 0,
    message: "buffer is 12 bytes, expected at least 20",
  },
  {
    name: "version 6",
    bytes: xmasWith(40, { 0: 0x65 }),
    kind: "malformed",
    offset: 0,
    message: "version 6 at byte 0 is not 4",
  },
  {
    name: "IHL 4",
    bytes: xmasWith(40, { 0: 0x44 }),
    kind: "malformed",
    offset: 0,
    message: "IHL 4 at byte 0 is less than 5",
  },
  {
    name: "IHL past the buffer",
    bytes: xmasWith(40, { 0: 0x4f }),
    kind: "truncated",
    offset: 0,
    message:
      "IHL 15 at byte 0 means a 60-byte header, past the end of the 40-byte buffer",
  },
  {
    name: "total length under the header",
    bytes: xmasWith(40, { 2: 0, 3: 19 }),
    kind: "malformed",
    offset: 2,
    message: "total length 19 at byte 2 is less than the 20-byte header",
  },
  {
    name: "total length past the buffer",
    bytes: xmasWith(60, { 2: 0x05, 3: 0xdc }),
    kind: "truncated",
    offset: 2,
    message:
      "total length 1500 at byte 2 is past the end of the 60-byte buffer",
  },
];

for (const c of STRICT_ERRORS) {
  Deno.test(`decodeIpv4() refuses a header with ${c.name}`, () => {
    const error = catchDecodeError(() => decodeIpv4(c.bytes));
    assert.equal(error.kind, c.kind);
    assert.equal(error.layer, "IPv4 header");
    assert.equal(error.offset, c.offset);
    assert.equal(error.message, `Cannot decode IPv4 header: ${c.message}`);
  });
}

Deno.test("decodeIpv4() lenient still refuses under 20 bytes and a version other than 4", () => {
  for (const c of STRICT_ERRORS.slice(0, 2)) {
    assert.throws(() => decodeIpv4(c.bytes, { lenient: true }), DecodeError);
  }
});

Deno.test("decodeIpv4() lenient reads inconsistent lengths and re-encodes the same bytes", () => {
  const expectations: Record<
    string,
    { headerLength: number; payload: number }
  > = {
    "IHL 4": { headerLength: 20, payload: 20 },
    "IHL past the buffer": { headerLength: 40, payload: 0 },
    "total length under the header": { headerLength: 20, payload: 20 },
    "total length past the buffer": { headerLength: 20, payload: 40 },
  };
  for (const c of STRICT_ERRORS.slice(2)) {
    const { header, payload } = decodeIpv4(c.bytes, { lenient: true });
    const expected = expectations[c.name]!;
    assert.equal(header.options.length, expected.headerLength - 20, c.name);
    assert.equal(payload.length, expected.payload, c.name);
    const again = new Uint8Array([
      ...encodeIpv4Header(header, { payloadLength: payload.length }),
      ...payload,
    ]);
    assert.deepEqual(again, c.bytes, c.name);
  }
  // IHL past the end with a ragged tail: whole words are options, the rest payload.
  const ragged = xmasWith(23, { 0: 0x4f });
  const { header, payload } = decodeIpv4(ragged, { lenient: true });
  assert.equal(header.ihl, 15);
  assert.equal(header.options.length, 0);
  assert.equal(payload.length, 3);
});

Deno.test("decodeIpv4() lenient never throws for 20 bytes or more with version 4, and round-trips", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 100 }), (random) => {
      const bytes = random.slice();
      bytes[0] = 0x40 | (bytes[0]! & 0x0f);
      const { header, payload } = decodeIpv4(bytes, { lenient: true });
      const again = new Uint8Array([
        ...encodeIpv4Header(header, { payloadLength: payload.length }),
        ...payload,
      ]);
      assert.deepEqual(again, bytes.subarray(0, again.length));
      // What is left over can only be bytes past a valid total length.
      if (again.length < bytes.length) {
        assert.equal(header.totalLength, again.length);
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("decodeIpv4() throws nothing but DecodeError, and strict results round-trip", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      try {
        const { header, payload } = decodeIpv4(bytes);
        const again = encodeIpv4Header(header, {
          payloadLength: payload.length,
        });
        assert.deepEqual(again, bytes.subarray(0, header.ihl * 4));
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("verifyIpv4Checksum() is false for bytes too short for their IHL", () => {
  assert.equal(verifyIpv4Checksum(xmas.bytes.subarray(0, 19)), false);
  assert.equal(verifyIpv4Checksum(xmasWith(40, { 0: 0x44 })), false);
  const options = V4_FIXTURES.find((f) => f.name === "ipv4Options")!.bytes;
  assert.ok(verifyIpv4Checksum(options.subarray(0, 60)));
  assert.equal(verifyIpv4Checksum(options.subarray(0, 59)), false);
  const bad = xmas.bytes.slice();
  bad[8] = 63; // TTL changed, checksum not updated
  assert.equal(verifyIpv4Checksum(bad), false);
});

interface RandomHeader {
  header: Ipv4Header;
  payloadLength: number;
  /** Option segments, each one whole option, as hex. */
  options: string[];
}

function randomHeaders(count: number): RandomHeader[] {
  const random = seededRandom(4);
  const out: RandomHeader[] = [];
  const toHex = (b: number[]) =>
    b.map((x) => x.toString(16).padStart(2, "0")).join("");
  for (let i = 0; i < count; i++) {
    const segments: number[][] = [];
    let length = 0;
    const wanted = random(4);
    for (let k = 0; k < wanted; k++) {
      const kind = random(3);
      const option = kind === 0
        ? [0x01] // NOP
        : kind === 1
        ? [0x07, 3 + 4 * (random(3) + 1), 4] // record route, empty slots
        : [0x88, 4, random(256), random(256)]; // stream identifier
      if (option[0] === 0x07) {
        for (let s = 3; s < option[1]!; s++) option.push(0);
      }
      if (length + option.length > 40) break;
      segments.push(option);
      length += option.length;
    }
    const header: Ipv4Header = {
      version: 4,
      tos: random(256),
      id: random(65536),
      dontFragment: random(2) === 1,
      moreFragments: random(2) === 1,
      reservedBit: random(2) === 1,
      fragmentOffset: random(8192),
      ttl: random(256),
      protocol: random(256),
      src: `${random(256)}.${random(256)}.${random(256)}.${random(256)}`,
      dst: `${random(256)}.${random(256)}.${random(256)}.${random(256)}`,
      options: new Uint8Array(segments.flat()),
    };
    out.push({
      header,
      payloadLength: random(1400),
      options: segments.map(toHex),
    });
  }
  return out;
}

const SCAPY_IPV4 = `
import json, sys
from scapy.all import IP, IPOption, Raw, raw
out = []
for h in json.load(sys.stdin):
    flags = (4 if h["reservedBit"] else 0) | (2 if h["dontFragment"] else 0) | (1 if h["moreFragments"] else 0)
    p = IP(tos=h["tos"], id=h["id"], flags=flags, frag=h["fragmentOffset"], ttl=h["ttl"], proto=h["protocol"],
           src=h["src"], dst=h["dst"], options=[IPOption(bytes.fromhex(o)) for o in h["options"]])
    p = IP(raw(p / Raw(b"\\0" * h["payloadLength"])))
    out.append(raw(p)[:p.ihl * 4].hex())
print(json.dumps(out))
`;

Deno.test({
  name:
    "encodeIpv4Header() and decodeIpv4() agree with scapy on 300 random headers" +
    (pythonHas("scapy.all") ? "" : " (skipped: no scapy in /usr/bin/python3)"),
  ignore: !pythonHas("scapy.all"),
  fn: async () => {
    const cases = randomHeaders(300);
    const expected = await runPython(
      SCAPY_IPV4,
      cases.map((c) => ({
        ...c.header,
        options: c.options,
        payloadLength: c.payloadLength,
      })),
    ) as string[];
    for (let i = 0; i < cases.length; i++) {
      const { header, payloadLength } = cases[i]!;
      const ours = encodeIpv4Header(header, { payloadLength });
      const theirs = Uint8Array.from(
        expected[i]!.match(/../g)!,
        (h) => parseInt(h, 16),
      );
      assert.deepEqual(ours, theirs, `case ${i}`);
      const datagram = new Uint8Array(theirs.length + payloadLength);
      datagram.set(theirs);
      const decoded = decodeIpv4(datagram).header;
      const padded = new Uint8Array(theirs.length - 20);
      padded.set(header.options);
      assert.deepEqual(decoded, {
        ...header,
        options: padded,
        ihl: theirs.length / 4,
        totalLength: theirs.length + payloadLength,
        checksum: (theirs[10]! << 8) | theirs[11]!,
      });
    }
  },
});
