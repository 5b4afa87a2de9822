/**
 * A datagram put back together from its fragments, explained: the
 * reassembled packet with notes saying which fragments made it and, when
 * fragments overlapped with different data, what a target would make of
 * it under each of the two simple target-based policies Snort's frag3 and
 * Suricata's defrag name: `first` (the first copy of a byte wins) and
 * `last` (the last copy wins). Linux keeps the first copy of a range that
 * lies within a fragment it holds (it takes the later one for a
 * duplicate), and drops a datagram whose fragments overlap in part.
 *
 * @module
 */

import { formatFlags } from "../wire/flags.ts";
import type { ReassembledDatagram } from "../wire/reassembly.ts";
import { plural } from "../wire/text.ts";
import { explainPacket } from "./packet.ts";
import type { ExplainOptions, Explanation } from "./types.ts";

/** The TCP of a reassembled datagram in a few words. */
function segmentWords(explanation: Explanation): string {
  const tcp = explanation.tcp;
  if (tcp === undefined) return "no TCP header";
  const checksum = explanation.checksums.find((c) => c.kind === "tcp");
  return `${tcp.srcPort} > ${tcp.dstPort}, flags ${
    formatFlags(tcp.flags)
  }, seq ${tcp.seq}, ${
    plural(tcp.payloadLength, "byte")
  } of data, TCP checksum ${checksum?.status ?? "unchecked"}`;
}

/** `bytes 8-15, 16-23`. */
function ranges(result: ReassembledDatagram<number>): string {
  return result.overlaps.map((o) => `${o.start}-${o.end - 1}`).join(", ");
}

/**
 * Explain a reassembled datagram: `explainPacket` of what a `first`
 * policy target reassembles, with notes naming its fragments (by their
 * tags, packet numbers in a capture) and, when overlapping fragments
 * disagreed, what a `last` policy target reassembles instead.
 *
 * @param result What `FragmentReassembler.add` returned.
 * @param options The options of `explainPacket`.
 * @returns The explanation.
 *
 * @example
 * ```ts
 * import { explainReassembled, FragmentReassembler, fragment, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const reassembler = new FragmentReassembler();
 * const pieces = fragment(
 *   makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", payload: new Uint8Array(16) }),
 *   { size: 8, overlap: "first" },
 * );
 * const done = pieces.map((bytes, i) => reassembler.add(bytes, i + 1)).find((r) => r !== undefined)!;
 * const explanation = explainReassembled(done);
 * assert.equal(explanation.tcp?.dstPort, 80);
 * assert.match(explanation.notes[0]!, /^reassembled from 8 fragments \(packets 1, 2, 3/);
 * assert.match(explanation.notes[1]!, /a "last" target \(Snort and Suricata policy last: the last copy wins\) reassembles/);
 * ```
 */
export function explainReassembled(
  result: ReassembledDatagram<number>,
  options: ExplainOptions = {},
): Explanation {
  const explanation = explainPacket(result.first, options);
  const notes = [
    `reassembled from ${plural(result.tags.length, "fragment")} (packets ${
      result.tags.join(", ")
    }): every hole of the datagram filled (RFC 815)`,
  ];
  const differing = result.overlaps.some((o) => o.differs);
  if (differing) {
    const last = explainPacket(result.last, options);
    notes.push(
      `fragments overlap with different data at bytes ${
        ranges(result)
      } of the fragmented part: a "first" target (Snort and Suricata policy first: the first copy of a byte wins) reassembles this packet, ${
        segmentWords(explanation)
      }; a "last" target (Snort and Suricata policy last: the last copy wins) reassembles ${
        segmentWords(last)
      }; Linux reassembles as a "first" target when a fragment lies within one it holds, and drops the datagram when fragments overlap in part`,
    );
  } else if (result.overlaps.length > 0) {
    notes.push(
      `fragments overlap at bytes ${
        ranges(result)
      } with the same data: every policy reassembles this packet (Linux drops a datagram whose fragments overlap in part)`,
    );
  }
  explanation.notes.unshift(...notes);
  return explanation;
}
