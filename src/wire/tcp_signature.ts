/**
 * TCP segment signatures computed for real: the TCP MD5 signature
 * (RFC 2385) and the TCP Authentication Option (TCP-AO, RFC 5925) with its
 * two mandatory algorithms, HMAC-SHA-1-96 and AES-128-CMAC-96, and their
 * key derivation (RFC 5926). BGP and LDP routers check these; a signed SYN
 * they accept is one these functions made right.
 *
 * A packet model carries a {@linkcode TcpSignature} (the key and how to
 * use it) and, among its options, the option the signature is written
 * into (`md5`, or `tcpAo` with its key IDs); `encodePacket` writes the
 * segment, computes the signature into the option and then the checksum.
 * {@linkcode withTcpSignature} adds both to a packet. Everything here is
 * synchronous and portable: MD5, SHA-1, AES and CMAC are in `crypto/`.
 *
 * What is signed:
 * - MD5: the pseudo-header (the checksum's: source, final destination,
 *   protocol, segment length; IPv6's as Linux signs it), the 20-byte header
 *   with a zero checksum and without options, the data, then the key.
 * - TCP-AO: the sequence number extension (SNE), the checksum's
 *   pseudo-header, the header with a zero checksum and its options (or,
 *   with `excludeOptions`, only the TCP-AO option) with the MAC field
 *   zeroed, and the data; the MAC is the first 12 bytes of HMAC-SHA-1 or
 *   AES-CMAC under the traffic key. The traffic key is derived from the
 *   master key and the connection (RFC 5925 §5.2: addresses, ports, the
 *   sender's ISN and the receiver's): a SYN's with the receiver's ISN 0, a
 *   SYN-ACK's with the ISN its acknowledgment number gives; any other
 *   segment's needs the two ISNs given.
 *
 * @module
 */

import { read16, read32, write16 } from "./bytes.ts";
import { finishChecksum, sumWords } from "./checksum.ts";
import { TCP_FLAGS } from "./flags.ts";
import { TCP_HEADER_FIELDS } from "./tcp_fields.ts";
import type { TcpOption } from "./tcp_options.ts";
import {
  TCP_AO_ALGORITHMS,
  TCP_SIGNATURE_MAX_KEY,
  type TcpAoAlgorithm,
  tcpAoMac,
  type TcpAoMacOptions,
  tcpAoTrafficKey,
  tcpMd5Digest,
  type TcpSignatureAddresses,
} from "./tcp_signature_digests.ts";
import {
  AO_KIND,
  fail,
  findOption,
  type FoundOption,
  MD5_KIND,
  pseudoHeader,
  requireSegment,
} from "./_tcp_signature_parts.ts";

export * from "./tcp_signature_digests.ts";

/** The length of a TCP-AO MAC with either algorithm: 96 bits. */
const AO_MAC_LENGTH = 12;

/** Sign with the TCP MD5 signature option (RFC 2385). */
export interface TcpMd5Signature {
  /** The discriminant: `"md5"`. */
  kind: "md5";
  /** The key, 1..80 bytes. */
  key: Uint8Array;
}

/** The initial sequence numbers of a connection, as the segment's sender sees them. */
export interface TcpAoIsns {
  /** The sender's ISN (the source of this segment). */
  local: number;
  /** The receiver's ISN. */
  remote: number;
}

/** Sign with the TCP Authentication Option (RFC 5925). */
export interface TcpAoSignature {
  /** The discriminant: `"tcpAo"`. */
  kind: "tcpAo";
  /** The master key of the MKT, 1..80 bytes. */
  key: Uint8Array;
  /** The MAC and KDF algorithm. */
  algorithm: TcpAoAlgorithm;
  /**
   * The connection's ISNs, for the traffic key. Optional for a SYN (the
   * sender's is its sequence number, the receiver's 0) and a SYN-ACK (its
   * sequence number, and its acknowledgment number - 1); needed otherwise.
   */
  isn?: TcpAoIsns;
  /** The sequence number extension, 32 bits (default 0). */
  sne?: number;
  /** Leave the options other than TCP-AO out of the MAC (default false). */
  excludeOptions?: boolean;
}

/** How a segment is signed. */
export type TcpSignature = TcpMd5Signature | TcpAoSignature;

/** Options for {@linkcode signTcpSegment}. */
export interface SignTcpSegmentOptions extends TcpSignatureAddresses {
  /** Recompute the TCP checksum after writing the signature (default true). */
  checksum?: boolean;
}

/**
 * Check a signature's key, algorithm and numbers.
 *
 * @param signature The signature.
 * @throws {RangeError} For an empty key, a key over 80 bytes, an unknown
 *   algorithm or kind, or an SNE or ISN out of range.
 *
 * @example
 * ```ts
 * import { checkTcpSignature } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => checkTcpSignature({ kind: "md5", key: new Uint8Array() }),
 *   /the MD5 key is empty/,
 * );
 * ```
 */
export function checkTcpSignature(signature: TcpSignature): void {
  const kind = (signature as { kind?: unknown }).kind;
  if (kind !== "md5" && kind !== "tcpAo") {
    fail(`unknown signature kind ${JSON.stringify(kind)}`);
  }
  const what = kind === "md5" ? "MD5" : "TCP-AO";
  const key = signature.key;
  if (!(key instanceof Uint8Array)) fail(`the ${what} key is not bytes`);
  if (key.length === 0) fail(`the ${what} key is empty`);
  if (key.length > TCP_SIGNATURE_MAX_KEY) {
    fail(
      `the ${what} key is ${key.length} bytes, more than the ${TCP_SIGNATURE_MAX_KEY} Linux takes`,
    );
  }
  if (signature.kind === "md5") return;
  if (!TCP_AO_ALGORITHMS.includes(signature.algorithm)) {
    fail(
      `unknown TCP-AO algorithm ${
        JSON.stringify(signature.algorithm)
      } (known: ${TCP_AO_ALGORITHMS.join(", ")})`,
    );
  }
  const u32 = (name: string, value: number | undefined) => {
    if (
      value !== undefined &&
      (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    ) {
      fail(`${name} ${value} is not in 0..4294967295`);
    }
  };
  u32("sne", signature.sne);
  u32("isn.local", signature.isn?.local);
  u32("isn.remote", signature.isn?.remote);
}

/** The ISNs a TCP-AO signature uses for a segment. */
function aoIsns(segment: Uint8Array, signature: TcpAoSignature): TcpAoIsns {
  if (signature.isn !== undefined) return signature.isn;
  const flags = read16(segment, 12) & 0x1ff;
  const seq = read32(segment, TCP_HEADER_FIELDS.seq.byteOffset);
  const ack = read32(segment, TCP_HEADER_FIELDS.ack.byteOffset);
  if ((flags & TCP_FLAGS.syn) !== 0) {
    return (flags & TCP_FLAGS.ack) === 0
      ? { local: seq, remote: 0 }
      : { local: seq, remote: (ack - 1) >>> 0 };
  }
  return fail(
    "TCP-AO on a segment without SYN needs the connection's ISNs (isn: { local, remote })",
  );
}

/**
 * The signature a segment should carry: the MD5 digest, or the TCP-AO MAC.
 *
 * @param segment The segment, with its signature option.
 * @param signature The key and how to use it.
 * @param addresses The source and the (final) destination.
 * @returns 16 bytes (MD5) or 12 (TCP-AO).
 * @throws {RangeError} As {@linkcode signTcpSegment}.
 *
 * @example
 * ```ts
 * import { encodeTcp, tcpSignatureBytes } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const addresses = { src: "2001:db8::1", dst: "2001:db8::2" };
 * const segment = encodeTcp({
 *   srcPort: 646, dstPort: 646, seq: 1, ack: 0, flags: 0x02, window: 8192, urgentPointer: 0,
 *   options: [{ kind: "nop" }, { kind: "nop" }, { kind: "md5", digest: new Uint8Array(16) }],
 *   payload: new Uint8Array(),
 * }, addresses);
 * const key = new TextEncoder().encode("ldp");
 * assert.equal(tcpSignatureBytes(segment, { kind: "md5", key }, addresses).length, 16);
 * ```
 */
export function tcpSignatureBytes(
  segment: Uint8Array,
  signature: TcpSignature,
  addresses: TcpSignatureAddresses,
): Uint8Array {
  checkTcpSignature(signature);
  requireSegment(segment);
  if (signature.kind === "md5") {
    return tcpMd5Digest(segment, signature.key, addresses);
  }
  const isn = aoIsns(segment, signature);
  const trafficKey = tcpAoTrafficKey(signature.algorithm, signature.key, {
    ...addresses,
    srcPort: read16(segment, 0),
    dstPort: read16(segment, 2),
    srcIsn: isn.local,
    dstIsn: isn.remote,
  });
  const options: TcpAoMacOptions = { src: addresses.src, dst: addresses.dst };
  if (signature.sne !== undefined) options.sne = signature.sne;
  if (signature.excludeOptions !== undefined) {
    options.excludeOptions = signature.excludeOptions;
  }
  return tcpAoMac(signature.algorithm, trafficKey, segment, options);
}

/** Where the signature goes: the option's value field, checked for its length. */
function signatureField(
  segment: Uint8Array,
  signature: TcpSignature,
): FoundOption {
  if (signature.kind === "md5") {
    const option = findOption(segment, MD5_KIND);
    if (option.length !== 18) {
      fail(`the MD5 option is ${option.length} bytes long, expected 18`);
    }
    return { at: option.at + 2, length: 16 };
  }
  const option = findOption(segment, AO_KIND);
  if (option.length - 4 !== AO_MAC_LENGTH) {
    fail(
      `the TCP-AO option holds a ${
        Math.max(0, option.length - 4)
      }-byte MAC, ${signature.algorithm} writes ${AO_MAC_LENGTH}`,
    );
  }
  return { at: option.at + 4, length: AO_MAC_LENGTH };
}

/**
 * Sign a segment in place: compute its MD5 digest or TCP-AO MAC, write it
 * into its option (the first of kind 19 or 29), then recompute the TCP
 * checksum unless told not to.
 *
 * @param segment The segment, with its signature option.
 * @param signature The key and how to use it.
 * @param options The source and (final) destination, and `checksum`.
 * @throws {RangeError} For a bad key or algorithm, a segment without the
 *   option or with one of the wrong length, or TCP-AO on a segment without
 *   SYN and no ISNs.
 *
 * @example A signed BGP SYN, as a router checks it
 * ```ts
 * import { encodeTcp, signTcpSegment, verifyTcpSignature } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const addresses = { src: "192.0.2.1", dst: "192.0.2.2" };
 * const segment = encodeTcp({
 *   srcPort: 40000, dstPort: 179, seq: 1, ack: 0, flags: 0x02, window: 16384, urgentPointer: 0,
 *   options: [{ kind: "nop" }, { kind: "nop" }, { kind: "md5", digest: new Uint8Array(16) }],
 *   payload: new Uint8Array(),
 * }, addresses);
 * const signature = { kind: "md5" as const, key: new TextEncoder().encode("bgp") };
 * signTcpSegment(segment, signature, addresses);
 * assert.equal(verifyTcpSignature(segment, signature, addresses), true);
 * ```
 */
export function signTcpSegment(
  segment: Uint8Array,
  signature: TcpSignature,
  options: SignTcpSegmentOptions,
): void {
  const field = signatureField(segment, signature);
  const value = tcpSignatureBytes(segment, signature, options);
  segment.set(value, field.at);
  if (options.checksum === false) return;
  const at = TCP_HEADER_FIELDS.checksum.byteOffset;
  write16(segment, at, 0);
  const pseudo = sumWords(pseudoHeader(options, segment.length));
  write16(segment, at, finishChecksum(sumWords(segment, pseudo)));
}

/**
 * Whether a segment's MD5 digest or TCP-AO MAC is the one its key gives.
 *
 * @param segment The segment.
 * @param signature The key and how to use it.
 * @param addresses The source and the (final) destination.
 * @returns Whether the option holds the right value; false when the
 *   segment has no such option or one of the wrong length.
 * @throws {RangeError} For a bad key or algorithm, or TCP-AO without SYN
 *   and no ISNs.
 *
 * @example
 * ```ts
 * import { encodePacket, verifyTcpSignature, withTcpSignature, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new TextEncoder().encode("bgp");
 * const bytes = encodePacket(withTcpSignature(
 *   makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.2", dstPort: 179 }),
 *   { kind: "md5", key },
 * ));
 * const segment = bytes.subarray(20);
 * const addresses = { src: "192.0.2.1", dst: "192.0.2.2" };
 * assert.equal(verifyTcpSignature(segment, { kind: "md5", key }, addresses), true);
 * const wrong = new TextEncoder().encode("bgq");
 * assert.equal(verifyTcpSignature(segment, { kind: "md5", key: wrong }, addresses), false);
 * ```
 */
export function verifyTcpSignature(
  segment: Uint8Array,
  signature: TcpSignature,
  addresses: TcpSignatureAddresses,
): boolean {
  checkTcpSignature(signature);
  let field: FoundOption;
  try {
    field = signatureField(segment, signature);
  } catch {
    return false;
  }
  const expected = tcpSignatureBytes(segment, signature, addresses);
  const stored = segment.subarray(field.at, field.at + field.length);
  return expected.every((byte, i) => byte === stored[i]);
}

/** Key IDs for a TCP-AO option that {@linkcode withTcpSignature} adds. */
export interface TcpAoKeyIds {
  /** KeyID (default 0). */
  keyId?: number;
  /** RNextKeyID (default the KeyID). */
  rNextKeyId?: number;
}

/**
 * The option a signature is written into, with its value zeroed: an MD5
 * option (16 zero bytes) or a TCP-AO option with a 12-byte zero MAC.
 *
 * @param signature The signature.
 * @param ids For TCP-AO, the key IDs.
 * @returns The option.
 *
 * @example
 * ```ts
 * import { tcpSignatureOption } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array([1]);
 * assert.deepEqual(
 *   tcpSignatureOption({ kind: "tcpAo", key, algorithm: "hmac-sha-1-96" }, { keyId: 3 }),
 *   { kind: "tcpAo", keyId: 3, rNextKeyId: 3, mac: new Uint8Array(12) },
 * );
 * ```
 */
export function tcpSignatureOption(
  signature: TcpSignature,
  ids: TcpAoKeyIds = {},
): TcpOption {
  if (signature.kind === "md5") {
    return { kind: "md5", digest: new Uint8Array(16) };
  }
  const keyId = ids.keyId ?? 0;
  return {
    kind: "tcpAo",
    keyId,
    rNextKeyId: ids.rNextKeyId ?? keyId,
    mac: new Uint8Array(AO_MAC_LENGTH),
  };
}

/**
 * A packet signed when encoded: the signature set, and its option added
 * first (as Linux puts it: two NOPs then MD5, or TCP-AO) unless the
 * options already hold one of its kind, which then receives the value.
 *
 * @param packet The packet (not changed).
 * @param signature The key and how to use it.
 * @param ids For TCP-AO, the key IDs of an option added.
 * @returns The packet to encode.
 * @throws {RangeError} For a bad key or algorithm.
 *
 * @example A TCP-AO SYN
 * ```ts
 * import { decodePacket, encodePacket, makeTcpPacket, withTcpSignature } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = withTcpSignature(
 *   makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.2", dstPort: 179, seq: 7 }),
 *   { kind: "tcpAo", key: new TextEncoder().encode("bgp"), algorithm: "hmac-sha-1-96" },
 *   { keyId: 1, rNextKeyId: 2 },
 * );
 * const [option] = decodePacket(encodePacket(packet)).tcp.options;
 * assert.equal(option?.kind, "tcpAo");
 * assert.ok(option?.kind === "tcpAo" && option.mac.some((byte) => byte !== 0));
 * ```
 */
export function withTcpSignature<
  P extends { tcp: { options: TcpOption[] }; signature?: TcpSignature },
>(packet: P, signature: TcpSignature, ids: TcpAoKeyIds = {}): P {
  checkTcpSignature(signature);
  const kind = signature.kind;
  const has = packet.tcp.options.some((option) => option.kind === kind);
  const options: TcpOption[] = has ? packet.tcp.options : [
    ...(kind === "md5"
      ? [{ kind: "nop" } as const, { kind: "nop" } as const]
      : []),
    tcpSignatureOption(signature, ids),
    ...packet.tcp.options,
  ];
  return { ...packet, tcp: { ...packet.tcp, options }, signature };
}
