/**
 * Connections followed across the packets of a capture, so that each
 * segment is explained with what its handshake said.
 *
 * @module
 */

import { IPPROTO_TCP } from "../wire/checksum.ts";
import { TCP_FLAGS } from "../wire/flags.ts";
import { readField } from "../wire/header_field.ts";
import { decodeIp } from "../wire/packet.ts";
import { TCP_HEADER_FIELDS } from "../wire/tcp_fields.ts";
import { finalDestination } from "./_checksum.ts";
import { explainPacket } from "./packet.ts";
import type {
  ConnectionContext,
  ExplainOptions,
  Explanation,
  TcpFacts,
} from "./types.ts";

interface DirectionState {
  /** The shift of the SYN's wscale option, or null when the SYN had none. */
  shift: number | null;
  isn: number;
}

/**
 * Follows connections across the packets of a capture so that each
 * segment is explained with what its handshake said: the window scale
 * (applied only when both SYN and SYN-ACK carried a wscale option, as RFC
 * 7323 says, and never to a SYN's own window) and the initial sequence
 * numbers, for relative sequence and acknowledgment numbers.
 *
 * Connections are keyed by addresses and ports; a new SYN starts over.
 *
 * @example A handshake, then a scaled window
 * ```ts
 * import { ConnectionTracker, encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const a = "192.0.2.1", b = "192.0.2.2";
 * const tracker = new ConnectionTracker();
 * const packets = [
 *   makeTcpPacket({ src: a, dst: b, srcPort: 40000, dstPort: 80, flags: 0x02, seq: 100,
 *     options: [{ kind: "wscale", shift: 7 }] }),
 *   makeTcpPacket({ src: b, dst: a, srcPort: 80, dstPort: 40000, flags: 0x12, seq: 900, ack: 101,
 *     options: [{ kind: "wscale", shift: 2 }] }),
 *   makeTcpPacket({ src: a, dst: b, srcPort: 40000, dstPort: 80, flags: 0x10, seq: 101, ack: 901,
 *     window: 501 }),
 * ];
 * const [, , last] = packets.map((p) => tracker.explain(encodePacket(p)));
 * assert.equal(last?.tcp?.scaledWindow, 501 * 128);
 * assert.equal(last?.tcp?.relativeSeq, 1);
 * assert.equal(last?.tcp?.relativeAck, 1);
 * ```
 */
export class ConnectionTracker {
  #directions = new Map<string, DirectionState>();

  /**
   * What is known about the connection of a segment going from
   * `src`:`srcPort` to `dst`:`dstPort`.
   *
   * @param facts The segment's addresses and ports.
   * @returns The context to explain it with.
   */
  context(
    facts: Pick<TcpFacts, "src" | "dst" | "srcPort" | "dstPort">,
  ): ConnectionContext {
    const forward = this.#directions.get(key(facts, false));
    const backward = this.#directions.get(key(facts, true));
    const context: ConnectionContext = {};
    if (forward !== undefined) context.isn = forward.isn;
    if (backward !== undefined) context.peerIsn = backward.isn;
    if (forward !== undefined && backward !== undefined) {
      context.windowShift = forward.shift !== null && backward.shift !== null
        ? forward.shift
        : 0;
    }
    return context;
  }

  /**
   * Learn from an explained segment: a SYN records its sender's initial
   * sequence number and window scale.
   *
   * @param explanation A segment explained with {@linkcode explainPacket}.
   */
  observe(explanation: Explanation): void {
    const tcp = explanation.tcp;
    if (tcp === undefined || (tcp.flags & TCP_FLAGS.syn) === 0) return;
    const state: DirectionState = {
      shift: tcp.announcedWindowShift ?? null,
      isn: tcp.seq,
    };
    this.#directions.set(key(tcp, false), state);
    if ((tcp.flags & TCP_FLAGS.ack) === 0) {
      // A new connection: forget the other direction of an old one.
      this.#directions.delete(key(tcp, true));
    }
  }

  /**
   * Explain a datagram with what earlier segments of its connection said,
   * then learn from it.
   *
   * @param bytes The datagram.
   * @param options As for {@linkcode explainPacket}; `connection` is filled in.
   * @returns The explanation.
   * @throws {DecodeError} As {@linkcode explainPacket}.
   */
  explain(bytes: Uint8Array, options: ExplainOptions = {}): Explanation {
    const decoded = decodeIp(bytes, { lenient: true });
    const segment = decoded.payload;
    const { srcPort, dstPort } = TCP_HEADER_FIELDS;
    const portsEnd = dstPort.byteOffset + dstPort.bitLength / 8;
    if (decoded.protocol !== IPPROTO_TCP || segment.length < portsEnd) {
      return explainPacket(bytes, options);
    }
    const context = this.context({
      src: decoded.ip.src,
      dst: finalDestination(decoded).dst,
      srcPort: readField(segment, 0, srcPort),
      dstPort: readField(segment, 0, dstPort),
    });
    const explanation = explainPacket(bytes, {
      ...options,
      connection: context,
    });
    this.observe(explanation);
    return explanation;
  }
}

function key(
  facts: Pick<TcpFacts, "src" | "dst" | "srcPort" | "dstPort">,
  reverse: boolean,
): string {
  const from = `${facts.src ?? "?"} ${facts.srcPort}`;
  const to = `${facts.dst ?? "?"} ${facts.dstPort}`;
  return reverse ? `${to} > ${from}` : `${from} > ${to}`;
}
