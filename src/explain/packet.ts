/**
 * Explaining a packet or a bare segment: the IP layer, then TCP, then what
 * a strict decoder would refuse, as anomalies.
 *
 * @module
 */

import { addressBytes, formatAddress } from "../wire/address.ts";
import { IPPROTO_TCP } from "../wire/checksum.ts";
import { DecodeError } from "../wire/errors.ts";
import { IPV6_HEADER_LENGTH } from "../wire/ipv6_fields.ts";
import {
  decodeIp,
  decodePacket,
  IPV6_FRAGMENT_HEADER,
} from "../wire/packet.ts";
import { decodeTcp } from "../wire/tcp.ts";
import { type TcpOption, tcpOptionType } from "../wire/tcp_options.ts";
import {
  type TcpSignature,
  verifyTcpSignature,
} from "../wire/tcp_signature.ts";
import type { AnomalyCode } from "./anomalies.ts";
import { Builder } from "./_builder.ts";
import { finalDestination, type SegmentInfo } from "./_checksum.ts";
import { explainIpv4 } from "./_ipv4.ts";
import { explainIpv6, explainIpv6FragmentHeader } from "./_ipv6.ts";
import { protocolName } from "./_meanings.ts";
import { type ExplainedTcp, explainTcp } from "./_tcp.ts";
import type {
  ChecksumWork,
  ConnectionContext,
  ExplainOptions,
  ExplainTcpSegmentOptions,
  Explanation,
} from "./types.ts";

/**
 * The anomalies that say the bytes lack the structure a strict decoder
 * needs: when one is reported, the strict decoder's refusal would only say
 * it again.
 */
const STRUCTURAL: ReadonlySet<AnomalyCode> = new Set<AnomalyCode>([
  "ipv4-ihl",
  "ipv4-total-length",
  "ipv6-payload-length",
  "data-offset-too-small",
  "data-offset-past-end",
  "tcp-truncated",
  "option-length",
]);

/** Add what a strict decoder refuses, when no anomaly already says so. */
function strictCheck(b: Builder, decode: () => void, cut: boolean): void {
  if (cut || b.anomalies.some((a) => STRUCTURAL.has(a.code))) return;
  try {
    decode();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    if (error.kind === "unsupported") return;
    b.anomaly("malformed", error.message, error.offset);
  }
}

function finish(
  b: Builder,
  kind: "packet" | "segment",
  tcp: ExplainedTcp | undefined,
  ipChecksum: ChecksumWork | undefined,
): Explanation {
  const explanation: Explanation = {
    kind,
    length: b.bytes.length,
    layers: b.layers,
    checksums: [],
    anomalies: b.anomalies.sort((x, y) => x.byteOffset - y.byteOffset),
    notes: b.notes,
  };
  if (ipChecksum !== undefined) explanation.checksums.push(ipChecksum);
  if (tcp?.checksum !== undefined) explanation.checksums.push(tcp.checksum);
  if (tcp?.facts !== undefined) explanation.tcp = tcp.facts;
  if (tcp?.payload !== undefined) explanation.payload = tcp.payload;
  return explanation;
}

/**
 * Explain an IP datagram carrying TCP (IPv4, or IPv6 with any extension
 * headers): every field of every header, the checksums worked out and the
 * anomalies found.
 *
 * A datagram that is not TCP, or a fragment after the first, is explained
 * down to the IP layer, with a note saying why it stops there.
 *
 * @param bytes The datagram, starting with the IP header.
 * @param options `steps` to record each word of the checksums; `connection`
 * for what earlier segments said; `wireLength` for a capture cut short.
 * @returns The explanation.
 * @throws {DecodeError} When there is no IP header to read: no bytes, a
 * version other than 4 or 6, or fewer than 20 (IPv4) or 40 (IPv6) bytes.
 *
 * @example The Christmas-tree packet
 * ```ts
 * import { explainPacket, parseHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * // IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0
 * const bytes = parseHex(
 *   "45000028 00010000 4006f6a3 c000022a c0000201" +
 *     "0014029a 00000000 00000000 50292000 08e20000",
 * );
 * const explanation = explainPacket(bytes);
 * assert.deepEqual(explanation.tcp?.flagNames, ["fin", "psh", "urg"]);
 * assert.deepEqual(
 *   explanation.anomalies.map((a) => a.code),
 *   ["xmas", "urg-without-pointer"],
 * );
 * const [ip, tcp] = explanation.checksums;
 * assert.equal(ip?.status, "correct");
 * assert.equal(tcp?.computed, 0x08e2);
 * const urg = explanation.layers[1]?.fields.find((f) => f.key === "flags.urg");
 * assert.deepEqual([urg?.byteOffset, urg?.bitOffset, urg?.bits], [33, 2, "1"]);
 * ```
 */
export function explainPacket(
  bytes: Uint8Array,
  options: ExplainOptions = {},
): Explanation {
  const decoded = decodeIp(bytes, { lenient: true });
  const b = new Builder(bytes);
  const cut = options.wireLength !== undefined &&
    options.wireLength > bytes.length;
  let ipChecksum: ChecksumWork | undefined;
  if (decoded.ip.version === 4) {
    ipChecksum = explainIpv4(b, decoded, options).checksum;
  } else {
    explainIpv6(b, decoded, options);
  }
  const ip = decoded.ip;
  const strict = () => void decodePacket(bytes);
  if (decoded.protocol === IPV6_FRAGMENT_HEADER) {
    explainIpv6FragmentHeader(b, decoded);
  }
  const firstV6 = decoded.protocol === IPV6_FRAGMENT_HEADER &&
    isFirstFragment(bytes);
  if (decoded.protocol !== IPPROTO_TCP && !firstV6) {
    b.notes.push(
      decoded.protocol === IPV6_FRAGMENT_HEADER
        ? "an IPv6 fragment: fragments are not reassembled, so TCP is not explained"
        : `protocol ${decoded.protocol} (${
          protocolName(decoded.protocol)
        }) is not TCP: only the IP layer is explained`,
    );
    strictCheck(b, () => void decodeIp(bytes), cut);
    return finish(b, "packet", undefined, ipChecksum);
  }
  if (ip.version === 4 && ip.fragmentOffset !== 0) {
    b.notes.push(
      `a fragment at byte ${
        ip.fragmentOffset * 8
      } of the datagram: fragments are not reassembled, so TCP is not explained`,
    );
    return finish(b, "packet", undefined, ipChecksum);
  }
  let uncheckable: string | undefined;
  // An IPv6 first fragment's segment starts after its fragment header.
  const base = decoded.payloadOffset + (firstV6 ? 8 : 0);
  const segment = bytes.subarray(
    base,
    base + decoded.payload.length - (firstV6 ? 8 : 0),
  );
  const claimed = ip.version === 4
    ? ip.totalLength - base
    : ip.payloadLength === 0
    ? segment.length
    : IPV6_HEADER_LENGTH + ip.payloadLength - base;
  if ((ip.version === 4 && ip.moreFragments) || firstV6) {
    b.notes.push(
      "the first fragment of a datagram: only the start of the TCP segment is here",
    );
    uncheckable =
      "the checksum covers the whole segment, and this is one fragment of it";
  } else if (cut) {
    uncheckable =
      `the capture holds ${bytes.length} of the datagram's ${options.wireLength} bytes: the checksum covers bytes that are not here`;
  } else if (claimed > segment.length) {
    uncheckable =
      `the IP header says the segment is ${claimed} bytes, but only ${segment.length} are here`;
  }
  const final = finalDestination(decoded);
  const info: SegmentInfo = {
    base,
    segment,
    src: ip.src,
    dst: final.dst,
  };
  if (final.note !== undefined) info.dstNote = final.note;
  if (uncheckable !== undefined) info.uncheckable = uncheckable;
  if (claimed > segment.length) info.length = claimed;
  const tcp = explainTcp(b, info, options);
  if (options.signature !== undefined && uncheckable === undefined) {
    checkSignature(b, info, options.signature, options.connection);
  }
  strictCheck(b, strict, cut || uncheckable !== undefined);
  return finish(b, "packet", tcp, ipChecksum);
}

/** Whether lenient decoding reads the bytes as a first fragment holding its TCP header. */
function isFirstFragment(bytes: Uint8Array): boolean {
  try {
    return decodePacket(bytes, { lenient: true }).firstFragment === true;
  } catch (error) {
    if (error instanceof DecodeError) return false;
    throw error;
  }
}

/** The signature's name, and the option kind it is written in. */
const SIGNATURES = {
  md5: ["TCP MD5 signature (RFC 2385)", 19],
  tcpAo: ["TCP-AO MAC (RFC 5925)", 29],
} as const;

/**
 * Check a segment's signature with the key given: a note when it is right,
 * an anomaly when it is wrong; nothing when the segment has no such option.
 */
function checkSignature(
  b: Builder,
  info: SegmentInfo,
  signature: TcpSignature,
  connection: ConnectionContext | undefined,
): void {
  const segment = info.segment;
  if (info.src === undefined || info.dst === undefined) return;
  const options = decodeTcpOptionsOf(segment);
  const [name, kind] = SIGNATURES[signature.kind];
  if (!options.some((o) => tcpOptionType(o) === kind)) return;
  let key = signature;
  const syn = segment.length >= 14 && (segment[13]! & 0x02) !== 0;
  if (
    key.kind === "tcpAo" && key.isn === undefined && !syn &&
    connection?.isn !== undefined && connection.peerIsn !== undefined
  ) {
    key = {
      ...key,
      isn: { local: connection.isn, remote: connection.peerIsn },
    };
  }
  let right: boolean;
  try {
    right = verifyTcpSignature(segment, key, { src: info.src, dst: info.dst });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    b.notes.push(
      `the ${name} is not checked: ${
        error.message.replace(/^Cannot sign TCP segment: /, "")
      }`,
    );
    return;
  }
  if (right) {
    b.notes.push(`the ${name} is right for the key given`);
  } else {
    b.anomaly(
      "tcp-signature",
      `the ${name} is not the one the key given makes: a receiver holding that key drops the segment`,
      info.base,
    );
  }
}

/** The options of a segment, as far as they parse. */
function decodeTcpOptionsOf(segment: Uint8Array): TcpOption[] {
  try {
    return decodeTcp(segment, { lenient: true }).options;
  } catch {
    return [];
  }
}

/**
 * Explain a bare TCP segment (no IP header). The checksum is checked when
 * `src` and `dst` give the pseudo-header.
 *
 * @param bytes The segment: TCP header and data.
 * @param options `src` and `dst` for the pseudo-header, and the options of
 * {@linkcode explainPacket}.
 * @returns The explanation; byte offsets count from the start of the segment.
 * @throws {RangeError} When only one address is given, or they are of two families.
 * @throws {ParseError} When an address cannot be parsed.
 *
 * @example A SYN with a wrong checksum and a window scale of 15
 * ```ts
 * import { encodeTcp, explainTcpSegment } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeTcp({
 *   srcPort: 40000, dstPort: 443, seq: 1, ack: 0, flags: 0x02, window: 64240,
 *   urgentPointer: 0, options: [{ kind: "wscale", shift: 15 }],
 *   payload: new Uint8Array(), checksum: 0x1234,
 * });
 * const explanation = explainTcpSegment(bytes, { src: "192.0.2.42", dst: "192.0.2.1", steps: true });
 * assert.deepEqual(
 *   explanation.anomalies.map((a) => a.code),
 *   ["tcp-checksum", "wscale-too-large"],
 * );
 * const work = explanation.checksums[0]!;
 * assert.equal(work.status, "wrong");
 * assert.equal(work.steps?.length, 6 + 12); // pseudo-header words, then 24 bytes
 * assert.equal(work.steps?.at(-1)?.folded, work.sum);
 * ```
 */
export function explainTcpSegment(
  bytes: Uint8Array,
  options: ExplainTcpSegmentOptions = {},
): Explanation {
  if ((options.src === undefined) !== (options.dst === undefined)) {
    throw new RangeError(
      "Cannot explain TCP segment: the pseudo-header needs both src and dst",
    );
  }
  const info: SegmentInfo = { base: 0, segment: bytes };
  if (options.src !== undefined && options.dst !== undefined) {
    const src = addressBytes(options.src);
    const dst = addressBytes(options.dst);
    if (src.length !== dst.length) {
      throw new RangeError(
        `Cannot explain TCP segment: mixed address families (src is IPv${
          src.length === 4 ? 4 : 6
        }, dst is IPv${dst.length === 4 ? 4 : 6})`,
      );
    }
    info.src = formatAddress(src);
    info.dst = formatAddress(dst);
  }
  const cut = options.wireLength !== undefined &&
    options.wireLength > bytes.length;
  const b = new Builder(bytes);
  if (cut) {
    const note =
      `the capture holds ${bytes.length} of the segment's ${options.wireLength} bytes`;
    info.uncheckable = note;
    b.notes.push(note);
  }
  const tcp = explainTcp(b, info, options);
  if (options.signature !== undefined && !cut) {
    checkSignature(b, info, options.signature, options.connection);
  }
  strictCheck(b, () => void decodeTcp(bytes), cut);
  return finish(b, "segment", tcp, undefined);
}
