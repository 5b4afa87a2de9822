/**
 * The probe writer of the scan engine, zmap's split: a template is built
 * once per family (the whole datagram: source, source port, flags, window
 * 1024 and, for SYN probes, MSS 1460 as nmap's), copied once into each
 * send slot, and each probe then writes only what changes (destination
 * address and port, sequence and acknowledgment numbers) into its slot,
 * with both checksums finished from sums taken once over the rest. Nothing
 * is allocated per probe.
 *
 * @module
 */

import {
  type AddressFamily,
  formatAddress,
  parseAddress,
} from "../../wire/address.ts";
import { TCP_FLAGS } from "../../wire/flags.ts";
import {
  encodePacket,
  makeTcpPacket,
  type TcpPacketInit,
} from "../../wire/packet.ts";
import { applySynPreset, type SynPresetOs } from "../../wire/os_presets.ts";
import { random32 } from "../random.ts";

/** The window of every probe (nmap's). */
export const PROBE_WINDOW = 1024;

/** The one's complement sum of big-endian 16-bit words, not folded. */
function sum16(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  return sum;
}

/** Fold a sum to 16 bits and complement it. */
function finish(sum: number): number {
  sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Probe datagrams of one family; see the module documentation.
 *
 * @example
 * ```ts
 * import { ProbeTemplate } from "./template.ts";
 * import { decodePacket, TCP_FLAGS, verifyPacketChecksums } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const template = new ProbeTemplate(4, "192.0.2.42", 50000, TCP_FLAGS.syn);
 * const slot = new Uint8Array(template.length);
 * template.prepare(slot);
 * template.writeV4(slot, 0xc0000201, 443, 7, 0);
 * const { ip, tcp } = decodePacket(slot);
 * assert.equal(ip.dst, "192.0.2.1");
 * assert.equal(tcp.dstPort, 443);
 * assert.equal(tcp.seq, 7);
 * assert.deepEqual(tcp.options, [{ kind: "mss", value: 1460 }]);
 * const checks = verifyPacketChecksums(slot);
 * assert.ok(checks.tcp && checks.ip);
 * ```
 */
export class ProbeTemplate {
  /** 4 or 6. */
  readonly family: AddressFamily;
  /** The source address, canonical text. */
  readonly src: string;
  /** The source address's bytes. */
  readonly srcBytes: Uint8Array;
  /** The source address as a number (IPv4; 0 for IPv6). */
  readonly srcV4: number;
  /** Where the TCP header starts. */
  readonly tcpOffset: number;
  readonly #base: Uint8Array;
  /** Sum of the IPv4 header without its destination and checksum. */
  readonly #ipSum: number;
  /** Sum of the pseudo-header without the destination, and of the TCP header without port, numbers and checksum. */
  readonly #tcpSum: number;

  /**
   * Build the family's template.
   *
   * @param family 4 or 6.
   * @param src The source address, of that family.
   * @param sport The source port of every probe.
   * @param flags The flags of every probe.
   * @param preset SYN probes as this system sends its SYNs (options,
   *   window, TTL, DF), instead of nmap's (MSS only, window 1024).
   */
  constructor(
    family: AddressFamily,
    src: string,
    sport: number,
    flags: number,
    preset?: SynPresetOs,
  ) {
    this.family = family;
    this.srcBytes = parseAddress(src).bytes;
    this.src = formatAddress(this.srcBytes);
    const b = this.srcBytes;
    this.srcV4 = family === 4
      ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
      : 0;
    const init: TcpPacketInit = {
      src,
      dst: family === 4 ? "0.0.0.0" : "::",
      srcPort: sport,
      dstPort: 0,
      seq: 0,
      ack: 0,
      flags,
      window: PROBE_WINDOW,
      options: (flags & TCP_FLAGS.syn) !== 0
        ? [{ kind: "mss", value: 1460 }]
        : [],
      ttl: 64,
      id: family === 4 ? 1 + (random32() % 0xffff) : undefined,
    };
    const base = encodePacket(makeTcpPacket(
      preset !== undefined && (flags & TCP_FLAGS.syn) !== 0
        ? applySynPreset(init, preset)
        : init,
    ));
    this.#base = base;
    const t = family === 4 ? 20 : 40;
    this.tcpOffset = t;
    const tcpLength = base.length - t;
    // The destination, port, numbers and checksums are zero in the base.
    base[t + 16] = 0;
    base[t + 17] = 0;
    if (family === 4) {
      base[10] = 0;
      base[11] = 0;
      this.#ipSum = sum16(base, 0, 20);
      this.#tcpSum = sum16(b, 0, 4) + 6 + tcpLength +
        sum16(base, t, base.length);
    } else {
      this.#ipSum = 0;
      this.#tcpSum = sum16(b, 0, 16) + 6 + tcpLength +
        sum16(base, t, base.length);
    }
  }

  /** The length of every probe datagram. */
  get length(): number {
    return this.#base.length;
  }

  /**
   * Copy the template into a slot (once per slot: probes rewrite only
   * what changes).
   *
   * @param slot At least {@linkcode ProbeTemplate.length} bytes.
   */
  prepare(slot: Uint8Array): void {
    slot.set(this.#base);
  }

  /**
   * Write an IPv4 probe into a prepared slot.
   *
   * @param slot The slot ({@linkcode ProbeTemplate.prepare}d).
   * @param dst The destination, a 32-bit number.
   * @param port The destination port.
   * @param seq The sequence number.
   * @param ack The acknowledgment number.
   */
  writeV4(
    slot: Uint8Array,
    dst: number,
    port: number,
    seq: number,
    ack: number,
  ): void {
    const high = dst >>> 16;
    const low = dst & 0xffff;
    slot[16] = high >>> 8;
    slot[17] = high & 0xff;
    slot[18] = low >>> 8;
    slot[19] = low & 0xff;
    const ip = finish(this.#ipSum + high + low);
    slot[10] = ip >>> 8;
    slot[11] = ip & 0xff;
    this.#writeTcp(slot, 20, high + low, port, seq, ack);
  }

  /**
   * Write an IPv6 probe into a prepared slot whose destination (bytes
   * 24-39) is already written.
   *
   * @param slot The slot, its destination written.
   * @param port The destination port.
   * @param seq The sequence number.
   * @param ack The acknowledgment number.
   */
  writeV6(slot: Uint8Array, port: number, seq: number, ack: number): void {
    this.#writeTcp(slot, 40, sum16(slot, 24, 40), port, seq, ack);
  }

  #writeTcp(
    slot: Uint8Array,
    t: number,
    dstSum: number,
    port: number,
    seq: number,
    ack: number,
  ): void {
    slot[t + 2] = port >>> 8;
    slot[t + 3] = port & 0xff;
    slot[t + 4] = seq >>> 24;
    slot[t + 5] = (seq >>> 16) & 0xff;
    slot[t + 6] = (seq >>> 8) & 0xff;
    slot[t + 7] = seq & 0xff;
    slot[t + 8] = ack >>> 24;
    slot[t + 9] = (ack >>> 16) & 0xff;
    slot[t + 10] = (ack >>> 8) & 0xff;
    slot[t + 11] = ack & 0xff;
    const sum = finish(
      this.#tcpSum + dstSum + port + (seq >>> 16) + (seq & 0xffff) +
        (ack >>> 16) + (ack & 0xffff),
    );
    slot[t + 16] = sum >>> 8;
    slot[t + 17] = sum & 0xff;
  }
}
