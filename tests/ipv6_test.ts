import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  type DecodedIpv6Header,
  DecodeError,
  decodeIpv6,
  encodeIpv6Header,
  encodeIpv6HeaderInto,
  IPV6_HEADER_LENGTH,
  IPV6_HEADER_OFFSETS,
  type Ipv6Header,
  ParseError,
} from "../mod.ts";
import {
  hex,
  PACKET_FIXTURES,
  pythonHas,
  runPython,
  seededRandom,
} from "./_fixtures.ts";

const V6_FIXTURES = PACKET_FIXTURES.filter((f) => f.packet.ip.version === 6);
const flowLabel = V6_FIXTURES.find((f) => f.name === "ipv6FlowLabel")!;

const BASE: Ipv6Header = {
  version: 6,
  trafficClass: 0,
  flowLabel: 0,
  nextHeader: 6,
  hopLimit: 64,
  src: "2001:db8::1",
  dst: "2001:db8::2",
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

Deno.test("IPV6_HEADER_OFFSETS places the fields where RFC 8200 does", () => {
  assert.equal(IPV6_HEADER_LENGTH, 40);
  assert.deepEqual({ ...IPV6_HEADER_OFFSETS }, {
    versionClassFlow: 0,
    payloadLength: 4,
    nextHeader: 6,
    hopLimit: 7,
    src: 8,
    dst: 24,
  });
});

for (const fixture of V6_FIXTURES) {
  const header = fixture.packet.ip as DecodedIpv6Header;

  Deno.test(`decodeIpv6() reads the ${fixture.name} fixed header as scapy does`, () => {
    const decoded = decodeIpv6(fixture.bytes);
    assert.deepEqual(decoded.header, header);
    assert.deepEqual(decoded.payload, fixture.bytes.subarray(40));
  });

  Deno.test(`encodeIpv6HeaderInto() writes the ${fixture.name} fixed header into a 0xa5-filled buffer`, () => {
    const { payloadLength: _p, ...computed } = header;
    for (const model of [header, computed]) {
      const buffer = new Uint8Array(50).fill(0xa5);
      const written = encodeIpv6HeaderInto(model, buffer, {
        payloadLength: fixture.bytes.length - 40,
        offset: 6,
      });
      assert.equal(written, 40);
      assert.deepEqual(buffer.subarray(6, 46), fixture.bytes.subarray(0, 40));
      assert.ok(buffer.subarray(0, 6).every((b) => b === 0xa5));
      assert.ok(buffer.subarray(46).every((b) => b === 0xa5));
    }
  });
}

Deno.test("encodeIpv6Header() packs version, traffic class and flow label into the first 32 bits", () => {
  const cases: [number, number, Uint8Array][] = [
    [0, 0, hex`60 00 00 00`],
    [0xff, 0, hex`6f f0 00 00`],
    [0, 0xfffff, hex`60 0f ff ff`],
    [0xff, 0xfffff, hex`6f ff ff ff`],
    [0xb8, 0xabcde, hex`6b 8a bc de`],
    [0x01, 0x80000, hex`60 18 00 00`],
  ];
  for (const [trafficClass, label, first] of cases) {
    const bytes = encodeIpv6Header(
      { ...BASE, trafficClass, flowLabel: label },
      { payloadLength: 0 },
    );
    assert.deepEqual(bytes.subarray(0, 4), first);
    const decoded = decodeIpv6(bytes).header;
    assert.equal(decoded.trafficClass, trafficClass);
    assert.equal(decoded.flowLabel, label);
  }
});

Deno.test("encodeIpv6Header() refuses out-of-range fields, naming field and value", () => {
  const cases: [Partial<Ipv6Header>, string][] = [
    [{ trafficClass: 256 }, "trafficClass 256 is not in 0..255"],
    [{ flowLabel: 0x100000 }, "flowLabel 1048576 is not in 0..1048575"],
    [{ flowLabel: -1 }, "flowLabel -1 is not in 0..1048575"],
    [{ nextHeader: 256 }, "nextHeader 256 is not in 0..255"],
    [{ hopLimit: 256 }, "hopLimit 256 is not in 0..255"],
    [{ payloadLength: 65536 }, "payloadLength 65536 is not in 0..65535"],
    [{ version: 4 as 6 }, "version 4 is not 6"],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => encodeIpv6Header({ ...BASE, ...change }, { payloadLength: 0 }),
      { name: "RangeError", message: `Cannot encode IPv6 header: ${message}` },
    );
  }
  assert.throws(() => encodeIpv6Header(BASE, { payloadLength: 65536 }), {
    name: "RangeError",
    message:
      "Cannot encode IPv6 header: payloadLength 65536 is not in 0..65535",
  });
  assert.throws(
    () => encodeIpv6Header({ ...BASE, src: "192.0.2.1" }, { payloadLength: 0 }),
    ParseError,
  );
  assert.throws(
    () =>
      encodeIpv6HeaderInto(BASE, new Uint8Array(45), {
        payloadLength: 0,
        offset: 6,
      }),
    {
      name: "RangeError",
      message:
        "Cannot encode IPv6 header: 40 bytes do not fit at offset 6 of a 45-byte buffer",
    },
  );
});

Deno.test("encodeIpv6Header() writes a payload length override as given", () => {
  const bytes = encodeIpv6Header({ ...BASE, payloadLength: 1000 }, {
    payloadLength: 20,
  });
  assert.deepEqual(bytes.subarray(4, 6), hex`03 e8`);
});

Deno.test("decodeIpv6() refuses under 40 bytes", () => {
  const error = catchDecodeError(() =>
    decodeIpv6(flowLabel.bytes.subarray(0, 39))
  );
  assert.equal(error.kind, "truncated");
  assert.equal(error.layer, "IPv6 header");
  assert.equal(error.offset, 0);
  assert.equal(
    error.message,
    "Cannot decode IPv6 header: buffer is 39 bytes, expected at least 40",
  );
  assert.throws(
    () => decodeIpv6(new Uint8Array(20), { lenient: true }),
    DecodeError,
  );
});

Deno.test("decodeIpv6() refuses a version other than 6, even leniently", () => {
  const bytes = flowLabel.bytes.slice();
  bytes[0] = 0x4b;
  const error = catchDecodeError(() => decodeIpv6(bytes));
  assert.equal(error.kind, "malformed");
  assert.equal(error.offset, 0);
  assert.equal(
    error.message,
    "Cannot decode IPv6 header: version 4 at byte 0 is not 6",
  );
  assert.throws(() => decodeIpv6(bytes, { lenient: true }), DecodeError);
});

Deno.test("decodeIpv6() refuses a payload length past the end of the buffer", () => {
  const bytes = flowLabel.bytes.slice(0, 60); // payload length says 40, 20 are here
  const error = catchDecodeError(() => decodeIpv6(bytes));
  assert.equal(error.kind, "truncated");
  assert.equal(error.offset, 4);
  assert.equal(
    error.message,
    "Cannot decode IPv6 header: payload length 40 at byte 4 is past the end of the 60-byte buffer (needs 80)",
  );
});

Deno.test("decodeIpv6() lenient keeps a payload length past the end and re-encodes the same bytes", () => {
  const bytes = flowLabel.bytes.slice(0, 60);
  const { header, payload } = decodeIpv6(bytes, { lenient: true });
  assert.equal(header.payloadLength, 40);
  assert.deepEqual(payload, bytes.subarray(40));
  assert.deepEqual(
    new Uint8Array([
      ...encodeIpv6Header(header, { payloadLength: payload.length }),
      ...payload,
    ]),
    bytes,
  );
});

Deno.test("decodeIpv6() ignores bytes after the payload length", () => {
  const padded = new Uint8Array([...flowLabel.bytes, 0, 0, 0, 0]);
  const { header, payload } = decodeIpv6(padded);
  assert.equal(header.payloadLength, 40);
  assert.deepEqual(payload, flowLabel.bytes.subarray(40));
});

Deno.test("decodeIpv6() throws nothing but DecodeError; lenient never throws for 40 bytes of version 6", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 120 }),
      fc.boolean(),
      (random, force) => {
        const bytes = random.slice();
        if (force && bytes.length > 0) bytes[0] = 0x60 | (bytes[0]! & 0x0f);
        try {
          const { header, payload } = decodeIpv6(bytes);
          assert.deepEqual(
            encodeIpv6Header(header, { payloadLength: payload.length }),
            bytes.subarray(0, 40),
          );
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
        }
        if (force && bytes.length >= 40) {
          const { header, payload } = decodeIpv6(bytes, { lenient: true });
          const again = [
            ...encodeIpv6Header(header, { payloadLength: payload.length }),
            ...payload,
          ];
          assert.deepEqual(
            new Uint8Array(again),
            bytes.subarray(0, again.length),
          );
        }
      },
    ),
    { numRuns: 2000 },
  );
});

const SCAPY_IPV6 = `
import json, sys
from scapy.all import IPv6, Raw, raw
out = []
for h in json.load(sys.stdin):
    p = IPv6(tc=h["trafficClass"], fl=h["flowLabel"], nh=h["nextHeader"], hlim=h["hopLimit"],
             src=h["src"], dst=h["dst"]) / Raw(b"\\0" * h["payloadLength"])
    out.append(raw(p)[:40].hex())
print(json.dumps(out))
`;

Deno.test({
  name:
    "encodeIpv6Header() and decodeIpv6() agree with scapy on 300 random headers" +
    (pythonHas("scapy.all") ? "" : " (skipped: no scapy in /usr/bin/python3)"),
  ignore: !pythonHas("scapy.all"),
  fn: async () => {
    const random = seededRandom(6);
    const address = () =>
      Array.from(
        { length: 8 },
        () => (random(3) === 0 ? 0 : random(65536)).toString(16),
      ).join(":");
    const cases = Array.from({ length: 300 }, () => ({
      header: {
        version: 6,
        trafficClass: random(256),
        flowLabel: random(0x100000),
        nextHeader: random(256),
        hopLimit: random(256),
        src: address(),
        dst: address(),
      } satisfies Ipv6Header,
      payloadLength: random(1500),
    }));
    const expected = await runPython(
      SCAPY_IPV6,
      cases.map((c) => ({ ...c.header, payloadLength: c.payloadLength })),
    ) as string[];
    for (let i = 0; i < cases.length; i++) {
      const { header, payloadLength } = cases[i]!;
      const theirs = Uint8Array.from(
        expected[i]!.match(/../g)!,
        (h) => parseInt(h, 16),
      );
      assert.deepEqual(
        encodeIpv6Header(header, { payloadLength }),
        theirs,
        `case ${i}`,
      );
      const datagram = new Uint8Array(40 + payloadLength);
      datagram.set(theirs);
      const decoded = decodeIpv6(datagram).header;
      assert.equal(decoded.trafficClass, header.trafficClass);
      assert.equal(decoded.flowLabel, header.flowLabel);
      assert.equal(decoded.nextHeader, header.nextHeader);
      assert.equal(decoded.hopLimit, header.hopLimit);
      assert.equal(decoded.payloadLength, payloadLength);
      // Canonical text, not the text given: compare as bytes.
      assert.deepEqual(
        encodeIpv6Header(decoded, { payloadLength }),
        theirs,
      );
    }
  },
});
