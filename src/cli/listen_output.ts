/**
 * What `listen` prints for each packet, as a view of the output formatter:
 * `text` one tcpdump-style line (time, direction, the packet), with
 * `--explain` the bit-level explanation under it; `ndjson` one object per
 * packet; `json` one document at the end. The counts at the end (tcpdump's
 * "captured", "received by filter", "dropped by kernel") go to standard
 * error in every format, as tcpdump writes them.
 *
 * @module
 */

import type { SniffedPacket, SniffStats } from "../engine/sniff.ts";
import { explainPacket } from "../explain/packet.ts";
import { renderExplanation } from "../explain/render.ts";
import { DecodeError } from "../wire/errors.ts";
import { formatCapturedPacketText, packetJson } from "./format.ts";
import type { JsonValue, OutputView } from "./output.ts";
import { escapeControls } from "./errors.ts";

/** What `listen` knows at the end. */
export interface ListenFinal {
  /** The counts. */
  stats: SniffStats;
  /** Whether Ctrl-C ended it. */
  interrupted: boolean;
}

/** tcpdump's direction words (`-i any`): In, Out, B, M, P. */
const DIRECTION_WORDS: Readonly<Record<string, string>> = {
  in: "In ",
  out: "Out",
  broadcast: "B  ",
  multicast: "M  ",
  "other-host": "P  ",
};

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * A time of day as tcpdump prints it: local `HH:MM:SS.uuuuuu`, the
 * microseconds cut, not rounded (as libpcap does).
 *
 * @param time Epoch seconds and nanoseconds.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { timeOfDay } from "./listen_output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(timeOfDay({ seconds: 1_700_000_000, nanoseconds: 123_456_999 }), /^\d\d:\d\d:\d\d\.123456$/);
 * ```
 */
export function timeOfDay(
  time: { seconds: number; nanoseconds: number },
): string {
  const date = new Date(time.seconds * 1000);
  const micro = Math.floor(time.nanoseconds / 1000);
  return `${two(date.getHours())}:${two(date.getMinutes())}:${
    two(date.getSeconds())
  }.${String(micro).padStart(6, "0")}`;
}

/**
 * The part of a packet's line after the time and direction: tcpdump's
 * summary of a TCP packet, a few words for ICMP, the reason for bytes
 * that do not decode.
 *
 * @param packet The packet.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { packetSummary } from "./listen_output.ts";
 * import { encodePacket, makeTcpPacket, sniffedPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket(makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.42", srcPort: 80, flags: 0x12 }));
 * const packet = sniffedPacket(bytes, { length: 40, receivedAt: 0, direction: "in", interfaceIndex: 1 });
 * assert.equal(packetSummary(packet), "IP 192.0.2.1.80 > 192.0.2.42.80: Flags [S.], seq 0, ack 0, win 8192, length 0");
 * ```
 */
export function packetSummary(packet: SniffedPacket): string {
  if (packet.packet !== undefined) {
    return formatCapturedPacketText(packet.bytes, {
      wireLength: packet.length,
    });
  }
  const ip = packet.ip;
  if (ip === undefined) {
    return escapeControls(
      `[${
        packet.error?.message ?? "not an IP datagram"
      }] length ${packet.length}`,
    );
  }
  const family = ip.version === 4 ? "IP" : "IP6";
  if (packet.icmp !== undefined) {
    const { icmp } = packet;
    return `${family} ${ip.src} > ${ip.dst}: ICMP${
      icmp.family === 6 ? "6" : ""
    } ${icmp.description}, length ${packet.length}`;
  }
  return `${family} ${ip.src} > ${ip.dst}: protocol ${
    packet.protocol ?? "?"
  }, length ${packet.length}`;
}

/**
 * The text line of a packet: time, direction, summary.
 *
 * @param packet The packet.
 * @returns The line.
 */
function line(packet: SniffedPacket): string {
  return `${timeOfDay(packet.time)} ${
    DIRECTION_WORDS[packet.direction] ?? packet.direction
  } ${packetSummary(packet)}`;
}

function explanation(packet: SniffedPacket): string {
  try {
    return renderExplanation(explainPacket(packet.bytes, {
      wireLength: packet.length,
    })).trimEnd();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return `  (not explained: ${error.message})`;
  }
}

function packetRecord(packet: SniffedPacket): JsonValue {
  const record: { [key: string]: JsonValue } = {
    event: "packet",
    time: packet.timestamp,
    direction: packet.direction,
    interfaceIndex: packet.interfaceIndex,
    length: packet.length,
    truncated: packet.truncated,
    summary: packetSummary(packet),
  };
  if (packet.packet !== undefined) record.packet = packetJson(packet.bytes);
  if (packet.icmp !== undefined) record.icmp = { ...packet.icmp };
  return record;
}

function summaryRecord(final: ListenFinal): { [key: string]: JsonValue } {
  return {
    event: "summary",
    ...final.stats,
    interrupted: final.interrupted,
  };
}

/**
 * The counts as tcpdump prints them when it stops.
 *
 * @param stats The counts.
 * @returns The lines, without the last newline.
 *
 * @example
 * ```ts
 * import { countsText } from "./listen_output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   countsText({ captured: 1, received: 2, dropped: 0 }),
 *   "1 packet captured\n2 packets received by filter\n0 packets dropped by kernel",
 * );
 * ```
 */
export function countsText(stats: SniffStats): string {
  const packets = (n: number) => `${n} packet${n === 1 ? "" : "s"}`;
  return [
    `${packets(stats.captured)} captured`,
    `${packets(stats.received)} received by filter`,
    `${packets(stats.dropped)} dropped by kernel`,
  ].join("\n");
}

/**
 * The view of `listen`'s output.
 *
 * @param options `explain`: the bit-level explanation under each line.
 * @returns The view.
 *
 * @example
 * ```ts
 * import { listenView } from "./listen_output.ts";
 * import assert from "node:assert/strict";
 *
 * const view = listenView({ explain: false });
 * assert.equal(
 *   view.note?.({ stats: { captured: 0, received: 0, dropped: 0 }, interrupted: true }),
 *   "0 packets captured\n0 packets received by filter\n0 packets dropped by kernel",
 * );
 * ```
 */
export function listenView(
  options: { explain: boolean },
): OutputView<SniffedPacket, ListenFinal> {
  return {
    text: options.explain
      ? (packet) => `${line(packet)}\n\n${explanation(packet)}\n`
      : line,
    json: packetRecord,
    jsonEnd: summaryRecord,
    document: (packets, final) => ({
      packets: packets.map(packetRecord),
      summary: summaryRecord(final),
    }),
    note: (final) => countsText(final.stats),
  };
}
