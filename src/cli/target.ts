/**
 * Targets on the command line, read and resolved in one place: the TARGET
 * argument of the commands that make packets ({@linkcode parseTarget}: an
 * address or a host name, maybe with a port), `-4`/`-6`
 * ({@linkcode targetFamily}), the resolution of a name through the host's
 * network ({@linkcode resolveParsedTarget}, built on the engines' one
 * resolver `resolveAddresses`), the target lists of `scan`
 * ({@linkcode resolveTargetSpecs}: blocks, ranges and names), and address
 * option values ({@linkcode parseAddressValue}).
 *
 * @module
 */

import {
  type AddressFamily,
  formatAddress,
  parseAddress,
} from "../wire/address.ts";
import { ParseError } from "../wire/errors.ts";
import type { ResolveHost } from "../host/net.ts";
import { NoAddressError, resolveAddresses } from "../engine/resolve.ts";
import {
  type AddressRange,
  addressToBigInt,
  parseTargetSpec,
} from "../engine/targets.ts";
import { CliError, quote, reasonOf, UsageError, ValueError } from "./errors.ts";
import { parseInteger } from "./numbers.ts";

/** An address as an option value: its family and canonical text. */
export interface AddressValue {
  /** 4 or 6. */
  family: AddressFamily;
  /** Canonical text (`2001:db8::1`). */
  address: string;
}

/**
 * Parse an IP address given as an option value (no names, no port).
 *
 * @param text The text.
 * @returns The family and canonical text.
 * @throws {ParseError} When the text is not an address.
 *
 * @example
 * ```ts
 * import { parseAddressValue } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseAddressValue("2001:DB8::0:1"), { family: 6, address: "2001:db8::1" });
 * ```
 */
export function parseAddressValue(text: string): AddressValue {
  const parsed = parseAddress(text);
  return { family: parsed.family, address: formatAddress(parsed.bytes) };
}

/** A TARGET argument: an address (or host name) and maybe a port. */
export interface ParsedTarget {
  /** The address in canonical text, or the host name as given. */
  host: string;
  /** 4 or 6 for an address; absent for a host name. */
  family?: AddressFamily;
  /** The port after the colon, if one was given. */
  port?: number;
  /** The text as given, for messages. */
  text: string;
}

/** Options for {@linkcode parseTarget}. */
export interface ParseTargetOptions {
  /** Accept host names (for commands that resolve them). Default false. */
  names?: boolean;
  /** The argument's name in messages (default `TARGET`). */
  argName?: string;
}

const HOST_NAME =
  /^(?=.*[a-z])[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\.?$/i;

/**
 * Parse a TARGET: `192.0.2.1`, `192.0.2.1:666`, `2001:db8::1`,
 * `[2001:db8::1]`, `[2001:db8::1]:80`, and, when `names` is set,
 * `example.com` or `example.com:443`.
 *
 * @param text The argument.
 * @param options Whether names are accepted; the argument's name.
 * @returns The host, its family and the port.
 * @throws {UsageError} `TARGET: …` for anything else, and for a host name
 *   when names are not accepted.
 *
 * @example
 * ```ts
 * import { parseTarget } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseTarget("192.0.2.1:666"), {
 *   host: "192.0.2.1", family: 4, port: 666, text: "192.0.2.1:666",
 * });
 * assert.deepEqual(parseTarget("[2001:db8::1]:80"), {
 *   host: "2001:db8::1", family: 6, port: 80, text: "[2001:db8::1]:80",
 * });
 * assert.equal(parseTarget("2001:db8::1").port, undefined);
 * assert.throws(() => parseTarget("example.com"), /is a host name/);
 * ```
 */
export function parseTarget(
  text: string,
  options: ParseTargetOptions = {},
): ParsedTarget {
  const argName = options.argName ?? "TARGET";
  const fail = (reason: string): never => {
    throw new UsageError(`${argName}: ${reason}`);
  };
  if (text === "") {
    fail(
      options.names === true
        ? "empty; give an IPv4 or IPv6 address or a host name"
        : "empty; give an IPv4 or IPv6 address",
    );
  }
  let host = text;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) fail(`${quote(text)} has "[" without "]"`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) {
        fail(`${quote(text)}: expected ":PORT" after "]"`);
      }
      portText = rest.slice(1);
    }
    if (!host.includes(":")) {
      fail(`${quote(text)}: brackets are for IPv6 addresses`);
    }
  } else {
    const colons = text.split(":").length - 1;
    if (colons === 1) {
      const colon = text.indexOf(":");
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  const target: ParsedTarget = { host, text };
  if (portText !== undefined) {
    try {
      target.port = parseInteger(portText, { max: 0xffff, noun: "a port" });
    } catch (error) {
      if (error instanceof ValueError) {
        fail(`${quote(text)}: ${reasonOf(error)}`);
      }
      throw error;
    }
  }
  try {
    const parsed = parseAddress(host);
    target.host = formatAddress(parsed.bytes);
    target.family = parsed.family;
    return target;
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    if (HOST_NAME.test(host) && !/^[0-9.]+$/.test(host)) {
      if (options.names === true) return target;
      return fail(
        `${
          quote(host)
        } is a host name; give an IPv4 or IPv6 address (this command resolves no names)`,
      );
    }
    return fail(reasonOf(error));
  }
}

/** The family switches of the commands that resolve a TARGET. */
export interface FamilySwitches {
  /** `-4`. */
  ipv4?: boolean;
  /** `-6`. */
  ipv6?: boolean;
}

/**
 * Check `-4`/`-6` against a parsed TARGET: not both, and not the other
 * family than an address given.
 *
 * @param target The parsed TARGET.
 * @param switches `-4` and `-6`.
 * @returns The family asked for, to resolve a host name to; `undefined`
 *   when neither switch is given.
 * @throws {UsageError} When both are given, or the address is of the other
 *   family.
 *
 * @example
 * ```ts
 * import { parseTarget, targetFamily } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(targetFamily(parseTarget("example.com", { names: true }), { ipv6: true }), 6);
 * assert.equal(targetFamily(parseTarget("192.0.2.1"), {}), undefined);
 * assert.throws(
 *   () => targetFamily(parseTarget("192.0.2.1"), { ipv6: true }),
 *   /^UsageError: -6: TARGET 192\.0\.2\.1 is an IPv4 address$/,
 * );
 * assert.throws(
 *   () => targetFamily(parseTarget("192.0.2.1"), { ipv4: true, ipv6: true }),
 *   /-4: conflicts with -6; give one/,
 * );
 * ```
 */
export function targetFamily(
  target: ParsedTarget,
  switches: FamilySwitches,
): AddressFamily | undefined {
  if (switches.ipv4 === true && switches.ipv6 === true) {
    throw new UsageError("-4: conflicts with -6; give one");
  }
  const wanted = switches.ipv4 === true
    ? 4
    : switches.ipv6 === true
    ? 6
    : undefined;
  if (
    wanted !== undefined && target.family !== undefined &&
    target.family !== wanted
  ) {
    throw new UsageError(
      `-${wanted}: TARGET ${target.host} is an IPv${target.family} address`,
    );
  }
  return wanted;
}

/** A destination that is an address, with an optional port. */
export interface PacketTarget {
  /** The destination address, canonical text. */
  address: string;
  /** Its family. */
  family: AddressFamily;
  /** A port from TARGET, if any. */
  port?: number;
  /** The TARGET text, for messages. */
  text: string;
}

/**
 * Narrow a parsed target to an address (the one a command without name
 * resolution has).
 *
 * @param target A parsed TARGET.
 * @returns The same target, with its family.
 * @throws {UsageError} When the target is a host name.
 *
 * @example
 * ```ts
 * import { parseTarget, targetAddress } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(targetAddress(parseTarget("192.0.2.1")).family, 4);
 * ```
 */
export function targetAddress(target: ParsedTarget): PacketTarget {
  if (target.family === undefined) {
    throw new UsageError(
      `TARGET: ${
        quote(target.host)
      } is a host name; give an IPv4 or IPv6 address`,
    );
  }
  const result: PacketTarget = {
    address: target.host,
    family: target.family,
    text: target.text,
  };
  if (target.port !== undefined) result.port = target.port;
  return result;
}

/**
 * Resolve a parsed TARGET to an address: an address stays as it is, a host
 * name is resolved (its first address, of the family asked for) through
 * `lookup`, which is called only then.
 *
 * @param target The parsed TARGET.
 * @param family The family asked for (`-4`/`-6`, see {@linkcode targetFamily}).
 * @param lookup Gives the resolver; it throws when the host has none.
 * @returns The destination.
 * @throws {CliError} When the name resolves to no address.
 * @throws What the resolver throws, unchanged.
 *
 * @example
 * ```ts
 * import { parseTarget, resolveParsedTarget } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * const lookup = () => () => Promise.resolve(["2001:DB8::1"]);
 * assert.deepEqual(
 *   await resolveParsedTarget(parseTarget("www.test:443", { names: true }), 6, lookup),
 *   { address: "2001:db8::1", family: 6, port: 443, text: "www.test:443" },
 * );
 * ```
 */
export async function resolveParsedTarget(
  target: ParsedTarget,
  family: AddressFamily | undefined,
  lookup: () => ResolveHost,
): Promise<PacketTarget> {
  let address = target.host;
  let resolvedFamily = target.family;
  if (resolvedFamily === undefined) {
    const resolveHost = lookup();
    let found;
    try {
      [found] = await resolveAddresses(
        target.host,
        resolveHost,
        family === undefined ? {} : { family },
      );
    } catch (error) {
      if (error instanceof NoAddressError) {
        throw new CliError(error.message, { cause: error });
      }
      throw error;
    }
    address = found!.address;
    resolvedFamily = found!.family;
  }
  const result: PacketTarget = {
    address,
    family: resolvedFamily,
    text: target.text,
  };
  if (target.port !== undefined) result.port = target.port;
  return result;
}

/**
 * Read, check and resolve a TARGET in one step: {@linkcode parseTarget}
 * (names accepted), {@linkcode targetFamily} and
 * {@linkcode resolveParsedTarget}.
 *
 * @param text The TARGET argument.
 * @param switches `-4` and `-6`.
 * @param lookup Gives the resolver, for a host name.
 * @returns The destination.
 * @throws {UsageError} For a bad TARGET or conflicting switches.
 * @throws {CliError} When a name resolves to no address.
 *
 * @example
 * ```ts
 * import { resolvePacketTarget } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * const none = () => { throw new Error("no resolver"); };
 * assert.deepEqual(await resolvePacketTarget("[2001:db8::1]:443", {}, none), {
 *   address: "2001:db8::1", family: 6, port: 443, text: "[2001:db8::1]:443",
 * });
 * await assert.rejects(resolvePacketTarget("192.0.2.1", { ipv6: true }, none), /-6: TARGET/);
 * ```
 */
export async function resolvePacketTarget(
  text: string,
  switches: FamilySwitches,
  lookup: () => ResolveHost,
): Promise<PacketTarget> {
  const target = parseTarget(text, { names: true });
  return await resolveParsedTarget(
    target,
    targetFamily(target, switches),
    lookup,
  );
}

/** Options for {@linkcode resolveTargetSpecs}. */
export interface ResolveTargetSpecsOptions {
  /** Gives the resolver, for the first host name; it throws when the host has none. */
  lookup: (name: string) => ResolveHost;
  /** The only family scanned, when one is (`-4`, `-6`, `--src`). */
  family: AddressFamily | undefined;
  /** The argument or option the texts come from, for messages (`TARGETS`). */
  what: string;
  /** Every address of a name (exclusions) rather than the first (targets). */
  allAddresses: boolean;
}

/**
 * Turn the target texts of `scan` (addresses, CIDR blocks, ranges, host
 * names) into address ranges, resolving names: the first address of a
 * name for a target, every address for an exclusion.
 *
 * @param texts The texts.
 * @param options The resolver, family, name for messages and how many
 *   addresses of a name to keep.
 * @returns The ranges, in the order given.
 * @throws {UsageError} For a text that is not a target, or an address of
 *   a family not scanned.
 * @throws {CliError} When a name does not resolve.
 *
 * @example
 * ```ts
 * import { resolveTargetSpecs } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * const lookup = () => () => Promise.resolve(["192.0.2.9"]);
 * const ranges = await resolveTargetSpecs(["192.0.2.0/31", "www.test"], {
 *   lookup, family: undefined, what: "TARGETS", allAddresses: false,
 * });
 * assert.deepEqual(ranges.map((r) => [r.first, r.last]), [
 *   [0xc0000200n, 0xc0000201n],
 *   [0xc0000209n, 0xc0000209n],
 * ]);
 * ```
 */
export async function resolveTargetSpecs(
  texts: readonly string[],
  options: ResolveTargetSpecsOptions,
): Promise<AddressRange[]> {
  const ranges: AddressRange[] = [];
  for (const text of texts) {
    let spec;
    try {
      spec = parseTargetSpec(text);
    } catch (error) {
      if (error instanceof ParseError) {
        throw new UsageError(`${options.what}: ${reasonOf(error)}`, {
          cause: error,
        });
      }
      throw error;
    }
    if (spec.kind === "addresses") {
      if (
        options.family !== undefined && spec.range.family !== options.family &&
        !options.allAddresses
      ) {
        throw new UsageError(
          `${options.what}: ${
            quote(text)
          } is IPv${spec.range.family}, but only IPv${options.family} is scanned (-${options.family} or --src)`,
        );
      }
      ranges.push(spec.range);
      continue;
    }
    const resolveHost = options.lookup(spec.name);
    let found;
    try {
      found = await resolveAddresses(spec.name, resolveHost, {
        ...(options.family === undefined ? {} : { family: options.family }),
        all: options.allAddresses,
      });
    } catch (error) {
      if (error instanceof NoAddressError) {
        throw new CliError(error.message, { cause: error });
      }
      // The resolver's own message already names the host (and says
      // `Deno needs --allow-ffi` when that is why): said once.
      if (
        error instanceof Error &&
        /^Cannot resolve host\b|\bDeno needs --allow-/.test(error.message)
      ) {
        throw new CliError(error.message, { cause: error });
      }
      throw new CliError(
        `Cannot resolve host ${quote(spec.name)}: ${
          error instanceof Error ? reasonOf(error) : String(error)
        }`,
        { cause: error },
      );
    }
    for (const { address } of found) {
      const value = addressToBigInt(parseAddress(address).bytes);
      ranges.push({
        family: parseAddress(address).family,
        first: value,
        last: value,
      });
    }
  }
  return ranges;
}

/**
 * Why no source address could be found for a destination, without the
 * words the lookup's own message starts with (`Cannot find a source
 * address for 192.0.2.1: `), so that a caller who says what failed does
 * not say it twice.
 *
 * @param error What the route lookup threw.
 * @param destination The destination looked up.
 * @returns The reason, lower-cased to follow a colon.
 *
 * @example
 * ```ts
 * import { routeReason } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   routeReason(
 *     new Error("Cannot find a source address for 192.0.2.1: network is unreachable (ENETUNREACH)"),
 *     "192.0.2.1",
 *   ),
 *   "network is unreachable (ENETUNREACH)",
 * );
 * assert.equal(routeReason(new Error("No network here"), "192.0.2.1"), "no network here");
 * ```
 */
export function routeReason(error: unknown, destination: string): string {
  const reason = reasonOf(
    error instanceof Error ? error : new Error(String(error)),
  );
  const lookup = `cannot find a source address for ${destination}: `;
  return reason.startsWith(lookup) ? reason.slice(lookup.length) : reason;
}
