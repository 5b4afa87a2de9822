/**
 * The sniff engine: the packets the host sends and receives that a typed
 * filter takes, decoded, with the kernel's time stamps and directions, as
 * an async iterable (scapy's `sniff`, hping3's `--listen`, a small
 * tcpdump). The filter is compiled to classic BPF here
 * (`compilePacketFilter`) and runs in the kernel, on the packet socket the
 * network opens (`Net.openSniffer`): what it rejects never reaches the
 * program.
 *
 * A {@linkcode Sniff} ends when `count` packets were taken, `timeoutMs`
 * ran out, or `signal` aborted (each is a normal end, not an error); its
 * socket is closed then, and by `close()`.
 *
 * @module
 */

import type { Clock } from "../host/host.ts";
import type {
  Net,
  NetPacketDirection,
  NetSniffer,
  NetSnifferStats,
} from "../host/net.ts";
import { compilePacketFilter } from "../filter/compile.ts";
import type { BpfInstruction, PacketFilter } from "../filter/types.ts";
import { DecodeError } from "../wire/errors.ts";
import type { DecodedIpv4Header } from "../wire/ipv4.ts";
import type { DecodedIpv6Header } from "../wire/ipv6.ts";
import {
  type DecodedTcpPacket,
  decodeIp,
  decodePacket,
} from "../wire/packet.ts";
import { icmpDescription } from "./reply_match.ts";

/** Options for {@linkcode Sniff.open}. */
export interface SniffOptions {
  /**
   * What to take: one filter, or several of which any one must hold
   * (default `{}`: every TCP packet of both families). Run in the kernel.
   */
  filter?: PacketFilter | readonly PacketFilter[];
  /** The interface to listen on (default: every interface). */
  interface?: string;
  /** Stop after this many packets (a positive integer; default: no limit). */
  count?: number;
  /** Stop after this long, ms (positive; default: no limit). */
  timeoutMs?: number;
  /** Stop when it aborts. */
  signal?: AbortSignal;
  /** The monotonic clock `timeoutMs` runs on (default `performance`). */
  clock?: Pick<Clock, "now">;
}

/** An ICMP or ICMPv6 message, in a few words. */
export interface SniffedIcmp {
  /** 4 for ICMP, 6 for ICMPv6. */
  family: 4 | 6;
  /** The type. */
  type: number;
  /** The code. */
  code: number;
  /** What it says: `"port unreachable"`, `"echo request"`. */
  description: string;
}

/** A packet a sniff took. */
export interface SniffedPacket {
  /** The IP datagram (cut to the socket's buffer when `truncated`). */
  bytes: Uint8Array;
  /** Its length on the wire, bytes. */
  length: number;
  /** Whether `bytes` is shorter than the packet was. */
  truncated: boolean;
  /** The kernel's time stamp, epoch milliseconds. */
  timestamp: number;
  /** The same, exactly: epoch seconds and nanoseconds (the kernel's, where the network gives them). */
  time: { seconds: number; nanoseconds: number };
  /** Which way it went: `in`, `out`, `broadcast`, `multicast`, `other-host`. */
  direction: NetPacketDirection;
  /** The interface's index (0 when unknown). */
  interfaceIndex: number;
  /** The IP header, decoded leniently; absent when it does not decode. */
  ip?: DecodedIpv4Header | DecodedIpv6Header;
  /** The upper-layer protocol (6 TCP, 1 ICMP, 58 ICMPv6…). */
  protocol?: number;
  /** The TCP packet, as `decodePacket` returns it (lenient), for TCP. */
  packet?: DecodedTcpPacket;
  /** The ICMP message, for ICMP and ICMPv6. */
  icmp?: SniffedIcmp;
  /** Why the bytes did not decode, when they did not. */
  error?: DecodeError;
}

/** What a sniff counted. */
export interface SniffStats {
  /** Packets handed to the caller. */
  captured: number;
  /** Packets the kernel's filter took (tcpdump's "received by filter"), where known. */
  received: number;
  /** Of those, packets the kernel dropped for want of room, where known. */
  dropped: number;
}

const ICMP4_NAMES: Readonly<Record<number, string>> = {
  0: "echo reply",
  8: "echo request",
  5: "redirect",
};
const ICMP6_NAMES: Readonly<Record<number, string>> = {
  128: "echo request",
  129: "echo reply",
  133: "router solicitation",
  134: "router advertisement",
  135: "neighbor solicitation",
  136: "neighbor advertisement",
};

function icmpWords(family: 4 | 6, type: number, code: number): string {
  const name = (family === 4 ? ICMP4_NAMES : ICMP6_NAMES)[type];
  return name ?? icmpDescription(family, type, code);
}

/**
 * Decode a datagram a sniffer read: the IP header, then TCP or ICMP;
 * decoding is lenient and never throws.
 *
 * @param bytes The datagram.
 * @param meta What the kernel said about it.
 * @returns The packet.
 *
 * @example
 * ```ts
 * import { encodePacket, makeTcpPacket, sniffedPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket(makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.42", srcPort: 80 }));
 * const packet = sniffedPacket(bytes, {
 *   length: bytes.length, receivedAt: 5, direction: "in", interfaceIndex: 2,
 * });
 * assert.equal(packet.packet?.tcp.srcPort, 80);
 * assert.equal(packet.protocol, 6);
 * assert.equal(sniffedPacket(new Uint8Array([0x45]), {
 *   length: 1, receivedAt: 5, direction: "in", interfaceIndex: 2,
 * }).error?.kind, "truncated");
 * ```
 */
export function sniffedPacket(
  bytes: Uint8Array,
  meta: {
    length: number;
    receivedAt: number;
    time?: { seconds: number; nanoseconds: number };
    direction: NetPacketDirection;
    interfaceIndex: number;
  },
): SniffedPacket {
  const seconds = Math.floor(meta.receivedAt / 1000);
  const packet: SniffedPacket = {
    bytes,
    length: meta.length,
    truncated: meta.length > bytes.length,
    timestamp: meta.receivedAt,
    time: meta.time ?? {
      seconds,
      nanoseconds: Math.min(
        999_999_999,
        Math.round((meta.receivedAt - seconds * 1000) * 1e6),
      ),
    },
    direction: meta.direction,
    interfaceIndex: meta.interfaceIndex,
  };
  try {
    const ip = decodeIp(bytes, { lenient: true });
    packet.ip = ip.ip;
    packet.protocol = ip.protocol;
    const family = ip.ip.version;
    if (ip.protocol === 6 && !ip.fragment) {
      packet.packet = decodePacket(bytes, { lenient: true });
    } else if (
      (ip.protocol === 1 && family === 4 ||
        ip.protocol === 58 && family === 6) &&
      ip.payload.length >= 2 && !ip.fragment
    ) {
      const type = ip.payload[0]!;
      const code = ip.payload[1]!;
      packet.icmp = {
        family,
        type,
        code,
        description: icmpWords(family, type, code),
      };
    }
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    packet.error = error;
  }
  return packet;
}

function checkOptions(options: SniffOptions): void {
  const { count, timeoutMs } = options;
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    throw new RangeError(
      `Cannot sniff: count ${count} is not a positive integer`,
    );
  }
  if (
    timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
  ) {
    throw new RangeError(
      `Cannot sniff: timeoutMs ${timeoutMs} is not a positive number of milliseconds`,
    );
  }
}

/**
 * Packets taken by a filter that runs in the kernel; see the module
 * documentation. Iterate it once; it closes its socket at the end of the
 * iteration, or on `close()`.
 *
 * @example On a fake network whose sniffer has two packets queued
 * ```ts
 * import { encodePacket, makeTcpPacket, runBpf, Sniff } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const wanted = encodePacket(makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.42", srcPort: 443 }));
 * const other = encodePacket(makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.42", srcPort: 22 }));
 * const net = {
 *   openRawSocket: () => { throw new Error("unused"); },
 *   routeSource: () => "192.0.2.42",
 *   resolveHost: (name: string) => Promise.resolve([name]),
 *   wallClock: () => 0,
 *   openSniffer: ({ program }: { program: Parameters<typeof runBpf>[0] }) => ({
 *     // The kernel runs the program: here, the interpreter does.
 *     poll: () => Promise.resolve([wanted, other].filter((b) => runBpf(program, b) > 0)
 *       .map((bytes) => ({ bytes, length: bytes.length, receivedAt: 1, direction: "in" as const, interfaceIndex: 1 }))),
 *     close() {},
 *   }),
 * };
 * const seen = [];
 * for await (const packet of Sniff.open(net, { filter: { port: [443] }, count: 1 })) {
 *   seen.push(packet.packet?.tcp.srcPort);
 * }
 * assert.deepEqual(seen, [443]);
 * assert.throws(() => Sniff.open(net, { filter: { port: [70000] } }), /Cannot compile packet filter/);
 * ```
 */
export class Sniff implements AsyncIterable<SniffedPacket> {
  /** The BPF program the kernel runs (`formatBpf` lists it as `tcpdump -d` would). */
  readonly program: readonly BpfInstruction[];
  readonly #sniffer: NetSniffer;
  readonly #options: SniffOptions;
  readonly #stats: SniffStats = { captured: 0, received: 0, dropped: 0 };
  #started = false;
  #closed = false;

  private constructor(
    sniffer: NetSniffer,
    program: BpfInstruction[],
    options: SniffOptions,
  ) {
    this.#sniffer = sniffer;
    this.program = program;
    this.#options = options;
  }

  /**
   * Compile the filter and open the sniffer. Nothing is opened when the
   * options or the filter are refused.
   *
   * @param net The network.
   * @param options Filter, interface, count, time limit, signal.
   * @returns The sniff, to iterate.
   * @throws {RangeError} For a filter that cannot be compiled
   *   (`Cannot compile packet filter: …`), or a count or time limit out of
   *   range.
   * @throws {Error} When the network cannot sniff, and what its
   *   `openSniffer` throws (no privilege, no such interface…).
   */
  static open(net: Net, options: SniffOptions = {}): Sniff {
    checkOptions(options);
    const program = compilePacketFilter(options.filter ?? {});
    if (net.openSniffer === undefined) {
      throw new Error("Cannot sniff: this host has no packet sockets");
    }
    const sniffer = net.openSniffer({
      program,
      ...(options.interface === undefined
        ? {}
        : { interface: options.interface }),
    });
    return new Sniff(sniffer, program, options);
  }

  /**
   * The counts so far: packets handed over, and the kernel's counts.
   *
   * @returns The counts.
   */
  stats(): SniffStats {
    this.#readKernelStats();
    return { ...this.#stats };
  }

  #readKernelStats(): void {
    if (this.#closed) return;
    const counted: NetSnifferStats | undefined = this.#sniffer.stats?.();
    if (counted === undefined) return;
    this.#stats.received += counted.received;
    this.#stats.dropped += counted.dropped;
  }

  /** Close the socket (idempotent); an iteration under way ends. */
  close(): void {
    if (this.#closed) return;
    this.#readKernelStats();
    this.#closed = true;
    this.#sniffer.close();
  }

  /**
   * The packets, as they come.
   *
   * @returns The iterator (one per sniff).
   * @throws {Error} When iterated twice.
   */
  [Symbol.asyncIterator](): AsyncIterator<SniffedPacket> {
    if (this.#started) {
      throw new Error("Cannot sniff: this sniff is already being read");
    }
    this.#started = true;
    return this.#packets();
  }

  async *#packets(): AsyncGenerator<SniffedPacket, void, undefined> {
    const { count, timeoutMs, signal } = this.#options;
    const clock = this.#options.clock ?? performance;
    const deadline = timeoutMs === undefined
      ? Infinity
      : clock.now() + timeoutMs;
    const stopped = () => this.#closed || signal?.aborted === true;
    try {
      // Bounded by count, the deadline, the signal or close().
      while (!stopped()) {
        const left = deadline - clock.now();
        if (left <= 0) break;
        const batch = await this.#sniffer.poll(Math.ceil(Math.min(left, 200)));
        for (const raw of batch) {
          if (stopped()) return;
          this.#stats.captured++;
          yield sniffedPacket(raw.bytes, raw);
          if (count !== undefined && this.#stats.captured >= count) return;
        }
      }
    } finally {
      this.close();
    }
  }
}
