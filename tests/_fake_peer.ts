/**
 * A scripted TCP peer for hand-made sessions on the fake network of
 * tests/_fake_net.ts: it answers the SYN, acknowledges data, sends a
 * response in segments (in any order, with duplicates), closes, and can
 * drop, refuse, reset or hold its window at zero, as a test asks.
 *
 * @module
 */

import {
  type DecodedTcpPacket,
  encodePacket,
  makeTcpPacket,
  TCP_FLAGS,
} from "../mod.ts";
import { answerIcmp } from "./_fake_conversation.ts";
import type { Peer, PeerAnswer } from "./_fake_net.ts";

const { syn, ack, fin, rst, psh } = TCP_FLAGS;

/** How the peer behaves. */
export interface PeerScript {
  /** Its ISN (default 5000). */
  isn?: number;
  /** The MSS it announces (default 1460). */
  mss?: number;
  /** Its window (default 64000); 0 holds it shut until `openAfterProbes`. */
  window?: number;
  /** With a zero window: the probe after which it opens (default never). */
  openAfterProbes?: number;
  /** SYNs it ignores before answering (default 0). */
  dropSyns?: number;
  /** Data segments it ignores before taking one (default 0). */
  dropData?: number;
  /** Answer the SYN with a RST. */
  refuse?: boolean;
  /** Answer the SYN with an ICMP port unreachable. */
  unreachable?: boolean;
  /** Reset the connection when data arrives. */
  resetOnData?: boolean;
  /** What it sends once a request arrives, and how it cuts it. */
  response?: {
    text: string;
    sizes: number[];
    order?: number[];
    duplicate?: boolean;
  };
  /** Send FIN after the response (default true). */
  closeAfterResponse?: boolean;
}

/** What the peer saw. */
export interface PeerRecord {
  /** The request bytes, in order. */
  request: string;
  /** Segments that came in, with their flags. */
  segments: DecodedTcpPacket[];
  /** Whether our FIN arrived. */
  finReceived: boolean;
}

/**
 * Make a peer.
 *
 * @param script How it behaves.
 * @returns The peer and its record.
 */
export function tcpPeer(
  script: PeerScript,
): { peer: Peer; record: PeerRecord } {
  const record: PeerRecord = { request: "", segments: [], finReceived: false };
  const isn = script.isn ?? 5000;
  let next = 0; // the next byte expected from us
  let ours = (isn + 1) >>> 0; // our next sequence number
  let window = script.window ?? 64000;
  let syns = 0;
  let dataSeen = 0;
  let probes = 0;
  let responded = false;
  let closed = false;
  const decoder = new TextDecoder();
  const segment = (
    to: DecodedTcpPacket,
    seq: number,
    flags: number,
    payload: Uint8Array = new Uint8Array(),
    options: Parameters<typeof makeTcpPacket>[0]["options"] = [],
  ) =>
    encodePacket(makeTcpPacket({
      src: to.ip.dst,
      dst: to.ip.src,
      srcPort: to.tcp.dstPort,
      dstPort: to.tcp.srcPort,
      seq,
      ack: next,
      flags,
      window,
      options,
      payload,
    }));
  const peer: Peer = (sent) => {
    record.segments.push(sent);
    const { tcp } = sent;
    if ((tcp.flags & rst) !== 0) {
      closed = true;
      return undefined;
    }
    if ((tcp.flags & syn) !== 0) {
      if (syns++ < (script.dropSyns ?? 0)) return undefined;
      if (script.refuse === true) {
        return {
          bytes: encodePacket(makeTcpPacket({
            src: sent.ip.dst,
            dst: sent.ip.src,
            srcPort: tcp.dstPort,
            dstPort: tcp.srcPort,
            seq: 0,
            ack: (tcp.seq + 1) >>> 0,
            flags: rst | ack,
            window: 0,
          })),
          delayMs: 1,
        };
      }
      if (script.unreachable === true) {
        return {
          bytes: answerIcmp(sent, sent.ip.dst, 3, 3),
          icmp: true,
          delayMs: 1,
        };
      }
      next = (tcp.seq + 1) >>> 0;
      return {
        bytes: segment(sent, isn, syn | ack, undefined, [
          { kind: "mss", value: script.mss ?? 1460 },
        ]),
        delayMs: 1,
      };
    }
    if (closed) return undefined;
    const answers: PeerAnswer[] = [];
    const payload = tcp.payload;
    if (payload.length > 0) {
      if (window === 0) {
        // A probe of a zero window: acknowledged, not taken.
        probes++;
        if (probes === script.openAfterProbes) {
          window = script.window === 0 ? 64000 : window;
        }
        answers.push({ bytes: segment(sent, ours, ack), delayMs: 1 });
        return answers;
      }
      if (dataSeen++ < (script.dropData ?? 0)) return undefined;
      if (script.resetOnData === true) {
        closed = true;
        return { bytes: segment(sent, ours, rst | ack), delayMs: 1 };
      }
      if (tcp.seq === next) {
        record.request += decoder.decode(payload);
        next = (next + payload.length) >>> 0;
      }
      answers.push({ bytes: segment(sent, ours, ack), delayMs: 1 });
      const response = script.response;
      if (response !== undefined && !responded) {
        responded = true;
        const bytes = new TextEncoder().encode(response.text);
        const pieces: { seq: number; data: Uint8Array }[] = [];
        let at = 0;
        for (const size of response.sizes) {
          pieces.push({
            seq: (ours + at) >>> 0,
            data: bytes.subarray(at, at + size),
          });
          at += size;
        }
        const order = response.order ?? pieces.map((_, i) => i);
        order.forEach((i, n) => {
          const piece = pieces[i]!;
          answers.push({
            bytes: segment(sent, piece.seq, ack | psh, piece.data),
            delayMs: 2 + n,
          });
          if (response.duplicate === true) {
            answers.push({
              bytes: segment(sent, piece.seq, ack | psh, piece.data),
              delayMs: 2 + n,
            });
          }
        });
        ours = (ours + bytes.length) >>> 0;
        if (script.closeAfterResponse ?? true) {
          answers.push({
            bytes: segment(sent, ours, fin | ack),
            delayMs: 3 + order.length,
          });
          ours = (ours + 1) >>> 0;
        }
      }
    }
    if ((tcp.flags & fin) !== 0) {
      record.finReceived = true;
      next = (tcp.seq + payload.length + 1) >>> 0;
      answers.push({ bytes: segment(sent, ours, ack), delayMs: 1 });
    }
    return answers;
  };
  return { peer, record };
}
