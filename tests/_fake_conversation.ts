/**
 * A fake network for the logic of `probe` and `trace`: a memory host whose
 * `net.openReceiver` returns a receiver that hands each datagram sent to a
 * script, which decides what comes back and after how long. The clock is
 * the memory host's virtual one (`poll` advances it), and `wallClock` is
 * that clock plus a fixed epoch, so every RTT is exactly what the script
 * says.
 *
 * @module
 */

import {
  type DecodedTcpPacket,
  decodePacket,
  encodeIpv4Header,
  encodeIpv6Header,
  encodePacket,
  makeTcpPacket,
  TCP_FLAGS,
} from "../mod.ts";
import type {
  CliNet,
  CliReceivedPacket,
  CliReceiverOptions,
  MemoryHost,
} from "../src/cli/host.ts";
import { createMemoryHost } from "../src/cli/host.ts";

/** What the script sends back for one datagram. */
export interface FakeAnswer {
  /** The whole datagram that arrives. */
  bytes: Uint8Array;
  /** On which socket. */
  kind: "tcp" | "icmp";
  /** After how long, ms. */
  rttMs: number;
}

/** Decides what answers a datagram sent (index counts from 0). */
export type FakeScript = (
  sent: DecodedTcpPacket,
  index: number,
) => FakeAnswer | FakeAnswer[] | undefined;

/** The fake network and what it saw. */
export interface FakeConversation {
  /** The host to run commands with. */
  host: MemoryHost;
  /** Receivers opened: family and options. */
  opened: { family: 4 | 6; options: CliReceiverOptions | undefined }[];
  /** Datagrams sent, decoded. */
  sent: DecodedTcpPacket[];
  /** How many receivers were closed. */
  closed: number;
  /** Interrupt handlers registered and not removed. */
  handlers: Set<() => void>;
}

/** The epoch of the fake wall clock, ms. */
export const FAKE_EPOCH = 1_700_000_000_000;

/**
 * Make the fake network.
 *
 * @param script What answers each datagram.
 * @param options `routed` source per family; `interruptAfter` sends.
 * @returns The host and the record.
 */
export function fakeConversation(
  script: FakeScript,
  options: { routed4?: string; routed6?: string; interruptAfter?: number } = {},
): FakeConversation {
  const base = createMemoryHost();
  const record: FakeConversation = {
    host: base,
    opened: [],
    sent: [],
    closed: 0,
    handlers: new Set(),
  };
  const queue: { due: number; packet: CliReceivedPacket; kind: string }[] = [];
  const wallClock = () => FAKE_EPOCH + base.now();
  const net: CliNet = {
    openRawSocket() {
      throw new Error("probe and trace must use openReceiver");
    },
    routeSource(dst) {
      return dst.includes(":")
        ? options.routed6 ?? "2001:db8::42"
        : options.routed4 ?? "192.0.2.42";
    },
    resolveHost(name) {
      return Promise.reject(new Error(`no such host ${name}`));
    },
    wallClock,
    openReceiver(family, receiverOptions) {
      record.opened.push({ family, options: receiverOptions });
      let open = true;
      const take = () => {
        const now = base.now();
        const ready = queue.filter((item) => item.due <= now);
        for (const item of ready) queue.splice(queue.indexOf(item), 1);
        return {
          tcp: ready.filter((i) => i.kind === "tcp").map((i) => i.packet),
          icmp: ready.filter((i) => i.kind === "icmp").map((i) => i.packet),
        };
      };
      return {
        send(bytes) {
          if (!open) throw new Error("closed");
          const decoded = decodePacket(bytes);
          const index = record.sent.length;
          record.sent.push(decoded);
          const answers = script(decoded, index);
          for (
            const answer of answers === undefined
              ? []
              : Array.isArray(answers)
              ? answers
              : [answers]
          ) {
            queue.push({
              due: base.now() + answer.rttMs,
              kind: answer.kind,
              packet: {
                bytes: answer.bytes,
                source: "",
                receivedAt: wallClock() + answer.rttMs,
              },
            });
          }
          if (
            options.interruptAfter !== undefined &&
            record.sent.length === options.interruptAfter
          ) {
            for (const handler of record.handlers) handler();
          }
          return bytes.length;
        },
        sendMany() {
          throw new Error("not used");
        },
        async poll(timeoutMs) {
          if (!open) throw new Error("closed");
          const now = base.now();
          let next = Infinity;
          for (const item of queue) next = Math.min(next, item.due);
          if (next > now) {
            await base.sleep(Math.min(timeoutMs, next - now));
          }
          return take();
        },
        close() {
          if (open) record.closed++;
          open = false;
        },
      };
    },
  };
  record.host = Object.assign(base, {
    net,
    onInterrupt(handler: () => void) {
      record.handlers.add(handler);
      return () => record.handlers.delete(handler);
    },
  });
  return record;
}

/**
 * The answer a listening port gives to a SYN: a SYN-ACK with MSS and
 * window scale, or (closed) a RST-ACK.
 *
 * @param sent The SYN.
 * @param open Whether the port listens.
 * @returns The datagram.
 */
export function answerSyn(sent: DecodedTcpPacket, open: boolean): Uint8Array {
  const ack = (sent.tcp.seq + 1) >>> 0;
  return encodePacket(makeTcpPacket({
    src: sent.ip.dst,
    dst: sent.ip.src,
    srcPort: sent.tcp.dstPort,
    dstPort: sent.tcp.srcPort,
    seq: open ? 0x11223344 : 0,
    ack,
    flags: open ? TCP_FLAGS.syn | TCP_FLAGS.ack : TCP_FLAGS.rst | TCP_FLAGS.ack,
    window: open ? 64240 : 0,
    options: open
      ? [{ kind: "mss", value: 1460 }, { kind: "nop" }, {
        kind: "wscale",
        shift: 7,
      }]
      : [],
    ttl: 64,
    ...(sent.ip.version === 4 ? { dontFragment: true, id: 0 } : {}),
  }));
}

/**
 * An ICMP (IPv4) or ICMPv6 error from `from` quoting the first 28 or 48
 * bytes of the datagram sent.
 *
 * @param sent The datagram that caused it.
 * @param from The router.
 * @param type ICMP type.
 * @param code ICMP code.
 * @returns The datagram carrying the error.
 */
export function answerIcmp(
  sent: DecodedTcpPacket,
  from: string,
  type: number,
  code: number,
): Uint8Array {
  const original = encodePacket(sent);
  const quote = original.subarray(0, sent.ip.version === 4 ? 28 : 48);
  const icmp = new Uint8Array(8 + quote.length);
  icmp[0] = type;
  icmp[1] = code;
  icmp.set(quote, 8);
  const header = sent.ip.version === 4
    ? encodeIpv4Header({
      version: 4,
      tos: 0,
      id: 0,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 1,
      src: from,
      dst: sent.ip.src,
      options: new Uint8Array(),
    }, { payloadLength: icmp.length })
    : encodeIpv6Header({
      version: 6,
      trafficClass: 0,
      flowLabel: 0,
      nextHeader: 58,
      hopLimit: 64,
      src: from,
      dst: sent.ip.src,
    }, { payloadLength: icmp.length });
  const bytes = new Uint8Array(header.length + icmp.length);
  bytes.set(header);
  bytes.set(icmp, header.length);
  return bytes;
}
