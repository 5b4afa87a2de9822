/**
 * A small, strict, portable command-line parser driven by a declarative
 * option table.
 *
 * A table maps a key to an {@linkcode OptionSpec}. The key is the name the
 * parsed value is stored under; the long option is the key in kebab case
 * (`dataHex` is `--data-hex`) unless `long` says otherwise. Values are
 * checked as they are read: integers against their range, strings against
 * their `choices` or by their `parse` function. The type of the parsed
 * values follows from the table ({@linkcode OptionValues}).
 *
 * Accepted syntax: `--name value`, `--name=value`, `-p value`, `-p80`,
 * clusters of short booleans (`-46`), `--` to end the options. A value is
 * taken from the next argument whatever it looks like, so `--seq -1` reaches
 * the range check and `--data --x` sends `--x`. `-h` and `--help` are always
 * recognised. Everything wrong throws a {@linkcode UsageError} whose message
 * starts with the option: `--dport: "70000" is not a port (0..65535)`,
 * `unknown option --dprot (did you mean --dport?)`.
 *
 * Commands extend a table by spreading it:
 * `defineOptions({ ...PACKET_OPTIONS, count: { kind: "number", … } })`.
 *
 * @module
 */

import { isInputError, quote, reasonOf, UsageError } from "./errors.ts";
import { parseInteger } from "./numbers.ts";

/** What every option spec has. */
export interface OptionSpecBase {
  /** The long name without dashes, when not the key in kebab case. */
  long?: string;
  /** A one-character short name: `"p"` for `-p`. */
  short?: string;
  /** Other long names accepted for the same option. */
  aliases?: readonly string[];
  /** One line of help. */
  help: string;
  /** The value's placeholder in help: `N`, `ADDR` (default `VALUE`). */
  valueName?: string;
  /** Help section the option is listed under (default `"Options"`). */
  group?: string;
  /** Leave the option out of help. */
  hidden?: boolean;
}

/** A flag that is present or absent: `--df`. */
export interface BooleanOptionSpec extends OptionSpecBase {
  /** A flag. */
  kind: "boolean";
}

/** An integer in a range: `--dport 80`, `--seq 0xdeadbeef`. */
export interface NumberOptionSpec extends OptionSpecBase {
  /** An integer. */
  kind: "number";
  /** Smallest value (default 0). */
  min?: number;
  /** Largest value (default `Number.MAX_SAFE_INTEGER`). */
  max?: number;
  /** What the value is, for messages: `"a port"`. */
  noun?: string;
}

/** A value given once: `--format hex`, `--src 192.0.2.1`. */
export interface StringOptionSpec extends OptionSpecBase {
  /** A value given once. */
  kind: "string";
  /** The only values accepted. */
  choices?: readonly string[];
  /**
   * Check and convert the text; throw a `ValueError` (or `ParseError`,
   * `RangeError`) whose message is the reason.
   */
  parse?: (text: string) => unknown;
  /**
   * The value may be left out (`--rand-source`, `--rand-source 10.0.0.0/8`):
   * the next argument is taken as the value only when this says it is
   * one; without a value the option's text is the empty string.
   */
  optionalValue?: (next: string) => boolean;
}

/** A value that may be given many times, kept in order: `-o mss=1460 -o nop`. */
export interface RepeatableOptionSpec extends OptionSpecBase {
  /** A value given any number of times. */
  kind: "repeatable";
  /** Check and convert each value, as for {@linkcode StringOptionSpec}. */
  parse?: (text: string) => unknown;
}

/** One option. */
export type OptionSpec =
  | BooleanOptionSpec
  | NumberOptionSpec
  | StringOptionSpec
  | RepeatableOptionSpec;

/** A table of options, by the key their value is stored under. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The type of the value an option spec yields. */
export type OptionValue<S> = S extends { kind: "boolean" } ? boolean
  : S extends { kind: "number" } ? number
  : S extends { kind: "repeatable"; parse: (text: string) => infer R } ? R[]
  : S extends { kind: "repeatable" } ? string[]
  : S extends { parse: (text: string) => infer R } ? R
  : S extends { choices: readonly (infer C)[] } ? C
  : string;

/**
 * The parsed values of a table: each key is present when the option was
 * given (booleans as `true`, repeatables as the array of values).
 */
export type OptionValues<T extends OptionTable> = {
  -readonly [K in keyof T]?: OptionValue<T[K]>;
};

/** The result of {@linkcode parseArgs}. */
export interface ParsedArgs<T extends OptionTable> {
  /** The option values. */
  values: OptionValues<T>;
  /** Arguments that are not options, in order. */
  positionals: string[];
  /** Whether `-h` or `--help` was given. */
  help: boolean;
}

/**
 * The long name of an option: its `long`, or its key in kebab case.
 *
 * @param key The key in the table.
 * @param spec The spec.
 * @returns The long name without dashes.
 *
 * @example
 * ```ts
 * import { longName } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(longName("dataHex", { kind: "string", help: "" }), "data-hex");
 * ```
 */
export function longName(key: string, spec: OptionSpec): string {
  return spec.long ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Check a table and return it unchanged, typed exactly. Throws `Error` (a
 * programming mistake, not a usage error) when two options share a name, a
 * short name is not one character, or an option uses `help`/`h`.
 *
 * @param table The options.
 * @returns The same table.
 *
 * @example
 * ```ts
 * import { defineOptions, parseArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const table = defineOptions({
 *   dport: { kind: "number", short: "p", max: 65535, noun: "a port", help: "destination port" },
 *   df: { kind: "boolean", help: "set don't fragment" },
 * });
 * const { values, positionals } = parseArgs(["192.0.2.1", "-p80", "--df"], table);
 * assert.equal(values.dport, 80);
 * assert.equal(values.df, true);
 * assert.deepEqual(positionals, ["192.0.2.1"]);
 * ```
 */
export function defineOptions<const T extends OptionTable>(table: T): T {
  buildIndex(table);
  return table;
}

interface TableIndex {
  long: Map<string, string>;
  short: Map<string, string>;
}

const indexCache = new WeakMap<OptionTable, TableIndex>();

function buildIndex(table: OptionTable): TableIndex {
  const cached = indexCache.get(table);
  if (cached !== undefined) return cached;
  const index: TableIndex = { long: new Map(), short: new Map() };
  for (const [key, spec] of Object.entries(table)) {
    for (const name of [longName(key, spec), ...(spec.aliases ?? [])]) {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || name === "help") {
        throw new Error(`Cannot define option ${key}: bad long name "${name}"`);
      }
      if (index.long.has(name)) {
        throw new Error(`Cannot define option ${key}: --${name} is taken`);
      }
      index.long.set(name, key);
    }
    if (spec.short !== undefined) {
      if (spec.short.length !== 1 || spec.short === "h" || spec.short === "-") {
        throw new Error(`Cannot define option ${key}: bad short name`);
      }
      if (index.short.has(spec.short)) {
        throw new Error(`Cannot define option ${key}: -${spec.short} is taken`);
      }
      index.short.set(spec.short, key);
    }
  }
  indexCache.set(table, index);
  return index;
}

/**
 * Parse command-line arguments against an option table.
 *
 * @param args The arguments after the command name.
 * @param table The options.
 * @returns The values, the positional arguments and whether help was asked.
 * @throws {UsageError} For an unknown option, a missing or bad value, a
 *   value given to a boolean, or an option given twice.
 *
 * @example
 * ```ts
 * import { defineOptions, parseArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const table = defineOptions({
 *   seq: { kind: "number", max: 0xffffffff, help: "sequence number" },
 *   option: { kind: "repeatable", short: "o", help: "a TCP option" },
 *   format: { kind: "string", choices: ["text", "hex"], help: "output format" },
 * });
 * const parsed = parseArgs(["--seq=0x10", "-o", "nop", "-oeol", "--format", "hex"], table);
 * assert.equal(parsed.values.seq, 16);
 * assert.deepEqual(parsed.values.option, ["nop", "eol"]);
 * assert.equal(parsed.values.format, "hex");
 * assert.throws(() => parseArgs(["--sqe", "1"], table), {
 *   message: "unknown option --sqe (did you mean --seq?)",
 * });
 * assert.throws(() => parseArgs(["--seq", "-1"], table), {
 *   message: '--seq: "-1" is out of range (0..4294967295)',
 * });
 * ```
 */
export function parseArgs<T extends OptionTable>(
  args: readonly string[],
  table: T,
): ParsedArgs<T> {
  const parser = new ArgParser(args, table);
  parser.parse();
  return {
    values: parser.values as OptionValues<T>,
    positionals: parser.positionals,
    help: parser.help,
  };
}

/** One pass over the arguments of {@linkcode parseArgs}. */
class ArgParser {
  readonly values: Record<string, unknown> = {};
  readonly positionals: string[] = [];
  help = false;
  readonly #args: readonly string[];
  readonly #table: OptionTable;
  readonly #index: TableIndex;
  readonly #given = new Map<string, string>();
  #i = 0;

  constructor(args: readonly string[], table: OptionTable) {
    this.#args = args;
    this.#table = table;
    this.#index = buildIndex(table);
  }

  parse(): void {
    const args = this.#args;
    for (; this.#i < args.length; this.#i++) {
      const arg = args[this.#i]!;
      if (arg === "--") {
        this.positionals.push(...args.slice(this.#i + 1));
        break;
      }
      if (arg === "-" || !arg.startsWith("-")) {
        this.positionals.push(arg);
      } else if (arg.startsWith("--")) {
        this.#long(arg);
      } else {
        this.#shorts(arg);
      }
    }
  }

  /** `--name`, `--name=value` or `--name value`. */
  #long(arg: string): void {
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (name === "help") {
      if (inline !== undefined) {
        throw new UsageError("--help: takes no value");
      }
      this.help = true;
      return;
    }
    const key = this.#index.long.get(name);
    if (key === undefined) {
      throw new UsageError(
        `unknown option ${quoteOption(`--${name}`)}${
          didYouMean(name, [...this.#index.long.keys(), "help"], "--")
        }`,
      );
    }
    const spec = this.#table[key]!;
    if (spec.kind === "boolean") {
      if (inline !== undefined) {
        throw new UsageError(`--${longName(key, spec)}: takes no value`);
      }
      this.#store(key, "");
    } else {
      this.#store(key, this.#takeValue(key, inline));
    }
  }

  /** A cluster of short options: -46, -p80, -o nop, -vp 80. */
  #shorts(arg: string): void {
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      const key = this.#index.short.get(letter);
      if (key === undefined) {
        if (letter === "h") {
          this.help = true;
          continue;
        }
        const suggestion = this.#index.long.has(arg.slice(1))
          ? ` (did you mean --${arg.slice(1)}?)`
          : "";
        throw new UsageError(
          `unknown option ${quoteOption(`-${letter}`)}${suggestion}`,
        );
      }
      const spec = this.#table[key]!;
      if (spec.kind === "boolean") {
        this.#store(key, "");
        continue;
      }
      const rest = arg.slice(j + 1);
      this.#store(key, this.#takeValue(key, rest === "" ? undefined : rest));
      break;
    }
  }

  #takeValue(key: string, inline: string | undefined): string {
    if (inline !== undefined) return inline;
    const optional = this.#table[key]!;
    if (optional.kind === "string" && optional.optionalValue !== undefined) {
      const next = this.#args[this.#i + 1];
      if (next === undefined || !optional.optionalValue(next)) return "";
    }
    if (this.#i + 1 >= this.#args.length) {
      const spec = this.#table[key]!;
      throw new UsageError(
        `--${longName(key, spec)}: missing value (${
          spec.valueName ?? "VALUE"
        })`,
      );
    }
    this.#i++;
    return this.#args[this.#i]!;
  }

  #store(key: string, text: string): void {
    const spec = this.#table[key]!;
    const flag = `--${longName(key, spec)}`;
    try {
      if (!this.#convert(key, spec, text, flag)) return;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (isInputError(error)) {
        throw new UsageError(`${flag}: ${reasonOf(error)}`, { cause: error });
      }
      throw error;
    }
    const before = this.#given.get(key);
    if (before !== undefined) {
      throw new UsageError(
        `${flag}: given twice (${quote(before)} and ${
          quote(text)
        }); give it once`,
      );
    }
    this.#given.set(key, text);
  }

  /**
   * Store the value of one option; returns whether giving it twice is an
   * error (not for booleans and repeatables).
   */
  #convert(
    key: string,
    spec: OptionSpec,
    text: string,
    flag: string,
  ): boolean {
    const values = this.values;
    switch (spec.kind) {
      case "boolean":
        values[key] = true;
        return false;
      case "number":
        values[key] = parseInteger(text, spec);
        return true;
      case "string":
        if (spec.choices !== undefined && !spec.choices.includes(text)) {
          throw new UsageError(
            `${flag}: ${quote(text)} is not one of ${spec.choices.join(", ")}${
              didYouMean(text, spec.choices, "")
            }`,
          );
        }
        values[key] = spec.parse === undefined ? text : spec.parse(text);
        return true;
      case "repeatable": {
        const list = (values[key] ?? []) as unknown[];
        list.push(spec.parse === undefined ? text : spec.parse(text));
        values[key] = list;
        return false;
      }
    }
  }
}

function quoteOption(text: string): string {
  return /^[-\w]+$/.test(text) ? text : quote(text);
}

/**
 * The edit distance between two strings (insertions, deletions,
 * substitutions and transpositions of neighbours each count one).
 *
 * @param a One string.
 * @param b The other.
 * @returns The distance.
 *
 * @example
 * ```ts
 * import { editDistance } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(editDistance("dprot", "dport"), 1);
 * assert.equal(editDistance("build", "bild"), 1);
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from(
    { length: rows },
    (_, r) =>
      Array.from({ length: cols }, (_, c) => r === 0 ? c : c === 0 ? r : 0),
  );
  for (let r = 1; r < rows; r++) {
    for (let c = 1; c < cols; c++) {
      const cost = a[r - 1] === b[c - 1] ? 0 : 1;
      let best = Math.min(
        d[r - 1]![c]! + 1,
        d[r]![c - 1]! + 1,
        d[r - 1]![c - 1]! + cost,
      );
      if (r > 1 && c > 1 && a[r - 1] === b[c - 2] && a[r - 2] === b[c - 1]) {
        best = Math.min(best, d[r - 2]![c - 2]! + 1);
      }
      d[r]![c] = best;
    }
  }
  return d[rows - 1]![cols - 1]!;
}

/**
 * The candidate closest to a mistyped word, if one is close enough: a
 * unique candidate the word is a prefix of, or the nearest within an edit
 * distance of 2 (1 for words of 4 letters or fewer).
 *
 * @param word What was typed.
 * @param candidates The valid words.
 * @returns The suggestion, or undefined.
 *
 * @example
 * ```ts
 * import { suggest } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(suggest("dprot", ["dport", "sport", "src"]), "dport");
 * assert.equal(suggest("data-h", ["data", "data-hex", "data-file"]), "data-hex");
 * assert.equal(suggest("zzzzzz", ["dport"]), undefined);
 * ```
 */
export function suggest(
  word: string,
  candidates: readonly string[],
): string | undefined {
  const lower = word.toLowerCase();
  const prefixed = candidates.filter((c) => c.startsWith(lower));
  if (lower.length >= 2 && prefixed.length === 1) return prefixed[0];
  const limit = lower.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * ` (did you mean <prefix><suggestion>?)`, or nothing when nothing is close.
 *
 * @param word What was typed.
 * @param candidates The valid words.
 * @param prefix Put before the suggestion (`"--"` for options).
 * @returns The hint, with a leading space, or `""`.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(didYouMean("bild", ["build", "send"], ""), " (did you mean build?)");
 * assert.equal(didYouMean("xyz", ["build"], ""), "");
 * ```
 */
export function didYouMean(
  word: string,
  candidates: readonly string[],
  prefix: string,
): string {
  const suggestion = suggest(word, candidates);
  return suggestion === undefined
    ? ""
    : ` (did you mean ${prefix}${suggestion}?)`;
}
