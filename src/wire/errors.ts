/**
 * The one error type that decoders throw.
 *
 * Every decoder in tcpcraft (`decodeTcp`, `decodeIpv4`, `decodeIpv6`,
 * `decodePacket`, the capture-file readers) throws nothing but a
 * {@linkcode DecodeError}, whatever bytes it is given.
 *
 * @module
 */

/** Why a decoder gave up. */
export type DecodeErrorKind =
  /** The buffer ends before the structure does. */
  | "truncated"
  /** A field holds a value the structure cannot have. */
  | "malformed"
  /** The bytes are well formed but describe something tcpcraft does not decode. */
  | "unsupported";

/** Options for {@linkcode DecodeError}. */
export interface DecodeErrorOptions {
  /** Why decoding failed. */
  kind: DecodeErrorKind;
  /** What was being decoded, as it reads in the message: `"TCP header"`, `"IPv4 header"`. */
  layer: string;
  /** Byte offset of the offending field, counted from the start of the decoded buffer. */
  offset: number;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Thrown by every decoder for bytes it cannot decode.
 *
 * The message reads `Cannot decode <layer>: <reason>`; `kind`, `layer` and
 * `offset` carry the same facts for programs.
 *
 * @example Catching a truncated header
 * ```ts
 * import { DecodeError, decodeTcp } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * try {
 *   decodeTcp(new Uint8Array(12));
 *   assert.fail("expected a DecodeError");
 * } catch (error) {
 *   assert.ok(error instanceof DecodeError);
 *   assert.equal(error.kind, "truncated");
 *   assert.equal(
 *     error.message,
 *     "Cannot decode TCP header: buffer is 12 bytes, expected at least 20",
 *   );
 * }
 * ```
 */
export class DecodeError extends Error {
  /** Why decoding failed. */
  readonly kind: DecodeErrorKind;
  /** What was being decoded. */
  readonly layer: string;
  /** Byte offset of the offending field. */
  readonly offset: number;

  /**
   * Create a decode error.
   *
   * @param reason What is wrong, completing `Cannot decode <layer>: `.
   * @param options Kind, layer and offset.
   */
  constructor(reason: string, options: DecodeErrorOptions) {
    super(
      `Cannot decode ${options.layer}: ${reason}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "DecodeError";
    this.kind = options.kind;
    this.layer = options.layer;
    this.offset = options.offset;
  }
}

/**
 * Thrown when text that should name an address, a port, flags, an option or
 * hex bytes cannot be parsed.
 *
 * The message reads `Cannot parse <what> "<text>": <reason>`.
 *
 * @example
 * ```ts
 * import { ParseError, parseAddress } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseAddress("192.0.2"), ParseError);
 * ```
 */
export class ParseError extends Error {
  /** The text that could not be parsed. */
  readonly input: string;

  /**
   * Create a parse error.
   *
   * @param what What the text should have been: `"IPv4 address"`, `"flags"`.
   * @param input The text as given.
   * @param reason Why it is not one.
   */
  constructor(what: string, input: string, reason: string) {
    super(`Cannot parse ${what} "${input}": ${reason}`);
    this.name = "ParseError";
    this.input = input;
  }
}
