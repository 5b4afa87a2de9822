/**
 * Fuzz targets beyond a single packet (tests/_fuzz.ts lists them all):
 *
 * - `fragments`: IPv4 and IPv6 datagrams (extension headers among them)
 *   cut into fragments by `fragment()`, in any order, some mutated, fed
 *   one by one to the decoders and to a {@linkcode FragmentReassembler};
 *   an intact set must reassemble to the datagram it was cut from;
 * - `options`: option areas of every kind the registry types (MPTCP's
 *   subtypes, EDO, TCP-AO, MD5, Fast Open, experimental …), mutated, in a
 *   TCP header: the decoders round-trip them, and every kind's tcpdump
 *   text, explanation and probe word take what the decoder gives;
 * - `resume`: scan resume files, valid, mutated byte by byte, and mutated
 *   field by field with a correct CRC: only a `ResumeError` may come out,
 *   and what decodes encodes to a file that decodes the same;
 * - `link`: frames of every link type tcpcraft reads, their headers
 *   mutated: `linkPayload` finds a view inside the frame or nothing, and
 *   the text line and explainer take what it finds, cut or not.
 *
 * @module
 */

import {
  checkResumeOptions,
  decodeEdo,
  decodeMptcp,
  decodeResume,
  decodeTcpOptions,
  encodeMptcp,
  encodePacket,
  encodeResume,
  encodeTcp,
  explainPacket,
  explainReassembled,
  fragment,
  FRAGMENT_ORDERS,
  FragmentReassembler,
  linkPayload,
  LINKTYPE,
  type MptcpMessage,
  ResumeError,
  type ResumeState,
  type TcpOption,
  tcpOptionEntry,
  tcpOptionsLength,
} from "../mod.ts";
import { crc32Hex } from "../src/engine/verdict_runs.ts";
import { notIpReason } from "../src/explain/html/model.ts";
import { formatCapturedPacketText } from "../src/cli/format.ts";
import { tcpdumpCutOptions, tcpdumpOption } from "../src/cli/tcpdump_option.ts";
import {
  decodes,
  describe,
  FuzzFailure,
  hex,
  mutate,
  noThrow,
  packetContracts,
  randomOptions,
  randomTcpPacket,
  type Rng,
  sameBytes,
  type Seed,
  segmentContracts,
} from "./_fuzz_core.ts";

// ------------------------------------------------------------------ framing

/** Several byte strings as one input: each behind its 16-bit length. */
function frame(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + 2 + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out[at] = part.length >> 8;
    out[at + 1] = part.length & 0xff;
    out.set(part, at + 2);
    at += 2 + part.length;
  }
  return out;
}

/** The byte strings of {@linkcode frame}, as far as the input holds them. */
function unframe(input: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0; at + 2 <= input.length;) {
    const length = (input[at]! << 8) | input[at + 1]!;
    parts.push(input.subarray(at + 2, Math.min(input.length, at + 2 + length)));
    at += 2 + length;
  }
  return parts;
}

// ------------------------------------------------------------------ fragments

/**
 * An input of the `fragments` target: the datagram an intact set must
 * reassemble to (empty when the set was mutated or may not complete),
 * then the fragments in the order they are fed.
 */
export function fragmentsInput(rng: Rng): Uint8Array {
  const { packet } = randomTcpPacket(rng);
  if (packet.tcp.payload.length > 200) {
    packet.tcp.payload = packet.tcp.payload.subarray(0, 200);
  }
  const whole = encodePacket(packet);
  const tricks = rng.chance(0.3);
  let pieces: Uint8Array[];
  try {
    pieces = fragment(packet, {
      size: 8 * rng.int(rng.chance(0.2) ? 1 : 3, 24),
      ...(rng.chance(0.3) ? { firstSize: 8 * rng.int(1, 4) } : {}),
      order: rng.pick(FRAGMENT_ORDERS),
      random: () => rng.u32() / 0x1_0000_0000,
      id: rng.u32(),
      ...(tricks
        ? rng.pick([
          { overlap: "first" as const },
          { overlap: "last" as const },
          { duplicate: 0 },
          { dropLast: true },
          { raw: true, size: rng.int(1, 40) },
        ])
        : {}),
    });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return frame([whole, whole]);
  }
  let intact = !tricks;
  const fed = pieces.map((piece) => {
    if (!rng.chance(0.15)) return piece;
    intact = false;
    return mutate(rng, { bytes: piece, tcpAt: 0 }).bytes;
  });
  return frame([intact ? whole : new Uint8Array(), ...fed]);
}

function fragmentsContracts(input: Uint8Array): void {
  const [expected, ...pieces] = unframe(input);
  const reassembler = new FragmentReassembler<number>();
  let done;
  for (const [i, piece] of pieces.entries()) {
    // The decoders see the first pieces, the reassembler every piece.
    if (i < 4) packetContracts(piece);
    const result = noThrow(
      "FragmentReassembler",
      () => reassembler.add(piece, i),
    );
    if (result === undefined) continue;
    done = result;
    packetContracts(result.first);
    if (!sameBytes(result.first, result.last)) packetContracts(result.last);
    decodes(
      "explainReassembled",
      result.first.length,
      () => explainReassembled(result),
    );
  }
  if (expected === undefined || expected.length === 0 || pieces.length < 2) {
    return;
  }
  if (done === undefined) {
    throw new FuzzFailure(
      "FragmentReassembler",
      "intact fragments never completed",
    );
  }
  if (!sameBytes(done.first, expected) || !sameBytes(done.last, expected)) {
    throw new FuzzFailure(
      "FragmentReassembler",
      `reassembled ${hex(done.first)}, expected ${hex(expected)}`,
    );
  }
}

// ------------------------------------------------------------------ options

/** A random MPTCP message of any subtype, as encodeMptcp takes it. */
function randomMptcp(rng: Rng): MptcpMessage {
  const key = () => rng.bytes(8);
  const big = () => BigInt(rng.u32()) << 32n | BigInt(rng.u32());
  return rng.pick<() => MptcpMessage>([
    () => ({
      subtype: "mpCapable",
      version: rng.int(0, 1),
      flags: rng.int(0, 255),
    }),
    () => ({ subtype: "mpCapable", version: 1, flags: 0x81, senderKey: key() }),
    () => ({
      subtype: "mpCapable",
      version: 1,
      flags: 0x01,
      senderKey: key(),
      receiverKey: key(),
      ...(rng.chance(0.5) ? { dataLength: rng.int(0, 0xffff) } : {}),
    }),
    () => ({
      subtype: "mpJoin",
      stage: "syn",
      backup: rng.chance(0.5),
      addressId: rng.int(0, 255),
      token: rng.u32(),
      nonce: rng.u32(),
    }),
    () => ({
      subtype: "mpJoin",
      stage: "synAck",
      backup: rng.chance(0.5),
      addressId: rng.int(0, 255),
      hmac: key(),
      nonce: rng.u32(),
    }),
    () => ({ subtype: "mpJoin", stage: "ack", hmac: rng.bytes(20) }),
    () => {
      const message: MptcpMessage = { subtype: "dss", fin: rng.chance(0.3) };
      if (rng.chance(0.8)) {
        message.dataAck64 = rng.chance(0.5);
        message.dataAck = message.dataAck64 ? big() : BigInt(rng.u32());
      }
      if (rng.chance(0.8)) {
        message.dsn64 = rng.chance(0.5);
        message.dsn = message.dsn64 ? big() : BigInt(rng.u32());
        message.subflowSeq = rng.u32();
        message.dataLength = rng.int(0, 0xffff);
        if (rng.chance(0.5)) message.checksum = rng.int(0, 0xffff);
      }
      return message;
    },
    () => ({
      subtype: "addAddr",
      echo: rng.chance(0.5),
      addressId: rng.int(0, 255),
      address: rng.chance(0.5) ? "192.0.2.7" : "2001:db8::7",
      ...(rng.chance(0.5) ? { port: rng.int(0, 0xffff) } : {}),
      ...(rng.chance(0.5) ? { hmac: key() } : {}),
    }),
    () => ({
      subtype: "removeAddr",
      addressIds: Array.from({ length: rng.int(1, 6) }, () => rng.int(0, 255)),
    }),
    () => ({
      subtype: "mpPrio",
      backup: rng.chance(0.5),
      ...(rng.chance(0.5) ? { addressId: rng.int(0, 255) } : {}),
    }),
    () => ({ subtype: "mpFail", dsn: big() }),
    () => ({ subtype: "mpFastclose", receiverKey: key() }),
    () => ({
      subtype: "mpTcpRst",
      flags: rng.int(0, 15),
      reason: rng.int(0, 255),
    }),
    () => ({ subtype: "unknown", data: rng.bytes(rng.int(1, 20)) }),
  ])();
}

/** An option area of typed options of every kind, within 40 bytes. */
function typedOptions(rng: Rng): TcpOption[] {
  const options = randomOptions(rng).filter((o) => o.kind !== "eol");
  const extra: TcpOption[] = [];
  for (let n = rng.int(1, 3); n > 0; n--) {
    const pick = rng.int(0, 3);
    if (pick === 0) {
      try {
        extra.push({ kind: "mptcp", data: encodeMptcp(randomMptcp(rng)) });
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
      }
    } else if (pick === 1) {
      extra.push({
        kind: "experimental",
        type: rng.pick([253, 254] as const),
        exid: rng.pick([0x0ed0, 0xf989, rng.int(0, 0xffff)]),
        data: rng.bytes(rng.pick([0, 2, 4, rng.int(0, 8)])),
      });
    } else if (pick === 2) {
      extra.push({
        kind: "tcpAo",
        keyId: rng.int(0, 255),
        rNextKeyId: rng.int(0, 255),
        mac: rng.bytes(rng.pick([0, 12, 16, rng.int(0, 20)])),
      });
    } else {
      extra.push({
        kind: "unknown",
        type: rng.pick([6, 7, 11, 12, 13, 20, rng.int(35, 252)]),
        data: rng.bytes(rng.pick([2, 4, rng.int(0, 6)])),
      });
    }
  }
  const all: TcpOption[] = [];
  let length = 0;
  for (const option of [...extra, ...options]) {
    const size = tcpOptionsLength([option]);
    if (length + size <= 40) {
      all.push(option);
      length += size;
    }
  }
  return all;
}

/** An input of the `options` target: a TCP segment whose options are typed, maybe mutated. */
export function optionsInput(rng: Rng): Uint8Array {
  const segment = encodeTcp({
    srcPort: rng.int(0, 0xffff),
    dstPort: rng.int(0, 0xffff),
    seq: rng.u32(),
    ack: rng.u32(),
    flags: rng.pick([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, rng.int(0, 0x1ff)]),
    window: rng.int(0, 0xffff),
    urgentPointer: 0,
    options: typedOptions(rng),
    payload: rng.bytes(rng.int(0, 8)),
    checksum: 0,
  });
  return rng.chance(0.5)
    ? segment
    : mutate(rng, { bytes: segment, tcpAt: 0 } satisfies Seed).bytes;
}

function optionsContracts(segment: Uint8Array): void {
  segmentContracts(segment);
  if (segment.length < 20) return;
  const flags = ((segment[12]! & 1) << 8) | segment[13]!;
  const end = Math.min(segment.length, Math.max(20, (segment[12]! >> 4) * 4));
  const area = segment.subarray(20, end);
  const { options } = noThrow(
    "decodeTcpOptions lenient",
    () => decodeTcpOptions(area, { lenient: true }),
  );
  for (const option of options) {
    const entry = tcpOptionEntry(option);
    for (const truncated of [false, true]) {
      noThrow(
        `tcpdump text of ${option.kind}`,
        () => tcpdumpOption(option, { flags, truncated }),
      );
    }
    noThrow(
      `explanation of ${option.kind}`,
      () => entry.explanation.words(option),
    );
    noThrow(`probe word of ${option.kind}`, () => entry.word(option));
    noThrow(`anomalies of ${option.kind}`, () => entry.anomalies?.(option, 20));
    if (option.kind === "mptcp") {
      const message = noThrow("decodeMptcp", () => decodeMptcp(option.data));
      let again: Uint8Array;
      try {
        again = encodeMptcp(message);
      } catch (error) {
        throw new FuzzFailure(
          "decodeMptcp",
          `${message.subtype} of ${hex(option.data)} does not encode: ${
            describe(error)
          }`,
        );
      }
      if (!sameBytes(again, option.data)) {
        throw new FuzzFailure(
          "decodeMptcp",
          `${hex(option.data)} re-encoded to ${hex(again)}`,
        );
      }
    }
    if (option.kind === "experimental") {
      noThrow("decodeEdo", () => decodeEdo(option));
    }
  }
  // A capture cut anywhere in the option area.
  const cut = area.length === 0
    ? 0
    : segment[segment.length - 1]! % (area.length + 1);
  noThrow(
    "tcpdumpCutOptions",
    () => tcpdumpCutOptions(area.subarray(0, cut), area.length, { flags }),
  );
}

// ------------------------------------------------------------------ resume

/** A valid resume state with random values. */
function resumeState(rng: Rng): ResumeState {
  const total = rng.int(1, 100_000);
  const state: ResumeState = {
    tool: rng.pick(["tcpcraft 0.1.0", "tcpcraft 9.9.9", ""]),
    seed: rng.u32(),
    shard: { index: 1, count: rng.int(1, 4) },
    total,
    options: {
      targets: "192.0.2.0/24",
      ports: rng.pick(["1-1000", "80,443", "-"]),
      scan: rng.pick(["syn", "fin", "maimon"]),
      ...(rng.chance(0.5) ? { rate: rng.int(1, 100000) } : {}),
      ...(rng.chance(0.3) ? { banner: rng.chance(0.5) } : {}),
      ...(rng.chance(0.2) ? { note: null } : {}),
    },
    position: rng.int(0, total),
    round: rng.int(1, 3),
    probesSent: rng.int(0, 1_000_000),
    elapsedMs: rng.int(0, 1e7),
    savedAt: rng.int(0, 2 ** 41),
    outputs: Array.from({ length: rng.int(0, 3) }, (_, i) => ({
      path: `out${i}.${rng.pick(["xml", "gnmap", "json"])}`,
      format: rng.pick(["xml", "grepable", "ndjson", "normal"]),
      offset: rng.int(0, 1e6),
    })),
  };
  if (rng.chance(0.6)) {
    const verdicts = [
      { state: "closed" as const, reason: "reset", ttl: 64 },
      { state: "open" as const, reason: "syn-ack", ttl: rng.int(1, 255) },
      {
        state: "filtered" as const,
        reason: "host-unreach",
        reasonIp: "192.0.2.254",
      },
    ];
    const runs = [];
    let start = 0;
    while (start < total && runs.length < 20) {
      start += rng.int(0, 50);
      const length = rng.int(1, 1000);
      if (start + length > total) break;
      runs.push({ start, length, verdict: rng.int(0, verdicts.length - 1) });
      start += length;
    }
    state.decided = { verdicts, runs };
  }
  return state;
}

/** A JSON value of any type, for a field to be replaced with. */
function strangeValue(rng: Rng): unknown {
  return rng.pick<unknown>([
    null,
    -1,
    0,
    1.5,
    2 ** 53,
    1e308,
    "",
    "x",
    [],
    {},
    true,
    { index: 2, count: 1 },
    [{ start: 0, length: 1, verdict: 0 }],
    "AAAA",
    "////",
  ]);
}

/** Replace one field, at any depth, of a JSON value. */
function mutateJson(rng: Rng, value: unknown): unknown {
  if (value === null || typeof value !== "object") return strangeValue(rng);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 0 || rng.chance(0.1)) return strangeValue(rng);
  const key = rng.pick(keys);
  if (rng.chance(0.15)) delete record[key];
  else record[key] = mutateJson(rng, record[key]);
  return value;
}

/** An input of the `resume` target: a resume file's text, valid or not. */
export function resumeInput(rng: Rng): Uint8Array {
  const text = encodeResume(resumeState(rng));
  const roll = rng.int(0, 9);
  if (roll < 2) return new TextEncoder().encode(text);
  if (roll < 4) {
    // Byte by byte: the CRC catches most.
    const bytes = new TextEncoder().encode(text);
    return mutate(rng, { bytes, tcpAt: 0 }).bytes;
  }
  // Field by field, the CRC made right, so the checks behind it run.
  const file = JSON.parse(text) as { state: unknown; version: unknown };
  const state = mutateJson(rng, file.state);
  const content = JSON.stringify(state);
  const version = rng.chance(0.05) ? strangeValue(rng) : 1;
  return new TextEncoder().encode(
    `{"format":"tcpcraft-resume","version":${
      JSON.stringify(version)
    },"crc32":"${crc32Hex(content)}","state":${content}}\n`,
  );
}

function resumeContracts(input: Uint8Array): void {
  const text = new TextDecoder().decode(input);
  let state: ResumeState;
  try {
    state = decodeResume(text, { path: "fuzz.resume" });
  } catch (error) {
    if (error instanceof ResumeError) return;
    throw new FuzzFailure("decodeResume", describe(error));
  }
  let again: ResumeState;
  try {
    again = decodeResume(encodeResume(state), { path: "fuzz.resume" });
  } catch (error) {
    throw new FuzzFailure(
      "decodeResume",
      `what it decoded does not decode again: ${describe(error)}`,
    );
  }
  if (JSON.stringify(again, bigints) !== JSON.stringify(state, bigints)) {
    throw new FuzzFailure(
      "decodeResume",
      "what it decoded changed on a round trip",
    );
  }
  try {
    checkResumeOptions(state, { scan: "syn", ports: "1-1000" }, "fuzz.resume");
  } catch (error) {
    if (!(error instanceof ResumeError)) {
      throw new FuzzFailure("checkResumeOptions", describe(error));
    }
  }
}

function bigints(_: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${value}n` : value;
}

// ------------------------------------------------------------------ link

/** A link header of `type` for a datagram of IP version `version`. */
function linkHeader(rng: Rng, type: number, version: number): number[] {
  const v6 = version === 6;
  const etherType = v6 ? [0x86, 0xdd] : [0x08, 0x00];
  const mac = () => [...rng.bytes(12)];
  switch (type) {
    case LINKTYPE.ETHERNET: {
      const tags = rng.pick([0, 0, 1, 2]);
      const head = mac();
      for (let i = 0; i < tags; i++) {
        head.push(0x81, 0x00, 0x00, rng.int(0, 255));
      }
      if (rng.chance(0.2)) {
        return [...head, 0x88, 0x47, 0x00, 0x06, 0x41, 0x40];
      }
      return [...head, ...etherType];
    }
    case LINKTYPE.NULL:
      return v6 ? [30, 0, 0, 0] : [2, 0, 0, 0];
    case LINKTYPE.LOOP:
      return v6 ? [0, 0, 0, 24] : [0, 0, 0, 2];
    case LINKTYPE.PPP:
    case LINKTYPE.PPP_SERIAL:
      return rng.chance(0.5)
        ? [0xff, 0x03, 0x00, v6 ? 0x57 : 0x21]
        : [0x00, v6 ? 0x57 : 0x21];
    case LINKTYPE.C_HDLC:
      return [rng.pick([0x0f, 0x8f]), 0x00, ...etherType];
    case LINKTYPE.FRELAY:
      return [0x18, 0x41, 0x03, v6 ? 0x8e : 0xcc];
    case LINKTYPE.SLIP:
      return [...new Uint8Array(16)];
    case LINKTYPE.LINUX_SLL:
      return [0, 0, 0, 1, 0, 6, ...rng.bytes(8), ...etherType];
    case LINKTYPE.LINUX_SLL2:
      return [...etherType, 0, 0, 0, 0, 0, 1, 1, 0, 6, ...rng.bytes(8)];
    case LINKTYPE.PKTAP: {
      const header = new Uint8Array(108);
      new DataView(header.buffer).setUint32(0, 108, true);
      new DataView(header.buffer).setUint32(4, 1, true);
      new DataView(header.buffer).setUint32(8, 1, true); // DLT_EN10MB
      return [...header, ...mac(), ...etherType];
    }
    default:
      return [];
  }
}

/** An input of the `link` target: link type, original length, frame. */
export function linkInput(rng: Rng, seeds: readonly Seed[]): Uint8Array {
  const types = Object.values(LINKTYPE);
  const type = rng.chance(0.05) ? rng.int(0, 300) : rng.pick(types);
  const datagram = rng.pick(seeds).bytes;
  let data: Uint8Array = new Uint8Array([
    ...linkHeader(rng, type, datagram[0]! >> 4),
    ...datagram,
  ]);
  let original = data.length;
  if (rng.chance(0.3)) data = data.subarray(0, rng.int(0, data.length));
  if (rng.chance(0.4)) data = mutate(rng, { bytes: data, tcpAt: 0 }).bytes;
  if (rng.chance(0.1)) original = rng.pick([0, 0xffff_ffff, rng.u32()]);
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, type);
  new DataView(head.buffer).setUint32(4, original);
  return new Uint8Array([...head, ...data]);
}

function linkContracts(input: Uint8Array): void {
  if (input.length < 8) return;
  const view = new DataView(input.buffer, input.byteOffset, 8);
  const linkType = view.getUint32(0);
  const originalLength = view.getUint32(4);
  const data = input.slice(8);
  const record = {
    timestamp: { seconds: 0, nanoseconds: 0 },
    linkType,
    data,
    originalLength,
  };
  noThrow("notIpReason", () => notIpReason(record));
  const ip = noThrow("linkPayload", () => linkPayload(record));
  if (ip === undefined) return;
  const start = ip.byteOffset - data.byteOffset;
  if (
    ip.buffer !== data.buffer || start < 0 || start + ip.length > data.length
  ) {
    throw new FuzzFailure("linkPayload", "its view is not inside the frame");
  }
  const wireLength = originalLength > data.length
    ? originalLength - start
    : undefined;
  const options = wireLength === undefined ? {} : { wireLength };
  noThrow(
    "formatCapturedPacketText",
    () => formatCapturedPacketText(ip, options),
  );
  decodes("explainPacket", ip.length, () => explainPacket(ip, options));
}

/** The targets of this file, for FUZZ_TARGETS. */
export const MORE_TARGETS = [
  {
    name: "fragments",
    generate: (rng: Rng) => fragmentsInput(rng),
    check: fragmentsContracts,
  },
  {
    name: "options",
    generate: (rng: Rng) => optionsInput(rng),
    check: optionsContracts,
  },
  {
    name: "resume",
    generate: (rng: Rng) => resumeInput(rng),
    check: resumeContracts,
  },
  { name: "link", generate: linkInput, check: linkContracts },
] as const;
