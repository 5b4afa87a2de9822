/**
 * The numbers giving up privileges uses on Linux (`<linux/prctl.h>`,
 * `<linux/capability.h>`, `<linux/seccomp.h>`, `<linux/audit.h>`), and the
 * system call numbers that differ per architecture. Kept apart from
 * `_constants.ts`, which holds the sockets' numbers.
 *
 * @module
 */

/** `prctl` options. */
export const PR = {
  /** `PR_GET_DUMPABLE` */
  GET_DUMPABLE: 3,
  /** `PR_CAPBSET_READ` */
  CAPBSET_READ: 23,
  /** `PR_CAPBSET_DROP` */
  CAPBSET_DROP: 24,
  /** `PR_SET_NO_NEW_PRIVS` */
  SET_NO_NEW_PRIVS: 38,
  /** `PR_GET_NO_NEW_PRIVS` */
  GET_NO_NEW_PRIVS: 39,
  /** `PR_CAP_AMBIENT` */
  CAP_AMBIENT: 47,
  /** `PR_CAP_AMBIENT_CLEAR_ALL` */
  CAP_AMBIENT_CLEAR_ALL: 4,
} as const;

/** `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set. */
export const CAPABILITY_VERSION_3 = 0x20080522;

/** Bytes of `struct __user_cap_data_struct[2]`: effective, permitted, inheritable, twice. */
export const CAPABILITY_DATA_BYTES = 24;

/** The highest capability number a kernel may know (`CAP_LAST_CAP` is 40 in 6.x). */
export const CAP_LAST_GUESS = 63;

/** `SECCOMP_SET_MODE_FILTER` */
export const SECCOMP_SET_MODE_FILTER = 1;
/** `SECCOMP_FILTER_FLAG_TSYNC`: the filter (and no_new_privs) for every thread. */
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
/** `SECCOMP_RET_ALLOW` */
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** `SECCOMP_RET_ERRNO` (the errno in the low 16 bits). */
export const SECCOMP_RET_ERRNO = 0x00050000;
/** `EPERM` */
export const EPERM = 1;

/** Offsets in `struct seccomp_data` (little-endian: an argument's low half first). */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  arg0: 16,
  arg1: 24,
} as const;

/** Socket numbers the filter reads (Linux, every architecture). */
export const SOCKET = {
  AF_INET: 2,
  AF_INET6: 10,
  AF_PACKET: 17,
  SOCK_RAW: 3,
  /** `SOCK_TYPE_MASK`: the type without `SOCK_CLOEXEC`/`SOCK_NONBLOCK`. */
  SOCK_TYPE_MASK: 0xf,
} as const;

/** System call numbers and the audit architecture of one CPU. */
export interface SyscallTable {
  /** `AUDIT_ARCH_*`, as `struct seccomp_data` gives it. */
  auditArch: number;
  /** `__NR_seccomp` */
  seccomp: number;
  /** `__NR_socket` */
  socket: number;
  /** `__NR_io_uring_setup` (io_uring makes sockets past seccomp). */
  ioUringSetup: number;
  /** System call numbers from here up are another ABI (x32): refused. */
  foreignFrom: number | undefined;
}

/** The tables of the CPUs tcpcraft runs on. */
export const SYSCALLS: Readonly<Record<"x86_64" | "aarch64", SyscallTable>> = {
  x86_64: {
    auditArch: 0xc000003e,
    seccomp: 317,
    socket: 41,
    ioUringSetup: 425,
    foreignFrom: 0x40000000,
  },
  aarch64: {
    auditArch: 0xc00000b7,
    seccomp: 277,
    socket: 198,
    ioUringSetup: 425,
    foreignFrom: undefined,
  },
};
