/**
 * Robustness of every decoder: over 100,000 random and mutated byte strings
 * (seeded), nothing escapes a decoder but a {@linkcode DecodeError} whose
 * message starts with "Cannot decode"; and one test per class of malformed
 * input pins the error's kind, its message (field and byte offset) and its
 * `offset`.
 *
 * The seed comes from `TCPCRAFT_SEED` or is drawn at random; it is printed
 * and included in every failure message.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as tcpcraft from "../mod.ts";
import {
  hex,
  mutate,
  randomPacket,
  Rng,
  sameBytes,
  type Seed,
} from "./_fuzz.ts";
import {
  DecodeError,
  decodeIp,
  decodeIpv4,
  decodeIpv6,
  decodePacket,
  decodeTcp,
  decodeTcpOptions,
  encodePacket,
  encodeTcp,
  verifyPacketChecksums,
} from "../mod.ts";

// ------------------------------------------------------------------ seeding

function readSeed(): number {
  const text = Deno.env.get("TCPCRAFT_SEED");
  if (text !== undefined && text !== "") {
    const seed = Number(text);
    if (!Number.isInteger(seed)) {
      throw new Error(`TCPCRAFT_SEED "${text}" is not an integer`);
    }
    return seed >>> 0;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

const SEED = readSeed();
console.log(
  `robustness_test: seed ${SEED} (repeat with TCPCRAFT_SEED=${SEED})`,
);

// ------------------------------------------------------------------ the run

const STRINGS = 100_000;
const MAX_LENGTH = 1600;

interface Tally {
  calls: number;
  ok: number;
  errors: Record<string, number>;
  /** Anything but a proper DecodeError; the first few in full. */
  escaped: number;
  examples: string[];
}

interface Fuzz {
  tallies: Map<string, Tally>;
  /** Lenient TCP decoding of >= 20 bytes that threw or did not re-encode. */
  lenientBroken: string[];
  lenientFailures: number;
  lenientCount: number;
  /** Strict packet decodes that did not re-encode to the packet's bytes. */
  roundTripBroken: string[];
  roundTripFailures: number;
  roundTripCount: number;
  seconds: number;
  strings: number;
}

function tally(fuzz: Fuzz, name: string): Tally {
  let t = fuzz.tallies.get(name);
  if (t === undefined) {
    t = { calls: 0, ok: 0, errors: {}, escaped: 0, examples: [] };
    fuzz.tallies.set(name, t);
  }
  return t;
}

/** Call a decoder, count the outcome, and return its result or undefined. */
function attempt<T>(
  fuzz: Fuzz,
  name: string,
  input: Uint8Array,
  maxOffset: number,
  decode: () => T,
): T | undefined {
  const t = tally(fuzz, name);
  t.calls++;
  try {
    const result = decode();
    t.ok++;
    return result;
  } catch (error) {
    const proper = error instanceof DecodeError &&
      error.message.startsWith("Cannot decode") &&
      ["truncated", "malformed", "unsupported"].includes(error.kind) &&
      Number.isInteger(error.offset) && error.offset >= 0 &&
      error.offset <= maxOffset;
    if (proper) {
      t.errors[error.kind] = (t.errors[error.kind] ?? 0) + 1;
    } else {
      t.escaped++;
      if (t.examples.length < 3) {
        const what = error instanceof DecodeError
          ? `DecodeError kind ${error.kind} offset ${error.offset}: ${error.message}`
          : `${error instanceof Error ? error.name : typeof error}: ${
            String(error)
          }`;
        t.examples.push(
          `${what}\n    input (${input.length} bytes): ${hex(input)}`,
        );
      }
    }
    return undefined;
  }
}

/** The input's end as the IP layer sees it, for the re-encode check. */
function ipEnd(bytes: Uint8Array): number {
  if ((bytes[0]! >> 4) === 4) return (bytes[2]! << 8) | bytes[3]!;
  return 40 + ((bytes[4]! << 8) | bytes[5]!);
}

function feed(fuzz: Fuzz, rng: Rng, input: Uint8Array, tcpAt: number): void {
  attempt(fuzz, "decodeIpv4", input, input.length, () => decodeIpv4(input));
  attempt(
    fuzz,
    "decodeIpv4 lenient",
    input,
    input.length,
    () => decodeIpv4(input, { lenient: true }),
  );
  attempt(fuzz, "decodeIpv6", input, input.length, () => decodeIpv6(input));
  attempt(
    fuzz,
    "decodeIpv6 lenient",
    input,
    input.length,
    () => decodeIpv6(input, { lenient: true }),
  );
  attempt(fuzz, "decodeIp", input, input.length, () => decodeIp(input));
  attempt(
    fuzz,
    "decodeIp lenient",
    input,
    input.length,
    () => decodeIp(input, { lenient: true }),
  );
  const packet = attempt(
    fuzz,
    "decodePacket",
    input,
    input.length,
    () => decodePacket(input),
  );
  attempt(
    fuzz,
    "decodePacket lenient",
    input,
    input.length,
    () => decodePacket(input, { lenient: true }),
  );
  attempt(
    fuzz,
    "verifyPacketChecksums",
    input,
    input.length,
    () => verifyPacketChecksums(input),
  );

  if (packet !== undefined) {
    fuzz.roundTripCount++;
    const expected = input.subarray(0, ipEnd(input));
    let again: Uint8Array | string;
    try {
      again = encodePacket(packet);
    } catch (error) {
      again = String(error);
    }
    if (typeof again === "string" || !sameBytes(again, expected)) {
      fuzz.roundTripFailures++;
      if (fuzz.roundTripBroken.length < 3) {
        fuzz.roundTripBroken.push(
          `input ${hex(input)}\n    re-encoded ${
            typeof again === "string" ? again : hex(again)
          }`,
        );
      }
    }
  }

  const segment = input.subarray(Math.min(tcpAt, input.length));
  attempt(fuzz, "decodeTcp", segment, segment.length, () => decodeTcp(segment));
  const lenient = attempt(
    fuzz,
    "decodeTcp lenient",
    segment,
    segment.length,
    () => decodeTcp(segment, { lenient: true }),
  );
  if (segment.length >= 20) {
    fuzz.lenientCount++;
    let problem: string | undefined;
    if (lenient === undefined) {
      problem = "threw";
    } else {
      try {
        const again = encodeTcp(lenient);
        if (!sameBytes(again, segment)) problem = `re-encoded to ${hex(again)}`;
      } catch (error) {
        problem = `encodeTcp threw ${error}`;
      }
    }
    if (problem !== undefined) {
      fuzz.lenientFailures++;
      if (fuzz.lenientBroken.length < 3) {
        fuzz.lenientBroken.push(`${problem}\n    segment ${hex(segment)}`);
      }
    }
  }

  const areaStart = Math.min(20, segment.length);
  const area = segment.subarray(areaStart, areaStart + rng.int(0, 44));
  attempt(
    fuzz,
    "decodeTcpOptions",
    area,
    area.length + 20,
    () => decodeTcpOptions(area),
  );
  const lenientArea = attempt(
    fuzz,
    "decodeTcpOptions lenient",
    area,
    area.length + 20,
    () => decodeTcpOptions(area, { lenient: true }),
  );
  if (lenientArea === undefined) {
    // Lenient option decoding is documented never to throw.
    const t = tally(fuzz, "decodeTcpOptions lenient");
    t.escaped++;
    if (t.examples.length < 3) {
      t.examples.push(`lenient decoding threw for ${hex(area)}`);
    }
  }
}

let fuzzing: Fuzz | undefined;

function fuzz(): Fuzz {
  if (fuzzing !== undefined) return fuzzing;
  const start = performance.now();
  const rng = new Rng(SEED);
  const corpus = Array.from({ length: 400 }, () => randomPacket(rng));
  const result: Fuzz = {
    tallies: new Map(),
    lenientBroken: [],
    lenientFailures: 0,
    lenientCount: 0,
    roundTripBroken: [],
    roundTripFailures: 0,
    roundTripCount: 0,
    seconds: 0,
    strings: 0,
  };
  for (let i = 0; i < STRINGS; i++) {
    const roll = rng.u32() % 100;
    let input: Seed;
    if (roll < 8) {
      // Pure noise, mostly short.
      input = {
        bytes: rng.bytes(
          rng.chance(0.6) ? rng.int(0, 80) : rng.int(0, MAX_LENGTH),
        ),
        tcpAt: 0,
      };
    } else if (roll < 16) {
      // Noise behind a plausible first byte, to get past the version check.
      const bytes = rng.bytes(rng.int(1, rng.chance(0.6) ? 120 : MAX_LENGTH));
      bytes[0] = rng.pick([0x45, 0x46, 0x4f, 0x60, 0x61]);
      if (bytes.length > 9 && (bytes[0]! >> 4) === 4) bytes[9] = 6;
      if (bytes.length > 6 && (bytes[0]! >> 4) === 6) bytes[6] = 6;
      input = { bytes, tcpAt: (bytes[0]! >> 4) === 6 ? 40 : 20 };
    } else if (roll < 20) {
      input = rng.pick(corpus); // valid, unchanged
    } else {
      input = mutate(rng, rng.pick(corpus));
    }
    if (input.bytes.length > MAX_LENGTH) {
      input.bytes = input.bytes.slice(0, MAX_LENGTH);
    }
    feed(result, rng, input.bytes, input.tcpAt);
    result.strings++;
  }
  result.seconds = (performance.now() - start) / 1000;
  const lines = [...result.tallies].map(([name, t]) =>
    `  ${name.padEnd(26)} ${String(t.calls).padStart(7)} calls, ${
      String(t.ok).padStart(6)
    } decoded, errors ${JSON.stringify(t.errors)}, escaped ${t.escaped}`
  );
  console.log(
    `robustness_test: ${result.strings} byte strings through every decoder in ${
      result.seconds.toFixed(1)
    } s\n${lines.join("\n")}`,
  );
  fuzzing = result;
  return result;
}

// ------------------------------------------------------------------ fuzz tests

Deno.test('every decoder throws nothing but a DecodeError saying "Cannot decode" for 100,000 random and mutated byte strings', () => {
  const result = fuzz();
  assert.equal(result.strings, STRINGS);
  const escaped = [...result.tallies].filter(([, t]) => t.escaped > 0);
  assert.deepStrictEqual(
    escaped.map(([name, t]) =>
      `${name}: ${t.escaped} escaped; first:\n  ${t.examples.join("\n  ")}`
    ),
    [],
    `seed ${SEED} (TCPCRAFT_SEED=${SEED})`,
  );
  // Not vacuous: each decoder both decoded some inputs and refused some.
  for (const [name, t] of result.tallies) {
    assert.ok(t.ok > 0, `seed ${SEED}: ${name} decoded nothing`);
    if (!name.includes("lenient")) {
      const refused = Object.values(t.errors).reduce((a, b) => a + b, 0);
      assert.ok(refused > 0, `seed ${SEED}: ${name} refused nothing`);
    }
  }
});

Deno.test("decodeTcp(bytes, { lenient: true }) never throws for 20 bytes or more of mutated input and re-encodes to the same bytes", () => {
  const result = fuzz();
  assert.ok(
    result.lenientCount > 50_000,
    `seed ${SEED}: only ${result.lenientCount} segments`,
  );
  assert.deepStrictEqual(
    result.lenientBroken,
    [],
    `seed ${SEED} (TCPCRAFT_SEED=${SEED}): ${result.lenientFailures} of ${result.lenientCount} fail`,
  );
});

Deno.test("encodePacket() re-encodes every mutated packet that decodePacket() accepts strictly to its bytes", () => {
  const result = fuzz();
  assert.ok(
    result.roundTripCount > 5_000,
    `seed ${SEED}: only ${result.roundTripCount} packets decoded`,
  );
  assert.deepStrictEqual(
    result.roundTripBroken,
    [],
    `seed ${SEED} (TCPCRAFT_SEED=${SEED}): ${result.roundTripFailures} of ${result.roundTripCount} fail`,
  );
});

// ------------------------------------------------------------------ capture files

type ReadCaptureBytes = (
  bytes: Uint8Array,
) => { records: unknown[]; error?: unknown };
const readCaptureBytes = (tcpcraft as Record<string, unknown>)
  .readCaptureBytes as
    | ReadCaptureBytes
    | undefined;

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** A classic pcap file (little-endian, microseconds, LINKTYPE_RAW) of the packets. */
function pcapFile(packets: Uint8Array[]): Uint8Array {
  const out = [
    ...le32(0xa1b2c3d4),
    2,
    0,
    4,
    0,
    ...le32(0),
    ...le32(0),
    ...le32(65535),
    ...le32(101),
  ];
  packets.forEach((p, i) =>
    out.push(
      ...le32(1_700_000_000 + i),
      ...le32(i),
      ...le32(p.length),
      ...le32(p.length),
      ...p,
    )
  );
  return new Uint8Array(out);
}

/** A pcapng file: section header, one raw-IP interface, enhanced packet blocks. */
function pcapngFile(packets: Uint8Array[]): Uint8Array {
  const block = (type: number, body: number[]) => {
    const length = 12 + body.length;
    return [...le32(type), ...le32(length), ...body, ...le32(length)];
  };
  const out = [
    ...block(0x0a0d0d0a, [
      ...le32(0x1a2b3c4d),
      1,
      0,
      0,
      0,
      ...le32(0xffffffff),
      ...le32(0xffffffff),
    ]),
    ...block(1, [101, 0, 0, 0, ...le32(65535)]),
  ];
  packets.forEach((p, i) => {
    const padded = [...p, ...new Array((4 - (p.length % 4)) % 4).fill(0)];
    out.push(
      ...block(6, [
        ...le32(0),
        ...le32(0),
        ...le32(i),
        ...le32(p.length),
        ...le32(p.length),
        ...padded,
      ]),
    );
  });
  return new Uint8Array(out);
}

Deno.test({
  name:
    `readCaptureBytes() returns nothing but a DecodeError saying "Cannot decode" for 10,000 mutated pcap and pcapng files${
      readCaptureBytes === undefined
        ? " (skipped: mod.ts has no readCaptureBytes)"
        : ""
    }`,
  ignore: readCaptureBytes === undefined,
  fn() {
    const read = readCaptureBytes!;
    const rng = new Rng(SEED ^ 0x5eed);
    const packets = Array.from(
      { length: 40 },
      () => randomPacket(rng).bytes.slice(0, 200),
    );
    const files = Array.from({ length: 30 }, (_, i) => {
      const some = Array.from(
        { length: rng.int(0, 4) },
        () => rng.pick(packets),
      );
      return i % 2 === 0 ? pcapFile(some) : pcapngFile(some);
    });
    // The hand-built files are valid: the reader must read every record.
    for (const file of files.slice(0, 4)) {
      const { records, error } = read(file);
      assert.equal(
        error,
        undefined,
        `seed ${SEED}: valid file refused: ${error} ${hex(file)}`,
      );
      assert.ok(Array.isArray(records));
    }
    let refused = 0;
    const escaped: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      let file = rng.pick(files).slice();
      for (let n = rng.int(1, 4); n > 0; n--) {
        const at = rng.int(0, Math.max(0, file.length - 1));
        const roll = rng.int(0, 5);
        if (roll === 0) file = file.slice(0, rng.int(0, file.length));
        else if (roll === 1) {
          file = new Uint8Array([...file, ...rng.bytes(rng.int(1, 32))]);
        } else if (roll === 2) file[at] = 0xff;
        else if (roll === 3) file[at] = 0;
        else if (roll === 4 && file.length >= (at & ~3) + 4) {
          // A length or type field: 0, 1, huge, random, or plausible.
          file.set(
            le32(rng.pick([0, 1, 0xffffffff, rng.u32(), rng.int(0, 300)])),
            at & ~3,
          );
        } else file[at] = rng.int(0, 255);
      }
      try {
        const { error } = read(file);
        if (error !== undefined) {
          if (
            error instanceof DecodeError &&
            error.message.startsWith("Cannot decode")
          ) refused++;
          else if (escaped.length < 3) {
            escaped.push(`returned ${error}: ${hex(file)}`);
          }
        }
      } catch (error) {
        if (escaped.length < 3) escaped.push(`threw ${error}: ${hex(file)}`);
      }
    }
    console.log(
      `  readCaptureBytes: 10000 mutated files, ${refused} refused with a DecodeError`,
    );
    assert.deepStrictEqual(escaped, [], `seed ${SEED} (TCPCRAFT_SEED=${SEED})`);
    assert.ok(refused > 0);
  },
});

// ------------------------------------------------------------------ malformed classes

interface Expectation {
  kind: "truncated" | "malformed" | "unsupported";
  message: RegExp;
  offset: number;
}

function refuses(decode: () => unknown, expected: Expectation): void {
  assert.throws(decode, (error) => {
    assert.ok(
      error instanceof DecodeError,
      `expected a DecodeError, got ${error}`,
    );
    assert.ok(error.message.startsWith("Cannot decode "), error.message);
    assert.equal(error.kind, expected.kind, error.message);
    assert.match(error.message, expected.message);
    assert.equal(error.offset, expected.offset, error.message);
    return true;
  });
}

/** A 20-byte TCP header (SYN, ports 1 -> 2) with `options` and data offset to match. */
function tcpHeader(options: number[] = [], dataOffset?: number): Uint8Array {
  const b = new Uint8Array(20 + options.length);
  b[1] = 1;
  b[3] = 2;
  b[12] = (dataOffset ?? (20 + options.length) / 4) << 4;
  b[13] = 0x02;
  b.set(options, 20);
  return b;
}

/** A 20-byte IPv4 header for TCP, total length `total`, then `rest`. */
function ipv4(
  rest: Uint8Array,
  { ihl = 5, total = 20 + rest.length } = {},
): Uint8Array {
  const b = new Uint8Array(20 + rest.length);
  b[0] = 0x40 | ihl;
  b[2] = total >> 8;
  b[3] = total & 0xff;
  b[8] = 64;
  b[9] = 6;
  b.set([192, 0, 2, 1, 192, 0, 2, 2], 12);
  b.set(rest, 20);
  return b;
}

Deno.test("decodeTcp() refuses a buffer under 20 bytes as truncated, naming the buffer length", () => {
  for (const length of [0, 1, 12, 19]) {
    refuses(() => decodeTcp(new Uint8Array(length)), {
      kind: "truncated",
      message: new RegExp(
        `^Cannot decode TCP header: buffer is ${length} bytes, expected at least 20$`,
      ),
      offset: length,
    });
  }
  // Lenient decoding cannot make a header out of nothing either.
  refuses(() => decodeTcp(new Uint8Array(19), { lenient: true }), {
    kind: "truncated",
    message: /buffer is 19 bytes/,
    offset: 19,
  });
});

Deno.test("decodeTcp() refuses a data offset under 5 as malformed, at byte 12", () => {
  for (const dataOffset of [0, 4]) {
    refuses(() => decodeTcp(tcpHeader([], dataOffset)), {
      kind: "malformed",
      message: new RegExp(
        `^Cannot decode TCP header: data offset ${dataOffset} at byte 12 `,
      ),
      offset: 12,
    });
  }
});

Deno.test("decodeTcp() refuses a data offset past the end of the buffer as truncated, at byte 12", () => {
  refuses(() => decodeTcp(tcpHeader([], 6)), {
    kind: "truncated",
    message: /^Cannot decode TCP header: data offset 6 at byte 12 .*20 bytes/,
    offset: 12,
  });
  refuses(() => decodeTcp(tcpHeader([1, 1, 1, 1], 15)), {
    kind: "truncated",
    message: /data offset 15 at byte 12 .*60-byte header.*24 bytes/,
    offset: 12,
  });
});

Deno.test("decodeTcp() refuses an option length of 0 or 1 as malformed, naming the option and its offset", () => {
  refuses(() => decodeTcp(tcpHeader([2, 0, 0, 0])), {
    kind: "malformed",
    message: /option mss \(kind 2\) at offset 20 has length 0, less than 2/,
    offset: 20,
  });
  refuses(() => decodeTcp(tcpHeader([1, 1, 99, 1])), {
    kind: "malformed",
    message: /option kind 99 at offset 22 has length 1, less than 2/,
    offset: 22,
  });
});

Deno.test("decodeTcp() refuses an option that runs past the option area, or lacks its length byte", () => {
  refuses(() => decodeTcp(tcpHeader([1, 8, 10, 0])), {
    kind: "malformed",
    message:
      /option timestamp \(kind 8\) at offset 21 has length 10, past the end of the options at offset 24/,
    offset: 21,
  });
  refuses(() => decodeTcp(tcpHeader([1, 1, 1, 2])), {
    kind: "malformed",
    message: /option mss \(kind 2\) at offset 23 has no length byte/,
    offset: 23,
  });
});

Deno.test("decodeTcp() refuses an option whose length is wrong for its kind, naming the length expected", () => {
  const cases: [number[], RegExp][] = [
    [
      [2, 5, 5, 180, 0, 0, 0, 0],
      /mss \(kind 2\) at offset 20 has length 5, expected 4/,
    ],
    [[3, 4, 7, 0], /wscale \(kind 3\) at offset 20 has length 4, expected 3/],
    [[4, 3, 0, 0], /sackOk \(kind 4\) at offset 20 has length 3, expected 2/],
    [
      [5, 6, 0, 0, 0, 0, 0, 0],
      /sack \(kind 5\) at offset 20 has length 6, expected 2 \+ 8n/,
    ],
    [
      [8, 6, 0, 0, 0, 0, 0, 0],
      /timestamp \(kind 8\) at offset 20 has length 6, expected 10/,
    ],
    [
      [19, 10, ...new Array(10).fill(0)],
      /md5 \(kind 19\) at offset 20 has length 10, expected 18/,
    ],
    [
      [28, 3, 0, 0],
      /userTimeout \(kind 28\) at offset 20 has length 3, expected 4/,
    ],
    [
      [29, 3, 0, 0],
      /tcpAo \(kind 29\) at offset 20 has length 3, expected at least 4/,
    ],
    [
      [254, 2, 0, 0],
      /experimental \(kind 254\) at offset 20 has length 2, expected at least 4/,
    ],
  ];
  for (const [options, message] of cases) {
    refuses(() => decodeTcp(tcpHeader(options)), {
      kind: "malformed",
      message,
      offset: 20,
    });
    // The option decoder alone says the same, at the same offset.
    refuses(() => decodeTcpOptions(new Uint8Array(options)), {
      kind: "malformed",
      message,
      offset: 20,
    });
  }
});

Deno.test("decodePacket() counts a TCP error's offset from the start of the packet", () => {
  refuses(() => decodePacket(ipv4(tcpHeader([], 3))), {
    kind: "malformed",
    message: /^Cannot decode TCP header: data offset 3 at byte 12/,
    offset: 32,
  });
  refuses(() => decodePacket(ipv4(tcpHeader([2, 0, 0, 0]))), {
    kind: "malformed",
    message: /at offset 20 has length 0/,
    offset: 40,
  });
});

Deno.test("decodeIpv4() refuses an IHL under 5 as malformed, at byte 0", () => {
  for (const ihl of [0, 4]) {
    refuses(() => decodeIpv4(ipv4(tcpHeader(), { ihl })), {
      kind: "malformed",
      message: new RegExp(`^Cannot decode IPv4 header: IHL ${ihl} at byte 0 `),
      offset: 0,
    });
  }
  refuses(() => decodePacket(ipv4(tcpHeader(), { ihl: 4 })), {
    kind: "malformed",
    message: /IHL 4 at byte 0/,
    offset: 0,
  });
});

Deno.test("decodeIpv4() refuses an IHL past the end of the buffer as truncated, at byte 0", () => {
  refuses(() => decodeIpv4(ipv4(new Uint8Array(), { ihl: 15 })), {
    kind: "truncated",
    message:
      /^Cannot decode IPv4 header: IHL 15 at byte 0 .*60-byte header.*20-byte buffer/,
    offset: 0,
  });
});

Deno.test("decodeIpv4() refuses a total length inconsistent with the header or the buffer, at byte 2", () => {
  refuses(() => decodeIpv4(ipv4(tcpHeader(), { total: 19 })), {
    kind: "malformed",
    message:
      /^Cannot decode IPv4 header: total length 19 at byte 2 is less than the 20-byte header/,
    offset: 2,
  });
  refuses(() => decodeIpv4(ipv4(tcpHeader(), { total: 41 })), {
    kind: "truncated",
    message:
      /^Cannot decode IPv4 header: total length 41 at byte 2 is past the end of the 40-byte buffer/,
    offset: 2,
  });
  refuses(() => decodePacket(ipv4(tcpHeader(), { total: 1500 })), {
    kind: "truncated",
    message: /total length 1500 at byte 2/,
    offset: 2,
  });
  // A total length shorter than the buffer is fine (link-layer padding), but
  // then the TCP header it leaves is too short.
  refuses(() => decodePacket(ipv4(tcpHeader(), { total: 30 })), {
    kind: "truncated",
    message: /^Cannot decode TCP header: buffer is 10 bytes/,
    offset: 30,
  });
});

Deno.test("decodeIpv4() and decodeIpv6() refuse a buffer shorter than their fixed header as truncated", () => {
  refuses(() => decodeIpv4(new Uint8Array([0x45, 0, 0, 20])), {
    kind: "truncated",
    message:
      /^Cannot decode IPv4 header: buffer is 4 bytes, expected at least 20$/,
    offset: 0,
  });
  const v6 = new Uint8Array(39);
  v6[0] = 0x60;
  refuses(() => decodeIpv6(v6), {
    kind: "truncated",
    message:
      /^Cannot decode IPv6 header: buffer is 39 bytes, expected at least 40$/,
    offset: 0,
  });
});

Deno.test("decodeIpv6() refuses a payload length past the end of the buffer as truncated, at byte 4", () => {
  const b = new Uint8Array(60);
  b[0] = 0x60;
  b[5] = 21;
  b[6] = 6;
  b.set(tcpHeader(), 40);
  refuses(() => decodeIpv6(b), {
    kind: "truncated",
    message:
      /^Cannot decode IPv6 header: payload length 21 at byte 4 is past the end of the 60-byte buffer/,
    offset: 4,
  });
});

Deno.test("decodeIp() refuses a version other than 4 or 6 as malformed, and decodePacket() a protocol other than TCP as unsupported", () => {
  refuses(() => decodeIp(new Uint8Array([0x55, ...new Array(39).fill(0)])), {
    kind: "malformed",
    message: /version 5 at byte 0/,
    offset: 0,
  });
  const udp = ipv4(tcpHeader());
  udp[9] = 17;
  refuses(() => decodePacket(udp), {
    kind: "unsupported",
    message: /^Cannot decode packet: protocol 17 is not TCP$/,
    offset: 9,
  });
});

Deno.test("malformed inputs decode leniently to segments that re-encode to the same bytes", () => {
  const inputs = [
    tcpHeader([], 3),
    tcpHeader([1, 1, 1, 1], 15),
    tcpHeader([2, 0, 0, 0]),
    tcpHeader([1, 8, 10, 0]),
    tcpHeader([2, 5, 5, 180, 0, 0, 0, 0]),
  ];
  for (const input of inputs) {
    const segment = decodeTcp(input, { lenient: true });
    assert.deepStrictEqual(encodeTcp(segment), input, hex(input));
  }
  // A refused option becomes one raw option holding the rest of the area.
  assert.deepStrictEqual(
    decodeTcp(tcpHeader([1, 8, 10, 0]), { lenient: true }).options,
    [
      { kind: "nop" },
      { kind: "raw", bytes: new Uint8Array([8, 10, 0]) },
    ],
  );
});
