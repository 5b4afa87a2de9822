/**
 * Errors of the OS layer, each with a message that tells the user what to
 * do: a failed system call ({@linkcode SocketError}, with the errno name),
 * a missing Deno permission ({@linkcode FfiPermissionError}), a C library
 * that cannot be opened ({@linkcode LibcLoadError}) and a host name that
 * does not resolve ({@linkcode ResolveError}).
 *
 * @module
 */

import {
  constantsFor,
  type ErrnoName,
  errnoName,
  type OsConstants,
} from "./_constants.ts";

/** The system calls whose failures tcpcraft reports. */
export type Syscall =
  | "socket"
  | "setsockopt"
  | "sendto"
  | "sendmmsg"
  | "recvmsg"
  | "poll"
  | "connect"
  | "getsockname"
  | "close"
  | "bind"
  | "getsockopt";

/** Options for {@linkcode socketErrorFromErrno}. */
export interface SocketErrorContext {
  /**
   * What could not be done, as the message starts: `"Cannot send packet to
   * 192.0.2.1"`. A default is derived from the system call.
   */
  action?: string;
  /** The OS whose errno numbering to use (default `Deno.build.os`). */
  os?: string;
  /** The text of `strerror(errno)`, used for numbers tcpcraft does not explain. */
  strerror?: string;
  /** Bytes in the packet, for EMSGSIZE. */
  length?: number;
}

/** Options for {@linkcode SocketError}. */
export interface SocketErrorOptions {
  /** The errno name (`"EPERM"`), or `"E<number>"` for one tcpcraft does not know. */
  code: string;
  /** The errno number. */
  errno: number;
  /** The system call that failed. */
  syscall: Syscall;
}

/**
 * A system call on a socket failed. `code` is the errno name (`"EPERM"`),
 * `errno` its number on this OS, `syscall` the call; the message says what
 * could not be done, why, and what to do about it.
 *
 * @example
 * ```ts
 * import { SocketError, socketErrorFromErrno } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = socketErrorFromErrno(1, "socket", { os: "linux" });
 * assert.ok(error instanceof SocketError);
 * assert.equal(error.code, "EPERM");
 * assert.equal(
 *   error.message,
 *   "Cannot open raw socket: permission denied; run as root or grant cap_net_raw (sudo setcap cap_net_raw+ep ./tcpcraft)",
 * );
 * ```
 */
export class SocketError extends Error {
  /** The errno name, such as `"EPERM"`. */
  readonly code: string;
  /** The errno number on this OS. */
  readonly errno: number;
  /** The system call that failed. */
  readonly syscall: Syscall;

  /**
   * Create a socket error.
   *
   * @param message The whole message.
   * @param options Code, errno and system call.
   */
  constructor(message: string, options: SocketErrorOptions) {
    super(message);
    this.name = "SocketError";
    this.code = options.code;
    this.errno = options.errno;
    this.syscall = options.syscall;
  }
}

const DEFAULT_ACTIONS: Record<Syscall, string> = {
  socket: "Cannot open raw socket",
  setsockopt: "Cannot set socket option",
  sendto: "Cannot send packet",
  sendmmsg: "Cannot send packets",
  recvmsg: "Cannot receive packets",
  poll: "Cannot wait for packets",
  connect: "Cannot find a route",
  getsockname: "Cannot read the socket's address",
  close: "Cannot close socket",
  bind: "Cannot bind socket",
  getsockopt: "Cannot read socket option",
};

function isSend(syscall: Syscall): boolean {
  return syscall === "sendto" || syscall === "sendmmsg";
}

function explain(
  code: ErrnoName | undefined,
  syscall: Syscall,
  context: SocketErrorContext,
): string | undefined {
  switch (code) {
    case "EPERM":
    case "EACCES":
      if (syscall === "socket") {
        return "permission denied; run as root or grant cap_net_raw (sudo setcap cap_net_raw+ep ./tcpcraft)";
      }
      if (syscall === "connect" && code === "EACCES") {
        // A UDP connect() to a broadcast address without SO_BROADCAST.
        return "permission denied (EACCES); the destination is a broadcast address: give the address of one host";
      }
      if (isSend(syscall)) {
        return code === "EPERM"
          ? "operation not permitted (EPERM); a firewall rule (iptables or nftables OUTPUT chain) refused the packet"
          : "permission denied (EACCES); the destination is a broadcast address or a firewall rule refused the packet";
      }
      return `permission denied (${code}); run as root or grant cap_net_raw (sudo setcap cap_net_raw+ep ./tcpcraft)`;
    case "ENETUNREACH":
      return "network is unreachable (ENETUNREACH); no route leads to this network: check the address and the routing table (ip route)";
    case "EHOSTUNREACH":
      return "host is unreachable (EHOSTUNREACH); no route to the host, or its neighbour did not answer ARP/NDP: check the address, ip route and ip neigh";
    case "EADDRNOTAVAIL":
      return "address not available (EADDRNOTAVAIL); the address cannot be used from this host (an IPv6 link-local address needs an interface, a source must be configured here)";
    case "EMSGSIZE":
      return `message too long (EMSGSIZE); ${
        context.length === undefined
          ? "the packet"
          : `the ${context.length}-byte packet`
      } is larger than the interface MTU allows: send a smaller payload`;
    case "EAFNOSUPPORT":
      return "address family not supported (EAFNOSUPPORT); this host has the protocol turned off (IPv6 disabled?): use the other address family";
    case "EPROTONOSUPPORT":
      return "protocol not supported (EPROTONOSUPPORT); this kernel does not offer raw sockets for the protocol";
    case "ENOPROTOOPT":
      return "option not supported (ENOPROTOOPT); this kernel lacks the socket option (IPV6_HDRINCL needs Linux 4.5 or later)";
    case "ENOBUFS":
      return "no buffer space available (ENOBUFS); the interface queue is full: send fewer packets at a time";
    case "EAGAIN":
      return "resource temporarily unavailable (EAGAIN); the send buffer is full: retry later";
    case "EMFILE":
    case "ENFILE":
      return `too many open files (${code}); close sockets that are no longer used or raise the limit (ulimit -n)`;
    case "EBADF":
      return "bad file descriptor (EBADF); the socket is closed";
    case "EINVAL":
      return isSend(syscall)
        ? "invalid argument (EINVAL); the kernel refused the packet: with headerIncluded the IP header must be well formed (version, a header length within the packet)"
        : "invalid argument (EINVAL)";
    case "ENETDOWN":
      return "network is down (ENETDOWN); bring the interface up";
    case "EHOSTDOWN":
      return "host is down (EHOSTDOWN)";
    case "EINTR":
      return "interrupted by a signal (EINTR); retry";
    default:
      return undefined;
  }
}

/**
 * Build the {@linkcode SocketError} for an errno value returned by a system
 * call, with a message that says what to do.
 *
 * @param errno The errno number, as the C library reported it.
 * @param syscall The call that failed.
 * @param context What was being done, the OS, `strerror` text, packet length.
 * @returns The error (to throw).
 *
 * @example
 * ```ts
 * import { socketErrorFromErrno } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = socketErrorFromErrno(101, "sendto", {
 *   os: "linux",
 *   action: "Cannot send packet to 192.0.2.1",
 * });
 * assert.equal(error.code, "ENETUNREACH");
 * assert.match(error.message, /^Cannot send packet to 192\.0\.2\.1: network is unreachable \(ENETUNREACH\)/);
 * ```
 */
export function socketErrorFromErrno(
  errno: number,
  syscall: Syscall,
  context: SocketErrorContext = {},
): SocketError {
  const constants: OsConstants | undefined = constantsFor(
    context.os ?? Deno.build.os,
  );
  const name = constants === undefined
    ? undefined
    : errnoName(errno, constants);
  const code = name ?? `E${errno}`;
  const action = context.action ?? DEFAULT_ACTIONS[syscall];
  const reason = explain(name, syscall, context) ??
    `${context.strerror || "error"} (${code})`;
  return new SocketError(`${action}: ${reason}`, {
    code,
    errno,
    syscall,
  });
}

/**
 * The one line to print when Deno refuses FFI: which flag to add.
 *
 * @param action What could not be done (default `"Cannot use raw sockets"`).
 * @returns The message.
 *
 * @example
 * ```ts
 * import { permissionHint } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   permissionHint(),
 *   "Cannot use raw sockets: Deno needs --allow-ffi (run: deno run --allow-ffi cli.ts ...)",
 * );
 * ```
 */
export function permissionHint(action = "Cannot use raw sockets"): string {
  return `${action}: Deno needs --allow-ffi (run: deno run --allow-ffi cli.ts ...)`;
}

/**
 * Deno was run without `--allow-ffi`, so the C library cannot be opened.
 * The message is {@linkcode permissionHint}.
 *
 * @example
 * ```ts
 * import { FfiPermissionError } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new FfiPermissionError();
 * assert.equal(error.flag, "--allow-ffi");
 * assert.match(error.message, /Deno needs --allow-ffi/);
 * ```
 */
export class FfiPermissionError extends Error {
  /** The flag to add. */
  readonly flag = "--allow-ffi";

  /**
   * Create the error.
   *
   * @param action What could not be done (default `"Cannot use raw sockets"`).
   */
  constructor(action?: string) {
    super(permissionHint(action));
    this.name = "FfiPermissionError";
  }
}

/**
 * Whether an error is Deno refusing a permission (`Deno.errors.NotCapable`,
 * or `PermissionDenied` raised for a missing `--allow-*` flag).
 *
 * @param error Anything thrown.
 * @returns True for a Deno permission error.
 *
 * @example
 * ```ts
 * import { isDenoPermissionError } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isDenoPermissionError(new Deno.errors.NotCapable("Requires ffi access")));
 * assert.ok(!isDenoPermissionError(new Error("other")));
 * ```
 */
export function isDenoPermissionError(error: unknown): boolean {
  if (error instanceof Deno.errors.NotCapable) return true;
  return error instanceof Deno.errors.PermissionDenied &&
    /--allow-|Requires .* access/.test(error.message);
}

/**
 * Turn a Deno permission error into an {@linkcode FfiPermissionError};
 * return anything else unchanged.
 *
 * @param error Anything thrown.
 * @param action What could not be done, for the message.
 * @returns The error to rethrow.
 *
 * @example
 * ```ts
 * import { FfiPermissionError, translatePermissionError } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const translated = translatePermissionError(new Deno.errors.NotCapable("Requires ffi access"));
 * assert.ok(translated instanceof FfiPermissionError);
 * const other = new RangeError("x");
 * assert.equal(translatePermissionError(other), other);
 * ```
 */
export function translatePermissionError(
  error: unknown,
  action?: string,
): unknown {
  return isDenoPermissionError(error) ? new FfiPermissionError(action) : error;
}

/**
 * The C library could not be opened: the OS is not supported, or no
 * library file loaded. The message lists what was tried.
 *
 * @example
 * ```ts
 * import { LibcLoadError } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new LibcLoadError("Cannot load the C library: tried x").name, "LibcLoadError");
 * ```
 */
export class LibcLoadError extends Error {
  /**
   * Create the error.
   *
   * @param message The whole message.
   */
  constructor(message: string) {
    super(message);
    this.name = "LibcLoadError";
  }
}

/**
 * A host name did not resolve. `code` is the `getaddrinfo` error name
 * (`"EAI_NONAME"`) or `"ENODATA"` when the name exists without an address
 * of the family asked for.
 *
 * @example
 * ```ts
 * import { ResolveError } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ResolveError("nowhere.invalid", "EAI_NONAME", "Name or service not known");
 * assert.equal(error.message, 'Cannot resolve host "nowhere.invalid": Name or service not known');
 * ```
 */
export class ResolveError extends Error {
  /** The name that did not resolve. */
  readonly host: string;
  /** The `getaddrinfo` error name, or `"ENODATA"`. */
  readonly code: string;

  /**
   * Create the error.
   *
   * @param host The name.
   * @param code The error name.
   * @param reason Why, completing `Cannot resolve host "<host>": `.
   */
  constructor(host: string, code: string, reason: string) {
    super(`Cannot resolve host "${host}": ${reason}`);
    this.name = "ResolveError";
    this.host = host;
    this.code = code;
  }
}
