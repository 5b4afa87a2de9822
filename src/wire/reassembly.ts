/**
 * IP reassembly as a receiver does it, with RFC 815's hole descriptors:
 * fragments of one datagram (IPv4: the same source, destination, protocol
 * and identification; IPv6: source, destination and the fragment header's
 * identification) fill the holes of a buffer, and the datagram is complete
 * when no hole is left and the last fragment (MF clear) has come.
 *
 * Overlapping fragments are where receivers disagree. Snort's and
 * Suricata's target-based reassembly names the two simple policies: `first`
 * (the data that came first is kept) and `last` (the data that came last
 * wins). Linux keeps the first copy of a range lying within a fragment it
 * already holds, and drops a datagram whose fragments overlap in part
 * (RFC 5722 asks that of IPv6). A reassembled
 * datagram is given under both, with the byte ranges that overlapped and
 * whether their data differed, so a reader sees what each kind of target
 * (and each IDS) would have made of it.
 *
 * @module
 */

import { read16, read32, write16 } from "./bytes.ts";
import { internetChecksum } from "./checksum.ts";
import { decodeIp } from "./packet_decode.ts";
import { IPV6_FRAGMENT_HEADER } from "./ipv6_extensions.ts";

/** A range of the datagram's data that two fragments both carried. */
export interface OverlappedRange {
  /** First byte, counted in the reassembled data (after the header). */
  start: number;
  /** One past the last byte. */
  end: number;
  /** Whether the later fragment's bytes differed from the earlier one's. */
  differs: boolean;
}

/** A datagram put back together, with what its fragments did. */
export interface ReassembledDatagram<T = number> {
  /** The datagram as a `first` policy target reassembles it. */
  first: Uint8Array;
  /** The datagram as a `last` policy target reassembles it (the same bytes when no overlap differed). */
  last: Uint8Array;
  /** The tags of the fragments, in the order they came. */
  tags: T[];
  /** Ranges carried twice, in the order they came. */
  overlaps: OverlappedRange[];
}

/** Options for {@linkcode FragmentReassembler}. */
export interface FragmentReassemblerOptions {
  /** The most datagrams kept waiting for fragments; the oldest is dropped past it (default 1024). */
  maxPending?: number;
}

/** The fragment facts of a datagram, or undefined when it is not a fragment. */
interface FragmentFacts {
  key: string;
  /** The header bytes to keep (the unfragmentable part), from the offset-0 fragment. */
  header: Uint8Array;
  /** Where in `header` the byte naming the upper protocol is (IPv6: the fragment header's predecessor). */
  data: Uint8Array;
  offset: number;
  more: boolean;
  version: 4 | 6;
  /** IPv6: the fragment header's Next Header (the upper protocol). */
  inner?: number;
  /** IPv6: where in `header` the Next Header pointing at the fragment header is. */
  nextHeaderAt?: number;
}

interface Hole {
  first: number;
  last: number;
}

interface Pending<T> {
  holes: Hole[];
  first: Uint8Array;
  last: Uint8Array;
  filled: Uint8Array;
  length: number;
  header?: FragmentFacts;
  tags: T[];
  overlaps: OverlappedRange[];
}

const MAX_DATA = 0xffff + 0x10000;

function facts(bytes: Uint8Array): FragmentFacts | undefined {
  let decoded;
  try {
    decoded = decodeIp(bytes, { lenient: true });
  } catch {
    return undefined;
  }
  const { ip } = decoded;
  if (ip.version === 4) {
    if (!decoded.fragment) return undefined;
    return {
      key: `4 ${ip.src} ${ip.dst} ${ip.protocol} ${ip.id}`,
      header: bytes.slice(0, decoded.payloadOffset),
      data: decoded.payload,
      offset: ip.fragmentOffset * 8,
      more: ip.moreFragments,
      version: 4,
    };
  }
  if (decoded.protocol !== IPV6_FRAGMENT_HEADER || decoded.payload.length < 8) {
    return undefined;
  }
  const at = decoded.payloadOffset;
  const word = read16(bytes, at + 2);
  const last = decoded.extensionHeaders?.at(-1);
  return {
    key: `6 ${ip.src} ${ip.dst} ${read32(bytes, at + 4)}`,
    header: bytes.slice(0, at),
    data: decoded.payload.subarray(8),
    offset: (word >> 3) * 8,
    more: (word & 1) === 1,
    version: 6,
    inner: bytes[at]!,
    nextHeaderAt: last === undefined ? 6 : last.offset,
  };
}

/** Fill RFC 815's holes with a fragment covering [first, last]. */
function fillHoles(
  holes: Hole[],
  first: number,
  last: number,
  more: boolean,
): Hole[] {
  const next: Hole[] = [];
  for (const hole of holes) {
    if (first > hole.last || last < hole.first) {
      next.push(hole);
      continue;
    }
    if (first > hole.first) next.push({ first: hole.first, last: first - 1 });
    if (last < hole.last && more) {
      next.push({ first: last + 1, last: hole.last });
    }
  }
  return next;
}

/** The datagram from its header and data. */
function assemble(header: FragmentFacts, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.header.length + data.length);
  out.set(header.header);
  out.set(data, header.header.length);
  if (header.version === 4) {
    const ihl = header.header.length;
    write16(out, 2, out.length);
    // Keep the reserved bit and DF; clear MF and the offset.
    write16(out, 6, read16(out, 6) & 0xc000);
    write16(out, 10, 0);
    write16(out, 10, internetChecksum(out.subarray(0, ihl)));
  } else {
    write16(out, 4, out.length - 40);
    out[header.nextHeaderAt!] = header.inner!;
  }
  return out;
}

/**
 * Puts fragments back into datagrams, as they come; see the module
 * documentation. Tag each fragment (with its packet number, say) to learn
 * which ones made a datagram.
 *
 * @example Fragments with decoys that overlap them with different data
 * ```ts
 * import { FragmentReassembler, fragment, makeTcpPacket, encodePacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = makeTcpPacket({
 *   src: "192.0.2.42", dst: "192.0.2.1", payload: new Uint8Array(12),
 * });
 * const reassembler = new FragmentReassembler();
 * const pieces = fragment(packet, { size: 8, overlap: "first" });
 * const results = pieces.map((bytes, i) => reassembler.add(bytes, i + 1));
 * const done = results.at(-1)!;
 * assert.deepEqual(done.first, encodePacket(packet));
 * assert.notDeepEqual(done.last, done.first);
 * assert.deepEqual(done.overlaps, [
 *   { start: 8, end: 16, differs: true },
 *   { start: 16, end: 24, differs: true },
 * ]);
 * ```
 */
export class FragmentReassembler<T = number> {
  readonly #pending = new Map<string, Pending<T>>();
  readonly #maxPending: number;

  /**
   * Create a reassembler with no datagram waiting.
   *
   * @param options How many datagrams may wait at once.
   */
  constructor(options: FragmentReassemblerOptions = {}) {
    this.#maxPending = options.maxPending ?? 1024;
  }

  /** How many datagrams are waiting for fragments. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Take a datagram: a fragment fills its datagram's holes, and the
   * datagram is returned once complete; anything else is ignored.
   *
   * @param bytes The datagram (a fragment or not).
   * @param tag What to call it in the result.
   * @returns The reassembled datagram, when this fragment completed one.
   */
  add(bytes: Uint8Array, tag: T): ReassembledDatagram<T> | undefined {
    const fragment = facts(bytes);
    if (fragment === undefined) return undefined;
    let state = this.#pending.get(fragment.key);
    if (state === undefined) {
      if (this.#pending.size >= this.#maxPending) {
        this.#pending.delete(this.#pending.keys().next().value!);
      }
      state = {
        holes: [{ first: 0, last: Infinity }],
        first: new Uint8Array(0),
        last: new Uint8Array(0),
        filled: new Uint8Array(0),
        length: 0,
        tags: [],
        overlaps: [],
      };
      this.#pending.set(fragment.key, state);
    }
    this.#fill(state, fragment, tag);
    if (state.holes.length > 0 || state.header === undefined) return undefined;
    this.#pending.delete(fragment.key);
    const data = (buffer: Uint8Array) => buffer.subarray(0, state.length);
    return {
      first: assemble(state.header, data(state.first)),
      last: assemble(state.header, data(state.last)),
      tags: state.tags,
      overlaps: state.overlaps,
    };
  }

  #fill(state: Pending<T>, fragment: FragmentFacts, tag: T): void {
    const { offset, data } = fragment;
    const end = offset + data.length;
    if (end > MAX_DATA) return;
    state.tags.push(tag);
    if (offset === 0) state.header = fragment;
    if (end > state.first.length) {
      for (const key of ["first", "last", "filled"] as const) {
        const grown = new Uint8Array(Math.max(end, 2 * state.first.length));
        grown.set(state[key]);
        state[key] = grown;
      }
    }
    if (!fragment.more) state.length = end;
    else state.length = Math.max(state.length, end);
    let overlap: OverlappedRange | undefined;
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      const byte = data[i]!;
      if (state.filled[at] === 1) {
        if (overlap === undefined || overlap.end !== at) {
          overlap = { start: at, end: at, differs: false };
          state.overlaps.push(overlap);
        }
        overlap.end = at + 1;
        if (state.first[at] !== byte) overlap.differs = true;
      } else {
        state.first[at] = byte;
        state.filled[at] = 1;
      }
      state.last[at] = byte;
    }
    if (data.length > 0) {
      state.holes = fillHoles(state.holes, offset, end - 1, fragment.more);
    } else if (!fragment.more) {
      state.holes = fillHoles(state.holes, offset, offset - 1, false);
    }
  }
}
