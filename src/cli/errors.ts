/**
 * The errors a command throws to end with a message and an exit code, and
 * the helpers that keep what they print on one safe line.
 *
 * - {@linkcode UsageError}: the command line is wrong (exit 2). `runCli`
 *   prints `tcpcraft <command>: <message>` and `Try 'tcpcraft <command> --help'.`
 * - {@linkcode CliError}: the command line was fine but the work failed
 *   (exit 1 unless told otherwise). `runCli` prints `error: <message>`.
 * - {@linkcode ValueError}: thrown by value parsers (numbers, durations,
 *   option specs) with the reason only; the argument parser adds the name of
 *   the flag and turns it into a {@linkcode UsageError}.
 *
 * @module
 */

import { DecodeError, ParseError } from "../wire/errors.ts";

/** Exit code for a command line that is wrong. */
export const EXIT_USAGE = 2;
/** Exit code for a failure at run time. */
export const EXIT_FAILURE = 1;
/** Exit code for success. */
export const EXIT_OK = 0;

/**
 * The command line is wrong: an unknown option, a bad value, a missing
 * argument. Exit code 2. The message names the flag first:
 * `--dport: "70000" is not a port (0..65535)`.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new UsageError('--ttl: "256" is out of range (0..255)');
 * assert.equal(error.exitCode, 2);
 * ```
 */
export class UsageError extends Error {
  /** Always 2. */
  readonly exitCode: number = EXIT_USAGE;

  /**
   * Create a usage error.
   *
   * @param message What is wrong, naming the flag or argument first.
   * @param options The underlying error, if any.
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "UsageError";
  }
}

/** Options for {@linkcode CliError}. */
export interface CliErrorOptions {
  /** Exit code (default 1). */
  exitCode?: number;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The work failed at run time (a socket could not be opened, a write
 * failed). `runCli` prints `error: <message>` and exits with `exitCode`.
 *
 * @example
 * ```ts
 * import { CliError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new CliError("cannot open raw socket: run as root");
 * assert.equal(error.exitCode, 1);
 * ```
 */
export class CliError extends Error {
  /** The exit code. */
  readonly exitCode: number;

  /**
   * Create a run-time error.
   *
   * @param message What failed and why.
   * @param options Exit code and cause.
   */
  constructor(message: string, options: CliErrorOptions = {}) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "CliError";
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/**
 * A value (the text after a flag) is not acceptable. The message is the
 * reason alone, without the flag: `"70000" is not a port (0..65535)`.
 *
 * @example
 * ```ts
 * import { ValueError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ValueError('"x" is not an integer').message, '"x" is not an integer');
 * ```
 */
export class ValueError extends Error {
  /**
   * Create a value error.
   *
   * @param reason Why the value is not acceptable.
   */
  constructor(reason: string) {
    super(reason);
    this.name = "ValueError";
  }
}

/**
 * Whether an error is one a value parser throws for bad text (as opposed to
 * a bug): {@linkcode ValueError}, `ParseError`, `DecodeError` or
 * `RangeError`.
 *
 * @param error Anything thrown.
 * @returns True for errors that describe bad input.
 *
 * @example
 * ```ts
 * import { isInputError, ValueError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isInputError(new ValueError("bad")));
 * assert.ok(!isInputError(new TypeError("bug")));
 * ```
 */
export function isInputError(
  error: unknown,
): error is ValueError | ParseError | DecodeError | RangeError {
  return error instanceof ValueError || error instanceof ParseError ||
    error instanceof DecodeError || error instanceof RangeError;
}

/**
 * The reason an input error gives, ready to follow `--flag: `: the message
 * with its first letter lowered (`Cannot parse IPv4 address "x": …` becomes
 * `cannot parse IPv4 address "x": …`).
 *
 * @param error An input error.
 * @returns The reason.
 *
 * @example
 * ```ts
 * import { reasonOf } from "./errors.ts";
 * import { ParseError } from "../wire/errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   reasonOf(new ParseError("flags", "Q", "unknown")),
 *   'cannot parse flags "Q": unknown',
 * );
 * ```
 */
export function reasonOf(error: Error): string {
  const message = error.message;
  return /^[A-Z][a-z]/.test(message)
    ? message[0]!.toLowerCase() + message.slice(1)
    : message;
}

/**
 * Quote user text for a message, escaping quotes, backslashes and every
 * control character (C0, DEL, C1, and the Unicode line and bidi controls) so
 * that what the user typed cannot move the cursor or colour the terminal.
 *
 * @param text The text.
 * @returns The text in double quotes, escaped.
 *
 * @example
 * ```ts
 * import { quote } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(quote("80"), '"80"');
 * assert.equal(quote("\u001b[31m"), '"\\x1b[31m"');
 * ```
 */
export function quote(text: string): string {
  return `"${escapeControls(text.replace(/[\\"]/g, (c) => `\\${c}`))}"`;
}

// C0, DEL, C1, zero-width and bidi controls, line/paragraph separators.
const CONTROLS =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Replace every control character with a visible escape (`\x1b`, `\u202e`),
 * so text can be written to a terminal safely. Printable text, including
 * non-ASCII letters, is kept.
 *
 * @param text Any text.
 * @returns The text with controls escaped.
 *
 * @example
 * ```ts
 * import { escapeControls } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeControls("a\nb\u0007"), "a\\nb\\x07");
 * assert.equal(escapeControls("café"), "café");
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * A count and its noun, plural unless the count is 1: `1 byte`, `2 bytes`.
 *
 * @param count The count.
 * @param noun The noun, singular.
 * @returns The words.
 *
 * @example
 * ```ts
 * import { plural } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(plural(1, "byte"), "1 byte");
 * assert.equal(plural(3, "block"), "3 blocks");
 * ```
 */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Words listed as a sentence lists them: `a`, `a and b`, `a, b and c`.
 *
 * @param items The words.
 * @returns The list.
 *
 * @example
 * ```ts
 * import { listWords } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(listWords(["--allow-ffi"]), "--allow-ffi");
 * assert.equal(listWords(["a", "b", "c"]), "a, b and c");
 * ```
 */
export function listWords(items: readonly string[]): string {
  return items.length < 2
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
