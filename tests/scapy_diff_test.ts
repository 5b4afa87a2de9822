/**
 * Differential tests against scapy, the independent oracle.
 *
 * One run of `/usr/bin/python3 tests/_scapy.py` per test run builds every
 * packet (JSON lines in, one JSON line out each):
 *
 * - direction 1: tcpcraft picks the fields (seeded), scapy builds
 *   `IP(...)/TCP(...)/Raw(...)` or `IPv6(...)/TCP(...)/Raw(...)` from them;
 *   `encodePacket` must give the same bytes, and `decodePacket` must read
 *   scapy's bytes back to the fields and to scapy's own dissection;
 * - direction 2: scapy picks the fields with its own random value classes
 *   (`RandIP`, `RandShort`, `RandTCPOptions`...); `decodePacket` must agree
 *   with scapy's dissection and `encodePacket` must re-encode to the bytes.
 *
 * The seed comes from `TCPCRAFT_SEED` or is drawn at random; it is printed
 * and included in every failure message.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type DecodedTcpPacket,
  decodePacket,
  encodePacket,
  formatIPv4,
  formatIPv6,
  makeTcpPacket,
  parseAddress,
  TCP_OPTION_KINDS,
  type TcpOption,
  tcpOptionLength,
  type TcpPacket,
} from "../mod.ts";

// ------------------------------------------------------------------ seeding

function readSeed(): number {
  const text = Deno.env.get("TCPCRAFT_SEED");
  if (text !== undefined && text !== "") {
    const seed = Number(text);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(
        `TCPCRAFT_SEED "${text}" is not an integer in 0..4294967295`,
      );
    }
    return seed;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

const SEED = readSeed();
console.log(
  `scapy_diff_test: seed ${SEED} (repeat with TCPCRAFT_SEED=${SEED})`,
);

/** mulberry32: a small seeded generator, good enough to pick test fields. */
class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A uint32. */
  u32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in min..max (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor((this.u32() / 0x1_0000_0000) * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

// ------------------------------------------------------------------ model -> JSON

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** A value with byte strings as hex and tuples as arrays, for JSON and deepEqual. */
function jsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = jsonValue(item);
    }
    return out;
  }
  return value;
}

const addressHex = (text: string): string => hex(parseAddress(text).bytes);

/** Our decoded packet in the shape `_scapy.py` writes scapy's dissection in. */
function dissection(packet: DecodedTcpPacket): unknown {
  const { ip, tcp } = packet;
  const ipJson = ip.version === 4
    ? {
      version: 4,
      ihl: ip.ihl,
      tos: ip.tos,
      totalLength: ip.totalLength,
      id: ip.id,
      reservedBit: ip.reservedBit,
      dontFragment: ip.dontFragment,
      moreFragments: ip.moreFragments,
      fragmentOffset: ip.fragmentOffset,
      ttl: ip.ttl,
      protocol: ip.protocol,
      checksum: ip.checksum,
      src: addressHex(ip.src),
      dst: addressHex(ip.dst),
      options: hex(ip.options),
    }
    : {
      version: 6,
      trafficClass: ip.trafficClass,
      flowLabel: ip.flowLabel,
      payloadLength: ip.payloadLength,
      nextHeader: ip.nextHeader,
      hopLimit: ip.hopLimit,
      src: addressHex(ip.src),
      dst: addressHex(ip.dst),
    };
  const tcpJson: Record<string, unknown> = {
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    dataOffset: tcp.dataOffset,
    reserved: tcp.reserved,
    flags: tcp.flags,
    window: tcp.window,
    checksum: tcp.checksum,
    urgentPointer: tcp.urgentPointer,
    options: jsonValue(tcp.options),
    payload: hex(tcp.payload),
  };
  if (tcp.padding !== undefined) tcpJson.padding = hex(tcp.padding);
  return { ip: ipJson, tcp: tcpJson };
}

// ------------------------------------------------------------------ generators

/** Kinds with a meaning of their own (in tcpcraft or in scapy's table). */
const NAMED_KINDS = new Set<number>([
  ...Object.values(TCP_OPTION_KINDS),
  // scapy names these; 25 ("Mood", format "!p") it dissects lossily.
  14,
  15,
  25,
]);
const UNKNOWN_KINDS = Array.from({ length: 256 }, (_, k) => k).filter((k) =>
  !NAMED_KINDS.has(k)
);

function randomOption(rng: Rng): TcpOption {
  switch (rng.int(0, 14)) {
    case 0:
    case 1:
      return { kind: "nop" };
    case 2:
      return { kind: "mss", value: rng.int(0, 0xffff) };
    case 3:
      return {
        kind: "wscale",
        shift: rng.chance(0.7) ? rng.int(0, 14) : rng.int(0, 255),
      };
    case 4:
      return { kind: "sackOk" };
    case 5: {
      const blocks: [number, number][] = [];
      for (let n = rng.int(1, 4); n > 0; n--) {
        blocks.push([rng.u32(), rng.u32()]);
      }
      return { kind: "sack", blocks };
    }
    case 6:
      return { kind: "timestamp", value: rng.u32(), echo: rng.u32() };
    case 7:
      return { kind: "md5", digest: rng.bytes(16) };
    case 8:
      return {
        kind: "userTimeout",
        granularity: rng.chance(0.5) ? "minutes" : "seconds",
        timeout: rng.int(0, 0x7fff),
      };
    case 9:
      return {
        kind: "fastOpen",
        cookie: rng.bytes(rng.chance(0.2) ? 0 : rng.int(4, 16)),
      };
    case 10:
      return {
        kind: "tcpAo",
        keyId: rng.int(0, 255),
        rNextKeyId: rng.int(0, 255),
        mac: rng.bytes(rng.int(0, 16)),
      };
    case 11:
      return { kind: "mptcp", data: rng.bytes(rng.int(0, 18)) };
    case 12:
      return {
        kind: "experimental",
        type: rng.chance(0.5) ? 253 : 254,
        exid: rng.int(0, 0xffff),
        data: rng.bytes(rng.int(0, 10)),
      };
    default:
      return {
        kind: "unknown",
        type: rng.pick(UNKNOWN_KINDS),
        data: rng.bytes(rng.int(0, 12)),
      };
  }
}

/**
 * 0..40 bytes of options. An `eol` only ever ends the list, and only at an
 * offset that is a multiple of 4: elsewhere it would sit where the
 * encoder's own zero padding goes, the one case the decoder documents as
 * reading back without it.
 */
function randomOptions(rng: Rng): TcpOption[] {
  const options: TcpOption[] = [];
  let length = 0;
  const target = rng.chance(0.15) ? 0 : rng.chance(0.3) ? 40 : rng.int(1, 40);
  for (let tries = 0; tries < 40 && length < target; tries++) {
    const option = randomOption(rng);
    const size = tcpOptionLength(option);
    if (length + size <= 40) {
      options.push(option);
      length += size;
    }
  }
  if (length % 4 === 0 && length < 40 && rng.chance(0.1)) {
    options.push({ kind: "eol" });
  }
  return options;
}

/**
 * IPv4 options: NOP, end of list, router alert (RFC 2113) and random
 * type-length-value ones, 1..40 bytes (the encoder zero-pads to 4).
 */
function randomIpv4Options(rng: Rng): Uint8Array {
  const out: number[] = [];
  const limit = rng.int(1, 40);
  while (out.length < limit) {
    const room = limit - out.length;
    const roll = rng.int(0, 3);
    if (roll === 0 || room < 4) out.push(1);
    else if (roll === 1) out.push(0x94, 4, 0, 0);
    else if (roll === 2) out.push(0);
    else {
      const length = rng.int(2, room);
      out.push(rng.int(2, 255), length, ...rng.bytes(length - 2));
    }
  }
  return new Uint8Array(out);
}

function randomIpv6(rng: Rng): string {
  const bytes = rng.bytes(16);
  // Runs of zero groups exercise the "::" forms.
  if (rng.chance(0.4)) {
    const start = rng.int(0, 7);
    const end = rng.int(start, 8);
    bytes.fill(0, start * 2, end * 2);
  }
  return formatIPv6(bytes);
}

interface Case {
  packet: TcpPacket;
  /** The request to `_scapy.py`. */
  request: Record<string, unknown>;
}

function randomCase(rng: Rng, version: 4 | 6, payloadLength: number): Case {
  const options = randomOptions(rng);
  const payload = rng.bytes(payloadLength);
  const common = {
    srcPort: rng.int(0, 0xffff),
    dstPort: rng.int(0, 0xffff),
    seq: rng.u32(),
    ack: rng.u32(),
    flags: rng.int(0, 0x1ff),
    window: rng.int(0, 0xffff),
    urgentPointer: rng.int(0, 0xffff),
    reserved: rng.chance(0.5) ? 0 : rng.int(0, 7),
  };
  const checksum = rng.chance(0.1) ? rng.int(0, 0xffff) : undefined;
  const tcpRequest = {
    ...common,
    options: jsonValue(options),
    payload: hex(payload),
    checksum: checksum ?? null,
  };
  let packet: TcpPacket;
  let request: Record<string, unknown>;
  if (version === 4) {
    const src = formatIPv4(rng.bytes(4));
    const dst = formatIPv4(rng.bytes(4));
    const ip = {
      ttl: rng.int(0, 255),
      id: rng.int(0, 0xffff),
      tos: rng.int(0, 255),
      dontFragment: rng.chance(0.5),
    };
    // IPv4 options (raw bytes, 1..40 of them) in a fifth of the cases.
    const ipOptions = rng.chance(0.2)
      ? randomIpv4Options(rng)
      : new Uint8Array();
    // Half through makeTcpPacket, half as a plain model.
    if (rng.chance(0.5)) {
      packet = makeTcpPacket({
        src,
        dst,
        ...common,
        ...ip,
        options,
        payload,
        checksum,
        ipOptions,
      });
    } else {
      packet = {
        ip: {
          version: 4,
          ...ip,
          moreFragments: false,
          fragmentOffset: 0,
          protocol: 6,
          src,
          dst,
          options: ipOptions,
        },
        tcp: { ...common, options, payload },
      };
      if (checksum !== undefined) packet.tcp.checksum = checksum;
    }
    request = {
      op: "build",
      v: 4,
      src,
      dst,
      ...ip,
      ipOptions: hex(ipOptions),
      ...tcpRequest,
    };
  } else {
    const src = randomIpv6(rng);
    const dst = randomIpv6(rng);
    const ip = {
      hopLimit: rng.int(0, 255),
      flowLabel: rng.int(0, 0xfffff),
      trafficClass: rng.int(0, 255),
    };
    if (rng.chance(0.5)) {
      packet = makeTcpPacket({
        src,
        dst,
        ...common,
        ...ip,
        options,
        payload,
        checksum,
      });
    } else {
      packet = {
        ip: { version: 6, ...ip, nextHeader: 6, src, dst },
        tcp: { ...common, options, payload },
      };
      if (checksum !== undefined) packet.tcp.checksum = checksum;
    }
    request = { op: "build", v: 6, src, dst, ...ip, ...tcpRequest };
  }
  return { packet, request };
}

// ------------------------------------------------------------------ the run

/** Payload lengths: every length 0..64 for each family, then random ones. */
const BUILD_CASES = 1200;
const RANDOM_CASES = 400;

interface Built {
  hex: string;
  dissect: unknown;
}

interface Run {
  cases: Case[];
  built: Built[];
  randomSeeds: { seed: number; v: 4 | 6 }[];
  random: Built[];
  seconds: number;
}

async function runScapy(requests: unknown[]): Promise<Built[]> {
  const script = new URL("./_scapy.py", import.meta.url).pathname;
  const child = new Deno.Command("/usr/bin/python3", {
    args: [script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  const writer = child.stdin.getWriter();
  const input = requests.map((r) => JSON.stringify(r)).join("\n") + "\n";
  let writeError: unknown;
  try {
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  } catch (error) {
    writeError = error; // scapy died early: its stderr says why
  }
  const { code, stdout, stderr } = await output;
  const err = new TextDecoder().decode(stderr) +
    (writeError === undefined ? "" : `\n(writing to it failed: ${writeError})`);
  assert.equal(code, 0, `seed ${SEED}: _scapy.py exited with ${code}:\n${err}`);
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  assert.equal(
    lines.length,
    requests.length,
    `seed ${SEED}: _scapy.py answered ${lines.length} lines for ${requests.length} requests:\n${err}`,
  );
  return lines.map((line) => JSON.parse(line) as Built);
}

let running: Promise<Run> | undefined;

/** Build every case and run scapy once, the first time a test asks. */
function run(): Promise<Run> {
  running ??= (async () => {
    const rng = new Rng(SEED);
    const cases: Case[] = [];
    for (let i = 0; i < BUILD_CASES; i++) {
      const version = i < 65 ? 4 : i < 130 ? 6 : rng.chance(0.5) ? 4 : 6;
      const length = i < 130
        ? i % 65
        : rng.chance(0.2)
        ? rng.int(0, 64)
        : rng.int(0, 1460);
      cases.push(randomCase(rng, version, length));
    }
    const randomSeeds = Array.from({ length: RANDOM_CASES }, (_, i) => ({
      seed: rng.u32(),
      v: (i % 2 === 0 ? 4 : 6) as 4 | 6,
    }));
    const start = performance.now();
    const answers = await runScapy([
      ...cases.map((c) => c.request),
      ...randomSeeds.map(({ seed, v }) => ({ op: "random", seed, v })),
    ]);
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `scapy_diff_test: scapy built ${answers.length} packets in ${
        seconds.toFixed(2)
      } s`,
    );
    return {
      cases,
      built: answers.slice(0, BUILD_CASES),
      randomSeeds,
      random: answers.slice(BUILD_CASES),
      seconds,
    };
  })();
  return running;
}

const unhex = (text: string): Uint8Array =>
  new Uint8Array((text.match(/../g) ?? []).map((b) => parseInt(b, 16)));

/**
 * Runs `check` for each case and collects failures, so that one report
 * shows how many cases differ and the first few in full.
 */
function checkAll(
  what: string,
  count: number,
  check: (i: number) => void,
): void {
  const failures: string[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    try {
      check(i);
    } catch (error) {
      failed++;
      if (failures.length < 3) {
        failures.push(
          `case ${i}: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    }
  }
  if (failed > 0) {
    assert.fail(
      `seed ${SEED} (TCPCRAFT_SEED=${SEED}): ${what}: ${failed} of ${count} cases fail; the first ${failures.length}:\n\n${
        failures.join("\n\n")
      }`,
    );
  }
}

function describe(c: Case): string {
  return JSON.stringify(c.request);
}

/** Our input fields that the decoder must give back (computed fields left out). */
function inputFields(packet: TcpPacket): unknown {
  const { ip, tcp } = packet;
  const ipJson = ip.version === 4
    ? {
      version: 4,
      tos: ip.tos,
      id: ip.id,
      dontFragment: ip.dontFragment,
      moreFragments: ip.moreFragments,
      fragmentOffset: ip.fragmentOffset,
      ttl: ip.ttl,
      protocol: ip.protocol,
      src: ip.src,
      dst: ip.dst,
      // As on the wire: zero-padded to a multiple of 4.
      options: hex(ip.options) + "00".repeat((4 - (ip.options.length % 4)) % 4),
    }
    : {
      version: 6,
      trafficClass: ip.trafficClass,
      flowLabel: ip.flowLabel,
      nextHeader: ip.nextHeader,
      hopLimit: ip.hopLimit,
      src: ip.src,
      dst: ip.dst,
    };
  return {
    ip: ipJson,
    tcp: {
      srcPort: tcp.srcPort,
      dstPort: tcp.dstPort,
      seq: tcp.seq,
      ack: tcp.ack,
      flags: tcp.flags,
      reserved: tcp.reserved ?? 0,
      window: tcp.window,
      urgentPointer: tcp.urgentPointer,
      options: jsonValue(tcp.options),
      payload: hex(tcp.payload),
    },
  };
}

/** The same fields of a decoded packet, plus `padding` if the decoder gave one. */
function decodedFields(decoded: DecodedTcpPacket): unknown {
  const picked = inputFields(decoded) as { tcp: Record<string, unknown> };
  if (decoded.tcp.padding !== undefined) {
    picked.tcp.padding = hex(decoded.tcp.padding);
  }
  return picked;
}

// ------------------------------------------------------------------ tests

Deno.test("scapy oracle: the cases cover every payload length 0..64, both families, odd and even lengths up to 1460", async () => {
  const { cases, built } = await run();
  assert.ok(cases.length >= 1000, `seed ${SEED}: only ${cases.length} cases`);
  for (const version of [4, 6]) {
    const lengths = new Set(
      cases.filter((c) => c.packet.ip.version === version).map((c) =>
        c.packet.tcp.payload.length
      ),
    );
    for (let n = 0; n <= 64; n++) {
      assert.ok(
        lengths.has(n),
        `seed ${SEED}: IPv${version} lacks payload length ${n}`,
      );
    }
    const big = [...lengths].filter((n) => n > 64);
    assert.ok(big.some((n) => n % 2 === 1) && big.some((n) => n % 2 === 0));
  }
  const flags = new Set(cases.map((c) => c.packet.tcp.flags & 0x100));
  assert.ok(flags.has(0x100), `seed ${SEED}: no case sets AE`);
  assert.equal(built.length, cases.length);
  const kinds = new Set(
    cases.flatMap((c) => c.packet.tcp.options.map((o) => o.kind)),
  );
  for (
    const kind of [
      "nop",
      "mss",
      "wscale",
      "sackOk",
      "sack",
      "timestamp",
      "md5",
      "userTimeout",
      "fastOpen",
      "tcpAo",
      "mptcp",
      "experimental",
      "unknown",
    ]
  ) {
    assert.ok(
      kinds.has(kind as TcpOption["kind"]),
      `seed ${SEED}: no ${kind} option`,
    );
  }
  const full = cases.filter((c) =>
    c.packet.tcp.options.reduce((n, o) => n + tcpOptionLength(o), 0) === 40
  );
  assert.ok(
    full.length > 0,
    `seed ${SEED}: no case fills the 40-byte option area`,
  );
});

Deno.test("encodePacket() gives the bytes scapy builds from the same fields (IPv4 and IPv6, 9 flag bits, 0-40 bytes of options)", async () => {
  const { cases, built } = await run();
  checkAll("encodePacket() differs from scapy", cases.length, (i) => {
    const c = cases[i]!;
    let ours: string;
    try {
      ours = hex(encodePacket(c.packet));
    } catch (error) {
      throw new Error(`encodePacket() threw ${error} for ${describe(c)}`);
    }
    if (ours !== built[i]!.hex) {
      throw new Error(
        `bytes differ for ${describe(c)}\n  scapy: ${
          built[i]!.hex
        }\n  ours:  ${ours}`,
      );
    }
  });
});

Deno.test("decodePacket() reads scapy's bytes back to the fields they were built from", async () => {
  const { cases, built } = await run();
  checkAll("decodePacket() of scapy's bytes", cases.length, (i) => {
    const c = cases[i]!;
    const decoded = decodePacket(unhex(built[i]!.hex));
    assert.deepStrictEqual(
      decodedFields(decoded),
      inputFields(c.packet),
      `fields differ for ${describe(c)}`,
    );
  });
});

Deno.test("decodePacket() agrees with scapy's dissection of the packets it built", async () => {
  const { cases, built } = await run();
  checkAll("decodePacket() vs scapy's dissection", cases.length, (i) => {
    const c = cases[i]!;
    const decoded = decodePacket(unhex(built[i]!.hex));
    assert.deepStrictEqual(
      dissection(decoded),
      built[i]!.dissect,
      `dissection differs for ${describe(c)}`,
    );
  });
});

Deno.test("decodePacket() agrees with scapy's dissection of packets whose fields scapy chose at random", async () => {
  const { randomSeeds, random } = await run();
  checkAll("decodePacket() vs scapy's random packets", random.length, (i) => {
    const { seed, v } = randomSeeds[i]!;
    const bytes = unhex(random[i]!.hex);
    let decoded: DecodedTcpPacket;
    try {
      decoded = decodePacket(bytes);
    } catch (error) {
      throw new Error(
        `decodePacket() threw ${error} for scapy's random IPv${v} packet (python seed ${seed}) ${
          random[i]!.hex
        }`,
      );
    }
    assert.deepStrictEqual(
      dissection(decoded),
      random[i]!.dissect,
      `dissection differs for scapy's random IPv${v} packet (python seed ${seed}) ${
        random[i]!.hex
      }`,
    );
  });
});

Deno.test("encodePacket() re-encodes decoded scapy packets to the same bytes", async () => {
  const { built, random } = await run();
  const all = [...built, ...random];
  checkAll("encodePacket(decodePacket(scapy bytes))", all.length, (i) => {
    const bytes = unhex(all[i]!.hex);
    const again = hex(encodePacket(decodePacket(bytes)));
    if (again !== all[i]!.hex) {
      throw new Error(
        `re-encoding differs\n  scapy: ${all[i]!.hex}\n  ours:  ${again}`,
      );
    }
  });
});

Deno.test("decodePacket() reads an explicit end-of-list option at a 4-byte boundary, not the zero padding after it", async () => {
  // Fixed case on top of the random ones: MSS then EOL, as scapy builds it.
  const { cases, built } = await run();
  const withEol = cases
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.packet.tcp.options.at(-1)?.kind === "eol");
  assert.ok(withEol.length > 0, `seed ${SEED}: no case ends in eol`);
  checkAll("explicit eol cases", withEol.length, (j) => {
    const { c, i } = withEol[j]!;
    const decoded = decodePacket(unhex(built[i]!.hex));
    assert.deepStrictEqual(
      { options: jsonValue(decoded.tcp.options), padding: decoded.tcp.padding },
      { options: jsonValue(c.packet.tcp.options), padding: undefined },
      `options differ for ${describe(c)}`,
    );
  });
});
