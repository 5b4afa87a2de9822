/**
 * The C library through Deno FFI: symbol tables with exact C signatures,
 * and a loader that opens the library on first use and caches it.
 *
 * Nothing is opened when this module is imported. The first call to
 * {@linkcode libc} opens `libc.so.6` (Linux) or `libSystem.B.dylib` (macOS)
 * twice: once with the synchronous symbols, once with the calls that may
 * block (`poll`, `getaddrinfo`) marked `nonblocking`, so they run on a
 * worker thread and do not stall the event loop.
 *
 * @module
 */

import {
  constantsFor,
  LITTLE_ENDIAN,
  type OsConstants,
  type SupportedOs,
} from "./_constants.ts";
import {
  FfiPermissionError,
  isDenoPermissionError,
  LibcLoadError,
} from "./errors.ts";

/**
 * Symbols every supported C library has, with their C signatures:
 *
 * ```c
 * int socket(int domain, int type, int protocol);
 * int setsockopt(int fd, int level, int name, const void *value, socklen_t length);
 * ssize_t sendto(int fd, const void *buf, size_t length, int flags,
 *                const struct sockaddr *to, socklen_t tolen);
 * ssize_t recvfrom(int fd, void *buf, size_t length, int flags,
 *                  struct sockaddr *from, socklen_t *fromlen);
 * ssize_t recvmsg(int fd, struct msghdr *msg, int flags);
 * int close(int fd);
 * int connect(int fd, const struct sockaddr *addr, socklen_t length);
 * int getsockname(int fd, struct sockaddr *addr, socklen_t *length);
 * char *strerror(int errnum);
 * int getsockopt(int fd, int level, int name, void *value, socklen_t *length);
 * int bind(int fd, const struct sockaddr *addr, socklen_t length);
 * unsigned int if_nametoindex(const char *name);
 * void freeaddrinfo(struct addrinfo *ai);
 * const char *gai_strerror(int code);
 * ```
 */
export const COMMON_SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  recvfrom: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
    result: "isize",
  },
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  freeaddrinfo: { parameters: ["pointer"], result: "void" },
  gai_strerror: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * glibc and musl: the common symbols, plus
 *
 * ```c
 * int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags);
 * int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags,
 *              struct timespec *timeout);  // timeout: always NULL here
 * int *__errno_location(void);
 * ```
 */
export const LINUX_SYMBOLS = {
  ...COMMON_SYMBOLS,
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
  },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * macOS libSystem: the common symbols, plus `int *__error(void);` (there is
 * no `sendmmsg`).
 */
export const DARWIN_SYMBOLS = {
  ...COMMON_SYMBOLS,
  __error: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * Calls that may block, run on a worker thread (`nonblocking: true`).
 * Linux:
 *
 * ```c
 * int poll(struct pollfd *fds, nfds_t nfds, int timeout);  // nfds_t: unsigned long
 * int getaddrinfo(const char *node, const char *service,
 *                 const struct addrinfo *hints, struct addrinfo **res);
 * ```
 */
export const LINUX_BLOCKING_SYMBOLS = {
  poll: {
    parameters: ["buffer", "usize", "i32"],
    result: "i32",
    nonblocking: true,
  },
  getaddrinfo: {
    parameters: ["buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** As {@linkcode LINUX_BLOCKING_SYMBOLS}, but `nfds_t` is `unsigned int` on macOS. */
export const DARWIN_BLOCKING_SYMBOLS = {
  poll: {
    parameters: ["buffer", "u32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  getaddrinfo: LINUX_BLOCKING_SYMBOLS.getaddrinfo,
} as const satisfies Deno.ForeignLibraryInterface;

/** The C library as the rest of `ffi/` uses it: thin wrappers, numbers in and out. */
export interface Libc {
  /** Which OS the library belongs to. */
  readonly os: SupportedOs;
  /** The library file that was opened. */
  readonly path: string;
  /** The OS's constants and layouts. */
  readonly constants: OsConstants;
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(
    fd: number,
    level: number,
    name: number,
    value: Uint8Array,
  ): number;
  /** Returns bytes sent or -1. */
  sendto(
    fd: number,
    buffer: Uint8Array,
    length: number,
    flags: number,
    address: Uint8Array,
    addressLength: number,
  ): number;
  /** Linux only: returns messages sent or -1. */
  readonly sendmmsg:
    | ((fd: number, vector: Uint8Array, count: number, flags: number) => number)
    | undefined;
  /**
   * Linux only: receive up to `count` messages into the `mmsghdr` array
   * (no timeout); returns messages received or -1.
   */
  readonly recvmmsg:
    | ((fd: number, vector: Uint8Array, count: number, flags: number) => number)
    | undefined;
  /** Returns bytes received or -1. */
  recvmsg(fd: number, msghdr: Uint8Array, flags: number): number;
  /** Returns bytes received or -1; `fromLength` holds the room for `from` (a `socklen_t`). */
  recvfrom(
    fd: number,
    buffer: Uint8Array,
    length: number,
    flags: number,
    from: Uint8Array,
    fromLength: Uint8Array,
  ): number;
  /** `length` holds the value's room (a `socklen_t`) and receives its size; returns 0 or -1. */
  getsockopt(
    fd: number,
    level: number,
    name: number,
    value: Uint8Array,
    length: Uint8Array,
  ): number;
  /** Returns 0 or -1. */
  bind(fd: number, address: Uint8Array, length: number): number;
  /** The index of a network interface, or 0 when there is none of that name. */
  ifNameToIndex(name: string): number;
  close(fd: number): number;
  connect(fd: number, address: Uint8Array, length: number): number;
  getsockname(fd: number, address: Uint8Array, length: Uint8Array): number;
  /** The calling thread's errno: read it right after the call that failed. */
  errno(): number;
  /** `strerror(errno)` as a string. */
  strerror(errno: number): string;
  /** `poll` on a worker thread. `count` is the number of `pollfd`s. */
  poll(fds: Uint8Array, count: number, timeoutMs: number): Promise<number>;
  /** `getaddrinfo` on a worker thread; `result` receives the list pointer. */
  getaddrinfo(
    node: Uint8Array,
    hints: Uint8Array,
    result: Uint8Array,
  ): Promise<number>;
  freeaddrinfo(list: Deno.PointerValue): void;
  gaiStrerror(code: number): string;
}

let cached: Libc | undefined;

/**
 * Whether the C library has been opened in this process (for tests of lazy
 * loading).
 *
 * @returns True after the first successful {@linkcode libc} call.
 */
export function libcLoaded(): boolean {
  return cached !== undefined;
}

function openFirst<S extends Deno.ForeignLibraryInterface>(
  constants: OsConstants,
  symbols: S,
): { library: Deno.DynamicLibrary<S>; path: string } {
  const tried: string[] = [];
  for (const path of constants.libraries) {
    try {
      return { library: Deno.dlopen(path, symbols), path };
    } catch (error) {
      if (isDenoPermissionError(error)) throw new FfiPermissionError();
      tried.push(`${path} (${(error as Error).message})`);
    }
  }
  throw new LibcLoadError(
    `Cannot load the C library: tried ${tried.join("; ")}`,
  );
}

function cString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

/**
 * Open the C library on first use and return it; later calls return the
 * same object.
 *
 * @returns The library.
 * @throws {FfiPermissionError} When Deno runs without `--allow-ffi`.
 * @throws {LibcLoadError} On an unsupported OS or when no library opens.
 */
export function libc(): Libc {
  if (cached !== undefined) return cached;
  const constants = constantsFor(Deno.build.os);
  if (constants === undefined) {
    throw new LibcLoadError(
      `Cannot use raw sockets on ${Deno.build.os}: tcpcraft supports Linux and macOS${
        Deno.build.os === "windows"
          ? " (Windows does not allow sending TCP over raw sockets)"
          : ""
      }; tried nothing`,
    );
  }
  if (!LITTLE_ENDIAN || !["x86_64", "aarch64"].includes(Deno.build.arch)) {
    throw new LibcLoadError(
      `Cannot use raw sockets on ${Deno.build.arch}: tcpcraft's C struct layouts are for 64-bit x86_64 and aarch64`,
    );
  }
  cached = constants.os === "linux"
    ? openLinux(constants)
    : openDarwin(constants);
  return cached;
}

function openLinux(constants: OsConstants): Libc {
  const { library, path } = openFirst(constants, LINUX_SYMBOLS);
  const blocking = openFirst(constants, LINUX_BLOCKING_SYMBOLS).library;
  const s = library.symbols;
  const errnoView = new Deno.UnsafePointerView(s.__errno_location()!);
  return {
    os: "linux",
    path,
    constants,
    ...common(s),
    sendmmsg: (fd, vector, count, flags) =>
      s.sendmmsg(fd, vector, count, flags),
    recvmmsg: (fd, vector, count, flags) =>
      s.recvmmsg(fd, vector, count, flags, null),
    errno: () => errnoView.getInt32(),
    poll: (fds, count, timeoutMs) =>
      retaining(
        [fds],
        () => blocking.symbols.poll(fds, BigInt(count), timeoutMs),
      ),
    getaddrinfo: (node, hints, result) =>
      retaining(
        [node, hints, result],
        () => blocking.symbols.getaddrinfo(node, null, hints, result),
      ),
  };
}

function openDarwin(constants: OsConstants): Libc {
  const { library, path } = openFirst(constants, DARWIN_SYMBOLS);
  const blocking = openFirst(constants, DARWIN_BLOCKING_SYMBOLS).library;
  const s = library.symbols;
  const errnoView = new Deno.UnsafePointerView(s.__error()!);
  return {
    os: "darwin",
    path,
    constants,
    ...common(s),
    sendmmsg: undefined,
    recvmmsg: undefined,
    errno: () => errnoView.getInt32(),
    poll: (fds, count, timeoutMs) =>
      retaining([fds], () => blocking.symbols.poll(fds, count, timeoutMs)),
    getaddrinfo: (node, hints, result) =>
      retaining(
        [node, hints, result],
        () => blocking.symbols.getaddrinfo(node, null, hints, result),
      ),
  };
}

/**
 * The buffers of the nonblocking calls still running. A worker thread
 * reads and writes them until the call returns, so they must stay
 * reachable until its promise settles, whatever the caller keeps: a caller
 * that does not use a buffer after its `await` may otherwise let the
 * garbage collector take it while the C function still writes to it.
 */
const IN_FLIGHT = new Set<readonly Uint8Array[]>();

/**
 * Run a nonblocking call, its buffers held in {@linkcode IN_FLIGHT} from
 * before it starts until its promise settles.
 */
async function retaining<T>(
  buffers: readonly Uint8Array[],
  call: () => Promise<T>,
): Promise<T> {
  IN_FLIGHT.add(buffers);
  try {
    return await call();
  } finally {
    IN_FLIGHT.delete(buffers);
  }
}

/**
 * The buffers held for nonblocking calls still running (for the tests
 * that check none is let go early, and none is kept after).
 *
 * @returns The buffers of each call in flight.
 */
export function buffersInFlight(): (readonly Uint8Array[])[] {
  return [...IN_FLIGHT];
}

type CommonPart = Pick<
  Libc,
  | "socket"
  | "setsockopt"
  | "sendto"
  | "recvmsg"
  | "recvfrom"
  | "getsockopt"
  | "bind"
  | "ifNameToIndex"
  | "close"
  | "connect"
  | "getsockname"
  | "strerror"
  | "freeaddrinfo"
  | "gaiStrerror"
>;

function common(
  s: Deno.StaticForeignLibraryInterface<typeof COMMON_SYMBOLS>,
): CommonPart {
  return {
    socket: (domain, type, protocol) => s.socket(domain, type, protocol),
    setsockopt: (fd, level, name, value) =>
      s.setsockopt(fd, level, name, value, value.byteLength),
    sendto: (fd, buffer, length, flags, address, addressLength) =>
      Number(
        s.sendto(fd, buffer, BigInt(length), flags, address, addressLength),
      ),
    recvmsg: (fd, msghdr, flags) => Number(s.recvmsg(fd, msghdr, flags)),
    recvfrom: (fd, buffer, length, flags, from, fromLength) =>
      Number(
        s.recvfrom(fd, buffer, BigInt(length), flags, from, fromLength),
      ),
    getsockopt: (fd, level, name, value, length) =>
      s.getsockopt(fd, level, name, value, length),
    bind: (fd, address, length) => s.bind(fd, address, length),
    ifNameToIndex: (name) =>
      s.if_nametoindex(new TextEncoder().encode(`${name}\0`)),
    close: (fd) => s.close(fd),
    connect: (fd, address, length) => s.connect(fd, address, length),
    getsockname: (fd, address, length) => s.getsockname(fd, address, length),
    strerror: (errno) => cString(s.strerror(errno)),
    freeaddrinfo: (list) => s.freeaddrinfo(list),
    gaiStrerror: (code) => cString(s.gai_strerror(code)),
  };
}

/**
 * What giving up privileges calls (Linux, glibc or musl):
 *
 * ```c
 * int getresuid(uid_t *ruid, uid_t *euid, uid_t *suid);
 * int getresgid(gid_t *rgid, gid_t *egid, gid_t *sgid);
 * int setresuid(uid_t ruid, uid_t euid, uid_t suid);  // glibc: every thread
 * int setresgid(gid_t rgid, gid_t egid, gid_t sgid);  // glibc: every thread
 * int setgroups(size_t size, const gid_t *list);
 * struct passwd *getpwnam(const char *name);
 * int prctl(int option, unsigned long, unsigned long, unsigned long, unsigned long);
 * int capget(cap_user_header_t header, cap_user_data_t data);
 * int capset(cap_user_header_t header, const cap_user_data_t data);
 * long syscall(long number, unsigned long, unsigned long, void *);  // seccomp(2)
 * int *__errno_location(void);
 * ```
 */
export const LINUX_PRIVILEGE_SYMBOLS = {
  getresuid: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  getresgid: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  setresuid: { parameters: ["u32", "u32", "u32"], result: "i32" },
  setresgid: { parameters: ["u32", "u32", "u32"], result: "i32" },
  setgroups: { parameters: ["usize", "pointer"], result: "i32" },
  getpwnam: { parameters: ["buffer"], result: "pointer" },
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  capget: { parameters: ["buffer", "buffer"], result: "i32" },
  capset: { parameters: ["buffer", "buffer"], result: "i32" },
  syscall: { parameters: ["i64", "u64", "u64", "buffer"], result: "i64" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * The same on macOS, which has no `setresuid` and no capabilities: as root,
 * `setuid` and `setgid` set the real, effective and saved ids at once.
 *
 * ```c
 * uid_t getuid(void); uid_t geteuid(void); gid_t getgid(void); gid_t getegid(void);
 * int setuid(uid_t uid); int setgid(gid_t gid);
 * int setgroups(int size, const gid_t *list);
 * struct passwd *getpwnam(const char *name);
 * int *__error(void);
 * ```
 */
export const DARWIN_PRIVILEGE_SYMBOLS = {
  getuid: { parameters: [], result: "u32" },
  geteuid: { parameters: [], result: "u32" },
  getgid: { parameters: [], result: "u32" },
  getegid: { parameters: [], result: "u32" },
  setuid: { parameters: ["u32"], result: "i32" },
  setgid: { parameters: ["u32"], result: "i32" },
  setgroups: { parameters: ["i32", "pointer"], result: "i32" },
  getpwnam: { parameters: ["buffer"], result: "pointer" },
  __error: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The privilege calls of this OS's C library, opened on first use. */
export type PrivilegeLibrary =
  | {
    os: "linux";
    symbols: Deno.StaticForeignLibraryInterface<
      typeof LINUX_PRIVILEGE_SYMBOLS
    >;
    errno(): number;
  }
  | {
    os: "darwin";
    symbols: Deno.StaticForeignLibraryInterface<
      typeof DARWIN_PRIVILEGE_SYMBOLS
    >;
    errno(): number;
  };

let privilegeCache: PrivilegeLibrary | undefined;

/**
 * Open the C library's privilege calls on first use (the library
 * {@linkcode libc} opens, with these symbols).
 *
 * @returns The calls and errno.
 * @throws {FfiPermissionError} When Deno runs without `--allow-ffi`.
 * @throws {LibcLoadError} On an OS other than Linux and macOS.
 */
export function privilegeLibrary(): PrivilegeLibrary {
  if (privilegeCache !== undefined) return privilegeCache;
  const c = libc();
  if (c.os === "linux") {
    const { library } = openFirst(c.constants, LINUX_PRIVILEGE_SYMBOLS);
    const s = library.symbols;
    const view = new Deno.UnsafePointerView(s.__errno_location()!);
    privilegeCache = { os: "linux", symbols: s, errno: () => view.getInt32() };
  } else {
    const { library } = openFirst(c.constants, DARWIN_PRIVILEGE_SYMBOLS);
    const s = library.symbols;
    const view = new Deno.UnsafePointerView(s.__error()!);
    privilegeCache = { os: "darwin", symbols: s, errno: () => view.getInt32() };
  }
  return privilegeCache;
}
