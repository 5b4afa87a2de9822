/**
 * Link layers of captured frames: link-type numbers and stripping a frame
 * down to the IP datagram it carries.
 *
 * @module
 */

import type { CaptureRecord } from "./types.ts";

/**
 * Link-layer header types (tcpdump.org/linktypes.html) as they appear in
 * capture files. Readers accept any number; {@linkcode linkPayload} knows
 * these.
 *
 * @example
 * ```ts
 * import { LINKTYPE } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(LINKTYPE.RAW, 101);
 * assert.equal(LINKTYPE.ETHERNET, 1);
 * ```
 */
export const LINKTYPE = {
  /** BSD loopback: a 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  /** Ethernet II (with 802.1Q/802.1ad tags when present). */
  ETHERNET: 1,
  /** Raw IP: the datagram itself, IPv4 or IPv6 (what tcpcraft writes). */
  RAW: 101,
  /** OpenBSD loopback: a 4-byte address family, big-endian. */
  LOOP: 108,
  /** Linux "cooked" capture v1 (`tcpdump -i any`), 16-byte header. */
  LINUX_SLL: 113,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Raw IPv6 only. */
  IPV6: 229,
  /** Linux "cooked" capture v2 (`tcpdump -i any -y LINUX_SLL2`), 20-byte header. */
  LINUX_SLL2: 276,
} as const;

/** Ethernet types that lead to the IP layer, and VLAN tags that are skipped. */
const ETHERTYPE_IPV4 = 0x0800;

const ETHERTYPE_IPV6 = 0x86dd;

const VLAN_ETHERTYPES: ReadonlySet<number> = new Set([0x8100, 0x88a8, 0x9100]);

/** Address-family values for IPv6 across BSDs, Darwin and Linux. */
const AF_INET = 2;

const AF_INET6_VALUES: ReadonlySet<number> = new Set([10, 24, 28, 30]);

/**
 * Where the IP datagram starts after an EtherType at `typeAt` (skipping any
 * 802.1Q/802.1ad VLAN tags), and its version; undefined when the frame is
 * too short or does not carry IP.
 */
function afterEtherType(
  data: Uint8Array,
  view: DataView,
  typeAt: number,
): { start: number; version: 4 | 6 } | undefined {
  if (typeAt + 2 > data.length) return undefined;
  let type = view.getUint16(typeAt);
  while (VLAN_ETHERTYPES.has(type)) {
    typeAt += 4;
    if (typeAt + 2 > data.length) return undefined;
    type = view.getUint16(typeAt);
  }
  const version = etherTypeVersion(type);
  return version === undefined ? undefined : { start: typeAt + 2, version };
}

/**
 * The IP datagram inside a captured frame: strips an Ethernet header
 * (skipping 802.1Q/802.1ad VLAN tags), a Linux cooked header (SLL, SLL2) or
 * a loopback address-family word (NULL, LOOP); raw link types (RAW, IPV4,
 * IPV6) are the datagram already.
 *
 * When the IP header's length field says the datagram ends before the
 * captured bytes do (Ethernet padding, a trailing FCS), the view stops there.
 *
 * @param record A record from a capture reader (only `linkType` and `data` are used).
 * @returns A view into `record.data` starting at the IP header, or
 *   `undefined` when the frame does not carry IPv4 or IPv6 or the link type
 *   is not one of those above.
 *
 * @example Ethernet frame padded to 60 bytes
 * ```ts
 * import { LINKTYPE, linkPayload } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const frame = new Uint8Array(60);
 * frame.set([0x08, 0x00], 12); // EtherType IPv4
 * frame.set([0x45, 0x00, 0x00, 0x28], 14); // IPv4, total length 40
 * const ip = linkPayload({ linkType: LINKTYPE.ETHERNET, data: frame });
 * assert.equal(ip?.length, 40);
 * assert.equal(ip?.[0], 0x45);
 * ```
 */
export function linkPayload(
  record: Pick<CaptureRecord, "linkType" | "data">,
): Uint8Array | undefined {
  const data = record.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let start: number;
  let ipVersion: 4 | 6 | undefined;
  switch (record.linkType) {
    case LINKTYPE.RAW:
      start = 0;
      break;
    case LINKTYPE.IPV4:
      start = 0;
      ipVersion = 4;
      break;
    case LINKTYPE.IPV6:
      start = 0;
      ipVersion = 6;
      break;
    case LINKTYPE.ETHERNET:
    case LINKTYPE.LINUX_SLL: {
      // The EtherType (after any VLAN tags) is at byte 12 of Ethernet, 14 of SLL.
      const found = afterEtherType(
        data,
        view,
        record.linkType === LINKTYPE.ETHERNET ? 12 : 14,
      );
      if (found === undefined) return undefined;
      start = found.start;
      ipVersion = found.version;
      break;
    }
    case LINKTYPE.LINUX_SLL2: {
      if (data.length < 20) return undefined;
      const version = etherTypeVersion(view.getUint16(0));
      if (version === undefined) return undefined;
      start = 20;
      ipVersion = version;
      break;
    }
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (data.length < 4) return undefined;
      let family = view.getUint32(0, record.linkType === LINKTYPE.NULL);
      // NULL is in the capturing host's byte order: a big-endian writer
      // leaves the small family number in the last byte.
      if (record.linkType === LINKTYPE.NULL && family > 0xffff) {
        family = view.getUint32(0, false);
      }
      if (family === AF_INET) ipVersion = 4;
      else if (AF_INET6_VALUES.has(family)) ipVersion = 6;
      else return undefined;
      start = 4;
      break;
    }
    default:
      return undefined;
  }
  const ip = data.subarray(start);
  if (ip.length === 0) return undefined;
  const nibble = ip[0]! >> 4;
  if (ipVersion === undefined) {
    if (nibble !== 4 && nibble !== 6) return undefined;
    ipVersion = nibble;
  }
  return trimToDatagram(ip, ipVersion);
}

function etherTypeVersion(type: number): 4 | 6 | undefined {
  if (type === ETHERTYPE_IPV4) return 4;
  if (type === ETHERTYPE_IPV6) return 6;
  return undefined;
}

/** Cut trailing link-layer bytes when the IP length field is sane and shorter. */
function trimToDatagram(ip: Uint8Array, version: 4 | 6): Uint8Array {
  if (version === 4 && ip.length >= 20 && ip[0]! >> 4 === 4) {
    const total = (ip[2]! << 8) | ip[3]!;
    if (total >= 20 && total < ip.length) return ip.subarray(0, total);
  } else if (version === 6 && ip.length >= 40 && ip[0]! >> 4 === 6) {
    const payload = (ip[4]! << 8) | ip[5]!;
    // Payload length 0 may mean a jumbogram: keep everything then.
    if (payload > 0 && 40 + payload < ip.length) {
      return ip.subarray(0, 40 + payload);
    }
  }
  return ip;
}
