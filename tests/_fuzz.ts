/**
 * Fuzzing of every parser of outside bytes or text: the targets, the inputs
 * they are fed (random, and mutations of valid seeds: random packets with
 * every option kind and IPv6 extension header, and the datagrams of the
 * capture fixtures, the kernel's TCP-MD5 and MPTCP conversations among
 * them), and the contract each must keep:
 *
 * - it throws nothing but its documented error (`DecodeError` with a
 *   "Cannot decode" message and an offset inside the input, `ParseError`,
 *   `FilterError`, `RangeError` from the filter compiler, `ResumeError`);
 *   the text line, tcpdump's option texts and the link layer throw nothing;
 * - it answers within 100 ms;
 * - what decodes strictly encodes back to the same bytes (packets,
 *   segments, option areas, MPTCP bodies, resume files), and intact
 *   fragments reassemble to the datagram they were cut from.
 *
 * The targets: `packet` (IPv4, IPv6 with extension headers, the explainer
 * and the text line, cut at any length on the wire), `segment`, `capture`
 * (pcap and pcapng in the link types tcpcraft reads), `text` (explain's
 * hex and its filter), `filter` (the BPF compiler's input), and in
 * tests/_fuzz_more.ts `fragments` (IPv4 and IPv6 fragments and the
 * reassembler), `options` (every TCP option kind of the registry, MPTCP's
 * subtypes, EDO and TCP-AO typed), `resume` (the scan resume file) and
 * `link` (every link type's header).
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
  explainPacket,
  linkPayload,
  LINKTYPE,
  type PacketFilter,
  ParseError,
  PcapngWriter,
  PcapWriter,
  readCaptureBytes,
  runBpf,
  validateBpf,
} from "../mod.ts";
import { FilterError, parseExplainFilter } from "../src/explain/filter.ts";
import { parseHexInput } from "../src/cli/explain_input.ts";
import { MORE_TARGETS } from "./_fuzz_more.ts";
import { notIpReason } from "../src/explain/html/model.ts";
import { formatCapturedPacketText } from "../src/cli/format.ts";
import {
  decodes,
  describe,
  FuzzFailure,
  hex,
  isDecodeError,
  noThrow,
  packetContracts,
  packetInput,
  randomPacket,
  type Rng,
  type Seed,
  segmentContracts,
} from "./_fuzz_core.ts";

export {
  FuzzFailure,
  hex,
  mutate,
  packetInput,
  randomOptions,
  randomPacket,
  Rng,
  sameBytes,
  type Seed,
} from "./_fuzz_core.ts";

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
    const whole = frame(rng.pick(seeds).bytes);
    // Some records cut at a snapshot length (the original length is the
    // whole frame's), some empty.
    const kept = rng.chance(0.25)
      ? whole.subarray(0, rng.int(0, whole.length))
      : whole;
    parts.push(writer.packet(kept, {
      timestamp: rng.int(0, 2 ** 40),
      originalLength: whole.length,
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
    noThrow("notIpReason", () => notIpReason(record));
    if (ip === undefined) continue;
    decodes("explainPacket", ip.length, () => explainPacket(ip));
    // As explain --pcap reads a record: cut when the original length says so.
    const start = ip.byteOffset - record.data.byteOffset;
    const options = record.originalLength > record.data.length &&
        record.lengthProblem === undefined
      ? { wireLength: record.originalLength - start }
      : {};
    decodes("explainPacket", ip.length, () => explainPacket(ip, options));
    noThrow(
      "formatCapturedPacketText",
      () => formatCapturedPacketText(ip, options),
    );
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
  ...MORE_TARGETS,
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
  return [
    ...Array.from({ length: count }, () => randomPacket(rng)),
    ...fixtureSeeds(),
  ];
}

let fixtures: Seed[] | undefined;

/**
 * The datagrams of the capture fixtures (tests/fixtures/: tcpdump's,
 * tshark's and scapy's captures; tests/fixtures/kernel/: the kernel's
 * TCP-MD5 and Multipath TCP conversations, cut by editcap, and IPv6
 * extension headers and fragments), each a seed for the mutations.
 */
export function fixtureSeeds(): Seed[] {
  if (fixtures !== undefined) return fixtures;
  fixtures = [];
  for (const folder of ["./fixtures/", "./fixtures/kernel/"]) {
    const dir = new URL(folder, import.meta.url);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name)
      .filter((name) => /\.pcap(ng)?$/.test(name)).sort();
    for (const name of names) {
      const file = Deno.readFileSync(new URL(name, dir));
      for (const record of readCaptureBytes(file).records) {
        const ip = linkPayload(record);
        if (ip === undefined || ip.length === 0) continue;
        let tcpAt = 0;
        try {
          tcpAt = decodeIp(ip, { lenient: true }).payloadOffset;
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
        }
        fixtures.push({ bytes: ip.slice(), tcpAt });
      }
    }
  }
  return fixtures;
}
