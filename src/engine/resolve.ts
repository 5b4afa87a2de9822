/**
 * The one target resolver: a host name becomes addresses through the
 * network's `resolveHost` (the system's resolver in `ffi/`, a table in
 * tests), the first of them (what nmap, ping and hping3 use) or all of them
 * (what an exclusion list needs), in canonical text, with the family asked
 * for. Every command that takes a name and `sendTcp` resolve through it.
 *
 * @module
 */

import {
  type AddressFamily,
  formatAddress,
  parseAddress,
} from "../wire/address.ts";
import type { ResolveHost } from "../host/net.ts";

/** An address a name resolved to. */
export interface ResolvedAddress {
  /** Canonical text (`2001:db8::1`). */
  address: string;
  /** 4 or 6. */
  family: AddressFamily;
}

/** Options for {@linkcode resolveAddresses}. */
export interface ResolveAddressesOptions {
  /** Only addresses of this family (default: both, in the resolver's order). */
  family?: AddressFamily;
  /** Every address (default false: only the first). */
  all?: boolean;
}

/**
 * A name resolved, without error, to no address at all. The message reads
 * `Cannot resolve host "<name>": no address`.
 *
 * @example
 * ```ts
 * import { NoAddressError } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new NoAddressError("example.test");
 * assert.equal(error.message, 'Cannot resolve host "example.test": no address');
 * assert.equal(error.host, "example.test");
 * ```
 */
export class NoAddressError extends Error {
  /** The name that resolved to nothing. */
  readonly host: string;

  /**
   * Create the error.
   *
   * @param host The name.
   */
  constructor(host: string) {
    super(`Cannot resolve host ${JSON.stringify(host)}: no address`);
    this.name = "NoAddressError";
    this.host = host;
  }
}

/**
 * Resolve a host name (or, if the resolver passes literals through, an
 * address) to the addresses to use: the first one, or all of them with
 * `all`, each in canonical text with its family.
 *
 * @param name The name, as given.
 * @param resolveHost The network's resolver.
 * @param options The family to ask for; whether to keep every address.
 * @returns At least one address.
 * @throws {NoAddressError} When the resolver answers with no address.
 * @throws What `resolveHost` throws, unchanged.
 *
 * @example
 * ```ts
 * import { resolveAddresses } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const table: Record<string, string[]> = { "www.test": ["2001:DB8::5", "192.0.2.5"] };
 * const resolveHost = (name: string) => Promise.resolve(table[name] ?? []);
 * assert.deepEqual(await resolveAddresses("www.test", resolveHost), [
 *   { address: "2001:db8::5", family: 6 },
 * ]);
 * assert.equal((await resolveAddresses("www.test", resolveHost, { all: true })).length, 2);
 * await assert.rejects(resolveAddresses("none.test", resolveHost), /no address/);
 * ```
 */
export async function resolveAddresses(
  name: string,
  resolveHost: ResolveHost,
  options: ResolveAddressesOptions = {},
): Promise<ResolvedAddress[]> {
  const found = await resolveHost(
    name,
    options.family === undefined ? {} : { family: options.family },
  );
  if (found.length === 0) throw new NoAddressError(name);
  return (options.all === true ? found : found.slice(0, 1)).map((text) => {
    const parsed = parseAddress(text);
    return { address: formatAddress(parsed.bytes), family: parsed.family };
  });
}
