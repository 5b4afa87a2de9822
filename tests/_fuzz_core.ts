/**
 * What every fuzz target shares (tests/_fuzz.ts): a seedable random source,
 * valid packets to start from and their mutations, the failure a broken
 * contract throws, and the contracts of the packet and segment decoders.
 *
 * @module
 */

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
  explainPacket,
  formatIPv4,
  formatIPv6,
  type Ipv6Extension,
  ipv6ExtensionChain,
  type Ipv6TlvOption,
  type TcpOption,
  tcpOptionsLength,
  type TcpPacket,
  verifyPacketChecksums,
} from "../mod.ts";
import {
  describePacket,
  formatCapturedPacketText,
  formatPacketText,
} from "../src/cli/format.ts";

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

/** Random IPv6 extension headers, typed: what `ipv6ExtensionChain` encodes. */
export function randomExtensions(rng: Rng): Ipv6Extension[] {
  const address = () => formatIPv6(rng.bytes(16));
  const tlv = (): Ipv6TlvOption =>
    rng.pick<() => Ipv6TlvOption>([
      () => ({ kind: "pad1" }),
      () => ({ kind: "padN", size: rng.int(0, 12) }),
      () => ({ kind: "routerAlert", value: rng.int(0, 2) }),
      () => ({
        kind: "unknown",
        type: rng.int(2, 255),
        data: rng.bytes(rng.int(0, 10)),
      }),
    ])();
  const pool: (() => Ipv6Extension)[] = [
    () => ({
      kind: "destinationOptions",
      options: Array.from({ length: rng.int(0, 3) }, tlv),
    }),
    () => ({
      kind: "routing",
      addresses: Array.from({ length: rng.int(1, 3) }, address),
      segmentsLeft: rng.int(0, 3),
    }),
    () => ({
      kind: "segmentRouting",
      segmentList: Array.from({ length: rng.int(1, 3) }, address),
      segmentsLeft: rng.int(0, 2),
      flags: rng.int(0, 255),
      tag: rng.int(0, 0xffff),
    }),
    () => ({ kind: "fragment", offset: 0, more: false, id: rng.u32() }),
    () => ({ kind: "raw", type: 60, data: rng.bytes(6 + 8 * rng.int(0, 2)) }),
  ];
  const extensions: Ipv6Extension[] = rng.chance(0.4)
    ? [{
      kind: "hopByHop",
      options: Array.from({ length: rng.int(0, 3) }, tlv),
    }]
    : [];
  for (let n = rng.int(extensions.length === 0 ? 1 : 0, 2); n > 0; n--) {
    extensions.push(rng.pick(pool)());
  }
  return extensions;
}

/** A valid IPv4 or IPv6 packet with random fields, options, extension headers and payload. */
export function randomTcpPacket(
  rng: Rng,
): { packet: TcpPacket; tcpAt: number } {
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
  if (rng.chance(0.5)) {
    const ipOptions = rng.bytes(4 * rng.int(0, rng.chance(0.7) ? 0 : 10));
    return {
      packet: {
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
      },
      tcpAt: 20 + ipOptions.length,
    };
  }
  const chain = rng.chance(0.6)
    ? { nextHeader: 6, headers: [] }
    : ipv6ExtensionChain(randomExtensions(rng));
  return {
    packet: {
      ip: {
        version: 6,
        trafficClass: rng.int(0, 255),
        flowLabel: rng.int(0, 0xfffff),
        nextHeader: chain.nextHeader,
        hopLimit: rng.int(0, 255),
        src: formatIPv6(rng.bytes(16)),
        dst: formatIPv6(rng.bytes(16)),
      },
      tcp,
      extensionHeaders: chain.headers,
    },
    tcpAt: 40 + chain.headers.reduce((n, h) => n + 2 + h.data.length, 0),
  };
}

/** A valid IPv4 or IPv6 packet, encoded, and where its TCP header starts. */
export function randomPacket(rng: Rng): Seed {
  const { packet, tcpAt } = randomTcpPacket(rng);
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
export function isDecodeError(error: unknown, maxOffset: number): boolean {
  return error instanceof DecodeError &&
    error.message.startsWith("Cannot decode") &&
    ["truncated", "malformed", "unsupported"].includes(error.kind) &&
    Number.isInteger(error.offset) && error.offset >= 0 &&
    error.offset <= maxOffset;
}

export function describe(error: unknown): string {
  if (error instanceof DecodeError) {
    return `DecodeError kind ${error.kind} offset ${error.offset}: ${error.message}`;
  }
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/** Run `decode`; undefined when it failed as documented, else a failure. */
export function decodes<T>(
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

export function packetContracts(input: Uint8Array): void {
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
  textContracts(input);
}

/** Run `fn`; anything it throws is a failure of `target`. */
export function noThrow<T>(target: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new FuzzFailure(target, `threw ${describe(error)}`);
  }
}

/**
 * The text line and the explainer of the bytes as a capture may hold them:
 * whole, or cut short of a length on the wire drawn from the bytes.
 */
function textContracts(input: Uint8Array): void {
  const n = input.length;
  const wireLength = n + (n > 0 ? input[n - 1]! : 0);
  noThrow("formatPacketText", () => formatPacketText(input));
  noThrow(
    "formatCapturedPacketText",
    () => formatCapturedPacketText(input, { wireLength }),
  );
  decodes("explainPacket", n, () => explainPacket(input, { wireLength }));
  const packet = decodes(
    "decodePacket",
    n,
    () => decodePacket(input, { lenient: true }),
  );
  if (packet === undefined) return;
  noThrow("describePacket", () => describePacket(packet));
  const cut = packet.truncated;
  if (
    cut !== undefined &&
    (cut.segmentLength <= cut.capturedLength ||
      cut.payloadLength > cut.segmentLength || cut.payloadLength < 0)
  ) {
    throw new FuzzFailure("decodePacket", `truncated ${JSON.stringify(cut)}`);
  }
}

export function segmentContracts(segment: Uint8Array): void {
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
