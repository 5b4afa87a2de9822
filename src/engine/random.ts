/**
 * Random numbers for what goes on the wire: sequence numbers and source
 * ports. Crypto-strength (`crypto.getRandomValues`, a Web-standard API), so
 * a third party cannot guess them. Private to tcpcraft.
 *
 * @module
 */

/** The first ephemeral port (IANA, RFC 6335). */
export const EPHEMERAL_PORT_BASE = 49152;
/** How many ephemeral ports there are: 49152..65535. */
export const EPHEMERAL_PORT_COUNT = 16384;

/**
 * A random 32-bit number.
 *
 * @returns 0..2^32-1.
 *
 * @example
 * ```ts
 * import { random32 } from "./random.ts";
 * import assert from "node:assert/strict";
 *
 * const n = random32();
 * assert.ok(Number.isInteger(n) && n >= 0 && n < 2 ** 32);
 * ```
 */
export function random32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/**
 * A random ephemeral port, 49152..65535, as hping3, nmap and masscan pick
 * their source ports.
 *
 * @returns The port.
 *
 * @example
 * ```ts
 * import { randomEphemeralPort } from "./random.ts";
 * import assert from "node:assert/strict";
 *
 * const port = randomEphemeralPort();
 * assert.ok(port >= 49152 && port <= 65535);
 * ```
 */
export function randomEphemeralPort(): number {
  return EPHEMERAL_PORT_BASE + (random32() % EPHEMERAL_PORT_COUNT);
}
