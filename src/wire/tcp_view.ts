/**
 * A view over the fixed 20 bytes of a TCP header inside a buffer: a getter
 * and a setter per field, and incremental checksum updates, for hot paths
 * that edit packets in place.
 *
 * @module
 */

import { read16, write16, write32 } from "./bytes.ts";
import { finishChecksum } from "./checksum.ts";
import { DecodeError } from "./errors.ts";
import {
  checkFieldValue,
  type HeaderField,
  readField,
  writeField,
} from "./header_field.ts";
import { TCP_HEADER_FIELDS, TCP_MIN_HEADER_LENGTH } from "./tcp_fields.ts";

/** The fixed header fields that {@linkcode TcpHeaderView.patch} can change. */
export interface TcpHeaderFields {
  /** Source port, 0..65535. */
  srcPort?: number;
  /** Destination port, 0..65535. */
  dstPort?: number;
  /** Sequence number, 32 bits unsigned. */
  seq?: number;
  /** Acknowledgment number, 32 bits unsigned. */
  ack?: number;
  /** Data offset in 32-bit words, 0..15. */
  dataOffset?: number;
  /** The three reserved bits, 0..7. */
  reserved?: number;
  /** The 9 flag bits, 0..0x1ff. */
  flags?: number;
  /** Window, 0..65535. */
  window?: number;
  /** Urgent pointer, 0..65535. */
  urgentPointer?: number;
}

const F = TCP_HEADER_FIELDS;

/** The fields {@linkcode TcpHeaderView.patch} can set: all but the checksum. */
const PATCHABLE: ReadonlySet<string> = new Set<keyof TcpHeaderFields>([
  "srcPort",
  "dstPort",
  "seq",
  "ack",
  "dataOffset",
  "reserved",
  "flags",
  "window",
  "urgentPointer",
]);

/** The offsets of the hot path's fields, read once from the table. */
const CHECKSUM_AT = F.checksum.byteOffset;
const DST_PORT_AT = F.dstPort.byteOffset;
const SEQ_AT = F.seq.byteOffset;

function checkField(field: HeaderField, value: number): void {
  checkFieldValue("TCP header", field, value);
}

/**
 * A view over the fixed 20 bytes of a TCP header inside a buffer, with a
 * getter and a setter per field, for hot paths that edit packets in place
 * (a scanner rewriting the destination port and sequence number per probe).
 *
 * Once constructed, no getter can fail; setters throw a `RangeError` only for
 * values out of range. Plain setters change only their field and leave the
 * checksum as it is. {@linkcode TcpHeaderView.patch} and
 * {@linkcode TcpHeaderView.setDstPortAndSeq} change fields *and* adjust the
 * stored checksum incrementally (RFC 1624: `HC' = ~(~HC + ~m + m')` for each
 * changed 16-bit word), which gives the same value as recomputing it over the
 * whole segment when the stored checksum was right, and keeps a wrong
 * checksum wrong by the same amount. The pseudo-header (addresses, length) is
 * not covered: after changing those, recompute with {@linkcode tcpChecksum}.
 *
 * @example Rewriting a probe for the next port, checksum kept right
 * ```ts
 * import { encodeTcp, TcpHeaderView, verifyTcpChecksum } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const probe = encodeTcp(
 *   {
 *     srcPort: 40000, dstPort: 1, seq: 0x1000, ack: 0, flags: 0x02,
 *     window: 1024, urgentPointer: 0, options: [], payload: new Uint8Array(),
 *   },
 *   { src: "192.0.2.42", dst: "192.0.2.1" },
 * );
 * const view = new TcpHeaderView(probe);
 * view.setDstPortAndSeq(443, 0xdeadbeef);
 * assert.equal(view.dstPort, 443);
 * assert.equal(view.seq, 0xdeadbeef);
 * assert.ok(verifyTcpChecksum(probe, "192.0.2.42", "192.0.2.1"));
 *
 * view.window = 0; // a plain setter: the checksum is now stale
 * assert.ok(!verifyTcpChecksum(probe, "192.0.2.42", "192.0.2.1"));
 * ```
 */
export class TcpHeaderView {
  /** The buffer the view reads and writes. */
  readonly bytes: Uint8Array;
  /** Where the TCP header starts in {@linkcode TcpHeaderView.bytes}. */
  readonly offset: number;

  /**
   * Create a view over the TCP header at `offset` in `bytes`.
   *
   * @param bytes The buffer; it is not copied.
   * @param offset Where the TCP header starts. Default 0.
   * @throws {DecodeError} When fewer than 20 bytes follow `offset`.
   */
  constructor(bytes: Uint8Array, offset = 0) {
    if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
      throw new RangeError(
        `Cannot view TCP header: offset ${offset} is not in 0..${bytes.length}`,
      );
    }
    if (bytes.length - offset < TCP_MIN_HEADER_LENGTH) {
      throw new DecodeError(
        `buffer is ${
          bytes.length - offset
        } bytes from offset ${offset}, expected at least ${TCP_MIN_HEADER_LENGTH}`,
        { kind: "truncated", layer: "TCP header", offset: bytes.length },
      );
    }
    this.bytes = bytes;
    this.offset = offset;
  }

  /** Source port. */
  get srcPort(): number {
    return readField(this.bytes, this.offset, F.srcPort);
  }
  set srcPort(value: number) {
    this.#set(F.srcPort, value);
  }

  /** Destination port. */
  get dstPort(): number {
    return readField(this.bytes, this.offset, F.dstPort);
  }
  set dstPort(value: number) {
    this.#set(F.dstPort, value);
  }

  /** Sequence number. */
  get seq(): number {
    return readField(this.bytes, this.offset, F.seq);
  }
  set seq(value: number) {
    this.#set(F.seq, value);
  }

  /** Acknowledgment number. */
  get ack(): number {
    return readField(this.bytes, this.offset, F.ack);
  }
  set ack(value: number) {
    this.#set(F.ack, value);
  }

  /** Data offset in 32-bit words (high 4 bits of byte 12). */
  get dataOffset(): number {
    return readField(this.bytes, this.offset, F.dataOffset);
  }
  set dataOffset(value: number) {
    this.#set(F.dataOffset, value);
  }

  /** The three reserved bits (bits 3..1 of byte 12). */
  get reserved(): number {
    return readField(this.bytes, this.offset, F.reserved);
  }
  set reserved(value: number) {
    this.#set(F.reserved, value);
  }

  /** The 9 flag bits (AE in bit 0 of byte 12, the rest in byte 13). */
  get flags(): number {
    return readField(this.bytes, this.offset, F.flags);
  }
  set flags(value: number) {
    this.#set(F.flags, value);
  }

  /** Window. */
  get window(): number {
    return readField(this.bytes, this.offset, F.window);
  }
  set window(value: number) {
    this.#set(F.window, value);
  }

  /** Checksum, as stored. */
  get checksum(): number {
    return readField(this.bytes, this.offset, F.checksum);
  }
  set checksum(value: number) {
    this.#set(F.checksum, value);
  }

  /** Urgent pointer. */
  get urgentPointer(): number {
    return readField(this.bytes, this.offset, F.urgentPointer);
  }
  set urgentPointer(value: number) {
    this.#set(F.urgentPointer, value);
  }

  /** Check a value and write it into its field, leaving the checksum as it is. */
  #set(field: HeaderField, value: number): void {
    checkField(field, value);
    writeField(this.bytes, this.offset, field, value);
  }

  /** The header length the data offset gives, in bytes. */
  get headerLength(): number {
    return this.dataOffset * 4;
  }

  /**
   * Set the destination port and the sequence number, and adjust the stored
   * checksum incrementally: the per-probe edit of a port scanner, without
   * allocating.
   *
   * @param port Destination port, 0..65535.
   * @param seq Sequence number, 32 bits unsigned.
   * @throws {RangeError} For a value out of range; nothing is changed then.
   *
   * @example
   * ```ts
   * import { encodeTcp, TcpHeaderView, tcpChecksum } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const bytes = encodeTcp(
   *   {
   *     srcPort: 40000, dstPort: 1, seq: 0, ack: 0, flags: 0x02, window: 1024,
   *     urgentPointer: 0, options: [], payload: new Uint8Array(),
   *   },
   *   { src: "192.0.2.42", dst: "192.0.2.1" },
   * );
   * const view = new TcpHeaderView(bytes);
   * view.setDstPortAndSeq(8080, 12345);
   * assert.equal(view.checksum, tcpChecksum(bytes, "192.0.2.42", "192.0.2.1"));
   * ```
   */
  setDstPortAndSeq(port: number, seq: number): void {
    checkField(F.dstPort, port);
    checkField(F.seq, seq);
    const b = this.bytes;
    const checksumAt = this.offset + CHECKSUM_AT;
    const portAt = this.offset + DST_PORT_AT;
    const seqAt = this.offset + SEQ_AT;
    let sum = ~read16(b, checksumAt) & 0xffff;
    sum += ~read16(b, portAt) & 0xffff;
    sum += ~read16(b, seqAt) & 0xffff;
    sum += ~read16(b, seqAt + 2) & 0xffff;
    sum += port + (seq >>> 16) + (seq & 0xffff);
    write16(b, portAt, port);
    write32(b, seqAt, seq);
    write16(b, checksumAt, finishChecksum(sum));
  }

  /**
   * Set any of the fixed fields (all but the checksum) and adjust the stored
   * checksum incrementally for every 16-bit word that changed.
   *
   * @param fields The fields to set; the others are left as they are.
   * @throws {RangeError} For a value out of range; nothing is changed then.
   *
   * @example
   * ```ts
   * import { encodeTcp, TcpHeaderView, tcpChecksum } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const bytes = encodeTcp(
   *   {
   *     srcPort: 40000, dstPort: 22, seq: 0, ack: 0, flags: 0x02, window: 1024,
   *     urgentPointer: 0, options: [], payload: new TextEncoder().encode("hi!"),
   *   },
   *   { src: "2001:db8::1", dst: "2001:db8::2" },
   * );
   * const view = new TcpHeaderView(bytes);
   * view.patch({ flags: 0x29, urgentPointer: 1, window: 8192 });
   * assert.equal(view.flags, 0x29);
   * assert.equal(view.checksum, tcpChecksum(bytes, "2001:db8::1", "2001:db8::2"));
   * ```
   */
  patch(fields: TcpHeaderFields): void {
    const keys = Object.keys(fields) as (keyof TcpHeaderFields)[];
    for (const key of keys) {
      if (!PATCHABLE.has(key)) {
        throw new RangeError(
          `Cannot patch TCP header: unknown field ${JSON.stringify(key)}`,
        );
      }
      const value = fields[key];
      if (value !== undefined) checkField(F[key], value);
    }
    const b = this.bytes;
    const o = this.offset;
    let sum = ~read16(b, o + CHECKSUM_AT) & 0xffff;
    for (let at = 0; at < TCP_MIN_HEADER_LENGTH; at += 2) {
      if (at !== CHECKSUM_AT) sum += ~read16(b, o + at) & 0xffff;
    }
    const set = (field: HeaderField, value: number | undefined) => {
      if (value !== undefined) writeField(b, o, field, value);
    };
    set(F.srcPort, fields.srcPort);
    set(F.dstPort, fields.dstPort);
    set(F.seq, fields.seq);
    set(F.ack, fields.ack);
    set(F.dataOffset, fields.dataOffset);
    set(F.reserved, fields.reserved);
    set(F.flags, fields.flags);
    set(F.window, fields.window);
    set(F.urgentPointer, fields.urgentPointer);
    for (let at = 0; at < TCP_MIN_HEADER_LENGTH; at += 2) {
      if (at !== CHECKSUM_AT) sum += read16(b, o + at);
    }
    write16(b, o + CHECKSUM_AT, finishChecksum(sum));
  }
}
