/**
 * Conversations from the library in one call, on the real network:
 * {@linkcode sr1} and {@linkcode sr} (send packets, match their answers,
 * as scapy's), {@linkcode sniff} (the packets a typed filter takes,
 * filtered in the kernel) and {@linkcode openSession} (a TCP session made
 * by hand). They are the portable engines (`exchangeOne`,
 * `exchangePackets`, `Sniff`, `TcpSession` in `src/engine/`) given
 * `createFfiNet()`.
 *
 * Linux only (macOS does not deliver TCP to raw sockets and has no packet
 * sockets); needs `--allow-ffi` and root or `cap_net_raw`.
 *
 * @module
 */

import type { TcpPacket } from "../src/wire/packet.ts";
import {
  exchangeOne,
  exchangePackets,
  type SrAnswer,
  type SrOptions,
  type SrPacket,
  type SrPacketInit,
  type SrResult,
} from "../src/engine/sr.ts";
import { Sniff, type SniffOptions } from "../src/engine/sniff.ts";
import { type OpenSessionOptions, TcpSession } from "../src/engine/session.ts";
import { LibcLoadError } from "./errors.ts";
import { createFfiNet } from "./net.ts";
import { holdKernelResets } from "./resets.ts";

export type {
  SrAnswer,
  SrOptions,
  SrPacket,
  SrPacketInit,
  SrResult,
  TcpPacket,
};

/**
 * Refuse, in one line, where replies cannot be read: macOS sends raw TCP
 * but does not deliver TCP to raw sockets; Windows has no raw TCP.
 *
 * @param action What could not be done.
 * @throws {LibcLoadError} Off Linux.
 *
 * @example
 * ```ts
 * import { requireRawReplies } from "./converse.ts";
 *
 * if (Deno.build.os === "linux") requireRawReplies("Cannot send and receive");
 * ```
 */
export function requireRawReplies(action: string): void {
  if (Deno.build.os === "linux") return;
  throw new LibcLoadError(
    `${action}: ${
      Deno.build.os === "darwin"
        ? "macOS does not deliver TCP packets to raw sockets, so answers cannot be read"
        : `${Deno.build.os} does not allow raw TCP sockets`
    }; use Linux`,
  );
}

/**
 * Send one packet and resolve to its answer, or `undefined` after
 * `timeoutMs` (default 1000) and `retries` more sends (default 0).
 *
 * The packet is a packet init as `makeTcpPacket` takes it, with `src`
 * optional (the routed source is filled in), a packet model, or a whole
 * datagram. tcpcraft writes the IP header. The answer holds `reply` (the
 * decoded TCP packet, as `decodePacket` returns it, or the ICMP error that
 * quotes our packet, by `kind`), `rttMs` (from the kernel's transmit time
 * stamp to its receive time stamp, as tcpdump measures), and `sent`, the
 * packet as sent.
 *
 * @param packet The packet.
 * @param options `timeoutMs`, `retries`, `signal`.
 * @returns The answer, or undefined.
 * @throws {RangeError} For options out of range, or a packet that cannot
 *   be encoded (nothing is sent).
 * @throws {SocketError} When the kernel refuses (no privilege: `EPERM`;
 *   a packet it will not send).
 * @throws The signal's reason when it aborts; the sockets are closed.
 *
 * @example A SYN to port 80 (needs root)
 * ```ts ignore
 * import { sr1 } from "./mod.ts";
 *
 * const answer = await sr1({ dst: "192.0.2.1", dstPort: 80 });
 * if (answer?.kind === "tcp") console.log(answer.reply.tcp.flags, answer.rttMs);
 * ```
 */
export async function sr1(
  packet: SrPacket,
  options: Omit<SrOptions, "rate"> = {},
): Promise<SrAnswer | undefined> {
  requireRawReplies("Cannot send and receive");
  return await exchangeOne(createFfiNet(), packet, options);
}

/**
 * Send packets (an array or an async iterable), paced by `rate` packets a
 * second (default: as fast as possible), and yield each answer as it
 * matches, then each packet that stayed unanswered (`kind: "unanswered"`).
 * The matching is `probe`'s and `scan`'s: addresses, ports and the
 * acknowledgment number, ICMP errors by what they quote.
 *
 * @param packets The packets.
 * @param options `timeoutMs` per packet, `retries`, `rate`, `signal` (an
 *   abort ends the iteration after the unanswered ones).
 * @returns The answers, then the unanswered.
 * @throws As {@linkcode sr1}, from the iteration.
 *
 * @example SYNs to three ports (needs root)
 * ```ts ignore
 * import { sr } from "./mod.ts";
 *
 * const probes = [22, 80, 443].map((dstPort) => ({ dst: "192.0.2.1", dstPort }));
 * for await (const result of sr(probes, { timeoutMs: 500 })) {
 *   console.log(result.kind, result.sent.packet.tcp.dstPort);
 * }
 * ```
 */
export function sr(
  packets: Iterable<SrPacket> | AsyncIterable<SrPacket>,
  options: SrOptions = {},
): AsyncGenerator<SrResult, void, undefined> {
  requireRawReplies("Cannot send and receive");
  return exchangePackets(createFfiNet(), packets, options);
}

/**
 * The packets the host sends and receives that a typed filter takes
 * (default: every TCP packet), decoded, with the kernel's time stamps and
 * directions. The filter is compiled to a classic BPF program and attached
 * to a packet socket (`SO_ATTACH_FILTER`), so the kernel drops the rest.
 * Ends after `count` packets, `timeoutMs`, or when `signal` aborts; the
 * socket is closed then. `stats()` gives tcpdump's counts.
 *
 * @param options Filter, interface, count, time limit, signal.
 * @returns The sniff, to iterate once.
 * @throws {RangeError} For a filter that cannot be compiled, or a count or
 *   time limit out of range (nothing is opened).
 * @throws {SocketError} No privilege (`EPERM`), no such interface (`ENODEV`).
 *
 * @example Ten TCP packets to or from port 443 (needs root)
 * ```ts ignore
 * import { sniff } from "./mod.ts";
 *
 * for await (const packet of sniff({ filter: { port: [443] }, count: 10 })) {
 *   console.log(packet.direction, packet.packet?.tcp.flags);
 * }
 * ```
 */
export function sniff(options: SniffOptions = {}): Sniff {
  return Sniff.open(createFfiNet(), options);
}

/**
 * Open a TCP session made by hand: the three-way handshake with our own
 * sequence numbers and options, then `send(bytes)`, the data received in
 * order (`for await`, `readAll()`), `close()` (FIN) or `abort()` (RST).
 * See `TcpSession` for what it does and does not do.
 *
 * The kernel does not know the connection and resets it:
 * `dropKernelResets: true` adds an nftables rule that drops exactly those
 * resets (this flow, RST without ACK), in a table of this process's own
 * that is removed when the session ends, on Ctrl-C and SIGTERM, and by the
 * next run after a SIGKILL. It needs `nft`, root or `CAP_NET_ADMIN`, and
 * `--allow-run=nft --allow-read=/proc`; where it cannot, opening fails with
 * one line that says why (`ResetHoldError`).
 *
 * @param options The peer, our numbers and options, timing, signal.
 * @returns The established session.
 * @throws {RangeError} For options out of range (nothing is opened).
 * @throws {SessionError} `refused`, `timeout`, `unreachable`; nothing is
 *   left behind.
 * @throws {ResetHoldError} When the resets cannot be held back.
 * @throws {SocketError} No privilege (`EPERM`).
 *
 * @example An HTTP request inside a hand-made connection (needs root and nft)
 * ```ts ignore
 * import { openSession } from "./mod.ts";
 *
 * await using session = await openSession({ dst: "192.0.2.1", dstPort: 80, dropKernelResets: true });
 * await session.send("GET / HTTP/1.0\r\nHost: 192.0.2.1\r\n\r\n");
 * console.log(new TextDecoder().decode(await session.readAll()));
 * await session.close();
 * ```
 */
export async function openSession(
  options: OpenSessionOptions,
): Promise<TcpSession> {
  requireRawReplies("Cannot open session");
  return await TcpSession.open(
    { ...createFfiNet(), holdKernelResets },
    options,
  );
}
