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
  const fail = (reason: string): never => {
    throw new FilterError(text, reason);
  };
  const tokens = text.trim().split(/\s+/).filter((t) => t !== "");
  if (tokens.length === 0) {
    fail(`empty filter; terms are ${FILTER_TERMS}`);
  }
  let at = 0;
  const next = (what: string): string => {
    const token = tokens[at++];
    if (token === undefined) {
      return fail(`${what} is missing at the end of the filter`);
    }
    return token;
  };
  const port = (): number => {
    const token = next("a port");
    if (!/^\d{1,5}$/.test(token) || Number(token) > 0xffff) {
      fail(`${quote(token)} is not a port (0..65535)`);
    }
    return Number(token);
  };
  const address = (): string => {
    const token = next("an address");
    try {
      return formatAddress(parseAddress(token).bytes);
    } catch (error) {
      if (error instanceof ParseError) return fail(lowerFirst(error.message));
      throw error;
    }
  };
  const term = (): Predicate => {
    const word = next("a term").toLowerCase();
    switch (word) {
      case "not": {
        const inner = term();
        return (e) => !inner(e);
      }
      case "port": {
        const n = port();
        return (e) => e.tcp?.srcPort === n || e.tcp?.dstPort === n;
      }
      case "host": {
        const a = address();
        return (e) =>
          layerAddress(e, "src") === a || layerAddress(e, "dst") === a;
      }
      case "src":
      case "dst": {
        const which = word;
        const kind = tokens[at]?.toLowerCase();
        if (kind === "port") {
          at++;
          const n = port();
          return (e) =>
            (which === "src" ? e.tcp?.srcPort : e.tcp?.dstPort) === n;
        }
        if (kind === "host") at++;
        const a = address();
        return (e) => layerAddress(e, which) === a;
      }
      case "flags": {
        const token = next("flags");
        let mask: number;
        try {
          mask = parseFlags(token);
        } catch (error) {
          if (error instanceof ParseError) {
            return fail(lowerFirst(error.message));
          }
          throw error;
        }
        return (e) => e.tcp !== undefined && e.tcp.flags === mask;
      }
      case "ip":
      case "ip4":
        return (e) => e.layers[0]?.kind === "ipv4";
      case "ip6":
        return (e) => e.layers[0]?.kind === "ipv6";
      case "anomaly":
      case "anomalies":
      case "anomalous": {
        const code = tokens[at];
        if (code !== undefined && ANOMALY_CODES.includes(code as AnomalyCode)) {
          at++;
          return (e) => e.anomalies.some((a) => a.code === code);
        }
        return (e) => e.anomalies.length > 0;
      }
      case "or":
        return fail(
          '"or" is not supported: every term must hold (run explain twice for either)',
        );
      default: {
        const name = word === "ns" ? "ae" : word;
        if (Object.hasOwn(TCP_FLAGS, name)) {
          const bit = TCP_FLAGS[name as TcpFlagName];
          return (e) => e.tcp !== undefined && (e.tcp.flags & bit) !== 0;
        }
        return fail(`unknown term ${quote(word)}; terms are ${FILTER_TERMS}`);
      }
    }
  };
  const terms: Predicate[] = [];
  while (at < tokens.length) {
    if (tokens[at]!.toLowerCase() === "and" && terms.length > 0) at++;
    terms.push(term());
  }
  return {
    text,
    matches: (e) => terms.every((t) => t(e)),
  };
}
