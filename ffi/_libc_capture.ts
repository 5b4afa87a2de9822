/**
 * The C library calls that sniffing needs and the raw-socket layer does
 * not: binding a packet socket to an interface, reading its statistics,
 * interface names. A symbol table of its own, opened on first use from the
 * same library file as `_libc.ts` (Linux only: macOS has no packet
 * sockets).
 *
 * @module
 */

import { libc } from "./_libc.ts";
import { FfiPermissionError, isDenoPermissionError } from "./errors.ts";

/**
 * The symbols, with their C signatures:
 *
 * ```c
 * int bind(int fd, const struct sockaddr *addr, socklen_t length);
 * int getsockopt(int fd, int level, int name, void *value, socklen_t *length);
 * unsigned int if_nametoindex(const char *name);
 * char *if_indextoname(unsigned int index, char *name);  // name: IF_NAMESIZE bytes
 * ```
 */
export const CAPTURE_SYMBOLS = {
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  if_indextoname: { parameters: ["u32", "buffer"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The calls, numbers in and out. */
export interface CaptureLibc {
  bind(fd: number, address: Uint8Array, length: number): number;
  /** `value` is filled; returns 0 or -1. */
  getsockopt(
    fd: number,
    level: number,
    name: number,
    value: Uint8Array,
  ): number;
  /** 0 when there is no such interface. */
  ifNameToIndex(name: string): number;
  /** undefined when there is no such interface. */
  ifIndexToName(index: number): string | undefined;
}

let cached: CaptureLibc | undefined;

/**
 * Open the capture symbols on first use (after the C library itself).
 *
 * @returns The calls.
 * @throws What `libc()` throws (no `--allow-ffi`, unsupported OS).
 */
export function captureLibc(): CaptureLibc {
  if (cached !== undefined) return cached;
  const c = libc();
  let library;
  try {
    library = Deno.dlopen(c.path, CAPTURE_SYMBOLS);
  } catch (error) {
    if (isDenoPermissionError(error)) throw new FfiPermissionError();
    throw error;
  }
  const s = library.symbols;
  const encoder = new TextEncoder();
  const names = new Uint8Array(new ArrayBuffer(16)); // IF_NAMESIZE
  cached = {
    bind: (fd, address, length) =>
      s.bind(fd, address as Uint8Array<ArrayBuffer>, length),
    getsockopt(fd, level, name, value) {
      const length = new Uint8Array(new ArrayBuffer(4));
      new DataView(length.buffer).setUint32(0, value.byteLength, true);
      return s.getsockopt(
        fd,
        level,
        name,
        value as Uint8Array<ArrayBuffer>,
        length,
      );
    },
    ifNameToIndex(name) {
      const text = new Uint8Array(new ArrayBuffer(name.length * 3 + 1));
      text.set(encoder.encode(name));
      return s.if_nametoindex(text);
    },
    ifIndexToName(index) {
      const pointer = s.if_indextoname(index, names);
      return pointer === null
        ? undefined
        : Deno.UnsafePointerView.getCString(pointer);
    },
  };
  return cached;
}
