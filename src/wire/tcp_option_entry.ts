/**
 * The shape of one entry of the TCP option registry
 * (`TCP_OPTION_REGISTRY`): everything tcpcraft knows about one kind of
 * option, from its length on the wire to the words that explain it. The
 * encoder, the decoder, the command line, the tcpdump-like text, the
 * explainer and probe's reply words all read entries of this shape, and
 * none of them names an option kind.
 *
 * @module
 */

/**
 * The longest body an option can carry: its length byte counts the kind and
 * length bytes too, so 255 - 2.
 *
 * @example
 * ```ts
 * import { TCP_OPTION_MAX_BODY } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TCP_OPTION_MAX_BODY, 253);
 * ```
 */
export const TCP_OPTION_MAX_BODY = 253;

/**
 * How long an option of a kind is on the wire, kind and length bytes
 * included, and what a strict decoder accepts:
 * - `single`: one byte, the kind alone (end of list, no-operation);
 * - `exact`: a length byte that must equal `length`;
 * - `atLeast`: a length byte of at least `length`;
 * - `blocks`: `head` bytes and then whole blocks of `block` bytes, each a
 *   `unit` (`head + block × n`);
 * - `any`: any length byte from 2;
 * - `verbatim`: bytes written as they are, with no kind or length of their
 *   own (the `raw` option).
 */
export type TcpOptionLengthRule =
  | { readonly form: "single" }
  | { readonly form: "exact"; readonly length: number }
  | { readonly form: "atLeast"; readonly length: number }
  | {
    readonly form: "blocks";
    readonly head: number;
    readonly block: number;
    readonly unit: string;
  }
  | { readonly form: "any" }
  | { readonly form: "verbatim" };

/**
 * Why a length byte is wrong for a rule, as a strict decoder says it, or
 * undefined when the length is right. The length is at least 2 and within
 * the option area.
 *
 * @param rule The kind's rule.
 * @param length The length byte.
 * @returns `expected 4`, `expected at least 4`,
 * `expected 2 + 8n (n SACK blocks)`, or undefined.
 *
 * @example
 * ```ts
 * import { lengthProblem } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(lengthProblem({ form: "exact", length: 4 }, 5), "expected 4");
 * assert.equal(lengthProblem({ form: "exact", length: 4 }, 4), undefined);
 * ```
 */
export function lengthProblem(
  rule: TcpOptionLengthRule,
  length: number,
): string | undefined {
  switch (rule.form) {
    case "exact":
      return length === rule.length ? undefined : `expected ${rule.length}`;
    case "atLeast":
      return length >= rule.length
        ? undefined
        : `expected at least ${rule.length}`;
    case "blocks":
      return (length - rule.head) % rule.block === 0
        ? undefined
        : `expected ${rule.head} + ${rule.block}n (n ${rule.unit}s)`;
    default:
      return undefined;
  }
}

/**
 * The length a rule allows, in the words of an explanation, or undefined
 * when any length is allowed.
 *
 * @param rule The kind's rule.
 * @returns `always 4`, `at least 4`, `2 + 8 per block`, or undefined.
 *
 * @example
 * ```ts
 * import { expectedLength } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(expectedLength({ form: "blocks", head: 2, block: 8, unit: "SACK block" }), "2 + 8 per block");
 * ```
 */
export function expectedLength(rule: TcpOptionLengthRule): string | undefined {
  switch (rule.form) {
    case "exact":
      return `always ${rule.length}`;
    case "atLeast":
      return `at least ${rule.length}`;
    case "blocks":
      return `${rule.head} + ${rule.block} per block`;
    default:
      return undefined;
  }
}

/**
 * The tools an entry's {@linkcode TcpOptionSpelling.parse} uses to read
 * the value of a `-o NAME=VALUE` spec; the command line provides them, and
 * they throw its errors.
 */
export interface TcpOptionSpecParser {
  /** The text after `=`, or undefined when there is no `=`. */
  readonly value: string | undefined;
  /** The value, or an error saying the option needs one, in this form (`mss=N`). */
  need(form: string): string;
  /** Throw unless there is no value. */
  none(): void;
  /** Parse an integer in 0..max (decimal, 0x, 0b, 0o); `field` names it in errors. */
  integer(field: string, digits: string, max: number): number;
  /** Parse hex bytes; `field` names them in errors. */
  hex(field: string, digits: string): Uint8Array;
  /** Throw an error about this spec with this reason. */
  fail(reason: string): never;
  /** Quote user text for an error message. */
  quote(text: string): string;
}

/** How an option kind is written on the command line: `-o mss=1460`. */
export interface TcpOptionSpelling<O> {
  /** The name before `=`, lowercase: `mss`. */
  readonly name: string;
  /** Other names accepted for it, lowercase: `ws` for `wscale`. */
  readonly aliases?: readonly string[];
  /** The form for error messages: `mss=N`. */
  readonly form: string;
  /** The form for the help text, with an example value: `mss=1460`. */
  readonly example: string;
  /** Read the option from the value of the spec. */
  parse(spec: TcpOptionSpecParser): O;
}

/** What an option's value is, in an explanation. */
export interface TcpOptionWords {
  /** The value: a number, or text for byte strings and lists. */
  value: number | string;
  /** The value as it reads best in a diagram cell: `1460`, `val 1 ecr 0`. */
  display: string;
  /** What the option says, in plain words. */
  meaning: string;
}

/** How the explainer shows an option kind. */
export interface TcpOptionExplanation<O> {
  /**
   * The name and the short name of a kind number: `["MSS", "MSS"]`,
   * `["Window scale", "WS"]`.
   */
  label(type: number): readonly [name: string, abbreviation: string];
  /** Whether the option means something only in a SYN (mss, wscale, sackOk). */
  readonly synOnly?: boolean;
  /** The value, display and meaning of a decoded option. */
  words(option: O): TcpOptionWords;
}

/** The anomaly codes an option kind's checks report. */
export type TcpOptionAnomalyCode = "wscale-too-large";

/** Something wrong with a well-formed option's value. */
export interface TcpOptionAnomaly {
  /** What kind of anomaly. */
  code: TcpOptionAnomalyCode;
  /** One or two sentences, no trailing period. */
  message: string;
}

/**
 * What tcpdump's text of an option may depend on besides the option.
 */
export interface TcpdumpOptionContext {
  /**
   * The segment's TCP flags: tcpdump reads MPTCP's subtypes by SYN and ACK
   * (an MP_CAPABLE with one key only in a SYN). Unknown, every form is
   * read as if the flags fit.
   */
  flags?: number;
  /**
   * Whether the segment's data is cut short in the capture: tcpdump then
   * says it cannot check an MD5 signature because the snapshot length is
   * too short.
   */
  truncated?: boolean;
}

/**
 * Everything tcpcraft knows about one kind of TCP option. `O` is the
 * option's model, one member of the `TcpOption` union.
 */
export interface TcpOptionEntry<O extends { kind: string } = { kind: string }> {
  /** The model's discriminant: `"mss"`. */
  readonly name: O["kind"];
  /**
   * The kind numbers this entry decodes, by their names in
   * `TCP_OPTION_KINDS`: `{ mss: 2 }`. Empty for the entries that take what
   * no other entry does (`unknown`, `raw`).
   */
  readonly kinds: Readonly<Record<string, number>>;
  /** Its length on the wire, and what a strict decoder accepts. */
  readonly length: TcpOptionLengthRule;
  /**
   * Whether the option ends the option list (end of list): what follows it
   * is padding.
   */
  readonly endsList?: boolean;
  /**
   * Check the option's values before encoding.
   *
   * @throws {RangeError} `Cannot encode TCP option mss: value 70000 is not in 0..65535`.
   */
  check(option: O): void;
  /**
   * The length of the body after the kind and length bytes (of all the
   * bytes, for `verbatim`); needed unless the rule is `single` or `exact`.
   */
  bodyLength?(option: O): number;
  /** The kind number written; needed when `kinds` does not hold exactly one. */
  type?(option: O): number;
  /** Write the body (a view of exactly its bytes) of a checked option. */
  encode(option: O, body: Uint8Array): void;
  /** Read the body of an option of kind `type` whose length is right; byte arrays are copies. */
  decode(body: Uint8Array, type: number): O;
  /** How it is written on the command line, when it can be. */
  readonly spelling?: TcpOptionSpelling<O>;
  /** Other spellings of the same kind (`edo` for an experimental option). */
  readonly moreSpellings?: readonly TcpOptionSpelling<O>[];
  /**
   * How tcpdump writes it inside `options [...]`: `mss 1460`; `context`
   * says what else of the segment the text depends on.
   */
  tcpdump(option: O, context?: TcpdumpOptionContext): string;
  /** How the explainer shows it. */
  readonly explanation: TcpOptionExplanation<O>;
  /** Its word in probe's reply lines (`mss=1460`), or undefined to leave it out. */
  word(option: O): string | undefined;
  /** What is wrong with its value, with `at` the option's byte offset in the header. */
  anomalies?(option: O, at: number): TcpOptionAnomaly[];
}
