/**
 * BPF programs and typed filters as people and other tools read them: the
 * listing `tcpdump -d` prints, the bytes `SO_ATTACH_FILTER` takes, and the
 * pcap-filter expression with the same meaning.
 *
 * @module
 */

import { formatAddress, parseAddress } from "../wire/address.ts";
import {
  BPF,
  type BpfInstruction,
  type PacketFilter,
  type PortMatch,
} from "./types.ts";

const SIZE_SUFFIX: Readonly<Record<number, string>> = {
  [BPF.W]: "",
  [BPF.H]: "h",
  [BPF.B]: "b",
};

const ALU_NAMES: Readonly<Record<number, string>> = {
  [BPF.ADD]: "add",
  [BPF.SUB]: "sub",
  [BPF.MUL]: "mul",
  [BPF.DIV]: "div",
  [BPF.OR]: "or",
  [BPF.AND]: "and",
  [BPF.LSH]: "lsh",
  [BPF.RSH]: "rsh",
  [BPF.NEG]: "neg",
  [BPF.MOD]: "mod",
  [BPF.XOR]: "xor",
};

const JUMP_NAMES: Readonly<Record<number, string>> = {
  [BPF.JEQ]: "jeq",
  [BPF.JGT]: "jgt",
  [BPF.JGE]: "jge",
  [BPF.JSET]: "jset",
};

/** Mnemonic and operand of one instruction, as libpcap's `bpf_image`. */
function image(ins: BpfInstruction, pc: number): [string, string] {
  const { code, k } = ins;
  const hex = `#0x${k.toString(16)}`;
  const mode = code & 0xe0;
  switch (code & 0x07) {
    case BPF.LD: {
      const op = `ld${SIZE_SUFFIX[code & 0x18] ?? "?"}`;
      if (mode === BPF.IMM) return ["ld", `#0x${k.toString(16)}`];
      if (mode === BPF.LEN) return ["ld", "#pktlen"];
      if (mode === BPF.MEM) return ["ld", `M[${k}]`];
      if (mode === BPF.IND) return [op, `[x + ${k}]`];
      return [op, `[${k}]`];
    }
    case BPF.LDX:
      if (mode === BPF.MSH) return ["ldxb", `4*([${k}]&0xf)`];
      if (mode === BPF.MEM) return ["ldx", `M[${k}]`];
      if (mode === BPF.LEN) return ["ldx", "#pktlen"];
      return ["ldx", hex];
    case 0x02:
      return ["st", `M[${k}]`];
    case 0x03:
      return ["stx", `M[${k}]`];
    case BPF.ALU: {
      const name = ALU_NAMES[code & 0xf0] ?? "alu?";
      if ((code & 0xf0) === BPF.NEG) return ["neg", ""];
      return [name, (code & BPF.X) !== 0 ? "x" : hex];
    }
    case BPF.JMP: {
      if ((code & 0xf0) === BPF.JA) return ["ja", String(pc + 1 + k)];
      return [
        JUMP_NAMES[code & 0xf0] ?? "j?",
        (code & BPF.X) !== 0 ? "x" : hex,
      ];
    }
    case BPF.RET:
      return ["ret", (code & 0x18) === BPF.A ? "" : `#${k}`];
    default:
      return [(code & 0xf8) === BPF.TXA ? "txa" : "tax", ""];
  }
}

/**
 * A program listed as `tcpdump -d` lists one (libpcap's `bpf_image`):
 * `(002) jeq      #0x60            jt 3\tjf 9`, jump targets as
 * instruction numbers.
 *
 * @param program The instructions.
 * @returns One line per instruction, joined with "\n".
 *
 * @example
 * ```ts
 * import { compilePacketFilter, formatBpf } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const listing = formatBpf(compilePacketFilter({ family: 4 }));
 * assert.match(listing, /^\(000\) ldxb     4\*\(\[0\]&0xf\)/);
 * assert.match(listing, /ret      #0$/);
 * ```
 */
export function formatBpf(program: readonly BpfInstruction[]): string {
  return program.map((ins, pc) => {
    const [op, operand] = image(ins, pc);
    const n = `(${String(pc).padStart(3, "0")})`;
    const isCondition = (ins.code & 0x07) === BPF.JMP &&
      (ins.code & 0xf0) !== BPF.JA;
    if (isCondition) {
      return `${n} ${op.padEnd(8)} ${operand.padEnd(16)} jt ${
        pc + 1 + ins.jt
      }\tjf ${pc + 1 + ins.jf}`;
    }
    return `${n} ${op.padEnd(8)} ${operand}`.trimEnd();
  }).join("\n");
}

/**
 * A program as `struct sock_filter[]`, the bytes `SO_ATTACH_FILTER`'s
 * `struct sock_fprog` points at: per instruction a 16-bit code, two 8-bit
 * jumps and a 32-bit constant, in the host's byte order.
 *
 * @param program The instructions.
 * @param options `littleEndian`: the host's byte order (default true).
 * @returns 8 bytes per instruction.
 *
 * @example
 * ```ts
 * import { BPF, encodeBpf } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeBpf([{ code: BPF.RET | BPF.K, jt: 0, jf: 0, k: 0x40000 }]);
 * assert.deepEqual(bytes, new Uint8Array([6, 0, 0, 0, 0, 0, 4, 0]));
 * ```
 */
export function encodeBpf(
  program: readonly BpfInstruction[],
  options: { littleEndian?: boolean } = {},
): Uint8Array {
  const littleEndian = options.littleEndian ?? true;
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach((ins, i) => {
    view.setUint16(i * 8, ins.code, littleEndian);
    view.setUint8(i * 8 + 2, ins.jt);
    view.setUint8(i * 8 + 3, ins.jf);
    view.setUint32(i * 8 + 4, ins.k, littleEndian);
  });
  return bytes;
}

/** An address or CIDR block with its host bits cleared, as libpcap wants. */
function networkText(text: string): { net: string; full: boolean } {
  const slash = text.indexOf("/");
  const parsed = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const bits = parsed.bytes.length * 8;
  const prefix = slash < 0 ? bits : Number(text.slice(slash + 1));
  const bytes = parsed.bytes.slice();
  for (let bit = prefix; bit < bits; bit++) {
    bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  const address = formatAddress(bytes);
  return prefix === bits
    ? { net: `host ${address}`, full: true }
    : { net: `net ${address}/${prefix}`, full: false };
}

function any(terms: string[]): string {
  return terms.length === 1 ? terms[0]! : `(${terms.join(" or ")})`;
}

function portTerm(direction: string, match: PortMatch): string {
  return typeof match === "number"
    ? `tcp ${direction}port ${match}`
    : `tcp ${direction}portrange ${match[0]}-${match[1]}`;
}

/**
 * The pcap-filter expression (tcpdump's language) with the meaning of the
 * program {@linkcode compilePacketFilter} makes of the filters on an IP
 * datagram: for a user who wants to see the same packets in tcpdump or
 * Wireshark.
 *
 * @param filters One filter, or several of which any one must hold.
 * @returns The expression, or `"len < 0"` (which nothing matches) when no
 *   packet can match.
 *
 * @example
 * ```ts
 * import { tcpdumpFilterExpression } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   tcpdumpFilterExpression({ family: 4, src: ["192.0.2.0/24"], dstPort: [80] }),
 *   "(ip and ip[9] == 6 and src net 192.0.2.0/24 and tcp dst port 80)",
 * );
 * ```
 */
export function tcpdumpFilterExpression(
  filters: PacketFilter | readonly PacketFilter[],
): string {
  const list: readonly PacketFilter[] = Array.isArray(filters)
    ? filters
    : [filters as PacketFilter];
  const parts: string[] = [];
  for (const family of [4, 6] as const) {
    for (const filter of list) {
      if (filter.family !== undefined && filter.family !== family) continue;
      const terms = familyTerms(filter, family);
      if (terms !== null) parts.push(`(${terms.join(" and ")})`);
    }
  }
  return parts.length === 0 ? "len < 0" : parts.join(" or ");
}

function familyTerms(filter: PacketFilter, family: 4 | 6): string[] | null {
  const ip = family === 4 ? "ip" : "ip6";
  const terms = [ip];
  const numbers = family === 4 ? { tcp: 6, icmp: 1 } : { tcp: 6, icmp: 58 };
  const at = family === 4 ? 9 : 6;
  terms.push(
    any(
      (filter.protocols ?? ["tcp"]).map((p) => `${ip}[${at}] == ${numbers[p]}`),
    ),
  );
  const ofFamily = (texts: readonly string[]) =>
    texts.filter((t) => parseAddress(t.split("/")[0]!).family === family);
  for (
    const [texts, directions] of [
      [filter.host, ["src ", "dst "]],
      [filter.src, ["src "]],
      [filter.dst, ["dst "]],
    ] as [readonly string[] | undefined, string[]][]
  ) {
    if (texts === undefined) continue;
    const mine = ofFamily(texts);
    if (mine.length === 0) return null;
    terms.push(
      any(
        directions.flatMap((d) => mine.map((t) => `${d}${networkText(t).net}`)),
      ),
    );
  }
  for (
    const [matches, directions] of [
      [filter.port, ["src ", "dst "]],
      [filter.srcPort, ["src "]],
      [filter.dstPort, ["dst "]],
    ] as [readonly PortMatch[] | undefined, string[]][]
  ) {
    if (matches === undefined) continue;
    terms.push(
      any(directions.flatMap((d) => matches.map((m) => portTerm(d, m)))),
    );
  }
  const flags = filter.flags;
  if (flags !== undefined) {
    const word = family === 4 ? "tcp[12:2]" : "ip6[52:2]";
    const hex = (n: number) => `0x${n.toString(16)}`;
    if (family === 4) terms.push("ip[6:2] & 0x1fff == 0");
    if (flags.set !== undefined) {
      terms.push(`${word} & ${hex(flags.set)} == ${hex(flags.set)}`);
    }
    if (flags.clear !== undefined) {
      terms.push(`${word} & ${hex(flags.clear)} == 0`);
    }
    if (flags.equals !== undefined) {
      terms.push(`${word} & 0x1ff == ${hex(flags.equals)}`);
    }
  }
  return terms;
}
