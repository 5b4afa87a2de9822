/**
 * tcpcraft's OS layer: raw sockets, source-address discovery and name
 * resolution, through the C library (`Deno.dlopen`).
 *
 * Importing this module needs no permission and opens nothing: the C
 * library is loaded on first use (`libc.so.6` on Linux, `libSystem.B.dylib`
 * on macOS; Windows does not allow raw TCP). Using it needs
 * `--allow-ffi`, and raw sockets need root or `cap_net_raw`
 * (`sudo setcap cap_net_raw+ep ./tcpcraft`). Every failure is a typed error
 * whose message says what to do: {@linkcode SocketError} (with the errno
 * name in `code`), {@linkcode FfiPermissionError},
 * {@linkcode LibcLoadError}, {@linkcode ResolveError}.
 *
 * - {@linkcode RawSocket}: IPv4 or IPv6, the kernel writing the IP header or
 *   us (`headerIncluded`); `send`, `sendMany` (one `sendmmsg` per 1024
 *   packets on Linux), `receive` (waits on a worker thread), `close`.
 * - {@linkcode Receiver}: a TCP and an ICMP socket read together, one
 *   worker-thread wait per batch (for matching replies to probes), or
 *   drained in place with `recvmmsg` (`drain`); send slots on its TCP
 *   socket (`openSendRing`: one `sendmmsg` per batch, nothing built per
 *   packet); the kernel's drop count (`drops`).
 * - {@linkcode LinkSocket}: Ethernet frames through `AF_PACKET` (Linux) to
 *   the next hop {@linkcode resolveLink} finds in the neighbour table.
 * - {@linkcode routeSource}: the source address the kernel would use;
 *   {@linkcode broadcastAddresses}: the directed broadcast addresses of the
 *   host's subnets.
 * - {@linkcode dropPrivileges}: once the sockets are open, become an
 *   ordinary user with no capability, for good.
 * - {@linkcode resolveHost}: host names as the system resolves them,
 *   `/etc/hosts` included.
 * - {@linkcode sendTcp}: one call to send one packet.
 * - {@linkcode createFfiNet}: all of the above as the network interface the
 *   portable engines take (`Net` in `src/host/net.ts`).
 * - {@linkcode sr1}, {@linkcode sr}: send packets and match their answers
 *   in one call (scapy's `sr1` and `sr`), RTTs from the kernel's transmit
 *   time stamps ({@linkcode TransmitStamps}).
 * - {@linkcode sniff}: the packets a typed filter takes, the filter run in
 *   the kernel on a packet socket ({@linkcode Sniffer}).
 * - {@linkcode openSession}: a TCP session made by hand (handshake, data,
 *   FIN or RST), the kernel's own resets for it held back on request
 *   ({@linkcode holdKernelResets}: an nftables rule that never outlives
 *   the session).
 *
 * @example Errors tell the user what to do
 * ```ts
 * import { socketErrorFromErrno } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = socketErrorFromErrno(1, "socket", { os: "linux" });
 * assert.equal(error.code, "EPERM");
 * assert.match(error.message, /run as root or grant cap_net_raw/);
 * ```
 *
 * @example A SYN and its answer (needs root)
 * ```ts ignore
 * import { makeTcpPacket } from "../mod.ts";
 * import { RawSocket, routeSource } from "./mod.ts";
 *
 * const dst = "192.0.2.1";
 * using socket = RawSocket.open({ family: 4 });
 * socket.send(makeTcpPacket({ src: routeSource(dst), dst, srcPort: 40000, dstPort: 80 }), dst);
 * const replies = await socket.receive({ timeoutMs: 1000 });
 * const answer = replies.find((r) => r.source === dst && r.packet?.tcp.dstPort === 40000);
 * ```
 *
 * @module
 */

export {
  FfiPermissionError,
  isDenoPermissionError,
  LibcLoadError,
  permissionHint,
  ResolveError,
  SocketError,
  type SocketErrorContext,
  socketErrorFromErrno,
  type SocketErrorOptions,
  type Syscall,
  translatePermissionError,
} from "./errors.ts";
export {
  epochNow,
  type RawProtocol,
  type RawSendRing,
  type RawSendRingOptions,
  RawSocket,
  type RawSocketOptions,
  type ReceivedPacket,
  type ReceiveOptions,
} from "./raw_socket.ts";
export {
  type ReceivedBatch,
  Receiver,
  type ReceiverOptions,
  type ReceiverPollOptions,
} from "./receiver.ts";
export type { RingPacketHandler } from "./_rings.ts";
export {
  formatMac,
  LinkError,
  LinkSocket,
  type LinkSocketOptions,
  type LinkTarget,
  resolveLink,
} from "./link.ts";
export { createFfiNet, type FfiNet } from "./net.ts";
export {
  holdKernelResets,
  prepareResetHolds,
  removeStaleResetTables,
  ResetHoldError,
  resetRule,
} from "./resets.ts";
export {
  openSession,
  sniff,
  sr,
  sr1,
  type SrAnswer,
  type SrOptions,
  type SrPacket,
  type SrPacketInit,
  type SrResult,
} from "./converse.ts";
export { Sniffer, sockFilterBytes } from "./sniffer.ts";
export { datagramOffset, TransmitStamps } from "./tx_stamps.ts";
export {
  broadcastAddresses,
  routeSource,
  type RouteSourceOptions,
} from "./route.ts";
export {
  dropPrivileges,
  nobodyUser,
  PrivilegeError,
  rawSocketFilter,
  type ThreadPrivileges,
  threadPrivileges,
} from "./privileges.ts";
export { resolveHost, type ResolveHostOptions } from "./resolve.ts";
export { sendTcp, type SendTcpInit, type SendTcpResult } from "./send_tcp.ts";
export {
  connectErrorOutcome,
  ConnStream,
  createDenoConnector,
  type DenoConnectorOptions,
} from "./connect.ts";
