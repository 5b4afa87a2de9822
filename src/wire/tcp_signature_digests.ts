/**
 * The digests of the two TCP signatures: the TCP MD5 signature (RFC 2385)
 * and the TCP-AO traffic key and MAC (RFC 5925, RFC 5926), each a function
 * of a segment's bytes. `tcp_signature.ts` writes them into segments.
 *
 * @module
 */

import { addressBytes } from "./address.ts";
import { write16, write32 } from "./bytes.ts";
import { aesCmac } from "./crypto/aes.ts";
import { md5 } from "./crypto/md5.ts";
import { hmacSha1 } from "./crypto/sha1.ts";
import { TCP_HEADER_FIELDS } from "./tcp_fields.ts";
import {
  AO_KIND,
  fail,
  findOption,
  headerEnd,
  pseudoHeader,
  requireSegment,
} from "./_tcp_signature_parts.ts";

/** The TCP-AO algorithms of RFC 5926, as tcpcraft names them. */
export type TcpAoAlgorithm = "hmac-sha-1-96" | "aes-128-cmac-96";

/**
 * The TCP-AO algorithms, in the order help lists them.
 *
 * @example
 * ```ts
 * import { TCP_AO_ALGORITHMS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(TCP_AO_ALGORITHMS, ["hmac-sha-1-96", "aes-128-cmac-96"]);
 * ```
 */
export const TCP_AO_ALGORITHMS: readonly TcpAoAlgorithm[] = Object.freeze([
  "hmac-sha-1-96",
  "aes-128-cmac-96",
]);

/**
 * The longest key Linux takes for TCP-MD5 and TCP-AO
 * (`TCP_MD5SIG_MAXKEYLEN`, `TCP_AO_MAXKEYLEN`): 80 bytes.
 *
 * @example
 * ```ts
 * import { TCP_SIGNATURE_MAX_KEY } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_SIGNATURE_MAX_KEY, 80);
 * ```
 */
export const TCP_SIGNATURE_MAX_KEY = 80;

/** The length of a TCP-AO MAC with either algorithm: 96 bits. */
const AO_MAC_LENGTH = 12;

/** The addresses a signature covers, text or bytes, of one family. */
export interface TcpSignatureAddresses {
  /** The source address. */
  src: string | Uint8Array;
  /** The destination the pseudo-header uses (the final one, with a source route). */
  dst: string | Uint8Array;
}

/**
 * The TCP MD5 signature of a segment (RFC 2385 §2.0): MD5 over the
 * pseudo-header, the 20-byte header with a zero checksum and no options,
 * the data, and the key.
 *
 * @param segment The TCP segment (header, options, data).
 * @param key The key.
 * @param addresses The source and the (final) destination.
 * @returns The 16-byte digest.
 * @throws {RangeError} For a segment under 20 bytes or addresses of two families.
 *
 * @example
 * ```ts
 * import { encodeTcp, tcpMd5Digest } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const segment = encodeTcp({
 *   srcPort: 179, dstPort: 179, seq: 1, ack: 0, flags: 0x02, window: 16384,
 *   urgentPointer: 0, options: [], payload: new Uint8Array(),
 * }, { src: "192.0.2.1", dst: "192.0.2.2" });
 * const key = new TextEncoder().encode("secret");
 * assert.equal(tcpMd5Digest(segment, key, { src: "192.0.2.1", dst: "192.0.2.2" }).length, 16);
 * ```
 */
export function tcpMd5Digest(
  segment: Uint8Array,
  key: Uint8Array,
  addresses: TcpSignatureAddresses,
): Uint8Array {
  requireSegment(segment);
  const header = segment.slice(0, 20);
  write16(header, TCP_HEADER_FIELDS.checksum.byteOffset, 0);
  return md5(
    pseudoHeader(addresses, segment.length),
    header,
    segment.subarray(headerEnd(segment)),
    key,
  );
}

/** What the TCP-AO traffic key depends on (RFC 5925 §5.2). */
export interface TcpAoContext extends TcpSignatureAddresses {
  /** The segment's source port. */
  srcPort: number;
  /** The segment's destination port. */
  dstPort: number;
  /** The ISN of the segment's sender. */
  srcIsn: number;
  /** The ISN of its receiver (0 for a SYN). */
  dstIsn: number;
}

/**
 * A TCP-AO traffic key (RFC 5926 §3.1): the KDF of the algorithm, run once
 * with counter 1, label `TCP-AO`, the connection's context and the output
 * length. AES-128-CMAC first reduces a master key that is not 16 bytes with
 * AES-CMAC under a zero key.
 *
 * @param algorithm The algorithm.
 * @param masterKey The MKT's master key.
 * @param context Addresses, ports and ISNs.
 * @returns 20 bytes for HMAC-SHA-1-96, 16 for AES-128-CMAC-96.
 *
 * @example RFC 9235 §4.1.1: the client's SYN key
 * ```ts
 * import { formatHex, tcpAoTrafficKey } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const key = tcpAoTrafficKey("hmac-sha-1-96", new TextEncoder().encode("testvector"), {
 *   src: "10.11.12.13", dst: "172.27.28.29", srcPort: 59863, dstPort: 179,
 *   srcIsn: 0xfbfbab5a, dstIsn: 0,
 * });
 * assert.equal(formatHex(key), "6d63ef1b02fe1509d4b1402707fd7b0416abb74f");
 * ```
 */
export function tcpAoTrafficKey(
  algorithm: TcpAoAlgorithm,
  masterKey: Uint8Array,
  context: TcpAoContext,
): Uint8Array {
  const src = addressBytes(context.src);
  const dst = addressBytes(context.dst);
  if (src.length !== dst.length) fail("mixed address families");
  const n = src.length;
  // i (1), "TCP-AO", the context, the output length in bits (2).
  const input = new Uint8Array(1 + 6 + 2 * n + 12 + 2);
  input[0] = 1;
  input.set(new TextEncoder().encode("TCP-AO"), 1);
  let at = 7;
  input.set(src, at);
  input.set(dst, at += n);
  write16(input, at += n, context.srcPort);
  write16(input, at += 2, context.dstPort);
  write32(input, at += 2, context.srcIsn >>> 0);
  write32(input, at += 4, context.dstIsn >>> 0);
  at += 4;
  if (algorithm === "hmac-sha-1-96") {
    write16(input, at, 160);
    return hmacSha1(masterKey, input);
  }
  write16(input, at, 128);
  const key = masterKey.length === 16
    ? masterKey
    : aesCmac(new Uint8Array(16), masterKey);
  return aesCmac(key, input);
}

/** Options for {@linkcode tcpAoMac}. */
export interface TcpAoMacOptions extends TcpSignatureAddresses {
  /** The sequence number extension (default 0). */
  sne?: number;
  /** Leave the options other than TCP-AO out (default false). */
  excludeOptions?: boolean;
}

/**
 * The TCP-AO MAC of a segment (RFC 5925 §5.1) under a traffic key: over
 * the SNE, the pseudo-header, the header with a zero checksum and its
 * options with the TCP-AO MAC zeroed (or only the TCP-AO option), and the
 * data; 12 bytes.
 *
 * @param algorithm The algorithm.
 * @param trafficKey The traffic key ({@linkcode tcpAoTrafficKey}).
 * @param segment The segment, with a TCP-AO option.
 * @param options The addresses, the SNE, whether options are excluded.
 * @returns The 12-byte MAC.
 * @throws {RangeError} When the segment has no TCP-AO option.
 *
 * @example
 * ```ts
 * import { encodeTcp, tcpAoMac, tcpAoTrafficKey } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const addresses = { src: "192.0.2.1", dst: "192.0.2.2" };
 * const segment = encodeTcp({
 *   srcPort: 179, dstPort: 179, seq: 7, ack: 0, flags: 0x02, window: 16384, urgentPointer: 0,
 *   options: [{ kind: "tcpAo", keyId: 1, rNextKeyId: 1, mac: new Uint8Array(12) }],
 *   payload: new Uint8Array(),
 * }, addresses);
 * const key = tcpAoTrafficKey("aes-128-cmac-96", new TextEncoder().encode("k"), {
 *   ...addresses, srcPort: 179, dstPort: 179, srcIsn: 7, dstIsn: 0,
 * });
 * assert.equal(tcpAoMac("aes-128-cmac-96", key, segment, addresses).length, 12);
 * ```
 */
export function tcpAoMac(
  algorithm: TcpAoAlgorithm,
  trafficKey: Uint8Array,
  segment: Uint8Array,
  options: TcpAoMacOptions,
): Uint8Array {
  requireSegment(segment);
  const ao = findOption(segment, AO_KIND);
  const header = segment.slice(0, 20);
  write16(header, TCP_HEADER_FIELDS.checksum.byteOffset, 0);
  const end = headerEnd(segment);
  const parts: Uint8Array[] = [
    new Uint8Array(4),
    pseudoHeader(options, segment.length),
    header,
  ];
  write32(parts[0]!, 0, (options.sne ?? 0) >>> 0);
  const aoBytes = segment.slice(ao.at, ao.at + ao.length);
  aoBytes.fill(0, 4);
  if (options.excludeOptions === true) {
    parts.push(aoBytes);
  } else {
    parts.push(
      segment.subarray(20, ao.at),
      aoBytes,
      segment.subarray(ao.at + ao.length, end),
    );
  }
  parts.push(segment.subarray(end));
  const mac = algorithm === "hmac-sha-1-96"
    ? hmacSha1(trafficKey, ...parts)
    : aesCmac(trafficKey, ...parts);
  return mac.slice(0, AO_MAC_LENGTH);
}
