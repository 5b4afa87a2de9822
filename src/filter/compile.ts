/**
 * The compiler from typed filters to classic BPF, the language the kernel
 * runs on a socket (`SO_ATTACH_FILTER`) so that packets a program does not
 * want never reach it.
 *
 * The program reads an IP datagram from its first byte. It checks the IP
 * version, then, for each family the filter allows, a sequence of blocks
 * that must all hold; a block is a list of alternatives, one of which must
 * hold; an alternative is a few loads and comparisons that must all hold.
 * Conditional jumps only ever skip within an alternative (a few
 * instructions), and every longer jump is a `ja`, whose offset is 32 bits,
 * so a filter with many addresses still compiles. The layout follows what
 * libpcap generates for the same expressions (`tcpdump -d`): the version
 * from the high nibble of byte 0, the IPv4 protocol at byte 9 and the IPv6
 * next header at byte 6, no ports in IPv4 fragments after the first, the
 * IPv4 header length from `4*([0]&0xf)`.
 *
 * @module
 */

import { parseAddress } from "../wire/address.ts";
import {
  BPF,
  BPF_ACCEPT,
  BPF_MAX_INSTRUCTIONS,
  type BpfInstruction,
  type FilterProtocol,
  type PacketFilter,
  type PortMatch,
} from "./types.ts";

/** One load and the comparison that must hold after it. */
interface Check {
  load: BpfInstruction[];
  /** `JEQ`, `JGT`, `JGE` or `JSET` with its constant. */
  op: number;
  k: number;
  /** The check holds when the comparison is false. */
  negate?: boolean;
}

/** A list of checks that must all hold. */
type Alternative = Check[];
/** Alternatives of which one must hold. */
type Block = Alternative[];

/** An instruction, or a `ja` to a label, or a label. */
type Piece =
  | { insn: BpfInstruction }
  | { ja: string }
  | { label: string };

const PROTOCOL_NUMBERS: Readonly<
  Record<4 | 6, Readonly<Record<FilterProtocol, number>>>
> = Object.freeze({
  4: Object.freeze({ tcp: 6, icmp: 1 }),
  6: Object.freeze({ tcp: 6, icmp: 58 }),
});

function insn(code: number, k = 0, jt = 0, jf = 0): BpfInstruction {
  return { code, jt, jf, k: k >>> 0 };
}

function fail(reason: string): never {
  throw new RangeError(`Cannot compile packet filter: ${reason}`);
}

/** An address or CIDR block as a network and prefix length of one family. */
interface Network {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
}

function parseNetwork(text: string): Network {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  let parsed;
  try {
    parsed = parseAddress(address);
  } catch {
    return fail(`${JSON.stringify(text)} is not an address or CIDR block`);
  }
  const bits = parsed.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    prefix = /^[0-9]{1,3}$/.test(digits) ? Number(digits) : NaN;
    if (!(prefix <= bits)) {
      fail(
        `${
          JSON.stringify(text)
        }: the prefix length must be 0..${bits} for IPv${parsed.family}`,
      );
    }
  }
  return { family: parsed.family, bytes: parsed.bytes, prefix };
}

function word(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) |
    (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Checks that the 32-bit words at `offset` hold the network. */
function networkChecks(network: Network, offset: number): Alternative {
  const checks: Check[] = [];
  for (let w = 0; w * 32 < network.prefix; w++) {
    const bits = Math.min(32, network.prefix - w * 32);
    const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    const load = [insn(BPF.LD | BPF.W | BPF.ABS, offset + 4 * w)];
    if (mask !== 0xffffffff) load.push(insn(BPF.ALU | BPF.AND | BPF.K, mask));
    checks.push({
      load,
      op: BPF.JEQ,
      k: (word(network.bytes, 4 * w) & mask) >>> 0,
    });
  }
  return checks;
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    fail(`${what} ${port} is not a port (0..65535)`);
  }
}

/** Checks that the 16-bit port loaded by `load` is `match`. */
function portChecks(match: PortMatch, load: BpfInstruction): Alternative {
  if (typeof match === "number") {
    checkPort(match, "port");
    return [{ load: [load], op: BPF.JEQ, k: match }];
  }
  const [from, to] = match;
  checkPort(from, "port range start");
  checkPort(to, "port range end");
  if (from > to) fail(`port range ${from}-${to} ends before it starts`);
  return [
    { load: [load], op: BPF.JGE, k: from },
    { load: [load], op: BPF.JGT, k: to, negate: true },
  ];
}

function checkMask(mask: number, what: string): void {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0x1ff) {
    fail(`${what} ${mask} is not a mask of the 9 TCP flags (0..0x1ff)`);
  }
}

/** The blocks of one family's section, after the version check. */
function familyBlocks(filter: PacketFilter, family: 4 | 6): Block[] | null {
  const protocols = filter.protocols ?? ["tcp"];
  const tcpTerms = filter.port !== undefined ||
    filter.srcPort !== undefined || filter.dstPort !== undefined ||
    filter.flags !== undefined;
  const blocks: Block[] = [];
  const numbers = PROTOCOL_NUMBERS[family];
  const protocolAt = family === 4 ? 9 : 6;
  blocks.push(protocols.map((protocol) => [{
    load: [insn(BPF.LD | BPF.B | BPF.ABS, protocolAt)],
    op: BPF.JEQ,
    k: numbers[protocol],
  }]));
  const addressBlock = (lists: readonly (readonly [string[], number])[]) => {
    const alternatives: Block = [];
    for (const [texts, offset] of lists) {
      for (const text of texts) {
        const network = parseNetwork(text);
        if (network.family === family) {
          alternatives.push(networkChecks(network, offset));
        }
      }
    }
    return alternatives;
  };
  const [srcAt, dstAt] = family === 4 ? [12, 16] : [8, 24];
  for (
    const lists of [
      filter.host && [[filter.host, srcAt], [filter.host, dstAt]],
      filter.src && [[filter.src, srcAt]],
      filter.dst && [[filter.dst, dstAt]],
    ] as ([string[], number][] | undefined)[]
  ) {
    if (lists === undefined) continue;
    const block = addressBlock(lists);
    if (block.length === 0) return null; // no address of this family
    blocks.push(block);
  }
  if (!tcpTerms) return blocks;
  if (family === 4) {
    // Ports exist in the first fragment only; X = the IPv4 header length.
    blocks.push([[{
      load: [insn(BPF.LD | BPF.H | BPF.ABS, 6)],
      op: BPF.JSET,
      k: 0x1fff,
      negate: true,
    }]]);
  }
  const l4 = (at: number, size: number) =>
    family === 4
      ? insn(BPF.LD | size | BPF.IND, at)
      : insn(BPF.LD | size | BPF.ABS, 40 + at);
  const ports = (matches: readonly PortMatch[] | undefined, ats: number[]) => {
    if (matches === undefined) return;
    blocks.push(
      ats.flatMap((at) =>
        matches.map((match) => portChecks(match, l4(at, BPF.H)))
      ),
    );
  };
  ports(filter.port, [0, 2]);
  ports(filter.srcPort, [0]);
  ports(filter.dstPort, [2]);
  const flags = filter.flags;
  if (flags !== undefined) {
    const load = (mask: number) => [
      l4(12, BPF.H),
      insn(BPF.ALU | BPF.AND | BPF.K, mask),
    ];
    if (flags.set !== undefined) {
      checkMask(flags.set, "flags.set");
      blocks.push([[{ load: load(flags.set), op: BPF.JEQ, k: flags.set }]]);
    }
    if (flags.clear !== undefined) {
      checkMask(flags.clear, "flags.clear");
      blocks.push([[{
        load: [l4(12, BPF.H)],
        op: BPF.JSET,
        k: flags.clear,
        negate: true,
      }]]);
    }
    if (flags.equals !== undefined) {
      checkMask(flags.equals, "flags.equals");
      blocks.push([[{ load: load(0x1ff), op: BPF.JEQ, k: flags.equals }]]);
    }
  }
  return blocks;
}

/** A list member of a filter: absent, or a non-empty array. */
function checkList(value: unknown, name: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) fail(`${name} is not a list`);
  if (value.length === 0) fail(`the ${name} list is empty`);
}

function checkPortMatch(match: unknown): void {
  if (typeof match === "number") return checkPort(match, "port");
  if (!Array.isArray(match) || match.length !== 2) {
    fail(`${JSON.stringify(match)} is not a port or a [from, to] range`);
  }
  const [from, to] = match as [number, number];
  checkPort(from, "port range start");
  checkPort(to, "port range end");
  if (from > to) fail(`port range ${from}-${to} ends before it starts`);
}

/**
 * Check a filter's shape and values, as a caller without types could get
 * them wrong, so that what compiles is exactly what was meant.
 */
function checkFilter(filter: PacketFilter): void {
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    fail(`${JSON.stringify(filter)} is not a filter object`);
  }
  checkList(filter.protocols, "protocol");
  const protocols = filter.protocols ?? ["tcp"];
  for (const protocol of protocols) {
    if (protocol !== "tcp" && protocol !== "icmp") {
      fail(`protocol ${JSON.stringify(protocol)} is not tcp or icmp`);
    }
  }
  const tcpTerms = filter.port !== undefined ||
    filter.srcPort !== undefined || filter.dstPort !== undefined ||
    filter.flags !== undefined;
  if (tcpTerms && protocols.some((p) => p !== "tcp")) {
    fail("ports and flags are TCP's: give ICMP in a filter of its own");
  }
  if (
    filter.family !== undefined && filter.family !== 4 && filter.family !== 6
  ) {
    fail(`family ${JSON.stringify(filter.family)} is not 4 or 6`);
  }
  for (const name of ["host", "src", "dst"] as const) {
    const list = filter[name];
    checkList(list, name === "host" ? "address" : `${name} address`);
    for (const text of list ?? []) {
      if (typeof text !== "string") {
        fail(`${JSON.stringify(text)} is not an address or CIDR block`);
      }
      parseNetwork(text);
    }
  }
  for (const name of ["port", "srcPort", "dstPort"] as const) {
    checkList(filter[name], "port");
    for (const match of filter[name] ?? []) checkPortMatch(match);
  }
  const flags = filter.flags;
  if (flags !== undefined) {
    if (typeof flags !== "object" || flags === null) {
      fail(`flags ${JSON.stringify(flags)} is not an object of masks`);
    }
    for (const key of ["set", "clear", "equals"] as const) {
      if (flags[key] !== undefined) checkMask(flags[key], `flags.${key}`);
    }
  }
}

/** The pieces of one alternative; `next` is its successor's label. */
function alternativePieces(
  alternative: Alternative,
  success: string,
): Piece[] {
  // Each failing comparison skips to just past this alternative's `ja`.
  const sizes = alternative.map((check) => check.load.length + 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  const pieces: Piece[] = [];
  let done = 0;
  alternative.forEach((check, i) => {
    for (const load of check.load) pieces.push({ insn: load });
    done += sizes[i]!;
    const skip = total - done + 1; // the rest of the checks and the `ja`
    if (skip > 255) fail("an alternative is too long");
    const code = BPF.JMP | check.op | BPF.K;
    pieces.push({
      insn: check.negate
        ? insn(code, check.k, skip, 0)
        : insn(code, check.k, 0, skip),
    });
  });
  pieces.push({ ja: success });
  return pieces;
}

function blockPieces(all: Block[], prefix: string): Piece[] {
  const pieces: Piece[] = [];
  // A block with an alternative that checks nothing (`0.0.0.0/0`) always
  // holds: it is left out, so it loads nothing (as libpcap's optimizer
  // leaves it out, which matters for a packet cut short).
  const blocks = all.filter((block) => !block.some((a) => a.length === 0));
  blocks.forEach((block, b) => {
    const next = `${prefix}.${b + 1}`;
    for (const alternative of block) {
      pieces.push(...alternativePieces(alternative, next));
    }
    pieces.push({ ja: "reject" }, { label: next });
  });
  pieces.push({ insn: insn(BPF.RET | BPF.K, BPF_ACCEPT) });
  return pieces;
}

/** Resolve labels: `ja` offsets count from the next instruction. */
function assemble(pieces: Piece[]): BpfInstruction[] {
  const labels = new Map<string, number>();
  let count = 0;
  for (const piece of pieces) {
    if ("label" in piece) labels.set(piece.label, count);
    else count++;
  }
  const program: BpfInstruction[] = [];
  for (const piece of pieces) {
    if ("insn" in piece) program.push(piece.insn);
    else if ("ja" in piece) {
      const target = labels.get(piece.ja)!;
      program.push(insn(BPF.JMP | BPF.JA, target - program.length - 1));
    }
  }
  return program;
}

/**
 * Compile typed filters into a classic BPF program that accepts an IP
 * datagram when any one of the filters takes it.
 *
 * @param filters One filter, or several of which any one must hold.
 * @returns The program: accepted packets return {@linkcode BPF_ACCEPT}, the
 *   others 0.
 * @throws {RangeError} For an address, port or mask that is not one, a
 *   port or flag test with ICMP, or a program over 4096 instructions.
 *
 * @example SYN-ACKs from one port of a network
 * ```ts
 * import { BPF_ACCEPT, compilePacketFilter, runBpf } from "../../mod.ts";
 * import { encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const program = compilePacketFilter({
 *   src: ["192.0.2.0/24"], srcPort: [80], flags: { set: 0x12 },
 * });
 * const synAck = encodePacket(makeTcpPacket({
 *   src: "192.0.2.7", dst: "198.51.100.1", srcPort: 80, flags: 0x12,
 * }));
 * const rst = encodePacket(makeTcpPacket({
 *   src: "192.0.2.7", dst: "198.51.100.1", srcPort: 80, flags: 0x04,
 * }));
 * assert.equal(runBpf(program, synAck), BPF_ACCEPT);
 * assert.equal(runBpf(program, rst), 0);
 * ```
 */
export function compilePacketFilter(
  filters: PacketFilter | readonly PacketFilter[],
): BpfInstruction[] {
  const list: readonly PacketFilter[] = Array.isArray(filters)
    ? filters
    : [filters as PacketFilter];
  if (list.length === 0) fail("no filter given");
  const pieces: Piece[] = [];
  const sections: Piece[] = [];
  for (const family of [4, 6] as const) {
    const alternatives: Piece[] = [];
    list.forEach((filter, f) => {
      checkFilter(filter);
      if (filter.family !== undefined && filter.family !== family) return;
      const blocks = familyBlocks(filter, family);
      if (blocks === null) return;
      const prefix = `v${family}.f${f}`;
      // A filter that fails jumps to the next filter of this family.
      const body = blockPieces(blocks, prefix).map((piece) =>
        "ja" in piece && piece.ja === "reject"
          ? { ja: `${prefix}.fail` }
          : piece
      );
      alternatives.push(...body, { label: `${prefix}.fail` });
    });
    if (alternatives.length === 0) continue;
    if (family === 4) pieces.push({ insn: insn(BPF.LDX | BPF.B | BPF.MSH, 0) });
    sections.push({ label: `v${family}` }, ...alternatives, { ja: "reject" });
    pieces.push(
      { insn: insn(BPF.LD | BPF.B | BPF.ABS, 0) },
      { insn: insn(BPF.ALU | BPF.AND | BPF.K, 0xf0) },
      { insn: insn(BPF.JMP | BPF.JEQ | BPF.K, family << 4, 0, 1) },
      { ja: `v${family}` },
    );
  }
  pieces.push({ ja: "reject" }, ...sections, { label: "reject" }, {
    insn: insn(BPF.RET | BPF.K, 0),
  });
  const program = assemble(pieces);
  if (program.length > BPF_MAX_INSTRUCTIONS) {
    fail(
      `the program has ${program.length} instructions, more than the kernel's ${BPF_MAX_INSTRUCTIONS}`,
    );
  }
  return program;
}
