import assert from "node:assert/strict";
import { DecodeError } from "../src/wire/errors.ts";
import {
  type DecodedTcpOptions,
  decodeTcpOptions,
  encodeTcpOptions,
  TCP_OPTION_KINDS,
  type TcpOption,
  tcpOptionsLength,
} from "../src/wire/tcp_options.ts";
import { hex, MALFORMED_OPTIONS, TCP_FIXTURES } from "./_tcp_fixtures.ts";

/** The option area of a fixture: bytes 20 up to the data offset. */
function optionArea(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(20, (bytes[12]! >> 4) * 4);
}

/**
 * An option area as the TCP encoder lays it out: options, then padding,
 * then zeros to a multiple of 4.
 */
function area(decoded: DecodedTcpOptions): Uint8Array {
  const options = encodeTcpOptions(decoded.options);
  const padding = decoded.padding ?? new Uint8Array();
  const used = options.length + padding.length;
  const out = new Uint8Array(Math.ceil(used / 4) * 4);
  out.set(options);
  out.set(padding, options.length);
  return out;
}

function expected(
  options: TcpOption[],
  padding?: Uint8Array,
): DecodedTcpOptions {
  return padding === undefined ? { options } : { options, padding };
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

for (const fixture of TCP_FIXTURES) {
  Deno.test(`decodeTcpOptions() reads the options of the ${fixture.name} fixture`, () => {
    const { segment } = fixture;
    assert.deepEqual(
      decodeTcpOptions(optionArea(fixture.bytes)),
      expected(segment.options, segment.padding),
    );
  });

  Deno.test(`encodeTcpOptions() writes the options of the ${fixture.name} fixture as scapy did`, () => {
    const decoded = expected(fixture.segment.options, fixture.segment.padding);
    assert.deepEqual(area(decoded), optionArea(fixture.bytes));
    assert.equal(
      tcpOptionsLength(fixture.segment.options),
      encodeTcpOptions(fixture.segment.options).length,
    );
  });
}

Deno.test("encodeTcpOptions() writes options in order without padding", () => {
  assert.deepEqual(
    encodeTcpOptions([{ kind: "wscale", shift: 14 }, { kind: "nop" }]),
    hex`03 03 0e 01`,
  );
  assert.deepEqual(
    encodeTcpOptions([{ kind: "mss", value: 536 }, {
      kind: "wscale",
      shift: 2,
    }]),
    hex`02 04 02 18 03 03 02`,
  );
  assert.deepEqual(encodeTcpOptions([]), new Uint8Array());
  assert.equal(tcpOptionsLength([{ kind: "wscale", shift: 2 }]), 3);
});

Deno.test("encodeTcpOptions() lays out every kind as its RFC says", () => {
  const cases: [TcpOption, Uint8Array][] = [
    [{ kind: "eol" }, hex`00`],
    [{ kind: "nop" }, hex`01`],
    [{ kind: "mss", value: 0xffff }, hex`02 04 ff ff`],
    [{ kind: "wscale", shift: 255 }, hex`03 03 ff`],
    [{ kind: "sackOk" }, hex`04 02`],
    [{ kind: "sack", blocks: [] }, hex`05 02`],
    [
      { kind: "sack", blocks: [[1, 2], [0xffffffff, 0x80000000], [3, 4]] },
      hex`05 1a 00 00 00 01 00 00 00 02 ff ff ff ff 80 00 00 00 00 00 00 03 00 00 00 04`,
    ],
    [
      { kind: "timestamp", value: 0xfedcba98, echo: 0x01234567 },
      hex`08 0a fe dc ba 98 01 23 45 67`,
    ],
    [
      { kind: "userTimeout", granularity: "minutes", timeout: 0x7fff },
      hex`1c 04 ff ff`,
    ],
    [
      { kind: "userTimeout", granularity: "seconds", timeout: 0x1234 },
      hex`1c 04 12 34`,
    ],
    [
      { kind: "tcpAo", keyId: 7, rNextKeyId: 9, mac: new Uint8Array() },
      hex`1d 04 07 09`,
    ],
    [{ kind: "mptcp", data: new Uint8Array() }, hex`1e 02`],
    [{ kind: "mptcp", data: hex`21 01 aa` }, hex`1e 05 21 01 aa`],
    [{ kind: "fastOpen", cookie: new Uint8Array() }, hex`22 02`],
    [{ kind: "fastOpen", cookie: hex`01 02 03 04` }, hex`22 06 01 02 03 04`],
    [
      { kind: "experimental", type: 254, exid: 0x454e, data: new Uint8Array() },
      hex`fe 04 45 4e`,
    ],
    [
      { kind: "experimental", type: 253, exid: 0x0102, data: hex`ff` },
      hex`fd 05 01 02 ff`,
    ],
    [
      { kind: "unknown", type: 6, data: hex`01 02 03 04` },
      hex`06 06 01 02 03 04`,
    ],
    [{ kind: "unknown", type: 200, data: new Uint8Array() }, hex`c8 02`],
    [{ kind: "raw", bytes: hex`02 01 ff` }, hex`02 01 ff`],
    [{ kind: "raw", bytes: new Uint8Array() }, new Uint8Array()],
  ];
  for (const [option, bytes] of cases) {
    assert.deepEqual(encodeTcpOptions([option]), bytes, JSON.stringify(option));
    assert.equal(tcpOptionsLength([option]), bytes.length);
  }
});

Deno.test("encodeTcpOptions() accepts a body of exactly 253 bytes", () => {
  const bytes = encodeTcpOptions([
    { kind: "unknown", type: 99, data: new Uint8Array(253).fill(7) },
  ]);
  assert.equal(bytes.length, 255);
  assert.equal(bytes[1], 255);
  const sack = encodeTcpOptions([
    { kind: "sack", blocks: Array.from({ length: 31 }, () => [1, 2] as const) },
  ]);
  assert.equal(sack[1], 250);
});

Deno.test("encodeTcpOptions() refuses values out of range with a RangeError naming the option", () => {
  const cases: [TcpOption, string][] = [
    [
      { kind: "mss", value: 70000 },
      "Cannot encode TCP option mss: value 70000 is not in 0..65535",
    ],
    [
      { kind: "mss", value: -1 },
      "Cannot encode TCP option mss: value -1 is not in 0..65535",
    ],
    [
      { kind: "mss", value: 1.5 },
      "Cannot encode TCP option mss: value 1.5 is not in 0..65535",
    ],
    [
      { kind: "wscale", shift: 256 },
      "Cannot encode TCP option wscale: shift 256 is not in 0..255",
    ],
    [
      { kind: "sack", blocks: [[0, 2 ** 32]] },
      "Cannot encode TCP option sack: block 0 right edge 4294967296 is not in 0..4294967295",
    ],
    [
      { kind: "sack", blocks: [[1, 2], [-1, 0]] },
      "Cannot encode TCP option sack: block 1 left edge -1 is not in 0..4294967295",
    ],
    [
      {
        kind: "sack",
        blocks: Array.from({ length: 32 }, () => [1, 2] as const),
      },
      "Cannot encode TCP option sack: 32 blocks make a body of 256 bytes, more than 253",
    ],
    [
      { kind: "timestamp", value: 2 ** 32, echo: 0 },
      "Cannot encode TCP option timestamp: value 4294967296 is not in 0..4294967295",
    ],
    [
      { kind: "timestamp", value: 0, echo: -5 },
      "Cannot encode TCP option timestamp: echo -5 is not in 0..4294967295",
    ],
    [
      { kind: "md5", digest: new Uint8Array(15) },
      "Cannot encode TCP option md5: digest is 15 bytes, expected 16",
    ],
    [
      { kind: "userTimeout", granularity: "seconds", timeout: 32768 },
      "Cannot encode TCP option userTimeout: timeout 32768 is not in 0..32767",
    ],
    [
      { kind: "userTimeout", granularity: "hours" as "seconds", timeout: 1 },
      'Cannot encode TCP option userTimeout: granularity "hours" is not "seconds" or "minutes"',
    ],
    [
      { kind: "tcpAo", keyId: 256, rNextKeyId: 0, mac: new Uint8Array() },
      "Cannot encode TCP option tcpAo: keyId 256 is not in 0..255",
    ],
    [
      { kind: "tcpAo", keyId: 0, rNextKeyId: -1, mac: new Uint8Array() },
      "Cannot encode TCP option tcpAo: rNextKeyId -1 is not in 0..255",
    ],
    [
      { kind: "tcpAo", keyId: 0, rNextKeyId: 0, mac: new Uint8Array(252) },
      "Cannot encode TCP option tcpAo: mac is 252 bytes, more than the 251 an option can carry",
    ],
    [
      { kind: "mptcp", data: new Uint8Array(254) },
      "Cannot encode TCP option mptcp: data is 254 bytes, more than the 253 an option can carry",
    ],
    [
      { kind: "fastOpen", cookie: new Uint8Array(254) },
      "Cannot encode TCP option fastOpen: cookie is 254 bytes, more than the 253 an option can carry",
    ],
    [
      {
        kind: "experimental",
        type: 252 as 253,
        exid: 0,
        data: new Uint8Array(),
      },
      "Cannot encode TCP option experimental: type 252 is not 253 or 254",
    ],
    [
      {
        kind: "experimental",
        type: 253,
        exid: 0x10000,
        data: new Uint8Array(),
      },
      "Cannot encode TCP option experimental: exid 65536 is not in 0..65535",
    ],
    [
      { kind: "experimental", type: 254, exid: 1, data: new Uint8Array(252) },
      "Cannot encode TCP option experimental: data is 252 bytes, more than the 251 an option can carry",
    ],
    [
      { kind: "unknown", type: 256, data: new Uint8Array() },
      "Cannot encode TCP option unknown: type 256 is not in 0..255",
    ],
    [
      { kind: "unknown", type: 99, data: new Uint8Array(254) },
      "Cannot encode TCP option unknown: data is 254 bytes, more than the 253 an option can carry",
    ],
    [
      { kind: "bogus" } as unknown as TcpOption,
      'Cannot encode TCP option: unknown kind "bogus"',
    ],
  ];
  for (const [option, message] of cases) {
    assert.throws(() => encodeTcpOptions([{ kind: "nop" }, option]), {
      name: "RangeError",
      message,
    });
    assert.throws(() => tcpOptionsLength([option]), {
      name: "RangeError",
      message,
    });
  }
});

Deno.test("decodeTcpOptions() reads every kind back to the same model", () => {
  const options: TcpOption[] = [
    { kind: "mss", value: 0 },
    { kind: "wscale", shift: 200 },
    { kind: "sackOk" },
    { kind: "sack", blocks: [] },
    { kind: "sack", blocks: [[0xffffffff, 0], [5, 6]] },
    { kind: "timestamp", value: 0xffffffff, echo: 0x80000000 },
    { kind: "md5", digest: new Uint8Array(16).fill(0xab) },
    { kind: "userTimeout", granularity: "minutes", timeout: 0 },
    { kind: "userTimeout", granularity: "seconds", timeout: 0x7fff },
    { kind: "tcpAo", keyId: 255, rNextKeyId: 0, mac: hex`01 02 03` },
    { kind: "mptcp", data: new Uint8Array() },
    { kind: "fastOpen", cookie: new Uint8Array(16).fill(3) },
    { kind: "experimental", type: 254, exid: 0xffff, data: new Uint8Array() },
    { kind: "unknown", type: 255, data: hex`00` },
    { kind: "unknown", type: 6, data: new Uint8Array() },
    { kind: "nop" },
  ];
  const bytes = encodeTcpOptions(options);
  assert.deepEqual(decodeTcpOptions(bytes), { options });
});

Deno.test("decodeTcpOptions() reads kinds without a model of their own as unknown", () => {
  const named = new Set<number>(Object.values(TCP_OPTION_KINDS));
  for (let type = 2; type < 256; type++) {
    if (named.has(type)) continue;
    assert.deepEqual(decodeTcpOptions(new Uint8Array([type, 3, 9])), {
      options: [{ kind: "unknown", type, data: hex`09` }],
    });
  }
});

Deno.test("decodeTcpOptions() accepts fastOpen, mptcp and unknown options of any length from 2", () => {
  for (const length of [2, 3, 10, 18, 40]) {
    const body = new Uint8Array(length - 2).fill(0x5a);
    for (const type of [34, 30, 77]) {
      const bytes = new Uint8Array([type, length, ...body]);
      const [option] = decodeTcpOptions(bytes).options;
      assert.ok(option !== undefined);
      assert.deepEqual(encodeTcpOptions([option]), bytes);
    }
  }
});

Deno.test("decodeTcpOptions() returns copies that do not share memory with the input", () => {
  const bytes =
    hex`13 12 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 00 ee`;
  const decoded = decodeTcpOptions(bytes);
  const before = structuredClone(decoded);
  bytes.fill(0xff);
  assert.deepEqual(decoded, before);
});

Deno.test("decodeTcpOptions() leaves out an EOL followed by exactly the encoder's zero padding", () => {
  const cases: [Uint8Array, TcpOption[]][] = [
    [hex`03 03 07 00`, [{ kind: "wscale", shift: 7 }]],
    [hex`01 01 00 00`, [{ kind: "nop" }, { kind: "nop" }]],
    [hex`01 00 00 00`, [{ kind: "nop" }]],
    [hex`02 04 05 b4 01 01 01 00`, [
      { kind: "mss", value: 1460 },
      { kind: "nop" },
      { kind: "nop" },
      { kind: "nop" },
    ]],
  ];
  for (const [bytes, options] of cases) {
    const decoded = decodeTcpOptions(bytes);
    assert.deepEqual(decoded, { options });
    assert.deepEqual(area(decoded), bytes);
  }
});

Deno.test("decodeTcpOptions() keeps an EOL at a 4-byte boundary but not the 3 zero bytes of padding after it", () => {
  const cases: [Uint8Array, TcpOption[]][] = [
    [hex`00 00 00 00`, [{ kind: "eol" }]],
    [hex`02 04 05 b4 00 00 00 00`, [{ kind: "mss", value: 1460 }, {
      kind: "eol",
    }]],
    [hex`01 01 04 02 00 00 00 00`, [{ kind: "nop" }, { kind: "nop" }, {
      kind: "sackOk",
    }, { kind: "eol" }]],
  ];
  for (const [bytes, options] of cases) {
    const decoded = decodeTcpOptions(bytes);
    assert.deepEqual(decoded, { options });
    assert.deepEqual(area(decoded), bytes);
  }
});

Deno.test("decodeTcpOptions() keeps an EOL and the bytes after it when they are not the encoder's padding", () => {
  const cases: [Uint8Array, TcpOption[], Uint8Array | undefined][] = [
    // More zero bytes than the encoder's padding.
    [hex`03 03 07 00 00 00 00 00`, [{ kind: "wscale", shift: 7 }, {
      kind: "eol",
    }], hex`00 00 00 00`],
    // The right number of bytes, but not all zero.
    [hex`01 00 ee 00`, [{ kind: "nop" }, { kind: "eol" }], hex`ee 00`],
    [
      hex`01 01 00 01`,
      [{ kind: "nop" }, { kind: "nop" }, { kind: "eol" }],
      hex`01`,
    ],
    // After an EOL at a 4-byte boundary: more zeros than 3, or not all zero.
    [
      hex`00 00 00 00 00 00 00 00`,
      [{ kind: "eol" }],
      hex`00 00 00 00 00 00 00`,
    ],
    [hex`02 04 05 b4 00 00 00 01`, [{ kind: "mss", value: 1460 }, {
      kind: "eol",
    }], hex`00 00 01`],
    // Fewer zeros than the padding (an area that is not a multiple of 4).
    [hex`00 00 00`, [{ kind: "eol" }], hex`00 00`],
    // An EOL ending an area of odd length: nothing follows it.
    [hex`01 00`, [{ kind: "nop" }, { kind: "eol" }], undefined],
    [hex`00`, [{ kind: "eol" }], undefined],
  ];
  for (const [bytes, options, padding] of cases) {
    const decoded = decodeTcpOptions(bytes);
    assert.deepEqual(decoded, expected(options, padding));
    const encoded = new Uint8Array([
      ...encodeTcpOptions(decoded.options),
      ...(decoded.padding ?? []),
    ]);
    assert.deepEqual(encoded, bytes);
  }
});

Deno.test("decodeTcpOptions() gives back the model the encoder was given, for models in canonical form", () => {
  const models: DecodedTcpOptions[] = [
    { options: [{ kind: "wscale", shift: 7 }] },
    { options: [{ kind: "mss", value: 1460 }, { kind: "eol" }] },
    { options: [{ kind: "eol" }] },
    {
      options: [{ kind: "mss", value: 1460 }, { kind: "eol" }],
      padding: hex`00 00 01`,
    },
    { options: [{ kind: "nop" }, { kind: "eol" }], padding: hex`ee 00` },
    { options: [{ kind: "eol" }], padding: hex`00 00 00 00 00 00 00` },
    {
      options: [{ kind: "sackOk" }, { kind: "eol" }],
      padding: hex`00 00 00 00 00`,
    },
  ];
  for (const model of models) {
    assert.deepEqual(decodeTcpOptions(area(model)), model);
  }
});

for (const bad of MALFORMED_OPTIONS) {
  Deno.test(`decodeTcpOptions() refuses an option with ${bad.what}`, () => {
    assert.throws(() => decodeTcpOptions(bad.bytes), (error) => {
      assert.ok(error instanceof DecodeError);
      assert.equal(error.kind, "malformed");
      assert.equal(error.layer, "TCP options");
      assert.equal(error.offset, bad.offset);
      assert.equal(error.message, `Cannot decode TCP options: ${bad.reason}`);
      return true;
    });
  });

  Deno.test(`decodeTcpOptions() in lenient mode keeps an option with ${bad.what} as raw bytes`, () => {
    const decoded = decodeTcpOptions(bad.bytes, { lenient: true });
    const last = decoded.options.at(-1);
    assert.deepEqual(last, {
      kind: "raw",
      bytes: bad.bytes.slice(bad.offset - 20),
    });
    assert.equal(decoded.padding, undefined);
    assert.deepEqual(area(decoded), bad.bytes);
  });
}

Deno.test("decodeTcpOptions() counts offsets in messages from the given offset", () => {
  assert.throws(
    () => decodeTcpOptions(hex`01 02 00 00`, { offset: 0 }),
    {
      message:
        "Cannot decode TCP options: option mss (kind 2) at offset 1 has length 0, less than 2",
    },
  );
  assert.throws(
    () => decodeTcpOptions(hex`01 02 09 00`, { offset: 100 }),
    {
      message:
        "Cannot decode TCP options: option mss (kind 2) at offset 101 has length 9, past the end of the options at offset 104",
    },
  );
});

Deno.test("decodeTcpOptions() in lenient mode never throws and re-encodes random option areas exactly", () => {
  const next = xorshift(0x7c9c);
  // Bias towards interesting bytes: kinds that exist, small lengths, zero.
  const interesting = [
    0,
    1,
    2,
    3,
    4,
    5,
    8,
    10,
    18,
    19,
    28,
    29,
    30,
    34,
    253,
    254,
  ];
  for (let round = 0; round < 3000; round++) {
    const length = (next() % 11) * 4;
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const r = next();
      bytes[i] = r % 3 === 0
        ? r >>> 24
        : interesting[(r >>> 8) % interesting.length]!;
    }
    const decoded = decodeTcpOptions(bytes, { lenient: true });
    assert.deepEqual(area(decoded), bytes, `round ${round}: ${bytes}`);
    let strict: DecodedTcpOptions | undefined;
    try {
      strict = decodeTcpOptions(bytes);
    } catch (error) {
      assert.ok(error instanceof DecodeError, String(error));
      assert.ok(decoded.options.some((option) => option.kind === "raw"));
    }
    if (strict !== undefined) assert.deepEqual(strict, decoded);
  }
});
