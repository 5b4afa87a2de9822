/**
 * Socket options read and written by number: the forced receive buffer
 * and the kernel's drop count.
 *
 * @module
 */

import { LITTLE_ENDIAN } from "./_constants.ts";
import type { Libc } from "./_libc.ts";
import { allocate } from "./_sockaddr.ts";

/**
 * Ask for a receive buffer past `net.core.rmem_max` (`SO_RCVBUFFORCE`,
 * Linux, as root).
 *
 * @param c The C library.
 * @param fd The socket.
 * @param bytes The size.
 * @returns False where it is refused (not root) or absent (macOS).
 */
export function forceReceiveBuffer(
  c: Libc,
  fd: number,
  bytes: number,
): boolean {
  const name = c.constants.SO_RCVBUFFORCE;
  if (name === undefined) return false;
  const box = allocate(4);
  new DataView(box.buffer).setInt32(0, bytes, LITTLE_ENDIAN);
  return c.setsockopt(fd, c.constants.SOL_SOCKET, name, box) === 0;
}

/**
 * Packets the kernel dropped on a socket for want of buffer room since it
 * was opened (`SO_MEMINFO`'s `SK_MEMINFO_DROPS`, Linux); 0 where unknown.
 *
 * @param c The C library.
 * @param fd The socket.
 * @returns The count.
 */
export function socketDrops(c: Libc, fd: number): number {
  const name = c.constants.SO_MEMINFO;
  if (name === undefined) return 0;
  const info = allocate(4 * 9);
  const length = allocate(4);
  new DataView(length.buffer).setUint32(0, info.length, LITTLE_ENDIAN);
  if (c.getsockopt(fd, c.constants.SOL_SOCKET, name, info, length) !== 0) {
    return 0;
  }
  return new DataView(info.buffer).getUint32(4 * 8, LITTLE_ENDIAN);
}
