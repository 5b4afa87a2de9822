/**
 * Host names resolved as the system resolves them: the C library's
 * `getaddrinfo`, which follows `/etc/nsswitch.conf` (so `/etc/hosts`, DNS
 * with the search domains of `/etc/resolv.conf`, mDNS where configured) on
 * Linux, and the system resolver on macOS. It runs on a worker thread, so
 * a slow DNS server does not stall the event loop.
 *
 * (`Deno.resolveDns` is not used: it asks DNS servers directly and never
 * reads `/etc/hosts`.)
 *
 * @module
 */

import { addressBytes, formatAddress } from "../src/wire/address.ts";
import { ParseError } from "../src/wire/errors.ts";
import { LITTLE_ENDIAN } from "./_constants.ts";
import { libc } from "./_libc.ts";
import { allocate, readSockaddr } from "./_sockaddr.ts";
import { FfiPermissionError, ResolveError } from "./errors.ts";

/** Options for {@linkcode resolveHost}. */
export interface ResolveHostOptions {
  /** Only addresses of this family (default: both, in the order the system prefers). */
  family?: 4 | 6;
}

const LITERAL = /^(\[.*\]|[0-9.]+|.*:.*)$/;

/**
 * Resolve a host name to its addresses, as the system does (including
 * `/etc/hosts`). An address literal (`192.0.2.1`, `2001:db8::1`,
 * `[2001:db8::1]`) is returned without any lookup, in canonical form.
 *
 * @param name A host name or an address.
 * @param options `family`: 4 or 6 to ask for one family only.
 * @returns The addresses, canonical text, in the system's order, without duplicates.
 * @throws {ParseError} For an empty name, a malformed address literal, or a
 *   literal of the other family.
 * @throws {ResolveError} When the name does not resolve.
 * @throws {FfiPermissionError} For a name (not a literal) without `--allow-ffi`.
 *
 * @example
 * ```ts
 * import { resolveHost } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(await resolveHost("2001:DB8::1"), ["2001:db8::1"]);
 * assert.deepEqual(await resolveHost("localhost", { family: 4 }), ["127.0.0.1"]);
 * ```
 */
export async function resolveHost(
  name: string,
  options: ResolveHostOptions = {},
): Promise<string[]> {
  if (name.trim() === "" || name !== name.trim()) {
    throw new ParseError(
      "host name",
      name,
      "expected a host name or an address without spaces",
    );
  }
  if (LITERAL.test(name)) {
    const text = name.startsWith("[") && name.endsWith("]")
      ? name.slice(1, -1)
      : name;
    return [formatAddress(addressBytes(text, options.family))];
  }
  let c;
  try {
    c = libc();
  } catch (error) {
    if (error instanceof FfiPermissionError) {
      throw new FfiPermissionError(`Cannot resolve host "${name}"`);
    }
    throw error;
  }
  const k = c.constants;
  const ai = k.layout.addrinfo;
  const hints = allocate(ai.size);
  const hv = new DataView(hints.buffer);
  hv.setInt32(
    ai.family,
    options.family === 4
      ? k.AF_INET
      : options.family === 6
      ? k.AF_INET6
      : k.AF_UNSPEC,
    LITTLE_ENDIAN,
  );
  // One entry per address rather than one per socket type.
  hv.setInt32(ai.socktype, k.SOCK_STREAM, LITTLE_ENDIAN);
  const node = new TextEncoder().encode(`${name}\0`);
  const nodeBuffer = allocate(node.length);
  nodeBuffer.set(node);
  const resultBox = allocate(8);
  const code = await c.getaddrinfo(nodeBuffer, hints, resultBox);
  if (code !== 0) {
    const eaiName = Object.entries(k.eai).find(([, v]) => v === code)?.[0] ??
      `EAI_${code}`;
    throw new ResolveError(name, eaiName, c.gaiStrerror(code));
  }
  const head = Deno.UnsafePointer.create(
    new DataView(resultBox.buffer).getBigUint64(0, LITTLE_ENDIAN),
  );
  const found: string[] = [];
  try {
    let entry = head;
    for (let i = 0; entry !== null && i < 1024; i++) {
      const view = new Deno.UnsafePointerView(entry);
      const length = view.getUint32(ai.addrlen);
      const sockaddr = view.getPointer(ai.addr);
      if (sockaddr !== null && length > 0) {
        const bytes = new Uint8Array(
          Deno.UnsafePointerView.getArrayBuffer(
            sockaddr,
            Math.min(length, 128),
          ),
        ).slice();
        const address = readSockaddr(bytes, k);
        if (address !== undefined && !found.includes(address.address)) {
          found.push(address.address);
        }
      }
      entry = view.getPointer(ai.next);
    }
  } finally {
    c.freeaddrinfo(head);
  }
  if (found.length === 0) {
    throw new ResolveError(
      name,
      "ENODATA",
      `no IPv${options.family ?? "4 or IPv6"} address`,
    );
  }
  return found;
}
