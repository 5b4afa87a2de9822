/**
 * Fuzzing of every parser of outside bytes or text: the targets, the inputs
 * they are fed (random, and mutations of valid seeds: packets, captures,
 * hex text, filters), and the contract each must keep:
 *
 * - it throws nothing but its documented error (`DecodeError` with a
 *   "Cannot decode" message and an offset inside the input, `ParseError`,
 *   `FilterError`, `RangeError` from the filter compiler);
 * - it answers within 100 ms;
 * - what decodes strictly encodes back to the same bytes.
 *
 * `deno task fuzz` runs the targets for a count or a time and saves every
 * input that breaks a contract to `tests/corpus/<target>/`; the regular
 * suite replays that folder and runs a short fuzz of its own.
 *
 * @module
 */

import {
  compilePacketFilter,
  DecodeError,
  decodeIp,
  decodeIpv4,
  decodeIpv6,
  decodePacket,
  decodeTcp,
  decodeTcpOptions,
  encodePacket,
  encodeTcp,
  explainPacket,
  formatIPv4,
  formatIPv6,
  linkPayload,
  LINKTYPE,
  type PacketFilter,
  ParseError,
  PcapngWriter,
  PcapWriter,
  readCaptureBytes,
  runBpf,
  type TcpOption,
  tcpOptionsLength,
  type TcpPacket,
  validateBpf,
  verifyPacketChecksums,
} from "../mod.ts";
import { FilterError, parseExplainFilter } from "../src/explain/filter.ts";
import { parseHexInput } from "../src/cli/explain_input.ts";

/** mulberry32: small, fast and seedable. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  u32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
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
    for (let i = 0; i < length; i += 4) {
      const r = this.u32();
      out[i] = r;
      if (i + 1 < length) out[i + 1] = r >>> 8;
      if (i + 2 < length) out[i + 2] = r >>> 16;
      if (i + 3 < length) out[i + 3] = r >>> 24;
    }
    return out;
  }
}

export const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ------------------------------------------------------------------ valid seeds

/** TCP options of every kind the library types, within a 39-byte area. */
export function randomOptions(rng: Rng): TcpOption[] {
  const pool: (() => TcpOption)[] = [
    () => ({ kind: "nop" }),
    () => ({ kind: "mss", value: rng.int(0, 0xffff) }),
    () => ({ kind: "wscale", shift: rng.int(0, 14) }),
    () => ({ kind: "sackOk" }),
    () => ({
      kind: "sack",
      blocks: Array.from(
        { length: rng.int(1, 3) },
        () => [rng.u32(), rng.u32()] as const,
      ),
    }),
    () => ({ kind: "timestamp", value: rng.u32(), echo: rng.u32() }),
    () => ({ kind: "md5", digest: rng.bytes(16) }),
    () => ({
      kind: "userTimeout",
      granularity: "seconds",
      timeout: rng.int(0, 0x7fff),
    }),
    () => ({
      kind: "tcpAo",
      keyId: rng.int(0, 255),
      rNextKeyId: 1,
      mac: rng.bytes(rng.int(0, 12)),
    }),
    () => ({ kind: "mptcp", data: rng.bytes(rng.int(0, 10)) }),
    () => ({ kind: "fastOpen", cookie: rng.bytes(rng.pick([0, 4, 8, 16])) }),
    () => ({
      kind: "experimental",
      type: 254,
      exid: rng.int(0, 0xffff),
      data: rng.bytes(rng.int(0, 6)),
    }),
    () => ({
      kind: "unknown",
      type: rng.int(35, 252),
      data: rng.bytes(rng.int(0, 8)),
    }),
  ];
  const options: TcpOption[] = [];
  let length = 0;
  for (let n = rng.int(0, 8); n > 0; n--) {
    const option = rng.pick(pool)();
    const size = tcpOptionsLength([option]);
    if (length + size <= 39) {
      options.push(option);
      length += size;
    }
  }
  if (rng.chance(0.2)) options.push({ kind: "eol" });
  return options;
}

/** A valid packet and where its TCP header starts. */
export interface Seed {
  bytes: Uint8Array;
  /** Where the TCP header starts. */
  tcpAt: number;
}

/** A valid IPv4 or IPv6 packet with random fields, options and payload. */
export function randomPacket(rng: Rng): Seed {
  const tcp = {
    srcPort: rng.int(0, 0xffff),
    dstPort: rng.int(0, 0xffff),
    seq: rng.u32(),
    ack: rng.u32(),
    flags: rng.int(0, 0x1ff),
    window: rng.int(0, 0xffff),
    urgentPointer: rng.int(0, 0xffff),
    options: randomOptions(rng),
    payload: rng.bytes(rng.chance(0.7) ? rng.int(0, 64) : rng.int(0, 1400)),
  };
  let packet: TcpPacket;
  let tcpAt: number;
  if (rng.chance(0.5)) {
    const ipOptions = rng.bytes(4 * rng.int(0, rng.chance(0.7) ? 0 : 10));
    packet = {
      ip: {
        version: 4,
        tos: rng.int(0, 255),
        id: rng.int(0, 0xffff),
        dontFragment: rng.chance(0.5),
        moreFragments: false,
        fragmentOffset: 0,
        ttl: rng.int(0, 255),
        protocol: 6,
        src: formatIPv4(rng.bytes(4)),
        dst: formatIPv4(rng.bytes(4)),
        options: ipOptions,
      },
      tcp,
    };
    tcpAt = 20 + ipOptions.length;
  } else {
    const extensions = rng.chance(0.7)
      ? []
      : [{ nextHeader: 6, data: rng.bytes(6 + 8 * rng.int(0, 2)) }];
    packet = {
      ip: {
        version: 6,
        trafficClass: rng.int(0, 255),
        flowLabel: rng.int(0, 0xfffff),
        nextHeader: extensions.length > 0 ? 60 : 6,
        hopLimit: rng.int(0, 255),
        src: formatIPv6(rng.bytes(16)),
        dst: formatIPv6(rng.bytes(16)),
      },
      tcp,
      extensionHeaders: extensions,
    };
    tcpAt = 40 + extensions.reduce((n, h) => n + 2 + h.data.length, 0);
  }
  return { bytes: encodePacket(packet), tcpAt };
}

// ------------------------------------------------------------------ mutations

const MUTATIONS = [
  "bitFlip",
  "byteZero",
  "byteFf",
  "byteRandom",
  "truncate",
  "extend",
  "ipLength",
  "ihl",
  "version",
  "protocol",
  "dataOffset",
  "optionLength",
  "optionKind",
] as const;

/** Mutate the option area byte at `o`: a kind, a length or both. */
function mutateOption(rng: Rng, b: Uint8Array, at: number): void {
  if (b.length <= at + 21) return;
  const end = Math.min(b.length, at + (b[at + 12]! >> 4) * 4);
  const o = rng.int(at + 20, Math.max(at + 20, end - 1));
  if (o + 1 >= b.length) return;
  if (rng.chance(0.5)) {
    b[o] = rng.pick([0, 1, 2, 3, 4, 5, 8, 19, 28, 29, 30, 34, 253, 254]);
    if (rng.chance(0.2)) b[o] = rng.int(0, 255);
  }
  b[o + 1] = rng.pick([0, 1, 2, 3, 4, 10, 18, 40, 255, end - o, end - o + 1]);
  if (rng.chance(0.2)) b[o + 1] = rng.int(0, 255);
}

/** One to four mutations of a valid packet: header fields first. */
export function mutate(rng: Rng, seed: Seed): Seed {
  let b = seed.bytes.slice();
  const at = seed.tcpAt;
  for (let n = rng.int(1, 4); n > 0; n--) {
    if (b.length === 0) break;
    const i = rng.int(0, b.length - 1);
    switch (rng.pick(MUTATIONS)) {
      case "bitFlip":
        b[i] = b[i]! ^ (1 << rng.int(0, 7));
        break;
      case "byteZero":
        b[i] = 0;
        break;
      case "byteFf":
        b[i] = 0xff;
        break;
      case "byteRandom":
        b[i] = rng.int(0, 255);
        break;
      case "truncate":
        b = b.slice(
          0,
          rng.chance(0.5)
            ? rng.int(0, Math.min(b.length, at + 64))
            : rng.int(0, b.length),
        );
        break;
      case "extend": {
        const more = rng.bytes(rng.int(1, 64));
        if (rng.chance(0.3)) more.fill(0);
        const longer = new Uint8Array(b.length + more.length);
        longer.set(b);
        longer.set(more, b.length);
        b = longer;
        break;
      }
      case "ipLength": {
        // IPv4 total length (bytes 2..3) or IPv6 payload length (4..5).
        const where = (b[0]! >> 4) === 6 ? 4 : 2;
        if (b.length < where + 2) break;
        const old = (b[where]! << 8) | b[where + 1]!;
        const value = rng.chance(0.5)
          ? (old + rng.int(-8, 8)) & 0xffff
          : rng.int(0, 0xffff);
        b[where] = value >> 8;
        b[where + 1] = value & 0xff;
        break;
      }
      case "ihl":
        b[0] = (b[0]! & 0xf0) | rng.int(0, 15);
        break;
      case "version":
        b[0] = (rng.pick([4, 6, rng.int(0, 15)]) << 4) | (b[0]! & 0x0f);
        break;
      case "protocol":
        // IPv4 protocol or IPv6 next header: TCP, an extension header, or other.
        b[(b[0]! >> 4) === 6 ? 6 : 9] = rng.pick([
          6,
          0,
          43,
          44,
          60,
          17,
          rng.int(0, 255),
        ]);
        break;
      case "dataOffset":
        if (b.length > at + 12) {
          b[at + 12] = (rng.int(0, 15) << 4) | (b[at + 12]! & 0x0f);
        }
        break;
      case "optionLength":
      case "optionKind":
        mutateOption(rng, b, at);
        break;
    }
  }
  return { bytes: b, tcpAt: at };
}

/** Random bytes, bytes behind a plausible first byte, a valid packet or a mutated one. */
export function packetInput(rng: Rng, seeds: readonly Seed[]): Seed {
  const roll = rng.u32() % 100;
  let input: Seed;
  if (roll < 8) {
    input = {
      bytes: rng.bytes(rng.chance(0.6) ? rng.int(0, 80) : rng.int(0, 1600)),
      tcpAt: 0,
    };
  } else if (roll < 16) {
    const bytes = rng.bytes(rng.int(1, rng.chance(0.6) ? 120 : 1600));
    bytes[0] = rng.pick([0x45, 0x46, 0x4f, 0x60, 0x61]);
    if (bytes.length > 9 && (bytes[0]! >> 4) === 4) bytes[9] = 6;
    if (bytes.length > 6 && (bytes[0]! >> 4) === 6) bytes[6] = 6;
    input = { bytes, tcpAt: (bytes[0]! >> 4) === 6 ? 40 : 20 };
  } else if (roll < 20) {
    input = rng.pick(seeds);
  } else {
    input = mutate(rng, rng.pick(seeds));
  }
  if (input.bytes.length > 1600) input.bytes = input.bytes.slice(0, 1600);
  return input;
}

// ------------------------------------------------------------------ contracts

/** A contract broken: what, and the input that broke it. */
export class FuzzFailure extends Error {
  constructor(readonly target: string, message: string) {
    super(`${target}: ${message}`);
    this.name = "FuzzFailure";
  }
}

/** The documented failure of a decoder: a DecodeError with its offset inside the input. */
function isDecodeError(error: unknown, maxOffset: number): boolean {
  return error instanceof DecodeError &&
    error.message.startsWith("Cannot decode") &&
    ["truncated", "malformed", "unsupported"].includes(error.kind) &&
    Number.isInteger(error.offset) && error.offset >= 0 &&
    error.offset <= maxOffset;
}

function describe(error: unknown): string {
  if (error instanceof DecodeError) {
    return `DecodeError kind ${error.kind} offset ${error.offset}: ${error.message}`;
  }
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/** Run `decode`; undefined when it failed as documented, else a failure. */
function decodes<T>(
  target: string,
  maxOffset: number,
  decode: () => T,
): T | undefined {
  try {
    return decode();
  } catch (error) {
    if (isDecodeError(error, maxOffset)) return undefined;
    throw new FuzzFailure(target, describe(error));
  }
}

/** The end of the datagram as its IP header says, for the round trip. */
function ipEnd(bytes: Uint8Array): number {
  if ((bytes[0]! >> 4) === 4) return (bytes[2]! << 8) | bytes[3]!;
  return 40 + ((bytes[4]! << 8) | bytes[5]!);
}

function packetContracts(input: Uint8Array): void {
  const n = input.length;
  decodes("decodeIpv4", n, () => decodeIpv4(input));
  decodes("decodeIpv4", n, () => decodeIpv4(input, { lenient: true }));
  decodes("decodeIpv6", n, () => decodeIpv6(input));
  decodes("decodeIpv6", n, () => decodeIpv6(input, { lenient: true }));
  decodes("decodeIp", n, () => decodeIp(input));
  decodes("decodeIp", n, () => decodeIp(input, { lenient: true }));
  decodes("decodePacket", n, () => decodePacket(input, { lenient: true }));
  decodes("verifyPacketChecksums", n, () => verifyPacketChecksums(input));
  const packet = decodes("decodePacket", n, () => decodePacket(input));
  if (packet !== undefined) {
    let again: Uint8Array;
    try {
      again = encodePacket(packet);
    } catch (error) {
      throw new FuzzFailure(
        "decodePacket",
        `re-encoding threw ${describe(error)}`,
      );
    }
    if (!sameBytes(again, input.subarray(0, ipEnd(input)))) {
      throw new FuzzFailure("decodePacket", `re-encoded to ${hex(again)}`);
    }
  }
  decodes("explainPacket", n, () => explainPacket(input));
}

function segmentContracts(segment: Uint8Array): void {
  const n = segment.length;
  decodes("decodeTcp", n, () => decodeTcp(segment));
  if (n >= 20) {
    let lenient;
    try {
      lenient = decodeTcp(segment, { lenient: true });
    } catch (error) {
      throw new FuzzFailure("decodeTcp lenient", `threw ${describe(error)}`);
    }
    const again = encodeTcp(lenient);
    if (!sameBytes(again, segment)) {
      throw new FuzzFailure("decodeTcp lenient", `re-encoded to ${hex(again)}`);
    }
  }
  const area = segment.subarray(Math.min(20, n), Math.min(60, n));
  decodes("decodeTcpOptions", area.length + 20, () => decodeTcpOptions(area));
  try {
    decodeTcpOptions(area, { lenient: true });
  } catch (error) {
    throw new FuzzFailure(
      "decodeTcpOptions lenient",
      `threw ${describe(error)}`,
    );
  }
}

// ------------------------------------------------------------------ captures

/** A pcap or pcapng file of a few seeds, in one of the link types tcpcraft reads. */
function captureFile(rng: Rng, seeds: readonly Seed[]): Uint8Array {
  const linkType = rng.pick([
    LINKTYPE.RAW,
    LINKTYPE.ETHERNET,
    LINKTYPE.LINUX_SLL,
    LINKTYPE.NULL,
    LINKTYPE.PPP,
    LINKTYPE.C_HDLC,
    LINKTYPE.FRELAY,
  ]);
  const frame = (ip: Uint8Array) => {
    const head: Record<number, number[]> = {
      [LINKTYPE.ETHERNET]: [...new Uint8Array(12), 0x08, 0x00],
      [LINKTYPE.LINUX_SLL]: [...new Uint8Array(14), 0x86, 0xdd],
      [LINKTYPE.NULL]: [2, 0, 0, 0],
      [LINKTYPE.PPP]: [0xff, 0x03, 0x00, 0x21],
      [LINKTYPE.C_HDLC]: [0x0f, 0x00, 0x08, 0x00],
      [LINKTYPE.FRELAY]: [0x18, 0x41, 0x03, 0xcc],
    };
    return new Uint8Array([...(head[linkType] ?? []), ...ip]);
  };
  const writer = rng.chance(0.5)
    ? new PcapWriter({
      linkType,
      precision: rng.pick(["microseconds", "nanoseconds"] as const),
    })
    : new PcapngWriter({ linkType });
  const parts = [writer.header()];
  for (let n = rng.int(0, 4); n > 0; n--) {
    parts.push(writer.packet(frame(rng.pick(seeds).bytes), {
      timestamp: rng.int(0, 2 ** 40),
      ...(writer instanceof PcapngWriter && rng.chance(0.3)
        ? { comment: "c" }
        : {}),
    }));
  }
  return new Uint8Array(parts.flatMap((part) => [...part]));
}

/** A capture file, mutated: bytes, lengths, truncation, junk. */
function captureInput(rng: Rng, seeds: readonly Seed[]): Uint8Array {
  const file = captureFile(rng, seeds);
  if (rng.chance(0.1)) return file;
  let b = file.slice();
  for (let n = rng.int(1, 6); n > 0; n--) {
    const i = rng.int(0, Math.max(0, b.length - 1));
    const roll = rng.int(0, 5);
    if (roll === 0) b[i] = rng.int(0, 255);
    else if (roll === 1) b[i] = b[i]! ^ (1 << rng.int(0, 7));
    else if (roll === 2) b = b.slice(0, rng.int(0, b.length));
    else if (roll === 3) {
      b.set(
        rng.pick([[0xff, 0xff, 0xff, 0xff], [0, 0, 0, 0], [1, 0, 0, 0]]).slice(
          0,
          b.length - i,
        ),
        i,
      );
    } else if (roll === 4) {
      b = new Uint8Array([...b, ...rng.bytes(rng.int(1, 40))]);
    } else b[i] = 0;
  }
  return b;
}

function captureContracts(file: Uint8Array): void {
  let result;
  try {
    result = readCaptureBytes(file, {
      maxCaptureLength: 65536,
      maxBlockLength: 1 << 20,
    });
  } catch (error) {
    throw new FuzzFailure("readCaptureBytes", `threw ${describe(error)}`);
  }
  if (result.error !== undefined && !isDecodeError(result.error, file.length)) {
    throw new FuzzFailure("readCaptureBytes", describe(result.error));
  }
  for (const record of result.records) {
    if (record.data.length > 65536) {
      throw new FuzzFailure(
        "readCaptureBytes",
        `a record of ${record.data.length} bytes`,
      );
    }
    let ip;
    try {
      ip = linkPayload(record);
    } catch (error) {
      throw new FuzzFailure("linkPayload", `threw ${describe(error)}`);
    }
    if (ip !== undefined) {
      decodes("explainPacket", ip.length, () => explainPacket(ip));
    }
  }
}

// ------------------------------------------------------------------ text

const FILTER_WORDS = [
  "port",
  "src",
  "dst",
  "host",
  "flags",
  "syn",
  "ack",
  "fin",
  "rst",
  "psh",
  "urg",
  "ece",
  "cwr",
  "ae",
  "ip",
  "ip6",
  "anomaly",
  "not",
  "80",
  "0",
  "65536",
  "-1",
  "192.0.2.1",
  "2001:db8::1",
  "SA",
  "0x12",
  "xmas",
  "",
  " ",
  "constructor",
  "__proto__",
  "\u0000",
  "\u202e",
  "9".repeat(30),
];

function textInput(rng: Rng): string {
  if (rng.chance(0.5)) {
    return Array.from({ length: rng.int(0, 8) }, () => rng.pick(FILTER_WORDS))
      .join(rng.pick([" ", "  ", ",", " and "]));
  }
  const alphabet = "0123456789abcdefABCDEF:x \n\t-_.,;'\"<>/\\\u00e9\u0000";
  return Array.from(
    { length: rng.int(0, 200) },
    () => alphabet[rng.int(0, alphabet.length - 1)]!,
  ).join("");
}

function textContracts(text: string): void {
  try {
    parseExplainFilter(text);
  } catch (error) {
    if (!(error instanceof FilterError)) {
      throw new FuzzFailure("parseExplainFilter", describe(error));
    }
  }
  try {
    const bytes = parseHexInput(text);
    packetContracts(bytes);
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    if (!(error instanceof ParseError)) {
      throw new FuzzFailure("parseHexInput", describe(error));
    }
  }
}

// ------------------------------------------------------------------ filters

function filterInput(rng: Rng): unknown {
  const value = () =>
    rng.pick<unknown>([
      undefined,
      null,
      0,
      -1,
      80,
      65536,
      0.5,
      "80",
      "192.0.2.0/24",
      "2001:db8::/200",
      "x",
      [],
      [80, 443],
      [[10, 5]],
      [[1, 2, 3]],
      {},
      0x1ff,
      0x200,
      ["10.0.0.0/8", "::/0"],
      ["tcp"],
      ["icmp"],
      ["udp"],
      4,
      6,
      5,
    ]);
  const filter: Record<string, unknown> = {};
  for (
    const key of [
      "family",
      "protocols",
      "host",
      "src",
      "dst",
      "port",
      "srcPort",
      "dstPort",
    ]
  ) {
    if (rng.chance(0.3)) filter[key] = value();
  }
  if (rng.chance(0.2)) {
    filter.flags = { set: value(), clear: value(), equals: value() };
  }
  return rng.chance(0.2) ? [filter, {}] : filter;
}

function filterContracts(filter: unknown, packet: Uint8Array): void {
  let program;
  try {
    program = compilePacketFilter(filter as PacketFilter);
  } catch (error) {
    if (
      error instanceof RangeError &&
      error.message.startsWith("Cannot compile packet filter")
    ) return;
    throw new FuzzFailure("compilePacketFilter", describe(error));
  }
  try {
    validateBpf(program);
    runBpf(program, packet);
  } catch (error) {
    throw new FuzzFailure(
      "compilePacketFilter",
      `its program: ${describe(error)}`,
    );
  }
}

// ------------------------------------------------------------------ the targets

/** One fuzz target: how an input is made and the contract it is held to. */
export interface FuzzTarget {
  /** The folder name under tests/corpus/. */
  name: string;
  /** A new input (text targets encode their text as UTF-8). */
  generate(rng: Rng, seeds: readonly Seed[]): Uint8Array;
  /** Throws a {@linkcode FuzzFailure} when a contract is broken. */
  check(input: Uint8Array): void;
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  {
    name: "packet",
    generate: (rng, seeds) => packetInput(rng, seeds).bytes,
    check: packetContracts,
  },
  {
    name: "segment",
    generate: (rng, seeds) => {
      const input = packetInput(rng, seeds);
      return input.bytes.slice(Math.min(input.tcpAt, input.bytes.length));
    },
    check: segmentContracts,
  },
  { name: "capture", generate: captureInput, check: captureContracts },
  {
    name: "text",
    generate: (rng) => utf8.encode(textInput(rng)),
    check: (input) => textContracts(text.decode(input)),
  },
  {
    name: "filter",
    generate: (rng, seeds) =>
      utf8.encode(JSON.stringify({
        filter: filterInput(rng),
        packet: hex(rng.pick(seeds).bytes),
      })),
    check: (input) => {
      const { filter, packet } = JSON.parse(text.decode(input));
      const bytes = Uint8Array.from(
        (packet as string).match(/../g) ?? [],
        (h) => parseInt(h, 16),
      );
      filterContracts(filter, bytes);
    },
  },
];

/** The longest an input may take, milliseconds. */
export const FUZZ_TIME_LIMIT_MS = 100;

/** Check one input, timing it: a failure, or undefined when it kept every contract. */
export function fuzzOne(
  target: FuzzTarget,
  input: Uint8Array,
): string | undefined {
  const start = performance.now();
  try {
    target.check(input);
  } catch (error) {
    return error instanceof FuzzFailure
      ? error.message
      : `${target.name}: the harness threw ${describe(error)}`;
  }
  const ms = performance.now() - start;
  if (ms <= FUZZ_TIME_LIMIT_MS) return undefined;
  // A garbage collection or a busy machine can stall one call: slow only
  // counts when the input is slow twice more.
  let fastest = ms;
  for (let again = 0; again < 2 && fastest > FUZZ_TIME_LIMIT_MS; again++) {
    const retry = performance.now();
    target.check(input);
    fastest = Math.min(fastest, performance.now() - retry);
  }
  return fastest > FUZZ_TIME_LIMIT_MS
    ? `${target.name}: took ${
      fastest.toFixed(1)
    } ms, more than ${FUZZ_TIME_LIMIT_MS}`
    : undefined;
}

/** Valid packets the mutations start from. */
export function seeds(rng: Rng, count = 400): Seed[] {
  return Array.from({ length: count }, () => randomPacket(rng));
}
