/**
 * Per-packet fields of a send series: its options
 * ({@linkcode PacketSeriesOptions}, re-exported by `send.ts`), checked into
 * {@linkcode FieldDraws}, which writes them in place into an encoded
 * datagram: random draws (addresses from a block, ports from a range,
 * sequence and acknowledgment numbers, the IPv4 identification) and a
 * stepped destination port. Each checksum is adjusted once per packet for
 * all the 16-bit words that changed (RFC 1624, eqn. 3:
 * `HC' = ~(~HC + Σ(~m + m'))`): the TCP checksum for its header's words and
 * for the addresses of its pseudo-header, the IPv4 header checksum for the
 * addresses and the identification. Numbers only: nothing is allocated
 * per packet.
 *
 * The draws are taken in one order per packet (destination, source,
 * source port, destination port, sequence, acknowledgment, identification),
 * the order `build`'s one draw takes them in, and an address takes one
 * 32-bit draw per 4 bytes with its prefix kept, as `randomAddress` does.
 *
 * @module
 */

import type { TcpPacket } from "../wire/packet.ts";
import { finalDestinationBytes } from "../wire/pseudo_header.ts";
import {
  type Cidr,
  cryptoRandom,
  type RandomSource,
} from "../wire/random_fields.ts";

/** Inclusive bounds of a drawn port. */
export interface DrawnPortRange {
  /** The lowest port drawn. */
  min: number;
  /** The highest port drawn. */
  max: number;
}

/** What {@linkcode FieldDraws} draws, and where. */
export interface FieldDrawSpec {
  /** The datagrams' IP version. */
  family: 4 | 6;
  /** Where the TCP header starts in each datagram. */
  tcpOffset: number;
  /** Source addresses from this block. */
  source?: Cidr | undefined;
  /** Destination addresses from this block. */
  destination?: Cidr | undefined;
  /** Source ports from this range. */
  sourcePort?: DrawnPortRange | undefined;
  /** Destination ports from this range. */
  destinationPort?: DrawnPortRange | undefined;
  /** Random sequence numbers. */
  seq?: boolean | undefined;
  /** Random acknowledgment numbers. */
  ack?: boolean | undefined;
  /** Random IPv4 identifications. */
  id?: boolean | undefined;
  /** Leave the TCP checksum as it is (the model fixed it). */
  fixedTcpChecksum: boolean;
  /** Leave the IPv4 header checksum as it is (the model fixed it). */
  fixedIpChecksum: boolean;
  /** Where the draws come from. */
  random: RandomSource;
}

function read32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) |
    b[at + 3]!) >>> 0;
}

function write32(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = (value >>> 16) & 0xff;
  b[at + 2] = (value >>> 8) & 0xff;
  b[at + 3] = value & 0xff;
}

/** `~m + m'` over the two 16-bit halves of a 32-bit word. */
function delta32(old: number, next: number): number {
  return (~(old >>> 16) & 0xffff) + (next >>> 16) + (~old & 0xffff) +
    (next & 0xffff);
}

/** Replace a stored checksum after words changed by `delta` (RFC 1624, eqn. 3). */
function adjust(b: Uint8Array, at: number, delta: number): void {
  let sum = (~((b[at]! << 8) | b[at + 1]!) & 0xffff) + delta;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const check = ~sum & 0xffff;
  b[at] = check >>> 8;
  b[at + 1] = check & 0xff;
}

/**
 * A port range compiled for drawing: `min + v % span` for the first 32-bit
 * draw `v` below `limit`, without bias; the draws and the ports are those
 * of `randomPort`, with the division by 2^32 done once.
 */
interface PortDraw {
  min: number;
  span: number;
  limit: number;
}

function portDraw(range: DrawnPortRange): PortDraw {
  const span = range.max - range.min + 1;
  return {
    min: range.min,
    span,
    limit: 0x1_0000_0000 - (0x1_0000_0000 % span),
  };
}

/** Per 32-bit word of a block's address: its bits, and the mask of the prefix's. */
function blockWords(block: Cidr): { bits: Uint32Array; keep: Uint32Array } {
  const words = block.bytes.length / 4;
  const bits = new Uint32Array(words);
  const keep = new Uint32Array(words);
  for (let w = 0; w < words; w++) {
    bits[w] = read32(block.bytes, 4 * w);
    const kept = Math.max(0, Math.min(32, block.prefix - 32 * w));
    keep[w] = kept === 0 ? 0 : (0xffffffff << (32 - kept)) >>> 0;
  }
  return { bits, keep };
}

/**
 * Add `d` (already reduced modulo 2^16) to the 16-bit word at `at` of a
 * datagram, adjusting the checksum at `check` unless it is fixed (-1).
 *
 * @param b The datagram.
 * @param at Where the word is.
 * @param d What to add.
 * @param check Where the checksum is, or -1 to leave it.
 */
export function stepWord(
  b: Uint8Array,
  at: number,
  d: number,
  check: number,
): void {
  const old = (b[at]! << 8) | b[at + 1]!;
  const next = (old + d) & 0xffff;
  b[at] = next >>> 8;
  b[at + 1] = next & 0xff;
  if (check >= 0) adjust(b, check, (~old & 0xffff) + next);
}

/**
 * The random fields of a series, drawn into one datagram at a time; see
 * the module documentation.
 */
export class FieldDraws {
  readonly #random: RandomSource;
  readonly #t: number;
  readonly #v4: boolean;
  readonly #srcAt: number;
  readonly #dstAt: number;
  readonly #src: { bits: Uint32Array; keep: Uint32Array } | undefined;
  readonly #dst: { bits: Uint32Array; keep: Uint32Array } | undefined;
  readonly #sport: PortDraw | undefined;
  readonly #dport: PortDraw | undefined;
  readonly #seq: boolean;
  readonly #ack: boolean;
  readonly #id: boolean;
  readonly #tcpCheck: number;
  readonly #ipCheck: number;

  /**
   * Prepare the draws.
   *
   * @param spec What to draw and where.
   * @throws {RangeError} For a block of the other family, or an
   *   identification asked of IPv6.
   */
  constructor(spec: FieldDrawSpec) {
    const v4 = spec.family === 4;
    for (
      const [name, block] of [["source", spec.source], [
        "destination",
        spec.destination,
      ]] as const
    ) {
      if (block !== undefined && block.family !== spec.family) {
        throw new RangeError(
          `Cannot draw ${name} addresses: the block is IPv${block.family}, the packets IPv${spec.family}`,
        );
      }
    }
    if (spec.id === true && !v4) {
      throw new RangeError(
        "Cannot draw identifications: IPv6 headers have none (IPv4 only)",
      );
    }
    this.#random = spec.random;
    this.#t = spec.tcpOffset;
    this.#v4 = v4;
    this.#srcAt = v4 ? 12 : 8;
    this.#dstAt = v4 ? 16 : 24;
    this.#src = spec.source === undefined ? undefined : blockWords(spec.source);
    this.#dst = spec.destination === undefined
      ? undefined
      : blockWords(spec.destination);
    this.#sport = spec.sourcePort === undefined
      ? undefined
      : portDraw(spec.sourcePort);
    this.#dport = spec.destinationPort === undefined
      ? undefined
      : portDraw(spec.destinationPort);
    this.#seq = spec.seq === true;
    this.#ack = spec.ack === true;
    this.#id = spec.id === true;
    this.#tcpCheck = spec.fixedTcpChecksum ? -1 : spec.tcpOffset + 16;
    this.#ipCheck = !v4 || spec.fixedIpChecksum ? -1 : 10;
  }

  /** Draw an address from a block into `at`; returns the checksum delta. */
  #address(
    b: Uint8Array,
    at: number,
    block: { bits: Uint32Array; keep: Uint32Array },
  ): number {
    const { bits, keep } = block;
    let delta = 0;
    for (let w = 0; w < bits.length; w++) {
      const where = at + 4 * w;
      const old = read32(b, where);
      const k = keep[w]!;
      const next = ((bits[w]! & k) | (this.#random.next32() & ~k)) >>> 0;
      write32(b, where, next);
      delta += delta32(old, next);
    }
    return delta;
  }

  /** Draw a port from a range into `at`; returns the checksum delta. */
  #port(b: Uint8Array, at: number, range: PortDraw): number {
    const old = (b[at]! << 8) | b[at + 1]!;
    const random = this.#random;
    let v: number;
    do v = random.next32(); while (v >= range.limit);
    const next = range.min + (v % range.span);
    b[at] = next >>> 8;
    b[at + 1] = next & 0xff;
    return (~old & 0xffff) + next;
  }

  /** Draw 32 bits into `at`; returns the checksum delta. */
  #word(b: Uint8Array, at: number): number {
    const old = read32(b, at);
    const next = this.#random.next32() >>> 0;
    write32(b, at, next);
    return delta32(old, next);
  }

  /**
   * Draw every random field of one datagram, in place, and adjust its
   * checksums.
   *
   * @param b The datagram (a copy of the series' template, maybe stepped).
   */
  apply(b: Uint8Array): void {
    const t = this.#t;
    let tcp = 0;
    let ip = 0;
    if (this.#dst !== undefined) {
      const d = this.#address(b, this.#dstAt, this.#dst);
      tcp += d;
      ip += d;
    }
    if (this.#src !== undefined) {
      const d = this.#address(b, this.#srcAt, this.#src);
      tcp += d;
      ip += d;
    }
    if (this.#sport !== undefined) tcp += this.#port(b, t, this.#sport);
    if (this.#dport !== undefined) tcp += this.#port(b, t + 2, this.#dport);
    if (this.#seq) tcp += this.#word(b, t + 4);
    if (this.#ack) tcp += this.#word(b, t + 8);
    if (this.#id) {
      const old = (b[4]! << 8) | b[5]!;
      const next = this.#random.next32() >>> 16;
      b[4] = next >>> 8;
      b[5] = next & 0xff;
      ip += (~old & 0xffff) + next;
    }
    if (tcp !== 0 && this.#tcpCheck >= 0) adjust(b, this.#tcpCheck, tcp);
    if (ip !== 0 && this.#ipCheck >= 0 && this.#v4) {
      adjust(b, this.#ipCheck, ip);
    }
  }
}

/**
 * What changes from one packet of a `PacketSeries` to the next:
 * steps (added per packet, wrapping modulo 2^16 or 2^32, negative allowed)
 * and random fields (drawn per packet from `random`). A field is stepped or
 * random, not both. Random addresses, the IPv4 identification and the
 * addresses' checksum updates need the datagram sent as written
 * (header-included); random destinations, each packet sent to its own.
 */
export interface PacketSeriesOptions {
  /** Added to the source port per packet (default 0). */
  sportStep?: number;
  /** Added to the sequence number per packet (default 0). */
  seqStep?: number;
  /** Added to the destination port per packet (default 0). */
  dportStep?: number;
  /** Each packet's source address drawn from this block (of the packet's family). */
  randomSource?: Cidr;
  /** Each packet's destination address drawn from this block (of the packet's family). */
  randomDestination?: Cidr;
  /** Each packet's source port drawn: `true` for 1024..65535, or a range. */
  randomSourcePort?: boolean | DrawnPortRange;
  /** Each packet's destination port drawn: `true` for 1..65535, or a range. */
  randomDestinationPort?: boolean | DrawnPortRange;
  /** Each packet's sequence number drawn. */
  randomSeq?: boolean;
  /** Each packet's acknowledgment number drawn. */
  randomAck?: boolean;
  /** IPv4: each packet's identification drawn. */
  randomId?: boolean;
  /**
   * Where the draws come from (default `cryptoRandom()`); a
   * `SeededRandom` makes the same packets again.
   */
  random?: RandomSource;
}

const SOURCE_PORTS: DrawnPortRange = { min: 1024, max: 0xffff };
const DESTINATION_PORTS: DrawnPortRange = { min: 1, max: 0xffff };

function portRange(
  asked: boolean | DrawnPortRange | undefined,
  all: DrawnPortRange,
  name: string,
): DrawnPortRange | undefined {
  if (asked === undefined || asked === false) return undefined;
  if (asked === true) return all;
  const { min, max } = asked;
  if (
    !Number.isInteger(min) || !Number.isInteger(max) || min < 0 ||
    max > 0xffff || min > max
  ) {
    throw new RangeError(
      `Cannot draw ${name} ports from ${min}..${max}: must be a range within 0..65535`,
    );
  }
  return { min, max };
}

/**
 * The draws a series' options ask for, checked; undefined when none.
 *
 * @param first The series' first packet.
 * @param tcpOffset Where its TCP header starts.
 * @param options The series' options.
 * @returns The draws, or undefined.
 * @throws {RangeError} For a field both stepped and random, a port range
 *   out of 0..65535, or drawn destinations under a source route.
 */
export function seriesDraws(
  first: TcpPacket,
  tcpOffset: number,
  options: PacketSeriesOptions,
): FieldDraws | undefined {
  const sourcePort = portRange(
    options.randomSourcePort,
    SOURCE_PORTS,
    "source",
  );
  const destinationPort = portRange(
    options.randomDestinationPort,
    DESTINATION_PORTS,
    "destination",
  );
  const both: [boolean, number | undefined, string][] = [
    [sourcePort !== undefined, options.sportStep, "source port"],
    [destinationPort !== undefined, options.dportStep, "destination port"],
    [options.randomSeq === true, options.seqStep, "sequence number"],
  ];
  for (const [random, step, name] of both) {
    if (random && (step ?? 0) !== 0) {
      throw new RangeError(
        `Cannot make packet series: the ${name} is both stepped and random`,
      );
    }
  }
  if (
    options.randomDestination !== undefined &&
    finalDestinationBytes(first) !== undefined
  ) {
    throw new RangeError(
      "Cannot draw destination addresses: the TCP checksum covers the source route's (or routing header's) final destination, not the header's",
    );
  }
  const asked = options.randomSource !== undefined ||
    options.randomDestination !== undefined || sourcePort !== undefined ||
    destinationPort !== undefined || options.randomSeq === true ||
    options.randomAck === true || options.randomId === true;
  if (!asked) return undefined;
  return new FieldDraws({
    family: first.ip.version,
    tcpOffset,
    source: options.randomSource,
    destination: options.randomDestination,
    sourcePort,
    destinationPort,
    seq: options.randomSeq,
    ack: options.randomAck,
    id: options.randomId,
    fixedTcpChecksum: first.tcp.checksum !== undefined,
    fixedIpChecksum: first.ip.version === 4 && first.ip.checksum !== undefined,
    random: options.random ?? cryptoRandom(),
  });
}
