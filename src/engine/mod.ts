/**
 * The engines' portable halves: reply matching, target spaces and their
 * permutation, and scan states; and the network interface
 * ({@linkcode Net}) through which an engine's OS half takes its sockets
 * (`createFfiNet()` in `ffi/mod.ts` is the real one).
 *
 * @module
 */

export * from "./reply_match.ts";
export * from "./targets.ts";
export * from "./target_space.ts";
export * from "./permutation.ts";
export * from "./scan/mod.ts";
export * from "./resolve.ts";
export * from "./conversation.ts";
export * from "./trace.ts";
export * from "./send.ts";
export type { Clock } from "../host/host.ts";
export type {
  Net,
  NetRawSocket,
  NetRawSocketOptions,
  NetReceivedBatch,
  NetReceivedPacket,
  NetReceiver,
  NetReceiverOptions,
  ReceiverNet,
  ResolveHost,
} from "../host/net.ts";
