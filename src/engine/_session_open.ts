/**
 * Opening a hand-made TCP session: its options, its errors, and the
 * handshake (a SYN sent again until its SYN-ACK comes), apart from the
 * session itself (`session.ts`), which re-exports the public names.
 *
 * @module
 */

import type { Clock } from "../host/host.ts";
import type { NetReceiver, NetResetHold, ReceiverNet } from "../host/net.ts";
import { TCP_FLAGS } from "../wire/flags.ts";
import {
  type DecodedTcpPacket,
  decodePacket,
  encodePacket,
  makeTcpPacket,
} from "../wire/packet.ts";
import type { TcpOption } from "../wire/tcp_options.ts";
import { random32, randomEphemeralPort } from "./random.ts";
import { ReplyMatcher } from "./reply_match.ts";

/** Why a session failed or refused something. */
export type SessionErrorKind =
  /** The peer answered the SYN with a RST (nothing listens there). */
  | "refused"
  /** The peer reset the connection. */
  | "reset"
  /** No answer within the time allowed (handshake, acknowledgment). */
  | "timeout"
  /** An ICMP error about the SYN (no route, filtered). */
  | "unreachable"
  /** The peer's window stayed zero for `timeoutMs`. */
  | "zero-window"
  /** The session was closed or aborted before (sending on it, reading it twice). */
  | "closed"
  /** The signal aborted the session. */
  | "aborted";

/**
 * A session failed, or refused something; `kind` says why.
 *
 * @example
 * ```ts
 * import { SessionError } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new SessionError("The peer reset the connection", "reset");
 * assert.equal(error.name, "SessionError");
 * assert.equal(error.kind, "reset");
 * ```
 */
export class SessionError extends Error {
  /** Why. */
  readonly kind: SessionErrorKind;

  /**
   * Create the error.
   *
   * @param message The whole message.
   * @param kind Why.
   * @param options The cause, if any.
   */
  constructor(
    message: string,
    kind: SessionErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SessionError";
    this.kind = kind;
  }
}

/** A segment of the session, as it went out or came in. */
export interface SessionSegment {
  /** `sent` or `received`. */
  direction: "sent" | "received";
  /** The datagram. */
  bytes: Uint8Array;
  /** The datagram, decoded. */
  packet: DecodedTcpPacket;
}

/** Options for {@linkcode TcpSession.open}. */
export interface OpenSessionOptions {
  /** The peer: an IPv4 or IPv6 address, or a host name. */
  dst: string;
  /** The peer's port. */
  dstPort: number;
  /** Our address (default: the one the kernel routes from). */
  src?: string;
  /** Our port (default: a random one in 49152..65535). */
  srcPort?: number;
  /** Our initial sequence number (default: random). */
  isn?: number;
  /** Our receive window, bytes, 1..65535 before scaling (default 65535). */
  window?: number;
  /**
   * The SYN's options, as given (default MSS 1460, or 1440 over IPv6). MSS
   * and window scale are acted on; do not offer timestamps or SACK, which
   * the session does not keep up.
   */
  options?: TcpOption[];
  /** TTL or hop limit of every segment (default 64). */
  ttl?: number;
  /** How long the handshake, an acknowledgment or the close may take, ms (default 5000). */
  timeoutMs?: number;
  /** The first retransmission timeout, ms (default 1000; doubles each time). */
  rtoMs?: number;
  /** Sends of one segment after the first, at most (default 5). */
  retries?: number;
  /**
   * Hold back the kernel's resets for this flow while the session lives
   * (an nftables rule on the real network; opt-in). Default false.
   */
  dropKernelResets?: boolean;
  /** Aborts the session (a RST is sent). */
  signal?: AbortSignal;
  /** Called with every segment sent and received (to print or explain them). */
  onSegment?: (segment: SessionSegment) => void;
  /** The monotonic clock timers run on (default `performance`). */
  clock?: Pick<Clock, "now">;
}

/** Where a session is. */
export type SessionState = "established" | "closing" | "closed";

/** The longest wait of the session's loop, ms. */
export const TICK = 50;

export interface Flow {
  family: 4 | 6;
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
}

export interface Tuning {
  timeoutMs: number;
  rtoMs: number;
  retries: number;
  window: number;
  ttl: number;
  clock: Pick<Clock, "now">;
  onSegment: ((segment: SessionSegment) => void) | undefined;
}

export function checkOptions(options: OpenSessionOptions): void {
  const check = (name: string, value: number | undefined, max: number) => {
    if (
      value !== undefined &&
      (!Number.isInteger(value) || value < (name === "isn" ? 0 : 1) ||
        value > max)
    ) {
      throw new RangeError(
        `Cannot open session: ${name} ${value} is not an integer in ${
          name === "isn" ? 0 : 1
        }..${max}`,
      );
    }
  };
  check("dstPort", options.dstPort, 0xffff);
  check("srcPort", options.srcPort, 0xffff);
  check("isn", options.isn, 0xffffffff);
  check("window", options.window, 0xffff);
  check("ttl", options.ttl, 255);
  check("timeoutMs", options.timeoutMs, 0x7fffffff);
  check("rtoMs", options.rtoMs, 0x7fffffff);
  if (
    options.retries !== undefined &&
    (!Number.isInteger(options.retries) || options.retries < 0)
  ) {
    throw new RangeError(
      `Cannot open session: retries ${options.retries} is not an integer from 0`,
    );
  }
  options.signal?.throwIfAborted();
}

export async function flowOf(
  net: ReceiverNet,
  options: OpenSessionOptions,
): Promise<Flow> {
  let remote = options.dst;
  if (!remote.includes(":") && !/^[0-9.]+$/.test(remote)) {
    const [first] = await net.resolveHost(remote);
    if (first === undefined) {
      throw new SessionError(
        `Cannot open session to ${remote}: it has no address`,
        "unreachable",
      );
    }
    remote = first;
  }
  // makeTcpPacket checks the addresses and gives them in canonical text.
  const probe = makeTcpPacket({
    src: options.src ?? net.routeSource(remote),
    dst: remote,
  });
  return {
    family: probe.ip.version,
    local: probe.ip.src,
    localPort: options.srcPort ?? randomEphemeralPort(),
    remote: probe.ip.dst,
    remotePort: options.dstPort,
  };
}

/** Send the SYN (again when due) and wait for the SYN-ACK. */
export async function handshake(
  receiver: NetReceiver,
  flow: Flow,
  tuning: Tuning,
  syn: { isn: number; options: TcpOption[]; signal: AbortSignal | undefined },
): Promise<DecodedTcpPacket> {
  const packet = makeTcpPacket({
    src: flow.local,
    dst: flow.remote,
    srcPort: flow.localPort,
    dstPort: flow.remotePort,
    seq: syn.isn,
    flags: TCP_FLAGS.syn,
    window: Math.min(0xffff, tuning.window),
    options: syn.options,
    ttl: tuning.ttl,
    ...(flow.family === 4 ? { id: 0, dontFragment: true } : {}),
  });
  const bytes = encodePacket(packet);
  const matcher = new ReplyMatcher();
  matcher.add({
    id: 0,
    family: flow.family,
    src: flow.local,
    dst: flow.remote,
    srcPort: flow.localPort,
    dstPort: flow.remotePort,
    seq: syn.isn,
    ack: 0,
    flags: TCP_FLAGS.syn,
    payloadLength: 0,
    sentAt: 0,
  });
  const { clock } = tuning;
  const deadline = clock.now() + tuning.timeoutMs;
  let rto = tuning.rtoMs;
  let next = clock.now();
  // Bounded by the deadline.
  while (true) {
    syn.signal?.throwIfAborted();
    const now = clock.now();
    if (now >= deadline) {
      throw new SessionError(
        `Cannot open session to ${flow.remote} port ${flow.remotePort}: no answer to the SYN within ${tuning.timeoutMs} ms`,
        "timeout",
      );
    }
    if (now >= next) {
      receiver.send(bytes, flow.remote);
      tuning.onSegment?.({
        direction: "sent",
        bytes,
        packet: decodePacket(bytes),
      });
      next = now + rto;
      rto *= 2;
    }
    const batch = await receiver.poll(
      Math.ceil(Math.max(0, Math.min(TICK, next - now, deadline - now))),
    );
    for (const received of batch.tcp) {
      const reply = matcher.matchTcp(received.bytes, received.receivedAt);
      if (reply === undefined) continue;
      tuning.onSegment?.({
        direction: "received",
        bytes: received.bytes,
        packet: reply.packet,
      });
      const flags = reply.packet.tcp.flags;
      if ((flags & TCP_FLAGS.rst) !== 0) {
        throw new SessionError(
          `Cannot open session to ${flow.remote} port ${flow.remotePort}: the peer refused it (RST)`,
          "refused",
        );
      }
      if ((flags & TCP_FLAGS.syn) !== 0) return reply.packet;
    }
    for (const received of batch.icmp) {
      const reply = matcher.matchIcmp(
        received.bytes,
        received.receivedAt,
        flow.family,
      );
      if (reply === undefined) continue;
      throw new SessionError(
        `Cannot open session to ${flow.remote} port ${flow.remotePort}: ${reply.description} (ICMP from ${reply.from})`,
        "unreachable",
      );
    }
  }
}

/** What the handshake established: everything a session starts from. */
export interface Established {
  /** The flow. */
  flow: Flow;
  /** The receiver the session sends and reads on. */
  receiver: NetReceiver;
  /** What holds the kernel's resets back, if asked. */
  hold: NetResetHold | undefined;
  /** The timing and the rest. */
  tuning: Tuning;
  /** Our ISN. */
  isn: number;
  /** The peer's SYN-ACK. */
  synAck: DecodedTcpPacket;
  /** The shift of the peer's window (0 without window scaling). */
  sendShift: number;
  /** The shift of ours. */
  receiveShift: number;
  /** The session's signal. */
  signal: AbortSignal | undefined;
}

/**
 * Check the options, resolve the peer, find our address, hold the kernel's
 * resets back when asked, open a receiver and do the handshake; on any
 * failure, release what was opened.
 *
 * @param net The network.
 * @param options The session's options.
 * @returns What the session starts from.
 * @throws {RangeError} For options out of range (nothing is opened).
 * @throws {SessionError} `refused`, `timeout`, `unreachable`.
 * @throws What the network throws.
 */
export async function establish(
  net: ReceiverNet,
  options: OpenSessionOptions,
): Promise<Established> {
  checkOptions(options);
  if (options.dropKernelResets === true && net.holdKernelResets === undefined) {
    throw new SessionError(
      "Cannot open session: this host cannot hold back the kernel's resets",
      "closed",
    );
  }
  const flow = await flowOf(net, options);
  const timeoutMs = options.timeoutMs ?? 5000;
  const tuning: Tuning = {
    timeoutMs,
    rtoMs: Math.min(options.rtoMs ?? 1000, timeoutMs),
    retries: options.retries ?? 5,
    window: options.window ?? 0xffff,
    ttl: options.ttl ?? 64,
    clock: options.clock ?? performance,
    onSegment: options.onSegment,
  };
  const isn = options.isn ?? random32();
  const synOptions = options.options ??
    [{ kind: "mss" as const, value: flow.family === 4 ? 1460 : 1440 }];
  const hold = options.dropKernelResets === true
    ? await net.holdKernelResets!(flow)
    : undefined;
  let receiver: NetReceiver | undefined;
  try {
    receiver = net.openReceiver(flow.family, { headerIncluded: true });
    const synAck = await handshake(receiver, flow, tuning, {
      isn,
      options: synOptions,
      signal: options.signal,
    });
    const ours = synOptions.find((o) => o.kind === "wscale");
    const theirs = synAck.tcp.options.find((o) => o.kind === "wscale");
    const scaled = ours?.kind === "wscale" && theirs?.kind === "wscale";
    return {
      flow,
      receiver,
      hold,
      tuning,
      isn,
      synAck,
      sendShift: scaled ? Math.min(theirs.shift, 14) : 0,
      receiveShift: scaled ? Math.min(ours.shift, 14) : 0,
      signal: options.signal,
    };
  } catch (error) {
    receiver?.close();
    await hold?.release();
    throw error;
  }
}
