/**
 * Checksums worked out: every 16-bit word summed (when steps are asked
 * for), the carries folded, the verdict, and for TCP the pseudo-header.
 * Private to the explainer.
 *
 * @module
 */

import { addressBytes } from "../wire/address.ts";
import { read16, write16, write32 } from "../wire/bytes.ts";
import { foldSum, IPPROTO_TCP } from "../wire/checksum.ts";
import type { HeaderField } from "../wire/header_field.ts";
import {
  IPV4_HEADER_FIELDS,
  IPV4_MIN_HEADER_LENGTH,
} from "../wire/ipv4_fields.ts";
import {
  TCP_HEADER_FIELDS,
  TCP_MIN_HEADER_LENGTH,
} from "../wire/tcp_fields.ts";
import { hex16 } from "../wire/text.ts";
import { type DecodedIp, tcpPseudoHeaderDestination } from "../wire/packet.ts";
import type { Builder } from "./_builder.ts";
import type {
  ChecksumStep,
  ChecksumWork,
  ExplainedPseudoHeader,
} from "./types.ts";

/**
 * What the 16-bit word at each even offset of a fixed header holds, as the
 * checksum steps name it: the fields it overlaps (one-bit fields by the
 * name of their group, a field made of finer ones by those), and for a
 * 32-bit field, which half of it.
 */
function headerWordLabels(
  fields: readonly HeaderField[],
  length: number,
): string[] {
  const labels: string[] = [];
  for (let at = 0; at < length; at += 2) {
    const names: string[] = [];
    for (const field of fields) {
      const start = field.byteOffset * 8 + field.bitOffset;
      const end = start + field.bitLength;
      if (field.parts !== undefined || end <= at * 8 || start >= at * 8 + 16) {
        continue;
      }
      let name = field.group ?? field.name;
      if (field.bitLength === 32) {
        name += start === at * 8 ? " (high half)" : " (low half)";
      }
      if (!names.includes(name)) names.push(name);
    }
    labels.push(names.join(", "));
  }
  return labels;
}

const IPV4_WORDS = headerWordLabels(
  Object.values(IPV4_HEADER_FIELDS),
  IPV4_MIN_HEADER_LENGTH,
);
const TCP_WORDS = headerWordLabels(
  Object.values(TCP_HEADER_FIELDS),
  TCP_MIN_HEADER_LENGTH,
);

interface WordSource {
  /** Describe the word at this offset (relative to the covered bytes). */
  describe(offset: number): string;
}

function runSteps(
  words: { word: number; from: string; byteOffset?: number }[],
): { steps: ChecksumStep[]; sum: number } {
  const steps: ChecksumStep[] = [];
  let sum = 0;
  for (const { word, from, byteOffset } of words) {
    const total = sum + word;
    const carry = total > 0xffff;
    const folded = carry ? (total & 0xffff) + 1 : total;
    const step: ChecksumStep = {
      word,
      from,
      before: sum,
      sum: total,
      carry,
      folded,
    };
    if (byteOffset !== undefined) step.byteOffset = byteOffset;
    steps.push(step);
    sum = folded;
  }
  return { steps, sum };
}

/** The 16-bit word at `at`; the last byte of an odd length is padded with a zero. */
function wordAt(bytes: Uint8Array, at: number, odd: boolean): number {
  return odd ? (bytes[at] ?? 0) << 8 : read16(bytes, at);
}

/** Words of covered bytes; the checksum field (at `checksumAt`) counts as zero. */
function coveredWords(
  bytes: Uint8Array,
  start: number,
  length: number,
  checksumAt: number,
  source: WordSource,
  layerName: string,
): { word: number; from: string; byteOffset: number }[] {
  const words: { word: number; from: string; byteOffset: number }[] = [];
  for (let i = 0; i < length; i += 2) {
    const odd = i + 1 >= length;
    const word = i === checksumAt ? 0 : wordAt(bytes, start + i, odd);
    const range = odd ? `byte ${i} and a zero pad byte` : `bytes ${i}-${i + 1}`;
    words.push({
      word,
      from: `${layerName} ${range}: ${source.describe(i)}${
        i === checksumAt ? " (counted as 0)" : ""
      }`,
      byteOffset: start + i,
    });
  }
  return words;
}

/** Sum without recording steps (for large payloads when steps are not asked for). */
function quickSum(
  bytes: Uint8Array,
  start: number,
  length: number,
  checksumAt: number,
  initial: number,
): number {
  let sum = initial;
  for (let i = 0; i < length; i += 2) {
    if (i === checksumAt) continue;
    sum += wordAt(bytes, start + i, i + 1 >= length);
  }
  return foldSum(sum);
}

function finishWork(work: ChecksumWork, sum: number): ChecksumWork {
  const computed = ~sum & 0xffff;
  work.sum = sum;
  work.computed = computed;
  // One's complement has two zeros: a stored 0xffff verifies like 0x0000.
  const verifies = foldSum(sum + work.stored) === 0xffff;
  if (computed === work.stored) {
    work.status = "correct";
    work.verdict = `correct: stored ${hex16(work.stored)} = computed ${
      hex16(computed)
    }`;
  } else if (verifies) {
    work.status = "correct";
    work.verdict = `correct: stored ${hex16(work.stored)} and computed ${
      hex16(computed)
    } are the same number in one's complement (positive and negative zero)`;
  } else {
    work.status = "wrong";
    work.verdict = `wrong: stored ${hex16(work.stored)}, computed ${
      hex16(computed)
    }`;
  }
  return work;
}

/**
 * The IPv4 header checksum of the explained bytes, worked out; an anomaly
 * when it is wrong.
 *
 * @param b The explanation.
 * @param stored The checksum in the header.
 * @param ihl The IHL in the header.
 * @param headerLength The header's length as laid out.
 * @param steps Whether to record every word.
 * @returns The work.
 */
export function ipv4ChecksumWork(
  b: Builder,
  stored: number,
  ihl: number,
  headerLength: number,
  steps: boolean,
): ChecksumWork {
  const checksumAt = IPV4_HEADER_FIELDS.checksum.byteOffset;
  const work: ChecksumWork = {
    kind: "ipv4-header",
    name: "IPv4 header checksum",
    byteOffset: checksumAt,
    stored,
    status: "unchecked",
    verdict: "",
    covered: { byteOffset: 0, length: headerLength },
  };
  if (ihl < 5 || ihl * 4 > b.bytes.length) {
    work.verdict =
      `not checked: IHL ${ihl} does not give a header within the bytes`;
    return work;
  }
  const length = ihl * 4;
  const describe = (i: number) => IPV4_WORDS[i / 2] ?? "Options";
  let sum: number;
  if (steps) {
    const run = runSteps(
      coveredWords(b.bytes, 0, length, checksumAt, { describe }, "IPv4 header"),
    );
    work.steps = run.steps;
    sum = run.sum;
  } else {
    sum = quickSum(b.bytes, 0, length, checksumAt, 0);
  }
  finishWork(work, sum);
  if (work.status === "wrong") {
    b.anomaly(
      "ipv4-header-checksum",
      `IPv4 header checksum ${hex16(work.stored)} is wrong: it should be ${
        hex16(work.computed!)
      }; routers and hosts drop the datagram`,
      checksumAt,
      "checksum",
    );
  }
  return work;
}

/**
 * Where each part of the pseudo-header lies, by family (RFC 9293 §3.1,
 * RFC 8200 §8.1): its length, the addresses, the protocol byte, and the
 * TCP length (16 bits for IPv4, 32 for IPv6).
 */
const PSEUDO_HEADER = Object.freeze({
  4: { length: 12, src: 0, dst: 4, protocol: 9, tcpLength: 10 },
  6: { length: 40, src: 0, dst: 16, protocol: 39, tcpLength: 32 },
});

/**
 * The pseudo-header of a segment of `length` bytes between two addresses
 * of one family.
 */
function pseudoHeader(
  src: Uint8Array,
  dst: Uint8Array,
  length: number,
  texts: { src: string; dst: string; note?: string },
): ExplainedPseudoHeader {
  const family = src.length === 4 ? 4 : 6;
  const layout = PSEUDO_HEADER[family];
  const bytes = new Uint8Array(layout.length);
  bytes.set(src, layout.src);
  bytes.set(dst, layout.dst);
  bytes[layout.protocol] = IPPROTO_TCP;
  if (family === 4) write16(bytes, layout.tcpLength, length);
  else write32(bytes, layout.tcpLength, length);
  const pseudo: ExplainedPseudoHeader = {
    family,
    src: texts.src,
    dst: texts.dst,
    protocol: IPPROTO_TCP,
    length,
    bytes,
  };
  if (texts.note !== undefined) pseudo.note = texts.note;
  return pseudo;
}

/** What each 16-bit word of a pseudo-header is, for the steps. */
function pseudoHeaderWordNames(pseudo: ExplainedPseudoHeader): string[] {
  const { length } = pseudo;
  if (pseudo.family === 4) {
    return [
      `source address ${pseudo.src} (high half)`,
      "source address (low half)",
      `destination address ${pseudo.dst} (high half)`,
      "destination address (low half)",
      "zero byte and protocol 6",
      `TCP length ${length}`,
    ];
  }
  const words = (what: string, address: string) =>
    Array.from(
      { length: 8 },
      (_, i) => `${what} ${i === 0 ? `${address} ` : ""}(word ${i + 1} of 8)`,
    );
  return [
    ...words("source address", pseudo.src),
    ...words("destination address", pseudo.dst),
    "TCP length (high 16 bits)",
    `TCP length ${length} (low 16 bits)`,
    "zero bytes",
    "zero byte and next header 6",
  ];
}

/** The folded sum of a pseudo-header's bytes. */
function pseudoHeaderSum(pseudo: ExplainedPseudoHeader): number {
  let sum = 0;
  for (let i = 0; i < pseudo.bytes.length; i += 2) {
    sum += read16(pseudo.bytes, i);
  }
  return foldSum(sum);
}

/** Next Header value of a routing header. */
const ROUTING_HEADER = 43;

/**
 * The destination of the TCP pseudo-header (a routing header's or an IPv4
 * source route's final one, see `tcpPseudoHeaderDestination`), with a note
 * when it is not the IP header's.
 */
export function finalDestination(
  decoded: DecodedIp,
): { dst: string; note?: string } {
  const dst = tcpPseudoHeaderDestination(decoded);
  if (dst === decoded.ip.dst) return { dst };
  if (decoded.ip.version === 4) {
    return {
      dst,
      note:
        "the destination is the last address of the IPv4 source route option",
    };
  }
  const routing = decoded.extensionHeaders?.findLast((header) =>
    header.type === ROUTING_HEADER && header.data[1] !== 0
  );
  return {
    dst,
    note: `the destination is the final one of the routing header at byte ${
      routing?.offset ?? decoded.payloadOffset
    }`,
  };
}

/** A TCP segment in the explained bytes, and what its checksum needs. */
export interface SegmentInfo {
  /** Offset of the segment in the explained bytes. */
  base: number;
  /** The segment (view). */
  segment: Uint8Array;
  /** Source address of the pseudo-header, canonical text, when known. */
  src?: string;
  /** Destination address of the pseudo-header, canonical text, when known. */
  dst?: string;
  /** A remark on the destination (a routing header's final one). */
  dstNote?: string;
  /** Why the checksum cannot be checked, when it cannot. */
  uncheckable?: string;
  /**
   * The segment's length by the IP header, when fewer of its bytes are
   * here (a capture cut short): the pseudo-header's TCP length is this, as
   * the sender's was.
   */
  length?: number;
}

/** The sum of the pseudo-header and the segment, with steps when asked. */
function tcpSum(
  work: ChecksumWork,
  pseudo: ExplainedPseudoHeader,
  info: SegmentInfo,
  headerEnd: number,
  steps: boolean,
): number {
  const { base, segment } = info;
  const length = segment.length;
  const checksumAt = TCP_HEADER_FIELDS.checksum.byteOffset;
  if (!steps) {
    return quickSum(segment, 0, length, checksumAt, pseudoHeaderSum(pseudo));
  }
  const describe = (i: number) =>
    i < TCP_MIN_HEADER_LENGTH
      ? TCP_WORDS[i / 2]!
      : i < headerEnd
      ? "options"
      : "data";
  const words: { word: number; from: string; byteOffset?: number }[] =
    pseudoHeaderWordNames(pseudo).map((from, i) => ({
      word: read16(pseudo.bytes, 2 * i),
      from: `pseudo-header bytes ${2 * i}-${2 * i + 1}: ${from}`,
    }));
  words.push(
    ...coveredWords(segment, 0, length, checksumAt, { describe }, "TCP"),
  );
  for (const word of words) {
    if (word.byteOffset !== undefined) word.byteOffset += base;
  }
  const run = runSteps(words);
  work.steps = run.steps;
  return run.sum;
}

/**
 * The TCP checksum of a segment, worked out over its pseudo-header when
 * the addresses are known; an anomaly when it is wrong, with a note when
 * the wrong value looks like checksum offload.
 *
 * @param b The explanation.
 * @param info The segment and its addresses.
 * @param stored The checksum in the header.
 * @param headerEnd Where the header ends in the segment.
 * @param steps Whether to record every word.
 * @returns The work.
 */
export function tcpChecksumWork(
  b: Builder,
  info: SegmentInfo,
  stored: number,
  headerEnd: number,
  steps: boolean,
): ChecksumWork {
  const { base, segment } = info;
  const length = segment.length;
  const checksumAt = base + TCP_HEADER_FIELDS.checksum.byteOffset;
  const work: ChecksumWork = {
    kind: "tcp",
    name: "TCP checksum",
    byteOffset: checksumAt,
    stored,
    status: "unchecked",
    verdict: "",
    covered: { byteOffset: base, length },
  };
  if (info.src !== undefined && info.dst !== undefined) {
    const texts: { src: string; dst: string; note?: string } = {
      src: info.src,
      dst: info.dst,
    };
    if (info.dstNote !== undefined) texts.note = info.dstNote;
    work.pseudoHeader = pseudoHeader(
      addressBytes(info.src),
      addressBytes(info.dst),
      info.length ?? length,
      texts,
    );
  }
  if (info.uncheckable !== undefined) {
    work.verdict = `not checked: ${info.uncheckable}`;
    return work;
  }
  const pseudo = work.pseudoHeader;
  if (pseudo === undefined) {
    work.verdict =
      "not checked: the pseudo-header needs the source and destination addresses";
    return work;
  }
  finishWork(work, tcpSum(work, pseudo, info, headerEnd, steps));
  if (work.status === "wrong") {
    const offload = pseudoHeaderSum(pseudo) === work.stored;
    if (offload) {
      work.note =
        "the stored value is the pseudo-header sum alone, as a sender with checksum offload leaves it for the network card to finish: a capture on the sending host shows this, while the wire carries the right value";
    }
    b.anomaly(
      "tcp-checksum",
      `TCP checksum ${hex16(work.stored)} is wrong: it should be ${
        hex16(work.computed!)
      }; the receiver drops the segment${
        offload
          ? " (unless this is checksum offload on the capturing host)"
          : ""
      }`,
      checksumAt,
      "checksum",
    );
  }
  return work;
}
