/**
 * The probe writer of the scan engine, zmap's split: a template is built
 * once per family (the whole datagram: source, source port, flags, window
 * 1024 and, for SYN probes, MSS 1460 as nmap's), then once per destination
 * (its address and both checksums written), and each probe is a copy with
 * the destination port, sequence and acknowledgment numbers patched in
 * place and the TCP checksum adjusted incrementally (RFC 1624). Nothing is
 * allocated per probe.
 *
 * @module
 */

import { type AddressFamily, parseAddress } from "../../wire/address.ts";
import { finishChecksum, sumWords } from "../../wire/checksum.ts";
import { TCP_FLAGS } from "../../wire/flags.ts";
import { encodePacket, makeTcpPacket } from "../../wire/packet.ts";
import { tcpChecksum, TcpHeaderView } from "../../wire/tcp.ts";
import { random32 } from "../random.ts";

/** The window of every probe (nmap's). */
export const PROBE_WINDOW = 1024;

/**
 * Probe datagrams of one family; see the module documentation.
 *
 * @example
 * ```ts
 * import { ProbeTemplate } from "./template.ts";
 * import { decodePacket, parseAddress, TCP_FLAGS, verifyPacketChecksums } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const template = new ProbeTemplate(4, "192.0.2.42", 50000, TCP_FLAGS.syn);
 * const probe = new Uint8Array(template.length);
 * template.write(probe, "192.0.2.1", parseAddress("192.0.2.1").bytes, 443, 7, 0);
 * const { tcp } = decodePacket(probe);
 * assert.equal(tcp.dstPort, 443);
 * assert.equal(tcp.seq, 7);
 * assert.deepEqual(tcp.options, [{ kind: "mss", value: 1460 }]);
 * assert.ok(verifyPacketChecksums(probe).tcp);
 * ```
 */
export class ProbeTemplate {
  /** 4 or 6. */
  readonly family: AddressFamily;
  /** The source address. */
  readonly src: string;
  readonly #srcBytes: Uint8Array;
  readonly #base: Uint8Array;
  readonly #tcpOffset: number;
  readonly #dstOffset: number;
  readonly #current: Uint8Array;
  #currentAddress = "";

  /**
   * Build the family's template.
   *
   * @param family 4 or 6.
   * @param src The source address, of that family.
   * @param sport The source port of every probe.
   * @param flags The flags of every probe.
   */
  constructor(
    family: AddressFamily,
    src: string,
    sport: number,
    flags: number,
  ) {
    this.family = family;
    this.src = src;
    this.#srcBytes = parseAddress(src).bytes;
    const placeholder = family === 4 ? "0.0.0.0" : "::";
    this.#base = encodePacket(makeTcpPacket({
      src,
      dst: placeholder,
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
    }));
    this.#tcpOffset = family === 4 ? 20 : 40;
    this.#dstOffset = family === 4 ? 16 : 24;
    this.#current = this.#base.slice();
  }

  /** The length of every probe datagram. */
  get length(): number {
    return this.#base.length;
  }

  /**
   * Write the probe for one destination, port and numbers into `target`.
   *
   * @param target Where the datagram goes ({@linkcode ProbeTemplate.length} bytes).
   * @param address The destination, canonical text.
   * @param addressBytes The destination's bytes.
   * @param port The destination port.
   * @param seq The sequence number.
   * @param ack The acknowledgment number (0 leaves the template's).
   */
  write(
    target: Uint8Array,
    address: string,
    addressBytes: Uint8Array,
    port: number,
    seq: number,
    ack: number,
  ): void {
    const current = this.#current;
    if (address !== this.#currentAddress) {
      // A new destination: the pseudo-header changes, so compute afresh.
      current.set(this.#base);
      current.set(addressBytes, this.#dstOffset);
      if (this.family === 4) {
        current[10] = 0;
        current[11] = 0;
        const sum = finishChecksum(sumWords(current.subarray(0, 20)));
        current[10] = sum >>> 8;
        current[11] = sum & 0xff;
      }
      const tcp = current.subarray(this.#tcpOffset);
      const sum = tcpChecksum(tcp, this.#srcBytes, addressBytes);
      tcp[16] = sum >>> 8;
      tcp[17] = sum & 0xff;
      this.#currentAddress = address;
    }
    target.set(current);
    const view = new TcpHeaderView(target, this.#tcpOffset);
    view.setDstPortAndSeq(port, seq);
    if (ack !== 0) view.patch({ ack });
  }
}
