/**
 * The host the CLI's commands run with, under the names the CLI has always
 * used: the interfaces themselves live in `src/host/` (portable, shared by
 * the engines); this module adds {@linkcode CliMeta} and keeps the `Cli*`
 * names. Commands touch nothing but the host, so they run in tests with
 * {@linkcode createMemoryHost}; the Deno implementation is
 * `ffi/deno_host.ts`, composed with the ffi network in `cli.ts`.
 *
 * @module
 */

import type { Host, HostFiles, HostFileWriter } from "../host/host.ts";
import type {
  Net,
  NetRawSocket,
  NetRawSocketOptions,
  NetReceivedBatch,
  NetReceivedPacket,
  NetReceiver,
  NetReceiverOptions,
} from "../host/net.ts";

export type { TerminalState } from "../host/host.ts";
export {
  createMemoryHost,
  type MemoryHost,
  type MemoryHostOptions,
} from "../host/memory.ts";

/** The operating-system services a command may use ({@linkcode Host}). */
export type CliHost = Host;
/** Raw network access ({@linkcode Net}). */
export type CliNet = Net;
/** An open raw socket ({@linkcode NetRawSocket}). */
export type CliRawSocket = NetRawSocket;
/** Options for `CliNet.openRawSocket` ({@linkcode NetRawSocketOptions}). */
export type CliRawSocketOptions = NetRawSocketOptions;
/** A packet read from a raw socket ({@linkcode NetReceivedPacket}). */
export type CliReceivedPacket = NetReceivedPacket;
/** What one receiver poll read ({@linkcode NetReceivedBatch}). */
export type CliReceivedBatch = NetReceivedBatch;
/** A receiver for replies to probes ({@linkcode NetReceiver}). */
export type CliReceiver = NetReceiver;
/** Options for `CliNet.openReceiver` ({@linkcode NetReceiverOptions}). */
export type CliReceiverOptions = NetReceiverOptions;
/** Streaming file reads and writes ({@linkcode HostFiles}). */
export type CliFiles = HostFiles;
/** A file open for writing ({@linkcode HostFileWriter}). */
export type CliFileWriter = HostFileWriter;

/** What a command needs besides the host. */
export interface CliMeta {
  /** The version printed by `--version`. */
  version: string;
}
