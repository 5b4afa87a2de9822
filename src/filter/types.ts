/**
 * Typed packet filters and classic BPF programs: the model both the
 * compiler and the interpreter share.
 *
 * @module
 */

/**
 * A port, or an inclusive range of ports `[from, to]`.
 */
export type PortMatch = number | readonly [from: number, to: number];

/** Flag tests on the 9 TCP flags (`TCP_FLAGS` masks; AE is 0x100). */
export interface FlagMatch {
  /** Every one of these flags is set. */
  set?: number;
  /** None of these flags is set. */
  clear?: number;
  /** The flags are exactly these (all 9 bits compared). */
  equals?: number;
}

/** The protocols a filter can ask for: TCP, or ICMP (ICMPv6 over IPv6). */
export type FilterProtocol = "tcp" | "icmp";

/**
 * What a packet must be for a filter to take it: every member given must
 * hold (an AND), and within a list one entry is enough (an OR). Addresses
 * are IPv4 or IPv6 addresses or CIDR blocks (`192.0.2.0/24`,
 * `2001:db8::/32`); a list's entries of one family only match packets of
 * that family. The packets are IP datagrams, IP header first (as a raw
 * socket and `AF_PACKET`'s `SOCK_DGRAM` deliver them).
 *
 * Ports and flags are read only from TCP segments whose header follows the
 * IP header directly (IPv4: the first fragment; IPv6: next header 6 in the
 * fixed header), as tcpdump's `tcp port` reads them.
 */
export interface PacketFilter {
  /** Only IPv4 (4) or only IPv6 (6); default both. */
  family?: 4 | 6;
  /** The protocols taken; default `["tcp"]`. */
  protocols?: readonly FilterProtocol[];
  /** The source or the destination is one of these. */
  host?: readonly string[];
  /** The source is one of these. */
  src?: readonly string[];
  /** The destination is one of these. */
  dst?: readonly string[];
  /** The TCP source or destination port is one of these. */
  port?: readonly PortMatch[];
  /** The TCP source port is one of these. */
  srcPort?: readonly PortMatch[];
  /** The TCP destination port is one of these. */
  dstPort?: readonly PortMatch[];
  /** Tests on the TCP flags. */
  flags?: FlagMatch;
}

/**
 * One classic BPF instruction (`struct sock_filter`): an opcode, the two
 * jump offsets of a conditional jump (counted from the next instruction)
 * and a 32-bit constant.
 */
export interface BpfInstruction {
  /** The opcode (`BPF_LD | BPF_H | BPF_ABS` …). */
  code: number;
  /** Instructions skipped when the jump's condition holds, 0..255. */
  jt: number;
  /** Instructions skipped when it does not, 0..255. */
  jf: number;
  /** The constant, unsigned 32 bits. */
  k: number;
}

/**
 * Classic BPF opcode parts (`linux/bpf_common.h`), combined with `|`.
 *
 * @example
 * ```ts
 * import { BPF } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(BPF.LD | BPF.H | BPF.ABS, 0x28); // ldh [k]
 * ```
 */
export const BPF: Readonly<{
  LD: 0x00;
  LDX: 0x01;
  ALU: 0x04;
  JMP: 0x05;
  RET: 0x06;
  MISC: 0x07;
  W: 0x00;
  H: 0x08;
  B: 0x10;
  IMM: 0x00;
  ABS: 0x20;
  IND: 0x40;
  MEM: 0x60;
  LEN: 0x80;
  MSH: 0xa0;
  ADD: 0x00;
  SUB: 0x10;
  MUL: 0x20;
  DIV: 0x30;
  OR: 0x40;
  AND: 0x50;
  LSH: 0x60;
  RSH: 0x70;
  NEG: 0x80;
  MOD: 0x90;
  XOR: 0xa0;
  JA: 0x00;
  JEQ: 0x10;
  JGT: 0x20;
  JGE: 0x30;
  JSET: 0x40;
  K: 0x00;
  X: 0x08;
  A: 0x10;
  TAX: 0x00;
  TXA: 0x80;
}> = Object.freeze(
  {
    LD: 0x00,
    LDX: 0x01,
    ALU: 0x04,
    JMP: 0x05,
    RET: 0x06,
    MISC: 0x07,
    W: 0x00,
    H: 0x08,
    B: 0x10,
    IMM: 0x00,
    ABS: 0x20,
    IND: 0x40,
    MEM: 0x60,
    LEN: 0x80,
    MSH: 0xa0,
    ADD: 0x00,
    SUB: 0x10,
    MUL: 0x20,
    DIV: 0x30,
    OR: 0x40,
    AND: 0x50,
    LSH: 0x60,
    RSH: 0x70,
    NEG: 0x80,
    MOD: 0x90,
    XOR: 0xa0,
    JA: 0x00,
    JEQ: 0x10,
    JGT: 0x20,
    JGE: 0x30,
    JSET: 0x40,
    K: 0x00,
    X: 0x08,
    A: 0x10,
    TAX: 0x00,
    TXA: 0x80,
  } as const,
);

/** The most instructions a program may have (the kernel's `BPF_MAXINSNS`). */
export const BPF_MAX_INSTRUCTIONS = 4096;

/** What an accepting program returns: the bytes of the packet to keep. */
export const BPF_ACCEPT = 0x40000;
