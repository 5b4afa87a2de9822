/**
 * Filters over explained packets: the `--filter` of `explain`, a few
 * tcpdump-like terms that must all hold (`dst port 443 and syn`,
 * `anomaly xmas`, `not ack`), read from the explanation of each packet.
 *
 * @module
 */

import { formatAddress, parseAddress } from "../wire/address.ts";
import { ParseError } from "../wire/errors.ts";
import { parseFlags, TCP_FLAGS, type TcpFlagName } from "../wire/flags.ts";
import { ANOMALY_CODES, type AnomalyCode, type Explanation } from "./mod.ts";

/**
 * A filter that cannot be read. The message reads
 * `Cannot parse filter "<text>": <reason>`.
 *
 * @example
 * ```ts
 * import { FilterError, parseExplainFilter } from "./filter.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseExplainFilter("port"), (error) =>
 *   error instanceof FilterError && error.reason === "a port is missing at the end of the filter");
 * ```
 */
export class FilterError extends Error {
  /** Why, without the filter. */
  readonly reason: string;

  /**
   * Create the error.
   *
   * @param text The filter.
   * @param reason Why it cannot be read.
   */
  constructor(text: string, reason: string) {
    super(`Cannot parse filter ${JSON.stringify(text)}: ${reason}`);
    this.name = "FilterError";
    this.reason = reason;
  }
}

/** C0, DEL, C1, zero-width and bidi controls (a token holds no white space). */
const CONTROLS =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A token of the filter in double quotes, as messages quote what the user
 * typed: quotes and backslashes escaped, controls shown as `\xNN` or
 * `\uNNNN` so they cannot act on a terminal.
 */
function quote(token: string): string {
  const escaped = token.replace(/[\\"]/g, (c) => `\\${c}`).replace(
    CONTROLS,
    (c) => {
      const code = c.charCodeAt(0);
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
    },
  );
  return `"${escaped}"`;
}

/** A message as the second half of another: its first letter lowered. */
function lowerFirst(message: string): string {
  return /^[A-Z][a-z]/.test(message)
    ? message[0]!.toLowerCase() + message.slice(1)
    : message;
}

/** A parsed `--filter` expression. */
export interface ExplainFilter {
  /** The expression as given. */
  text: string;
  /** Whether an explained packet passes. */
  matches(explanation: Explanation): boolean;
}

type Predicate = (explanation: Explanation) => boolean;

/** The terms of a filter, for help and messages. */
export const FILTER_TERMS =
  "port N, src port N, dst port N, host ADDR, src ADDR, dst ADDR, flags F (exactly), syn/ack/fin/rst/psh/urg/ece/cwr/ae (set), ip, ip6, anomaly [CODE], not TERM";

function layerAddress(
  explanation: Explanation,
  key: "src" | "dst",
): string | undefined {
  const fromTcp = explanation.tcp?.[key];
  if (fromTcp !== undefined) return fromTcp;
  const field = explanation.layers[0]?.fields.find((f) => f.key === key);
  return typeof field?.value === "string" ? field.value : undefined;
}

/**
 * Parse a `--filter` expression: terms that must all hold, optionally
 * joined by `and`.
 *
 * | term | passes packets |
 * | --- | --- |
 * | `port N`, `src port N`, `dst port N` | with that TCP port (either, source, destination) |
 * | `host ADDR`, `src ADDR`, `dst ADDR` (also `src host ADDR`) | from or to that address |
 * | `flags F` | whose flags are exactly F (`SA`, `syn,ack`, `0x12`, `xmas`) |
 * | `syn`, `ack`, `fin`, `rst`, `psh`, `urg`, `ece`, `cwr`, `ae` | with that flag set |
 * | `ip`, `ip6` | of that IP version |
 * | `anomaly`, `anomaly CODE` | with any anomaly, or that one (`anomaly xmas`) |
 * | `not TERM` | where the term does not hold |
 *
 * @param text The expression.
 * @returns The filter.
 * @throws {FilterError} For a term that is not one of these; its `reason`
 *   says why without the filter.
 *
 * @example
 * ```ts
 * import { parseExplainFilter } from "./filter.ts";
 * import { encodePacket, explainPacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const syn = explainPacket(encodePacket(makeTcpPacket({
 *   src: "192.0.2.42", dst: "192.0.2.1", dstPort: 443,
 * })));
 * assert.ok(parseExplainFilter("dst port 443 and syn").matches(syn));
 * assert.ok(parseExplainFilter("host 192.0.2.1 not ack").matches(syn));
 * assert.ok(!parseExplainFilter("flags SA").matches(syn));
 * assert.ok(!parseExplainFilter("anomaly").matches(syn));
 * assert.throws(() => parseExplainFilter("port http"), /"http" is not a port/);
 * ```
 */
export function parseExplainFilter(text: string): ExplainFilter {
  const tokens = new Tokens(text);
  if (tokens.done) tokens.fail(`empty filter; terms are ${FILTER_TERMS}`);
  const terms: Predicate[] = [];
  while (!tokens.done) {
    if (tokens.peek()?.toLowerCase() === "and" && terms.length > 0) {
      tokens.skip();
    }
    terms.push(term(tokens));
  }
  return {
    text,
    matches: (e) => terms.every((t) => t(e)),
  };
}

/** The words of a filter, read one by one. */
class Tokens {
  readonly #text: string;
  readonly #words: string[];
  #at = 0;

  constructor(text: string) {
    this.#text = text;
    this.#words = text.trim().split(/\s+/).filter((t) => t !== "");
  }

  /** Whether every word is read. */
  get done(): boolean {
    return this.#at >= this.#words.length;
  }

  fail(reason: string): never {
    throw new FilterError(this.#text, reason);
  }

  /** The next word, as typed, without reading it. */
  peek(): string | undefined {
    return this.#words[this.#at];
  }

  skip(): void {
    this.#at++;
  }

  /** Read the next word; `what` names it when there is none. */
  next(what: string): string {
    const token = this.#words[this.#at++];
    if (token === undefined) {
      return this.fail(`${what} is missing at the end of the filter`);
    }
    return token;
  }

  port(): number {
    const token = this.next("a port");
    if (!/^\d{1,5}$/.test(token) || Number(token) > 0xffff) {
      this.fail(`${quote(token)} is not a port (0..65535)`);
    }
    return Number(token);
  }

  address(): string {
    const token = this.next("an address");
    try {
      return formatAddress(parseAddress(token).bytes);
    } catch (error) {
      if (error instanceof ParseError) this.fail(lowerFirst(error.message));
      throw error;
    }
  }

  flags(): number {
    const token = this.next("flags");
    try {
      return parseFlags(token);
    } catch (error) {
      if (error instanceof ParseError) this.fail(lowerFirst(error.message));
      throw error;
    }
  }
}

/** `src …` or `dst …`: a port (`src port N`) or an address (`src [host] ADDR`). */
function endpoint(which: "src" | "dst", tokens: Tokens): Predicate {
  const kind = tokens.peek()?.toLowerCase();
  if (kind === "port") {
    tokens.skip();
    const n = tokens.port();
    return (e) => (which === "src" ? e.tcp?.srcPort : e.tcp?.dstPort) === n;
  }
  if (kind === "host") tokens.skip();
  const a = tokens.address();
  return (e) => layerAddress(e, which) === a;
}

/** `anomaly` or `anomaly CODE`. */
function anomaly(tokens: Tokens): Predicate {
  const code = tokens.peek();
  if (code !== undefined && ANOMALY_CODES.includes(code as AnomalyCode)) {
    tokens.skip();
    return (e) => e.anomalies.some((a) => a.code === code);
  }
  return (e) => e.anomalies.length > 0;
}

/** The terms, by their first word (a flag's name is a term too). */
const TERMS: Readonly<Record<string, (tokens: Tokens) => Predicate>> = {
  not: (tokens) => {
    const inner = term(tokens);
    return (e) => !inner(e);
  },
  port: (tokens) => {
    const n = tokens.port();
    return (e) => e.tcp?.srcPort === n || e.tcp?.dstPort === n;
  },
  host: (tokens) => {
    const a = tokens.address();
    return (e) => layerAddress(e, "src") === a || layerAddress(e, "dst") === a;
  },
  src: (tokens) => endpoint("src", tokens),
  dst: (tokens) => endpoint("dst", tokens),
  flags: (tokens) => {
    const mask = tokens.flags();
    return (e) => e.tcp !== undefined && e.tcp.flags === mask;
  },
  ip: () => (e) => e.layers[0]?.kind === "ipv4",
  ip4: () => (e) => e.layers[0]?.kind === "ipv4",
  ip6: () => (e) => e.layers[0]?.kind === "ipv6",
  anomaly,
  anomalies: anomaly,
  anomalous: anomaly,
  or: (tokens) =>
    tokens.fail(
      '"or" is not supported: every term must hold (run explain twice for either)',
    ),
};

/** Read one term. */
function term(tokens: Tokens): Predicate {
  const word = tokens.next("a term").toLowerCase();
  if (Object.hasOwn(TERMS, word)) return TERMS[word]!(tokens);
  const name = word === "ns" ? "ae" : word;
  if (Object.hasOwn(TCP_FLAGS, name)) {
    const bit = TCP_FLAGS[name as TcpFlagName];
    return (e) => e.tcp !== undefined && (e.tcp.flags & bit) !== 0;
  }
  return tokens.fail(`unknown term ${quote(word)}; terms are ${FILTER_TERMS}`);
}
