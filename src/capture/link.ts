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
  /** Ethernet II (with 802.1Q/802.1ad tags and MPLS labels when present). */
  ETHERNET: 1,
  /** SLIP, with libpcap's 16-byte pseudo-header (direction and compression state). */
  SLIP: 8,
  /** PPP (RFC 1661), with or without the HDLC-like `ff 03` address and control. */
  PPP: 9,
  /** PPP in HDLC-like framing (RFC 1662), or Cisco HDLC on the same link. */
  PPP_SERIAL: 50,
  /** Raw IP: the datagram itself, IPv4 or IPv6 (what tcpcraft writes). */
  RAW: 101,
  /** Cisco HDLC: address, control, then an EtherType. */
  C_HDLC: 104,
  /** Frame Relay (Q.922 address, UI control, NLPID or SNAP). */
  FRELAY: 107,
  /** OpenBSD loopback: a 4-byte address family, big-endian. */
  LOOP: 108,
  /** Linux "cooked" capture v1 (`tcpdump -i any`), 16-byte header. */
  LINUX_SLL: 113,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Raw IPv6 only. */
  IPV6: 229,
  /** Apple's packet tap: a header naming the inner link type, then the frame. */
  PKTAP: 258,
  /** Linux "cooked" capture v2 (`tcpdump -i any -y LINUX_SLL2`), 20-byte header. */
  LINUX_SLL2: 276,
} as const;

/** Ethernet types that lead to the IP layer; VLAN tags and MPLS labels are skipped. */
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_ETHERTYPES: ReadonlySet<number> = new Set([0x8100, 0x88a8, 0x9100]);
const MPLS_ETHERTYPES: ReadonlySet<number> = new Set([0x8847, 0x8848]);

/** Address-family values for IPv6 across BSDs, Darwin and Linux. */
const AF_INET = 2;
const AF_INET6_VALUES: ReadonlySet<number> = new Set([10, 24, 28, 30]);

/** PPP protocol numbers of IPv4 and IPv6 (RFC 1332, RFC 5072). */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
/** Frame Relay NLPIDs (RFC 2427) of IPv4, IPv6 and SNAP. */
const NLPID_IPV4 = 0xcc;
const NLPID_IPV6 = 0x8e;
const NLPID_SNAP = 0x80;
/** Raw IP as Darwin's `DLT_RAW` numbers it inside a PKTAP header. */
const DLT_RAW = 12;

/** Where the datagram starts in a frame, and its version when the link says. */
interface Found {
  start: number;
  version?: 4 | 6;
}

/**
 * One link type: how to find the IP datagram in its frames. A new link type
 * is one entry in {@linkcode LINK_LAYERS}.
 */
interface LinkLayer {
  find(data: Uint8Array, view: DataView): Found | undefined;
}

function etherTypeVersion(type: number): 4 | 6 | undefined {
  if (type === ETHERTYPE_IPV4) return 4;
  if (type === ETHERTYPE_IPV6) return 6;
  return undefined;
}

/**
 * Where the IP datagram starts after an EtherType at `typeAt` (skipping any
 * 802.1Q/802.1ad VLAN tags and, for MPLS, the label stack down to the label
 * with the bottom-of-stack bit), and its version; undefined when the frame
 * is too short or does not carry IP.
 */
function afterEtherType(
  data: Uint8Array,
  view: DataView,
  typeAt: number,
): Found | undefined {
  if (typeAt + 2 > data.length) return undefined;
  let type = view.getUint16(typeAt);
  while (VLAN_ETHERTYPES.has(type)) {
    typeAt += 4;
    if (typeAt + 2 > data.length) return undefined;
    type = view.getUint16(typeAt);
  }
  if (MPLS_ETHERTYPES.has(type)) {
    // Labels of 4 bytes; bit 0 of the third byte marks the last. What
    // follows has no type of its own: the IP version nibble says.
    for (let at = typeAt + 2; at + 4 <= data.length; at += 4) {
      if ((data[at + 2]! & 1) === 1) return { start: at + 4 };
    }
    return undefined;
  }
  const version = etherTypeVersion(type);
  return version === undefined ? undefined : { start: typeAt + 2, version };
}

/** The IP datagram after a PPP protocol field at `at` (1 byte when compressed). */
function afterPppProtocol(data: Uint8Array, at: number): Found | undefined {
  if (at >= data.length) return undefined;
  let protocol = data[at]!;
  let start = at + 1;
  if ((protocol & 1) === 0) {
    if (at + 2 > data.length) return undefined;
    protocol = (protocol << 8) | data[at + 1]!;
    start = at + 2;
  }
  if (protocol === PPP_IPV4) return { start, version: 4 };
  if (protocol === PPP_IPV6) return { start, version: 6 };
  return undefined;
}

/** PPP: the HDLC-like `ff 03` is optional (RFC 1662 address and control). */
function ppp(data: Uint8Array): Found | undefined {
  const framed = data[0] === 0xff && data[1] === 0x03;
  return afterPppProtocol(data, framed ? 2 : 0);
}

/** Cisco HDLC: address 0x0f or 0x8f, control, then an EtherType. */
function ciscoHdlc(data: Uint8Array, view: DataView): Found | undefined {
  if (data[0] !== 0x0f && data[0] !== 0x8f) return undefined;
  return afterEtherType(data, view, 2);
}

/** Frame Relay: a Q.922 address of 2 to 4 bytes, UI control, then NLPID. */
function frameRelay(data: Uint8Array, view: DataView): Found | undefined {
  let at = 0;
  // The address ends with the byte whose EA bit (bit 0) is set.
  while (at < 4 && at < data.length && (data[at]! & 1) === 0) at++;
  at++;
  if (at < 2 || data[at] !== 0x03) return undefined;
  at++;
  if (data[at] === 0x00) at++; // optional padding before the NLPID
  const nlpid = data[at];
  if (nlpid === NLPID_IPV4) return { start: at + 1, version: 4 };
  if (nlpid === NLPID_IPV6) return { start: at + 1, version: 6 };
  // SNAP: 3 bytes of OUI (0 for EtherTypes), then the EtherType.
  if (nlpid === NLPID_SNAP) return afterEtherType(data, view, at + 4);
  return undefined;
}

/** BSD and OpenBSD loopback: a 4-byte address family. */
function loopback(littleEndianFirst: boolean): LinkLayer["find"] {
  return (data, view) => {
    if (data.length < 4) return undefined;
    let family = view.getUint32(0, littleEndianFirst);
    // NULL is in the capturing host's byte order: a big-endian writer
    // leaves the small family number in the last byte.
    if (littleEndianFirst && family > 0xffff) family = view.getUint32(0, false);
    if (family === AF_INET) return { start: 4, version: 4 };
    if (AF_INET6_VALUES.has(family)) return { start: 4, version: 6 };
    return undefined;
  };
}

/**
 * Apple's PKTAP: a little-endian header whose first word is its length and
 * whose third word is the link type of the frame after it.
 */
function pktap(data: Uint8Array, view: DataView): Found | undefined {
  if (data.length < 12) return undefined;
  const length = view.getUint32(0, true);
  const inner = view.getUint32(8, true);
  if (length < 12 || length > data.length || inner === LINKTYPE.PKTAP) {
    return undefined;
  }
  const frame = data.subarray(length);
  // The header names a DLT_ value, not a LINKTYPE_: they differ for raw IP.
  const found = LINK_LAYERS.get(inner === DLT_RAW ? LINKTYPE.RAW : inner)?.find(
    frame,
    new DataView(frame.buffer, frame.byteOffset, frame.byteLength),
  );
  return found && { ...found, start: length + found.start };
}

const RAW: LinkLayer = { find: () => ({ start: 0 }) };

/** How each known link type leads to the IP datagram. */
const LINK_LAYERS: ReadonlyMap<number, LinkLayer> = new Map<
  number,
  LinkLayer
>([
  [LINKTYPE.NULL, { find: loopback(true) }],
  [LINKTYPE.ETHERNET, { find: (d, v) => afterEtherType(d, v, 12) }],
  [LINKTYPE.SLIP, { find: (d) => d.length > 16 ? { start: 16 } : undefined }],
  [LINKTYPE.PPP, { find: ppp }],
  [LINKTYPE.PPP_SERIAL, {
    find: (d, v) => d[0] === 0x0f || d[0] === 0x8f ? ciscoHdlc(d, v) : ppp(d),
  }],
  [LINKTYPE.RAW, RAW],
  [LINKTYPE.C_HDLC, { find: ciscoHdlc }],
  [LINKTYPE.FRELAY, { find: frameRelay }],
  [LINKTYPE.LOOP, { find: loopback(false) }],
  [LINKTYPE.LINUX_SLL, { find: (d, v) => afterEtherType(d, v, 14) }],
  [LINKTYPE.IPV4, { find: () => ({ start: 0, version: 4 }) }],
  [LINKTYPE.IPV6, { find: () => ({ start: 0, version: 6 }) }],
  [LINKTYPE.PKTAP, { find: pktap }],
  [LINKTYPE.LINUX_SLL2, {
    find: (d, v) => {
      if (d.length < 20) return undefined;
      const version = etherTypeVersion(v.getUint16(0));
      return version === undefined ? undefined : { start: 20, version };
    },
  }],
]);

/**
 * The IP datagram inside a captured frame: strips an Ethernet header
 * (skipping 802.1Q/802.1ad VLAN tags and MPLS labels), a Linux cooked
 * header (SLL, SLL2), a loopback address-family word (NULL, LOOP), a PPP
 * header (PPP, PPP_SERIAL), a Cisco HDLC header (C_HDLC), a Frame Relay
 * header (FRELAY), libpcap's SLIP pseudo-header, or Apple's PKTAP header
 * (then the frame of the link type it names); raw link types (RAW, IPV4,
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
  const found = LINK_LAYERS.get(record.linkType)?.find(data, view);
  if (found === undefined) return undefined;
  const ip = data.subarray(found.start);
  if (ip.length === 0) return undefined;
  const nibble = ip[0]! >> 4;
  let version = found.version;
  if (version === undefined) {
    if (nibble !== 4 && nibble !== 6) return undefined;
    version = nibble;
  }
  return trimToDatagram(ip, version);
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
