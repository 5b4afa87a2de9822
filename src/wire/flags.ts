/**
 * TCP control flags in their two faces: names and the 9-bit mask.
 *
 * Bit values follow RFC 9293 §3.1 and RFC 9768 (AE, formerly NS, is the
 * low bit of byte 12).
 *
 * @module
 */

import { ParseError } from "./errors.ts";

/** The name of one TCP flag. */
export type TcpFlagName =
  | "fin"
  | "syn"
  | "rst"
  | "psh"
  | "ack"
  | "urg"
  | "ece"
  | "cwr"
  | "ae";

/**
 * The bit of each flag in the 9-bit mask (byte 12 bit 0 is AE = 0x100,
 * byte 13 holds CWR..FIN).
 *
 * @example
 * ```ts
 * import { TCP_FLAGS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_FLAGS.syn | TCP_FLAGS.ack, 0x12);
 * ```
 */
export const TCP_FLAGS: Readonly<Record<TcpFlagName, number>> = Object.freeze({
  fin: 0x001,
  syn: 0x002,
  rst: 0x004,
  psh: 0x008,
  ack: 0x010,
  urg: 0x020,
  ece: 0x040,
  cwr: 0x080,
  ae: 0x100,
});

/** Every flag name, lowest bit first. */
export const TCP_FLAG_NAMES: readonly TcpFlagName[] = Object.freeze([
  "fin",
  "syn",
  "rst",
  "psh",
  "ack",
  "urg",
  "ece",
  "cwr",
  "ae",
]);

/**
 * One-letter codes, lowest bit first: F S R P A U E C N (N for AE, formerly
 * NS), as hping3 and scapy print them.
 */
export const TCP_FLAG_LETTERS = "FSRPAUECN";

/** All nine flags set. */
export const TCP_FLAGS_ALL = 0x1ff;

/**
 * Named flag combinations accepted by {@linkcode parseFlags}.
 *
 * @example
 * ```ts
 * import { TCP_FLAG_PRESETS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_FLAG_PRESETS.xmas, 0b101001);
 * ```
 */
export const TCP_FLAG_PRESETS: Readonly<Record<string, number>> = Object.freeze(
  {
    xmas: 0x029,
    null: 0x000,
    none: 0x000,
    syn: 0x002,
    synack: 0x012,
    ack: 0x010,
    fin: 0x001,
    finack: 0x011,
    rst: 0x004,
    rstack: 0x014,
    psh: 0x008,
    pshack: 0x018,
    urg: 0x020,
    maimon: 0x011,
    full: 0x1ff,
    all: 0x1ff,
  },
);

const NUMBER_FORMS = /^(0x[0-9a-f]+|0b[01]+|0o[0-7]+|[0-9]+)$/i;
const LETTERS = /^[FSRPAUECN]+$/;

function lettersMask(letters: string): number {
  let mask = 0;
  for (const letter of letters) mask |= 1 << TCP_FLAG_LETTERS.indexOf(letter);
  return mask;
}

/**
 * Parse flags as people type them:
 * - numbers: `0x29`, `41`, `0b101001`, `0o51`;
 * - names joined by `,`, `+`, `|` or spaces: `syn,ack`, `FIN+PSH+URG`;
 * - letters FSRPAUECN: `SA`, `FPU` (N is AE), and `.` for none, so that
 *   every {@linkcode formatFlags} output parses back;
 * - presets: `xmas` (FIN+PSH+URG), `null`, `syn`, `synack`, `full` and the
 *   others in {@linkcode TCP_FLAG_PRESETS}.
 *
 * Capital letters without a repeated letter are read as letters before
 * names, so `AE` is ACK+ECE (as scapy reads it and as `formatFlags(0x50)`
 * writes it); write `ae` or `ns` for the AE flag alone. `ECE` repeats a
 * letter, so it is the name.
 *
 * @param text The flags.
 * @returns The 9-bit mask.
 * @throws {ParseError} For anything else, or a number over 0x1ff.
 *
 * @example
 * ```ts
 * import { parseFlags } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseFlags("xmas"), 0x29);
 * assert.equal(parseFlags("syn,ack"), 0x12);
 * assert.equal(parseFlags("SA"), 0x12);
 * assert.equal(parseFlags("0b101001"), 0x29);
 * assert.equal(parseFlags("AE"), 0x50);
 * assert.equal(parseFlags("ae"), 0x100);
 * ```
 */
export function parseFlags(text: string): number {
  const trimmed = text.trim();
  if (trimmed === "") {
    throw new ParseError(
      "flags",
      text,
      "empty; use names (syn,ack), letters (SA), a number (0x12) or a preset (xmas, null)",
    );
  }
  if (NUMBER_FORMS.test(trimmed)) {
    const lower = trimmed.toLowerCase();
    const value = lower.startsWith("0b")
      ? parseInt(lower.slice(2), 2)
      : lower.startsWith("0o")
      ? parseInt(lower.slice(2), 8)
      : Number(lower);
    if (value > TCP_FLAGS_ALL) {
      throw new ParseError(
        "flags",
        text,
        `${value} is more than 9 bits (maximum 0x1ff)`,
      );
    }
    return value;
  }
  const lower = trimmed.toLowerCase();
  const preset = TCP_FLAG_PRESETS[lower];
  if (preset !== undefined && Object.hasOwn(TCP_FLAG_PRESETS, lower)) {
    return preset;
  }
  if (trimmed === ".") return 0;
  if (LETTERS.test(trimmed) && new Set(trimmed).size === trimmed.length) {
    return lettersMask(trimmed);
  }
  const words = lower.split(/[\s,+|]+/).filter((w) => w !== "");
  const single = words[0] === "ns" ? "ae" : words[0];
  if (
    words.length > 1 ||
    (single !== undefined && Object.hasOwn(TCP_FLAGS, single))
  ) {
    let mask = 0;
    for (const word of words) {
      const name = word === "ns" ? "ae" : word;
      if (!Object.hasOwn(TCP_FLAGS, name)) {
        throw new ParseError(
          "flags",
          text,
          `unknown flag "${word}"; names are ${TCP_FLAG_NAMES.join(", ")}`,
        );
      }
      mask |= TCP_FLAGS[name as TcpFlagName];
    }
    return mask;
  }
  if (LETTERS.test(trimmed)) return lettersMask(trimmed);
  throw new ParseError(
    "flags",
    text,
    "use names (syn,ack), capital letters FSRPAUECN (SA), a number (0x12) or a preset (xmas, null, full)",
  );
}

/**
 * The names of the flags set in a mask, lowest bit first.
 *
 * @param mask The 9-bit mask.
 * @returns The names.
 *
 * @example
 * ```ts
 * import { flagNames } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(flagNames(0x29), ["fin", "psh", "urg"]);
 * ```
 */
export function flagNames(mask: number): TcpFlagName[] {
  return TCP_FLAG_NAMES.filter((name) => (mask & TCP_FLAGS[name]) !== 0);
}

/**
 * The mask of a list of flag names.
 *
 * @param names Flag names.
 * @returns The 9-bit mask.
 *
 * @example
 * ```ts
 * import { flagsFromNames } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(flagsFromNames(["syn", "ack"]), 0x12);
 * ```
 */
export function flagsFromNames(names: readonly TcpFlagName[]): number {
  let mask = 0;
  for (const name of names) mask |= TCP_FLAGS[name];
  return mask;
}

/** How {@linkcode formatFlags} writes a mask. */
export type FlagStyle = "letters" | "names";

/**
 * Write a mask as letters (`FPU`, `.` when none, the hping3/tcpdump habit)
 * or names (`fin,psh,urg`, `none` when none).
 *
 * @param mask The 9-bit mask.
 * @param style `"letters"` (default) or `"names"`.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { formatFlags } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatFlags(0x29), "FPU");
 * assert.equal(formatFlags(0x12, "names"), "syn,ack");
 * assert.equal(formatFlags(0), ".");
 * ```
 */
export function formatFlags(
  mask: number,
  style: FlagStyle = "letters",
): string {
  if (style === "names") {
    const names = flagNames(mask);
    return names.length === 0 ? "none" : names.join(",");
  }
  let text = "";
  for (let bit = 0; bit < 9; bit++) {
    if ((mask & (1 << bit)) !== 0) text += TCP_FLAG_LETTERS[bit];
  }
  return text === "" ? "." : text;
}
