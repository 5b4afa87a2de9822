/**
 * The engines: library modules with plain typed options that report what
 * happens through callbacks, and take the network through one small
 * interface ({@linkcode Net}; `createFfiNet()` in `ffi/mod.ts` is the real
 * one, tests use fakes), so all of this runs without root.
 *
 * - Exchanges (`exchange.ts`, `exchange_loop.ts`): {@linkcode Exchange}
 *   sends datagrams and matches their replies, the send time taken from the
 *   kernel's transmit stamp; {@linkcode exchangeLoop} paces them, waits,
 *   retries. Everything below that sends and listens is built on them.
 * - Conversations (`conversation.ts`): {@linkcode Conversation} sends probes
 *   made from one packet and matches their replies; {@linkcode runProbes}
 *   is hping3's loop on it, {@linkcode rttStatistics} its summary.
 * - Send and receive (`sr.ts`): {@linkcode exchangePackets} and
 *   {@linkcode exchangeOne}, scapy's `sr` and `sr1` (`ffi/mod.ts` gives
 *   them the real network as `sr` and `sr1`).
 * - Sniffing (`sniff.ts`): {@linkcode Sniff}, the packets a typed filter
 *   takes, the filter compiled to BPF for the kernel.
 * - Sessions (`session.ts`): {@linkcode TcpSession}, a TCP connection made
 *   by hand.
 * - Traces (`trace.ts`): {@linkcode runTrace}, TCP traceroute on a
 *   conversation.
 * - Scans (`scan/`): {@linkcode planScan} (targets, ports, the seeded order,
 *   shards), {@linkcode openScan} and its session's `run` (paced probes,
 *   SYN cookies, retries, nmap's verdicts), the scan-type registry
 *   {@linkcode SCAN_TYPE_SPECS}.
 * - Sending (`send.ts`): {@linkcode PacketSeries} and {@linkcode sendPackets}.
 * - What they share: reply matching ({@linkcode ReplyMatcher}), target
 *   spaces and their permutation, and the one target resolver
 *   ({@linkcode resolveAddresses}).
 *
 * @module
 */

export * from "./reply_match.ts";
export * from "./targets.ts";
export * from "./target_space.ts";
export * from "./permutation.ts";
export * from "./scan/mod.ts";
export * from "./resolve.ts";
export * from "./exchange.ts";
export * from "./exchange_loop.ts";
export * from "./conversation.ts";
export * from "./trace.ts";
export * from "./sniff.ts";
export * from "./send.ts";
export type { Clock } from "../host/host.ts";
export type * from "../host/net.ts";
export * from "./services.ts";
export * from "./report/mod.ts";
export {
  checkResumeOptions,
  decodeResume,
  type DecodeResumeOptions,
  encodeResume,
  RESUME_FORMAT,
  RESUME_VERSION,
  type ResumeDecided,
  ResumeError,
  type ResumeErrorKind,
  type ResumeOptionValue,
  type ResumeOutput,
  type ResumeState,
  type ResumeVerdict,
} from "./resume.ts";
export {
  decodeVerdictRuns,
  encodeVerdictRuns,
  type VerdictRun,
  verdictRunsFromCodes,
} from "./verdict_runs.ts";
export * from "./connect_scan.ts";
export type {
  ByteStream,
  ConnectOutcome,
  ReadResult,
  TcpConnector,
  UnreachableReason,
} from "../host/connect.ts";
export * from "./banner/mod.ts";
export * from "./sr.ts";
export * from "./session.ts";
