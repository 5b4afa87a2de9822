/**
 * One call to send one TCP packet: resolve, find the source, build, send,
 * close.
 *
 * @module
 */

import { random32, randomEphemeralPort } from "../src/engine/random.ts";
import {
  NoAddressError,
  resolveAddresses,
  type ResolvedAddress,
} from "../src/engine/resolve.ts";
import { addressBytes, formatAddress } from "../src/wire/address.ts";
import { parseFlags, TCP_FLAGS } from "../src/wire/flags.ts";
import {
  encodePacket,
  makeTcpPacket,
  type TcpPacket,
} from "../src/wire/packet.ts";
import { encodeTcp } from "../src/wire/tcp.ts";
import type { TcpOption } from "../src/wire/tcp_options.ts";
import { epochNow, RawSocket } from "./raw_socket.ts";
import { resolveHost } from "./resolve.ts";
import { routeSource } from "./route.ts";

/** What {@linkcode sendTcp} sends. Only `dst` and `dport` are required. */
export interface SendTcpInit {
  /** Destination: a host name (resolved as the system does) or an address. */
  dst: string;
  /** Destination port. */
  dport: number;
  /** Source port (default: random in 49152..65535). */
  sport?: number;
  /** Flags: a mask or text for `parseFlags` (`"SA"`, `"syn,ack"`, `"xmas"`); default SYN. */
  flags?: number | string;
  /** Sequence number (default: random). */
  seq?: number;
  /** Acknowledgment number (default 0). */
  ack?: number;
  /** Window (default 64240). */
  window?: number;
  /** Urgent pointer (default 0). */
  urgentPointer?: number;
  /** TCP options (default none). */
  options?: TcpOption[];
  /** Data after the header; a string is sent as UTF-8 (default none). */
  payload?: Uint8Array | string;
  /** TCP checksum override, sent as given (default: computed). */
  checksum?: number;
  /**
   * Source address (default: the address the kernel routes from). A source
   * the kernel would not pick makes the packet header-included.
   */
  src?: string;
  /** Address family to resolve `dst` to (default: the system's first answer). */
  family?: 4 | 6;
  /** IPv4 TTL (header-included). */
  ttl?: number;
  /** IPv6 hop limit (header-included). */
  hopLimit?: number;
  /** IPv4 identification (header-included). */
  id?: number;
  /** IPv4 TOS (header-included). */
  tos?: number;
  /** IPv6 traffic class (header-included). */
  trafficClass?: number;
  /** IPv4 DF bit (header-included). */
  dontFragment?: boolean;
  /** IPv6 flow label (header-included). */
  flowLabel?: number;
  /**
   * Force the mode: true to write the IP header, false to let the kernel.
   * Default: header-included exactly when an IP-level field above is given
   * or `src` is not the routed source.
   */
  headerIncluded?: boolean;
}

/** What {@linkcode sendTcp} sent. */
export interface SendTcpResult {
  /** The packet model, with the source and defaults filled in. */
  packet: TcpPacket;
  /**
   * The bytes handed to the kernel: the whole datagram when
   * `headerIncluded`, else the TCP segment (the kernel writes the IP header).
   */
  bytes: Uint8Array;
  /** Whether tcpcraft wrote the IP header. */
  headerIncluded: boolean;
  /** The destination address `dst` resolved to. */
  destination: string;
  /** When it was sent, in milliseconds since the Unix epoch (see `epochNow`). */
  sentAt: number;
}

const IP_FIELDS = [
  "ttl",
  "hopLimit",
  "id",
  "tos",
  "trafficClass",
  "dontFragment",
  "flowLabel",
] as const;

/**
 * Send one TCP packet and close the socket. `dst` is resolved (the first
 * address, of `family` if given); the source is the address the kernel
 * routes from unless `src` is given, so the checksum's pseudo-header is
 * right without typing it. The kernel writes the IP header unless an
 * IP-level field (`ttl`, `hopLimit`, `id`, `tos`, `trafficClass`,
 * `dontFragment`, `flowLabel`) is given or `src` is not the routed source:
 * then tcpcraft writes it (`IP_HDRINCL` / `IPV6_HDRINCL`).
 *
 * Needs `--allow-ffi` and root or `cap_net_raw`.
 *
 * @param init Destination, port and any field to set.
 * @returns The packet, the bytes handed to the kernel, the mode and the time.
 * @throws {ParseError} For a malformed address or flags.
 * @throws {ResolveError} When `dst` does not resolve.
 * @throws {RangeError} For a field out of range, or an IP-level field with
 *   `headerIncluded: false`.
 * @throws {SocketError} When the kernel refuses (EPERM without privileges…).
 *
 * @example A SYN to port 443 of a host
 * ```ts ignore
 * import { sendTcp } from "./mod.ts";
 *
 * const { packet, headerIncluded } = await sendTcp({ dst: "localhost", dport: 443 });
 * console.log(packet.ip.src, headerIncluded); // 127.0.0.1 false
 * ```
 */
export async function sendTcp(init: SendTcpInit): Promise<SendTcpResult> {
  let resolved: ResolvedAddress;
  try {
    const found = await resolveAddresses(
      init.dst,
      resolveHost,
      init.family === undefined ? {} : { family: init.family },
    );
    resolved = found[0]!;
  } catch (error) {
    if (error instanceof NoAddressError) {
      throw new RangeError(`Cannot send packet to ${init.dst}: no address`);
    }
    throw error;
  }
  const { address: destination, family } = resolved;
  const routed = routeSource(destination);
  const src = init.src === undefined
    ? routed
    : formatAddress(addressBytes(init.src, family));
  const ipFields = IP_FIELDS.filter((name) => init[name] !== undefined);
  const automatic = ipFields.length > 0 || src !== routed;
  const headerIncluded = init.headerIncluded ?? automatic;
  if (!headerIncluded && automatic) {
    const why = ipFields.length > 0
      ? ipFields.join(", ")
      : `source ${src} (the kernel would write ${routed})`;
    throw new RangeError(
      `Cannot send packet to ${destination}: ${why} needs headerIncluded, which was set to false`,
    );
  }
  const packet = makeTcpPacket({
    src,
    dst: destination,
    srcPort: init.sport ?? randomEphemeralPort(),
    dstPort: init.dport,
    seq: init.seq ?? random32(),
    ack: init.ack ?? 0,
    flags: typeof init.flags === "string"
      ? parseFlags(init.flags)
      : init.flags ?? TCP_FLAGS.syn,
    window: init.window ?? 64240,
    urgentPointer: init.urgentPointer ?? 0,
    options: init.options ?? [],
    payload: typeof init.payload === "string"
      ? new TextEncoder().encode(init.payload)
      : init.payload ?? new Uint8Array(),
    checksum: init.checksum,
    ttl: init.ttl,
    hopLimit: init.hopLimit,
    id: init.id,
    tos: init.tos,
    trafficClass: init.trafficClass,
    dontFragment: init.dontFragment,
    flowLabel: init.flowLabel,
  });
  const bytes = headerIncluded
    ? encodePacket(packet)
    : encodeTcp(packet.tcp, { src, dst: destination });
  using socket = RawSocket.open({ family, headerIncluded });
  const sentAt = epochNow();
  socket.send(bytes, destination);
  return { packet, bytes, headerIncluded, destination, sentAt };
}
