/**
 * `struct sockaddr_in` and `struct sockaddr_in6`, written and read per OS
 * layout (macOS has a length byte before a one-byte family; Linux has a
 * two-byte family in host order). Ports and the flow information are in
 * network order on every OS.
 *
 * ```text
 * sockaddr_in (16 bytes)      Linux: family u16 | port be16 | addr[4] | zero[8]
 *                             macOS: len u8 | family u8 | port be16 | addr[4] | zero[8]
 * sockaddr_in6 (28 bytes)     Linux: family u16 | port be16 | flowinfo be32 | addr[16] | scope_id u32
 *                             macOS: len u8 | family u8 | port be16 | flowinfo be32 | addr[16] | scope_id u32
 * ```
 *
 * @module
 */

import { formatAddress } from "../src/wire/address.ts";
import { LITTLE_ENDIAN, type OsConstants } from "./_constants.ts";

/** An address family: 4 or 6. */
export type Family = 4 | 6;

/** A decoded socket address. */
export interface SocketAddress {
  /** 4 or 6. */
  family: Family;
  /** The address, canonical text. */
  address: string;
  /** The address, 4 or 16 bytes. */
  bytes: Uint8Array;
  /** The port (0 for raw sockets). */
  port: number;
  /** IPv6 scope (interface index); 0 for IPv4. */
  scopeId: number;
}

/**
 * Allocate a byte array backed by its own ArrayBuffer (never on the V8
 * heap), so its address is stable and may be stored in C structures.
 *
 * @param length Bytes.
 * @returns Zeroed bytes.
 */
export function allocate(length: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(length));
}

/**
 * Write a socket address into `target` and return its length.
 *
 * @param target At least 16 (IPv4) or 28 (IPv6) bytes.
 * @param address 4 or 16 bytes in network order.
 * @param constants The OS.
 * @param options Port (default 0), flow info and scope id (IPv6, default 0).
 * @returns The address length to pass to the C call.
 */
export function writeSockaddr(
  target: Uint8Array,
  address: Uint8Array,
  constants: OsConstants,
  options: { port?: number; flowInfo?: number; scopeId?: number } = {},
): number {
  const layout = constants.layout;
  const view = new DataView(
    target.buffer,
    target.byteOffset,
    target.byteLength,
  );
  const v6 = address.length === 16;
  const size = v6 ? layout.sockaddrIn6 : layout.sockaddrIn;
  target.fill(0, 0, size);
  const family = v6 ? constants.AF_INET6 : constants.AF_INET;
  if (layout.sockaddrHasLength) {
    view.setUint8(0, size);
    view.setUint8(1, family);
  } else {
    view.setUint16(0, family, LITTLE_ENDIAN);
  }
  view.setUint16(2, options.port ?? 0);
  if (v6) {
    view.setUint32(4, options.flowInfo ?? 0);
    target.set(address, 8);
    view.setUint32(24, options.scopeId ?? 0, LITTLE_ENDIAN);
  } else {
    target.set(address, 4);
  }
  return size;
}

/**
 * Read a socket address written by the kernel.
 *
 * @param source The bytes (a `sockaddr_storage` or shorter).
 * @param constants The OS.
 * @returns The address, or undefined for a family other than IPv4 and IPv6.
 */
export function readSockaddr(
  source: Uint8Array,
  constants: OsConstants,
): SocketAddress | undefined {
  const view = new DataView(
    source.buffer,
    source.byteOffset,
    source.byteLength,
  );
  if (source.length < 2) return undefined;
  const family = constants.layout.sockaddrHasLength
    ? view.getUint8(1)
    : view.getUint16(0, LITTLE_ENDIAN);
  if (family === constants.AF_INET && source.length >= 8) {
    const bytes = source.slice(4, 8);
    return {
      family: 4,
      address: formatAddress(bytes),
      bytes,
      port: view.getUint16(2),
      scopeId: 0,
    };
  }
  if (family === constants.AF_INET6 && source.length >= 28) {
    const bytes = source.slice(8, 24);
    return {
      family: 6,
      address: formatAddress(bytes),
      bytes,
      port: view.getUint16(2),
      scopeId: view.getUint32(24, LITTLE_ENDIAN),
    };
  }
  return undefined;
}
