/**
 * Giving up privileges once the sockets are open: what a raw-packet tool
 * that parses bytes from strangers owes the machine it runs on.
 *
 * {@linkcode dropPrivileges}, on Linux:
 *
 * 1. A process running as root (any of its user ids 0) empties its
 *    capability bounding set (while it still may), then calls
 *    `setgroups(0)`, `setresgid(g, g, g)` and `setresuid(u, u, u)`: glibc
 *    applies the last two to every thread of the process, and the kernel
 *    clears the capabilities of every thread whose ids all leave 0. The ids
 *    are read back, and `setresuid(0, 0, 0)` must then fail.
 * 2. The calling thread's capability sets are cleared (`capset`), and the
 *    ambient set (`PR_CAP_AMBIENT_CLEAR_ALL`): what a binary given
 *    `cap_net_raw+ep` by `setcap` holds goes here.
 * 3. `PR_SET_NO_NEW_PRIVS`: no `exec` can grant a privilege again.
 * 4. A seccomp filter, synchronised to every thread (`TSYNC`, which also
 *    gives every thread no_new_privs), refuses raw IPv4/IPv6 sockets,
 *    packet sockets and io_uring (which would make sockets past the
 *    filter), and system calls of another ABI. The kernel keeps
 *    capabilities per thread and lets a thread change only its own: the
 *    threads Deno's runtime started before a non-root process with file
 *    capabilities dropped them keep `cap_net_raw` in their sets, and the
 *    filter is what takes its use away from them.
 * 5. The ids of every thread are read back from `/proc/self/task` (when
 *    Deno may read it), and the calling thread's capabilities from
 *    `capget`.
 *
 * The process stays non-dumpable (the kernel makes it so when its ids
 * change): the user it became cannot attach a debugger to it and take its
 * raw sockets.
 *
 * On macOS, a process running as root calls `setgroups`, `setgid` and
 * `setuid` (which set the real, effective and saved ids); there are no
 * capabilities.
 *
 * @module
 */

import type {
  NetBpfInstruction,
  NetDropTarget,
  NetPrivilegeDrop,
} from "../src/host/net.ts";
import { errnoName, LITTLE_ENDIAN } from "./_constants.ts";
import { libc, type PrivilegeLibrary, privilegeLibrary } from "./_libc.ts";
import {
  CAP_LAST_GUESS,
  CAPABILITY_DATA_BYTES,
  CAPABILITY_VERSION_3,
  EPERM,
  PR,
  SECCOMP_DATA,
  SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_SET_MODE_FILTER,
  SOCKET,
  SYSCALLS,
  type SyscallTable,
} from "./_privilege_constants.ts";
import { sockFilterBytes } from "./sniffer.ts";

/**
 * A step of giving up privileges failed. The process must stop before it
 * reads anything from the network.
 *
 * @example
 * ```ts
 * import { PrivilegeError } from "./privileges.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new PrivilegeError("Cannot drop privileges: setresuid(65534) failed: Operation not permitted (EPERM)");
 * assert.equal(error.name, "PrivilegeError");
 * ```
 */
export class PrivilegeError extends Error {
  /**
   * Create the error.
   *
   * @param message The whole message.
   */
  constructor(message: string) {
    super(message);
    this.name = "PrivilegeError";
  }
}

/** The ids and capabilities of the calling thread, as the kernel reports them. */
export interface ThreadPrivileges {
  /** Real, effective and saved user ids. */
  uids: [number, number, number];
  /** Real, effective and saved group ids. */
  gids: [number, number, number];
  /** The effective capability set (Linux; 0 elsewhere), one bit per capability. */
  effective: bigint;
  /** The permitted set. */
  permitted: bigint;
  /** The inheritable set. */
  inheritable: bigint;
  /** Whether no_new_privs is set (Linux). */
  noNewPrivs: boolean;
}

const ACTION = "Cannot drop privileges";

function failure(lib: PrivilegeLibrary, call: string): PrivilegeError {
  const errno = lib.errno();
  const c = libc();
  const name = errnoName(errno, c.constants) ?? `E${errno}`;
  return new PrivilegeError(
    `${ACTION}: ${call} failed: ${c.strerror(errno)} (${name})`,
  );
}

function u32s(count: number): Uint8Array<ArrayBuffer>[] {
  return Array.from({ length: count }, () => new Uint8Array(4));
}

function word(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(
    offset,
    LITTLE_ENDIAN,
  );
}

/**
 * The calling thread's ids and capabilities.
 *
 * @returns What the kernel reports.
 * @throws {FfiPermissionError} Without `--allow-ffi`.
 *
 * @example
 * ```ts
 * import { threadPrivileges } from "./privileges.ts";
 * import assert from "node:assert/strict";
 *
 * const now = threadPrivileges();
 * assert.equal(now.uids[1], Deno.uid());
 * ```
 */
export function threadPrivileges(): ThreadPrivileges {
  const lib = privilegeLibrary();
  if (lib.os === "darwin") {
    const s = lib.symbols;
    return {
      uids: [s.getuid(), s.geteuid(), s.geteuid()],
      gids: [s.getgid(), s.getegid(), s.getegid()],
      effective: 0n,
      permitted: 0n,
      inheritable: 0n,
      noNewPrivs: false,
    };
  }
  const s = lib.symbols;
  const [ru, eu, su] = u32s(3) as [
    Uint8Array<ArrayBuffer>,
    Uint8Array<ArrayBuffer>,
    Uint8Array<ArrayBuffer>,
  ];
  const [rg, eg, sg] = u32s(3) as [
    Uint8Array<ArrayBuffer>,
    Uint8Array<ArrayBuffer>,
    Uint8Array<ArrayBuffer>,
  ];
  if (s.getresuid(ru, eu, su) !== 0) throw failure(lib, "getresuid");
  if (s.getresgid(rg, eg, sg) !== 0) throw failure(lib, "getresgid");
  const header = capabilityHeader();
  const data = new Uint8Array(CAPABILITY_DATA_BYTES);
  if (s.capget(header, data) !== 0) throw failure(lib, "capget");
  const set = (index: number) =>
    BigInt(word(data, index * 4)) | (BigInt(word(data, 12 + index * 4)) << 32n);
  return {
    uids: [word(ru), word(eu), word(su)],
    gids: [word(rg), word(eg), word(sg)],
    effective: set(0),
    permitted: set(1),
    inheritable: set(2),
    noNewPrivs: s.prctl(PR.GET_NO_NEW_PRIVS, 0n, 0n, 0n, 0n) === 1,
  };
}

function capabilityHeader(): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(0, CAPABILITY_VERSION_3, LITTLE_ENDIAN);
  return header;
}

/**
 * The user `nobody` and its group, as the system's user database says
 * (`getpwnam`), or 65534 for both where it has no such user.
 *
 * @returns The ids.
 * @throws {FfiPermissionError} Without `--allow-ffi`.
 *
 * @example
 * ```ts
 * import { nobodyUser } from "./privileges.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(nobodyUser().uid > 0);
 * ```
 */
export function nobodyUser(): NetDropTarget {
  const lib = privilegeLibrary();
  const entry = lib.symbols.getpwnam(new TextEncoder().encode("nobody\0"));
  if (entry === null) return { uid: 65534, gid: 65534 };
  // struct passwd: two pointers (name, password), then uid_t and gid_t.
  const view = new Deno.UnsafePointerView(entry);
  return { uid: view.getUint32(16), gid: view.getUint32(20) };
}

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const AND_K = 0x54;
const RET_K = 0x06;

/**
 * The seccomp program {@linkcode dropPrivileges} installs in every thread,
 * as classic BPF over `struct seccomp_data`: system calls of another
 * architecture or ABI, `io_uring_setup`, `socket(AF_PACKET, …)` and
 * `socket(AF_INET or AF_INET6, SOCK_RAW, …)` fail with EPERM; everything
 * else is allowed.
 *
 * @param arch The CPU (`Deno.build.arch`).
 * @returns The program.
 *
 * @example
 * ```ts
 * import { rawSocketFilter } from "./privileges.ts";
 * import assert from "node:assert/strict";
 *
 * const program = rawSocketFilter("x86_64");
 * assert.equal(program.at(-1)!.k, 0x00050001); // SECCOMP_RET_ERRNO | EPERM
 * ```
 */
export function rawSocketFilter(
  arch: "x86_64" | "aarch64",
): NetBpfInstruction[] {
  const t: SyscallTable = SYSCALLS[arch];
  // Labels, resolved into relative jumps below.
  type Jump = number | "allow" | "deny" | "type";
  const ops: { code: number; k: number; jt?: Jump; jf?: Jump }[] = [
    { code: LD_W_ABS, k: SECCOMP_DATA.arch },
    { code: JEQ_K, k: t.auditArch, jt: 0, jf: "deny" },
    { code: LD_W_ABS, k: SECCOMP_DATA.nr },
    ...(t.foreignFrom === undefined
      ? []
      : [{ code: JGE_K, k: t.foreignFrom, jt: "deny" as Jump, jf: 0 }]),
    { code: JEQ_K, k: t.ioUringSetup, jt: "deny", jf: 0 },
    { code: JEQ_K, k: t.socket, jt: 0, jf: "allow" },
    { code: LD_W_ABS, k: SECCOMP_DATA.arg0 },
    { code: JEQ_K, k: SOCKET.AF_PACKET, jt: "deny", jf: 0 },
    { code: JEQ_K, k: SOCKET.AF_INET, jt: "type", jf: 0 },
    { code: JEQ_K, k: SOCKET.AF_INET6, jt: "type", jf: "allow" },
    // type:
    { code: LD_W_ABS, k: SECCOMP_DATA.arg1 },
    { code: AND_K, k: SOCKET.SOCK_TYPE_MASK },
    { code: JEQ_K, k: SOCKET.SOCK_RAW, jt: "deny", jf: "allow" },
    // allow:
    { code: RET_K, k: SECCOMP_RET_ALLOW },
    // deny:
    { code: RET_K, k: SECCOMP_RET_ERRNO | EPERM },
  ];
  const at = {
    type: ops.length - 5,
    allow: ops.length - 2,
    deny: ops.length - 1,
  };
  const offset = (from: number, jump: Jump | undefined) =>
    jump === undefined
      ? 0
      : typeof jump === "number"
      ? jump
      : at[jump] - from - 1;
  return ops.map((op, i) => ({
    code: op.code,
    jt: offset(i, op.jt),
    jf: offset(i, op.jf),
    k: op.k >>> 0,
  }));
}

/** Install the filter in every thread; false where the kernel has no seccomp filters. */
function installFilter(
  lib: Extract<PrivilegeLibrary, { os: "linux" }>,
): boolean {
  const arch = Deno.build.arch;
  if (arch !== "x86_64" && arch !== "aarch64") return false;
  const program = sockFilterBytes(rawSocketFilter(arch));
  // struct sock_fprog: unsigned short len, padding, then the pointer.
  const fprog = new Uint8Array(16);
  const view = new DataView(fprog.buffer);
  view.setUint16(0, program.length / 8, LITTLE_ENDIAN);
  view.setBigUint64(
    8,
    BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(program))),
    LITTLE_ENDIAN,
  );
  const result = lib.symbols.syscall(
    BigInt(SYSCALLS[arch].seccomp),
    BigInt(SECCOMP_SET_MODE_FILTER),
    BigInt(SECCOMP_FILTER_FLAG_TSYNC),
    fprog,
  );
  if (result === 0n) return true;
  if (result > 0n) {
    throw new PrivilegeError(
      `${ACTION}: thread ${result} could not take the seccomp filter`,
    );
  }
  const errno = lib.errno();
  const name = errnoName(errno, libc().constants);
  // A kernel built without seccomp filters: the rest still holds.
  if (name === "EINVAL" || errno === 38 /* ENOSYS */) return false;
  throw failure(lib, "seccomp(SECCOMP_SET_MODE_FILTER)");
}

/** The user id of every thread, from `/proc/self/task`; the number checked (0 when Deno may not read it). */
function checkThreads(uid: number, gid: number): number {
  const state = Deno.permissions.querySync({
    name: "read",
    path: "/proc/self/task",
  }).state;
  if (state !== "granted") return 0;
  let tasks: Deno.DirEntry[];
  try {
    tasks = [...Deno.readDirSync("/proc/self/task")];
  } catch (error) {
    // Deno guards /proc/self beyond --allow-read (it asks for --allow-all,
    // which the query above does not say): then the ids go unchecked here,
    // as without --allow-read, rather than stopping a drop that succeeded.
    if (error instanceof Deno.errors.NotCapable) return 0;
    throw error;
  }
  let count = 0;
  for (const task of tasks) {
    let status: string;
    try {
      status = Deno.readTextFileSync(`/proc/self/task/${task.name}/status`);
    } catch {
      continue; // the thread ended meanwhile
    }
    const ids = (key: string) =>
      (status.match(new RegExp(`^${key}:\\s*(.*)$`, "m"))?.[1] ?? "")
        .trim().split(/\s+/).map(Number);
    if (
      !ids("Uid").every((id) => id === uid) ||
      !ids("Gid").every((id) => id === gid)
    ) {
      throw new PrivilegeError(
        `${ACTION}: thread ${task.name} still has uid ${ids("Uid").join(" ")}`,
      );
    }
    count++;
  }
  return count;
}

function dropLinux(
  lib: Extract<PrivilegeLibrary, { os: "linux" }>,
  target: NetDropTarget | undefined,
): NetPrivilegeDrop {
  const s = lib.symbols;
  const before = threadPrivileges();
  const root = before.uids.includes(0);
  const had = root
    ? "root"
    : before.permitted !== 0n || before.effective !== 0n
    ? "capabilities"
    : "none";
  let [uid] = before.uids;
  let [gid] = before.gids;
  if (root) {
    const to = target ?? nobodyUser();
    if (to.uid === 0 || to.gid === 0) {
      throw new PrivilegeError(
        `${ACTION}: the user to become is root (uid ${to.uid}, gid ${to.gid})`,
      );
    }
    // The bounding set first, while CAP_SETPCAP is still ours.
    for (let cap = 0; cap <= CAP_LAST_GUESS; cap++) {
      if (s.prctl(PR.CAPBSET_READ, BigInt(cap), 0n, 0n, 0n) < 0) break;
      if (s.prctl(PR.CAPBSET_DROP, BigInt(cap), 0n, 0n, 0n) !== 0) {
        throw failure(lib, `prctl(PR_CAPBSET_DROP, ${cap})`);
      }
    }
    if (s.setgroups(0n, null) !== 0) throw failure(lib, "setgroups(0)");
    if (s.setresgid(to.gid, to.gid, to.gid) !== 0) {
      throw failure(lib, `setresgid(${to.gid})`);
    }
    if (s.setresuid(to.uid, to.uid, to.uid) !== 0) {
      throw failure(lib, `setresuid(${to.uid})`);
    }
    const after = threadPrivileges();
    if (
      !after.uids.every((id) => id === to.uid) ||
      !after.gids.every((id) => id === to.gid)
    ) {
      throw new PrivilegeError(
        `${ACTION}: the ids read back are uid ${after.uids.join(" ")}, gid ${
          after.gids.join(" ")
        }`,
      );
    }
    if (s.setresuid(0, 0, 0) === 0) {
      throw new PrivilegeError(`${ACTION}: root could be regained`);
    }
    uid = to.uid;
    gid = to.gid;
  }
  if (
    s.capset(capabilityHeader(), new Uint8Array(CAPABILITY_DATA_BYTES)) !== 0
  ) {
    throw failure(lib, "capset");
  }
  // EINVAL on kernels before 4.3, which have no ambient set.
  s.prctl(PR.CAP_AMBIENT, BigInt(PR.CAP_AMBIENT_CLEAR_ALL), 0n, 0n, 0n);
  if (s.prctl(PR.SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n) !== 0) {
    throw failure(lib, "prctl(PR_SET_NO_NEW_PRIVS)");
  }
  const filtered = installFilter(lib);
  const now = threadPrivileges();
  if (now.effective !== 0n || now.permitted !== 0n || now.inheritable !== 0n) {
    throw new PrivilegeError(
      `${ACTION}: capabilities remain (effective ${
        now.effective.toString(16)
      })`,
    );
  }
  const threads = checkThreads(uid, gid);
  return {
    had,
    uid,
    gid,
    threads,
    filtered,
    description: `uid ${uid}, gid ${gid}, no capabilities, no new privileges${
      filtered ? ", raw and packet sockets refused in every thread" : ""
    }`,
  };
}

function dropDarwin(
  lib: Extract<PrivilegeLibrary, { os: "darwin" }>,
  target: NetDropTarget | undefined,
): NetPrivilegeDrop {
  const s = lib.symbols;
  const root = s.getuid() === 0 || s.geteuid() === 0;
  if (root) {
    const to = target ?? nobodyUser();
    if (to.uid === 0 || to.gid === 0) {
      throw new PrivilegeError(`${ACTION}: the user to become is root`);
    }
    if (s.setgroups(0, null) !== 0) throw failure(lib, "setgroups(0)");
    if (s.setgid(to.gid) !== 0) throw failure(lib, `setgid(${to.gid})`);
    if (s.setuid(to.uid) !== 0) throw failure(lib, `setuid(${to.uid})`);
    if (
      s.getuid() !== to.uid || s.geteuid() !== to.uid ||
      s.getgid() !== to.gid || s.getegid() !== to.gid || s.setuid(0) === 0
    ) {
      throw new PrivilegeError(`${ACTION}: the ids did not change for good`);
    }
  }
  const uid = s.getuid();
  const gid = s.getgid();
  return {
    had: root ? "root" : "none",
    uid,
    gid,
    threads: 0,
    filtered: false,
    description: `uid ${uid}, gid ${gid}`,
  };
}

/**
 * Give up the process's privileges for good (see the module
 * documentation): call it once every socket is open, before reading a
 * byte from the network.
 *
 * @param target Who to become when running as root (default `nobody`).
 * @returns What was done.
 * @throws {PrivilegeError} When a step fails; stop before reading anything.
 * @throws {FfiPermissionError} Without `--allow-ffi`.
 *
 * @example As root, after opening a raw socket (it stays usable)
 * ```ts ignore
 * import { dropPrivileges, RawSocket } from "./mod.ts";
 *
 * using socket = RawSocket.open({ family: 4 });
 * const drop = dropPrivileges({ uid: 1000, gid: 1000 });
 * console.log(drop.description); // uid 1000, gid 1000, no capabilities, …
 * ```
 */
export function dropPrivileges(target?: NetDropTarget): NetPrivilegeDrop {
  const lib = privilegeLibrary();
  return lib.os === "linux" ? dropLinux(lib, target) : dropDarwin(lib, target);
}
