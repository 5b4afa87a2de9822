/**
 * Helpers for the entries of the IPv4 option registry: the errors and
 * checks of encoding, and the parts of a `--ip-opt` spelling. Private to
 * `src/wire`.
 *
 * @module
 */

import { formatIPv4, parseIPv4 } from "./address.ts";
import { ParseError } from "./errors.ts";
import type { TcpOptionSpecParser } from "./tcp_option_entry.ts";

export function fail(kind: string, reason: string): never {
  throw new RangeError(`Cannot encode IPv4 option ${kind}: ${reason}`);
}

export function integer(
  kind: string,
  field: string,
  value: number,
  max: number,
) {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    fail(kind, `${field} ${value} is not in 0..${max}`);
  }
}

export function addressBytes(kind: string, address: string): Uint8Array {
  try {
    return parseIPv4(address);
  } catch (error) {
    if (error instanceof ParseError) fail(kind, error.message);
    throw error;
  }
}

/** Parse comma-separated IPv4 addresses for a spelling. */
export function parseAddresses(
  p: TcpOptionSpecParser,
  items: string[],
): string[] {
  return items.map((item) => {
    try {
      return formatIPv4(parseIPv4(item));
    } catch (error) {
      if (error instanceof ParseError) {
        return p.fail(`${p.quote(item)} is not an IPv4 address`);
      }
      throw error;
    }
  });
}

/** Split a spelling's value into items, pulling out `key=value` ones. */
export function items(
  value: string,
): { plain: string[]; named: Map<string, string> } {
  const plain: string[] = [];
  const named = new Map<string, string>();
  for (const item of value.split(",").map((s) => s.trim())) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    if (eq < 0) plain.push(item);
    else named.set(item.slice(0, eq).toLowerCase(), item.slice(eq + 1));
  }
  return { plain, named };
}
