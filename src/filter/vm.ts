/**
 * A classic BPF interpreter with the kernel's semantics (`net/core/filter.c`
 * of Linux before eBPF, and BSD's `bpf_filter`): the accumulator `A`, the
 * index register `X` and 16 scratch words, loads that end the program with
 * 0 when they fall outside the packet, unsigned 32-bit arithmetic, forward
 * jumps only. It runs a program where no kernel does (a browser, a capture
 * file, a test) and checks a program as the kernel does before attaching it.
 *
 * @module
 */

import { BPF, BPF_MAX_INSTRUCTIONS, type BpfInstruction } from "./types.ts";

function invalid(at: number, reason: string): never {
  throw new RangeError(`Invalid BPF program: instruction ${at} ${reason}`);
}

const JUMPS = [BPF.JEQ, BPF.JGT, BPF.JGE, BPF.JSET];

const LOAD_SIZES: Readonly<Record<number, number>> = {
  [BPF.W]: 4,
  [BPF.H]: 2,
  [BPF.B]: 1,
};

/**
 * Check a program as the kernel does before it accepts one: 1 to 4096
 * instructions, known opcodes, jumps that land inside the program, scratch
 * indexes under 16, no division by a constant 0, and a `ret` last.
 *
 * @param program The instructions.
 * @throws {RangeError} Naming the first instruction that is wrong.
 *
 * @example
 * ```ts
 * import { BPF, validateBpf } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * validateBpf([{ code: BPF.RET | BPF.K, jt: 0, jf: 0, k: 0 }]);
 * assert.throws(() => validateBpf([{ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: 5 }]), /jumps past the end/);
 * ```
 */
export function validateBpf(program: readonly BpfInstruction[]): void {
  const n = program.length;
  if (n === 0 || n > BPF_MAX_INSTRUCTIONS) {
    throw new RangeError(
      `Invalid BPF program: ${n} instructions, expected 1..${BPF_MAX_INSTRUCTIONS}`,
    );
  }
  program.forEach((ins, at) => {
    const { code, jt, jf, k } = ins;
    if (
      !Number.isInteger(code) || code < 0 || code > 0xffff ||
      !Number.isInteger(jt) || jt < 0 || jt > 255 ||
      !Number.isInteger(jf) || jf < 0 || jf > 255 ||
      !Number.isInteger(k) || k < 0 || k > 0xffffffff
    ) {
      invalid(at, "has a field out of range");
    }
    const cls = code & 0x07;
    if (cls === BPF.JMP) {
      const op = code & 0xf0;
      if (op === BPF.JA) {
        if (at + 1 + k >= n) invalid(at, "jumps past the end");
      } else if (!(JUMPS as readonly number[]).includes(op)) {
        invalid(at, `has an unknown jump 0x${code.toString(16)}`);
      } else if (at + 1 + Math.max(jt, jf) >= n) {
        invalid(at, "jumps past the end");
      }
    } else if (cls === BPF.ALU) {
      const op = code & 0xf0;
      if (
        (op === BPF.DIV || op === BPF.MOD) && (code & BPF.X) === 0 && k === 0
      ) {
        invalid(at, "divides by 0");
      }
    } else if ((cls === 0x02 || cls === 0x03) && k >= 16) {
      invalid(at, "stores past the 16 scratch words");
    } else if (
      (cls === BPF.LD || cls === BPF.LDX) && (code & 0xe0) === BPF.MEM &&
      k >= 16
    ) {
      invalid(at, "loads past the 16 scratch words");
    }
  });
  if ((program[n - 1]!.code & 0x07) !== BPF.RET) {
    invalid(n - 1, "is not a ret: a program must end with one");
  }
}

function load(
  packet: Uint8Array,
  at: number,
  size: number,
): number | undefined {
  if (at < 0 || at + size > packet.length) return undefined;
  if (size === 1) return packet[at]!;
  if (size === 2) return (packet[at]! << 8) | packet[at + 1]!;
  return ((packet[at]! << 24) | (packet[at + 1]! << 16) |
    (packet[at + 2]! << 8) | packet[at + 3]!) >>> 0;
}

function alu(op: number, a: number, operand: number): number | undefined {
  switch (op) {
    case BPF.ADD:
      return (a + operand) >>> 0;
    case BPF.SUB:
      return (a - operand) >>> 0;
    case BPF.MUL:
      return Math.imul(a, operand) >>> 0;
    case BPF.DIV:
      return operand === 0 ? undefined : Math.floor(a / operand) >>> 0;
    case BPF.MOD:
      return operand === 0 ? undefined : (a % operand) >>> 0;
    case BPF.OR:
      return (a | operand) >>> 0;
    case BPF.AND:
      return (a & operand) >>> 0;
    case BPF.XOR:
      return (a ^ operand) >>> 0;
    case BPF.LSH:
      return operand >= 32 ? 0 : (a << operand) >>> 0;
    case BPF.RSH:
      return operand >= 32 ? 0 : a >>> operand;
    case BPF.NEG:
      return (-a) >>> 0;
  }
  return undefined;
}

/**
 * Run a classic BPF program on a packet, as a socket filter runs.
 *
 * @param program A program {@linkcode validateBpf} accepts.
 * @param packet The packet's bytes (for a socket filter on a raw IP socket
 *   or `AF_PACKET`/`SOCK_DGRAM`: the IP datagram).
 * @returns What the program returns: 0 drops the packet, anything else
 *   keeps that many bytes of it.
 * @throws {RangeError} When the program is not valid.
 *
 * @example tcpdump's `ip` (`tcpdump -d ip` on raw IP)
 * ```ts
 * import { BPF, runBpf } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ip = [
 *   { code: BPF.LD | BPF.B | BPF.ABS, jt: 0, jf: 0, k: 0 },
 *   { code: BPF.ALU | BPF.AND | BPF.K, jt: 0, jf: 0, k: 0xf0 },
 *   { code: BPF.JMP | BPF.JEQ | BPF.K, jt: 0, jf: 1, k: 0x40 },
 *   { code: BPF.RET | BPF.K, jt: 0, jf: 0, k: 262144 },
 *   { code: BPF.RET | BPF.K, jt: 0, jf: 0, k: 0 },
 * ];
 * assert.equal(runBpf(ip, new Uint8Array([0x45])), 262144);
 * assert.equal(runBpf(ip, new Uint8Array([0x60])), 0);
 * ```
 */
export function runBpf(
  program: readonly BpfInstruction[],
  packet: Uint8Array,
): number {
  validateBpf(program);
  let a = 0;
  let x = 0;
  const memory = new Uint32Array(16);
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc]!;
    const cls = code & 0x07;
    const mode = code & 0xe0;
    switch (cls) {
      case BPF.LD: {
        let value: number | undefined;
        if (mode === BPF.IMM) value = k;
        else if (mode === BPF.LEN) value = packet.length;
        else if (mode === BPF.MEM) value = memory[k]!;
        else {
          const size = LOAD_SIZES[code & 0x18];
          if (size === undefined) return 0;
          value = load(packet, mode === BPF.IND ? x + k : k, size);
        }
        if (value === undefined) return 0;
        a = value;
        break;
      }
      case BPF.LDX: {
        if (mode === BPF.IMM) x = k;
        else if (mode === BPF.LEN) x = packet.length;
        else if (mode === BPF.MEM) x = memory[k]!;
        else if (mode === BPF.MSH) {
          const byte = load(packet, k, 1);
          if (byte === undefined) return 0;
          x = (byte & 0xf) * 4;
        } else return 0;
        break;
      }
      case 0x02: // ST
        memory[k] = a;
        break;
      case 0x03: // STX
        memory[k] = x;
        break;
      case BPF.ALU: {
        const value = alu(code & 0xf0, a, (code & BPF.X) !== 0 ? x : k);
        if (value === undefined) return 0;
        a = value;
        break;
      }
      case BPF.JMP: {
        const op = code & 0xf0;
        if (op === BPF.JA) {
          pc += k;
          break;
        }
        const operand = (code & BPF.X) !== 0 ? x : k;
        const holds = op === BPF.JEQ
          ? a === operand
          : op === BPF.JGT
          ? a > operand
          : op === BPF.JGE
          ? a >= operand
          : (a & operand) !== 0;
        pc += holds ? jt : jf;
        break;
      }
      case BPF.RET:
        return ((code & 0x18) === BPF.A ? a : k) >>> 0;
      case BPF.MISC:
        if ((code & 0xf8) === BPF.TXA) a = x;
        else x = a;
        break;
    }
  }
  return 0;
}
