/**
 * Per-OS numbers and C struct layouts for the raw-socket layer, in one place.
 *
 * Everything here is data: no library is loaded and nothing is read from
 * the system. Values were taken from the system headers of each OS (Linux:
 * glibc and `linux/in6.h` on x86_64 and aarch64; macOS: the XNU headers as
 * mirrored by the Rust `libc` crate) and the Linux ones were checked against
 * a C program compiled on the build host.
 *
 * Only 64-bit little-endian hosts are supported (x86_64 and aarch64 on
 * Linux and macOS): pointers and `size_t` are 8 bytes.
 *
 * @module
 */

/** The operating systems tcpcraft's raw sockets run on. */
export type SupportedOs = "linux" | "darwin";

/** Byte offsets and sizes of `struct msghdr`. */
export interface MsghdrLayout {
  /** `sizeof(struct msghdr)`. */
  size: number;
  /** `msg_name` (pointer). */
  name: number;
  /** `msg_namelen` (socklen_t, 4 bytes). */
  namelen: number;
  /** `msg_iov` (pointer). */
  iov: number;
  /** `msg_iovlen`. */
  iovlen: number;
  /** Width of `msg_iovlen`: 8 (`size_t`, Linux) or 4 (`int`, macOS). */
  iovlenSize: 4 | 8;
  /** `msg_control` (pointer). */
  control: number;
  /** `msg_controllen`. */
  controllen: number;
  /** Width of `msg_controllen`: 8 (`size_t`, Linux) or 4 (`socklen_t`, macOS). */
  controllenSize: 4 | 8;
  /** `msg_flags` (int). */
  flags: number;
}

/** Byte offsets and sizes of `struct cmsghdr` and the `CMSG_*` macros. */
export interface CmsghdrLayout {
  /** `CMSG_LEN(0)`: the header, aligned. Data starts here. */
  headerSize: number;
  /** Width of `cmsg_len`: 8 (`size_t`, Linux) or 4 (`socklen_t`, macOS). */
  lenSize: 4 | 8;
  /** `cmsg_level`. */
  level: number;
  /** `cmsg_type`. */
  type: number;
  /** `CMSG_ALIGN` unit. */
  align: number;
}

/** Byte offsets of `struct addrinfo`. */
export interface AddrinfoLayout {
  /** `sizeof(struct addrinfo)`. */
  size: number;
  /** `ai_flags`. */
  flags: number;
  /** `ai_family`. */
  family: number;
  /** `ai_socktype`. */
  socktype: number;
  /** `ai_protocol`. */
  protocol: number;
  /** `ai_addrlen`. */
  addrlen: number;
  /** `ai_addr` (pointer): after `ai_canonname` on macOS, before it on Linux. */
  addr: number;
  /** `ai_canonname` (pointer). */
  canonname: number;
  /** `ai_next` (pointer). */
  next: number;
}

/** The C layouts tcpcraft reads and writes. */
export interface Layouts {
  /**
   * Whether socket addresses start with a length byte (`sin_len`), as on
   * BSD and macOS, making `sa_family` one byte at offset 1 instead of two
   * bytes at offset 0.
   */
  sockaddrHasLength: boolean;
  /** `sizeof(struct sockaddr_in)`. */
  sockaddrIn: number;
  /** `sizeof(struct sockaddr_in6)`. */
  sockaddrIn6: number;
  /** `sizeof(struct sockaddr_storage)`. */
  sockaddrStorage: number;
  /** `struct msghdr`. */
  msghdr: MsghdrLayout;
  /** `sizeof(struct mmsghdr)` (Linux; 0 where `sendmmsg` does not exist). */
  mmsghdr: number;
  /** Offset of `msg_len` in `struct mmsghdr`. */
  mmsghdrLen: number;
  /** `sizeof(struct iovec)`: a pointer and a `size_t`. */
  iovec: number;
  /** `struct cmsghdr`. */
  cmsghdr: CmsghdrLayout;
  /** `sizeof(struct pollfd)`: fd (int), events and revents (short). */
  pollfd: number;
  /** `struct addrinfo`. */
  addrinfo: AddrinfoLayout;
  /**
   * The kernel timestamp delivered with `SO_TIMESTAMPNS` (Linux: a
   * `timespec`, seconds and nanoseconds, both 8 bytes) or `SO_TIMESTAMP`
   * (macOS: a `timeval`, 8-byte seconds and 4-byte microseconds).
   */
  timestamp: "timespec" | "timeval";
  /** Width of `nfds_t`, the second argument of `poll`. */
  nfdsSize: 4 | 8;
}

/** The errno names tcpcraft explains, each with its number on one OS. */
export type ErrnoName =
  | "EPERM"
  | "ENOENT"
  | "EINTR"
  | "EBADF"
  | "EAGAIN"
  | "ENOMEM"
  | "EACCES"
  | "EFAULT"
  | "EINVAL"
  | "ENFILE"
  | "EMFILE"
  | "ENOSYS"
  | "ENOTSOCK"
  | "EDESTADDRREQ"
  | "EMSGSIZE"
  | "EPROTOTYPE"
  | "ENOPROTOOPT"
  | "EPROTONOSUPPORT"
  | "ESOCKTNOSUPPORT"
  | "EOPNOTSUPP"
  | "EAFNOSUPPORT"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "ENETDOWN"
  | "ENETUNREACH"
  | "ECONNRESET"
  | "ENOBUFS"
  | "ETIMEDOUT"
  | "ECONNREFUSED"
  | "EHOSTDOWN"
  | "EHOSTUNREACH";

/** The `getaddrinfo` error names tcpcraft knows, each with its number on one OS. */
export type EaiName =
  | "EAI_AGAIN"
  | "EAI_FAIL"
  | "EAI_FAMILY"
  | "EAI_MEMORY"
  | "EAI_NODATA"
  | "EAI_NONAME"
  | "EAI_SERVICE"
  | "EAI_SYSTEM";

/** Every number tcpcraft passes to or reads from the C library on one OS. */
export interface OsConstants {
  /** Which OS these are for. */
  os: SupportedOs;
  /** The library names tried, in order, by `Deno.dlopen`. */
  libraries: readonly string[];
  AF_UNSPEC: number;
  AF_INET: number;
  AF_INET6: number;
  SOCK_STREAM: number;
  SOCK_DGRAM: number;
  SOCK_RAW: number;
  /** OR-ed into the socket type so the descriptor is not inherited by child processes; 0 where unsupported. */
  SOCK_CLOEXEC: number;
  IPPROTO_IP: number;
  IPPROTO_ICMP: number;
  IPPROTO_TCP: number;
  IPPROTO_UDP: number;
  IPPROTO_IPV6: number;
  IPPROTO_ICMPV6: number;
  /** Level `IPPROTO_IP`: we write the IPv4 header (3 on Linux, 2 on macOS). */
  IP_HDRINCL: number;
  IP_TOS: number;
  IP_TTL: number;
  /** Level `IPPROTO_IPV6`: we write the IPv6 header (Linux 4.5+ only; undefined elsewhere). */
  IPV6_HDRINCL: number | undefined;
  IPV6_UNICAST_HOPS: number;
  /** Level `IPPROTO_IPV6`: offset at which the kernel fills the checksum. */
  IPV6_CHECKSUM: number;
  IPV6_RECVPKTINFO: number;
  IPV6_PKTINFO: number;
  IPV6_RECVHOPLIMIT: number;
  IPV6_HOPLIMIT: number;
  IPV6_RECVTCLASS: number;
  IPV6_TCLASS: number;
  /** Linux: ask for (and receive) the flow information of incoming packets; undefined elsewhere. */
  IPV6_FLOWINFO: number | undefined;
  SOL_SOCKET: number;
  SO_SNDBUF: number;
  SO_RCVBUF: number;
  /** Lets a socket send to a broadcast address (Linux refuses without it: `EACCES`). */
  SO_BROADCAST: number;
  /** The socket option that turns on kernel receive timestamps (`SO_TIMESTAMPNS` on Linux, `SO_TIMESTAMP` on macOS). */
  SO_TIMESTAMP: number;
  /** The control message type that carries them. */
  SCM_TIMESTAMP: number;
  MSG_TRUNC: number;
  MSG_CTRUNC: number;
  MSG_DONTWAIT: number;
  POLLIN: number;
  POLLERR: number;
  /** The most messages one `sendmmsg` call takes (`UIO_MAXIOV`). */
  SENDMMSG_MAX: number;
  /** Linux: `SO_RCVBUF` past `net.core.rmem_max`, for root (`CAP_NET_ADMIN`); undefined elsewhere. */
  SO_RCVBUFFORCE: number | undefined;
  /** Linux: `getsockopt` of a socket's memory counters (`SK_MEMINFO_*`, drops at index 8); undefined elsewhere. */
  SO_MEMINFO: number | undefined;
  /** Linux packet sockets (`AF_PACKET`): whole link-layer frames; undefined elsewhere. */
  AF_PACKET: number | undefined;
  /** Linux: netlink sockets (`AF_NETLINK`), for the neighbour table; undefined elsewhere. */
  AF_NETLINK: number | undefined;
  /** Linux: the socket option level of packet sockets (`SOL_PACKET`). */
  SOL_PACKET: number | undefined;
  /** Linux: level `SOL_PACKET`, send straight to the driver (`PACKET_QDISC_BYPASS`). */
  PACKET_QDISC_BYPASS: number | undefined;
  /** errno numbers. */
  errno: Readonly<Record<ErrnoName, number>>;
  /** `getaddrinfo` return codes. */
  eai: Readonly<Record<EaiName, number>>;
  /** Struct layouts. */
  layout: Layouts;
  /**
   * Packet sockets, BPF filters and transmit time stamps (Linux); undefined
   * where the OS has none of them (macOS: BPF devices, no `AF_PACKET`).
   */
  capture: CaptureConstants | undefined;
}

/**
 * What sniffing and transmit time stamps pass to the kernel (Linux:
 * `linux/if_packet.h`, `linux/if_ether.h`, `linux/net_tstamp.h`,
 * `linux/errqueue.h`, `asm-generic/socket.h` on x86_64 and aarch64).
 */
export interface CaptureConstants {
  /** The packet socket family. */
  AF_PACKET: number;
  /** Every protocol, as `sll_protocol` (host order; the socket call takes it in network order). */
  ETH_P_ALL: number;
  /** IPv4's EtherType. */
  ETH_P_IP: number;
  /** IPv6's EtherType. */
  ETH_P_IPV6: number;
  /** The socket level of packet sockets. */
  SOL_PACKET: number;
  /** Level `SOL_PACKET`: `struct tpacket_stats` (packets, drops), reset when read. */
  PACKET_STATISTICS: number;
  /** Level `SOL_SOCKET`: attach a classic BPF program (`struct sock_fprog`). */
  SO_ATTACH_FILTER: number;
  /** Level `SOL_SOCKET`: `SO_RCVBUF` past `rmem_max` (needs `CAP_NET_ADMIN`). */
  SO_RCVBUFFORCE: number;
  /** Level `SOL_SOCKET`: time stamping flags; also the control message type. */
  SO_TIMESTAMPING: number;
  /** `SOF_TIMESTAMPING_TX_SOFTWARE`: stamp when the driver takes the packet. */
  SOF_TIMESTAMPING_TX_SOFTWARE: number;
  /** `SOF_TIMESTAMPING_SOFTWARE`: report software stamps. */
  SOF_TIMESTAMPING_SOFTWARE: number;
  /** `SOF_TIMESTAMPING_TX_SCHED`: stamp when the packet enters the device's queue. */
  SOF_TIMESTAMPING_TX_SCHED: number;
  /** `recvmsg` flag: read the error queue, where transmit stamps are. */
  MSG_ERRQUEUE: number;
  /** The control message (level IP) that carries a `sock_extended_err`. */
  IP_RECVERR: number;
  /** The control message (level IPv6) that carries a `sock_extended_err`. */
  IPV6_RECVERR: number;
  /** `sock_extended_err.ee_origin` of a time stamp. */
  SO_EE_ORIGIN_TIMESTAMPING: number;
  /** `ee_info` of a stamp taken by the driver. */
  SCM_TSTAMP_SND: number;
  /** `ee_info` of a stamp taken when the packet was queued. */
  SCM_TSTAMP_SCHED: number;
  /** `sll_pkttype` values, in order: host, broadcast, multicast, other host, outgoing. */
  PACKET_TYPES: readonly string[];
  /** `sizeof(struct sockaddr_ll)`. */
  sockaddrLl: number;
  /** `sizeof(struct sock_fprog)`: a 2-byte length, padding, a pointer. */
  sockFprog: number;
}

/** Linux (glibc or musl) on x86_64 and aarch64. */
export const LINUX: OsConstants = Object.freeze(
  {
    os: "linux",
    libraries: [
      "libc.so.6",
      "libc.musl-x86_64.so.1",
      "libc.musl-aarch64.so.1",
      "libc.so",
    ],
    AF_UNSPEC: 0,
    AF_INET: 2,
    AF_INET6: 10,
    SOCK_STREAM: 1,
    SOCK_DGRAM: 2,
    SOCK_RAW: 3,
    SOCK_CLOEXEC: 0o2000000,
    IPPROTO_IP: 0,
    IPPROTO_ICMP: 1,
    IPPROTO_TCP: 6,
    IPPROTO_UDP: 17,
    IPPROTO_IPV6: 41,
    IPPROTO_ICMPV6: 58,
    IP_HDRINCL: 3,
    IP_TOS: 1,
    IP_TTL: 2,
    IPV6_HDRINCL: 36,
    IPV6_UNICAST_HOPS: 16,
    IPV6_CHECKSUM: 7,
    IPV6_RECVPKTINFO: 49,
    IPV6_PKTINFO: 50,
    IPV6_RECVHOPLIMIT: 51,
    IPV6_HOPLIMIT: 52,
    IPV6_RECVTCLASS: 66,
    IPV6_TCLASS: 67,
    IPV6_FLOWINFO: 11,
    SOL_SOCKET: 1,
    SO_SNDBUF: 7,
    SO_RCVBUF: 8,
    SO_BROADCAST: 6,
    SO_TIMESTAMP: 35,
    SCM_TIMESTAMP: 35,
    MSG_TRUNC: 0x20,
    MSG_CTRUNC: 0x08,
    MSG_DONTWAIT: 0x40,
    POLLIN: 0x001,
    POLLERR: 0x008,
    SENDMMSG_MAX: 1024,
    SO_RCVBUFFORCE: 33,
    SO_MEMINFO: 55,
    AF_PACKET: 17,
    AF_NETLINK: 16,
    SOL_PACKET: 263,
    PACKET_QDISC_BYPASS: 20,
    errno: Object.freeze({
      EPERM: 1,
      ENOENT: 2,
      EINTR: 4,
      EBADF: 9,
      EAGAIN: 11,
      ENOMEM: 12,
      EACCES: 13,
      EFAULT: 14,
      EINVAL: 22,
      ENFILE: 23,
      EMFILE: 24,
      ENOSYS: 38,
      ENOTSOCK: 88,
      EDESTADDRREQ: 89,
      EMSGSIZE: 90,
      EPROTOTYPE: 91,
      ENOPROTOOPT: 92,
      EPROTONOSUPPORT: 93,
      ESOCKTNOSUPPORT: 94,
      EOPNOTSUPP: 95,
      EAFNOSUPPORT: 97,
      EADDRINUSE: 98,
      EADDRNOTAVAIL: 99,
      ENETDOWN: 100,
      ENETUNREACH: 101,
      ECONNRESET: 104,
      ENOBUFS: 105,
      ETIMEDOUT: 110,
      ECONNREFUSED: 111,
      EHOSTDOWN: 112,
      EHOSTUNREACH: 113,
    }),
    eai: Object.freeze({
      EAI_AGAIN: -3,
      EAI_FAIL: -4,
      EAI_FAMILY: -6,
      EAI_MEMORY: -10,
      EAI_NODATA: -5,
      EAI_NONAME: -2,
      EAI_SERVICE: -8,
      EAI_SYSTEM: -11,
    }),
    layout: Object.freeze({
      sockaddrHasLength: false,
      sockaddrIn: 16,
      sockaddrIn6: 28,
      sockaddrStorage: 128,
      msghdr: Object.freeze({
        size: 56,
        name: 0,
        namelen: 8,
        iov: 16,
        iovlen: 24,
        iovlenSize: 8,
        control: 32,
        controllen: 40,
        controllenSize: 8,
        flags: 48,
      }),
      mmsghdr: 64,
      mmsghdrLen: 56,
      iovec: 16,
      cmsghdr: Object.freeze({
        headerSize: 16,
        lenSize: 8,
        level: 8,
        type: 12,
        align: 8,
      }),
      pollfd: 8,
      addrinfo: Object.freeze({
        size: 48,
        flags: 0,
        family: 4,
        socktype: 8,
        protocol: 12,
        addrlen: 16,
        addr: 24,
        canonname: 32,
        next: 40,
      }),
      timestamp: "timespec",
      nfdsSize: 8,
    }),
    capture: Object.freeze({
      AF_PACKET: 17,
      ETH_P_ALL: 0x0003,
      ETH_P_IP: 0x0800,
      ETH_P_IPV6: 0x86dd,
      SOL_PACKET: 263,
      PACKET_STATISTICS: 6,
      SO_ATTACH_FILTER: 26,
      SO_RCVBUFFORCE: 33,
      SO_TIMESTAMPING: 37,
      SOF_TIMESTAMPING_TX_SOFTWARE: 1 << 1,
      SOF_TIMESTAMPING_SOFTWARE: 1 << 4,
      SOF_TIMESTAMPING_TX_SCHED: 1 << 8,
      MSG_ERRQUEUE: 0x2000,
      IP_RECVERR: 11,
      IPV6_RECVERR: 25,
      SO_EE_ORIGIN_TIMESTAMPING: 4,
      SCM_TSTAMP_SND: 0,
      SCM_TSTAMP_SCHED: 1,
      PACKET_TYPES: Object.freeze([
        "in",
        "broadcast",
        "multicast",
        "other-host",
        "out",
      ]),
      sockaddrLl: 20,
      sockFprog: 16,
    }),
  } as const,
);

/** macOS on x86_64 and arm64. */
export const DARWIN: OsConstants = Object.freeze(
  {
    os: "darwin",
    libraries: ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"],
    AF_UNSPEC: 0,
    AF_INET: 2,
    AF_INET6: 30,
    SOCK_STREAM: 1,
    SOCK_DGRAM: 2,
    SOCK_RAW: 3,
    SOCK_CLOEXEC: 0,
    IPPROTO_IP: 0,
    IPPROTO_ICMP: 1,
    IPPROTO_TCP: 6,
    IPPROTO_UDP: 17,
    IPPROTO_IPV6: 41,
    IPPROTO_ICMPV6: 58,
    IP_HDRINCL: 2,
    IP_TOS: 3,
    IP_TTL: 4,
    IPV6_HDRINCL: undefined,
    IPV6_UNICAST_HOPS: 4,
    IPV6_CHECKSUM: 26,
    IPV6_RECVPKTINFO: 61,
    IPV6_PKTINFO: 46,
    IPV6_RECVHOPLIMIT: 37,
    IPV6_HOPLIMIT: 47,
    IPV6_RECVTCLASS: 35,
    IPV6_TCLASS: 36,
    IPV6_FLOWINFO: undefined,
    SOL_SOCKET: 0xffff,
    SO_SNDBUF: 0x1001,
    SO_RCVBUF: 0x1002,
    SO_BROADCAST: 0x0020,
    SO_TIMESTAMP: 0x0400,
    SCM_TIMESTAMP: 0x02,
    MSG_TRUNC: 0x10,
    MSG_CTRUNC: 0x20,
    MSG_DONTWAIT: 0x80,
    POLLIN: 0x001,
    POLLERR: 0x008,
    SENDMMSG_MAX: 0,
    SO_RCVBUFFORCE: undefined,
    SO_MEMINFO: undefined,
    AF_PACKET: undefined,
    AF_NETLINK: undefined,
    SOL_PACKET: undefined,
    PACKET_QDISC_BYPASS: undefined,
    errno: Object.freeze({
      EPERM: 1,
      ENOENT: 2,
      EINTR: 4,
      EBADF: 9,
      EAGAIN: 35,
      ENOMEM: 12,
      EACCES: 13,
      EFAULT: 14,
      EINVAL: 22,
      ENFILE: 23,
      EMFILE: 24,
      ENOSYS: 78,
      ENOTSOCK: 38,
      EDESTADDRREQ: 39,
      EMSGSIZE: 40,
      EPROTOTYPE: 41,
      ENOPROTOOPT: 42,
      EPROTONOSUPPORT: 43,
      ESOCKTNOSUPPORT: 44,
      EOPNOTSUPP: 102,
      EAFNOSUPPORT: 47,
      EADDRINUSE: 48,
      EADDRNOTAVAIL: 49,
      ENETDOWN: 50,
      ENETUNREACH: 51,
      ECONNRESET: 54,
      ENOBUFS: 55,
      ETIMEDOUT: 60,
      ECONNREFUSED: 61,
      EHOSTDOWN: 64,
      EHOSTUNREACH: 65,
    }),
    eai: Object.freeze({
      EAI_AGAIN: 2,
      EAI_FAIL: 4,
      EAI_FAMILY: 5,
      EAI_MEMORY: 6,
      EAI_NODATA: 7,
      EAI_NONAME: 8,
      EAI_SERVICE: 9,
      EAI_SYSTEM: 11,
    }),
    layout: Object.freeze({
      sockaddrHasLength: true,
      sockaddrIn: 16,
      sockaddrIn6: 28,
      sockaddrStorage: 128,
      msghdr: Object.freeze({
        size: 48,
        name: 0,
        namelen: 8,
        iov: 16,
        iovlen: 24,
        iovlenSize: 4,
        control: 32,
        controllen: 40,
        controllenSize: 4,
        flags: 44,
      }),
      mmsghdr: 0,
      mmsghdrLen: 0,
      iovec: 16,
      cmsghdr: Object.freeze({
        headerSize: 12,
        lenSize: 4,
        level: 4,
        type: 8,
        align: 4,
      }),
      pollfd: 8,
      addrinfo: Object.freeze({
        size: 48,
        flags: 0,
        family: 4,
        socktype: 8,
        protocol: 12,
        addrlen: 16,
        addr: 32,
        canonname: 24,
        next: 40,
      }),
      timestamp: "timeval",
      nfdsSize: 4,
    }),
    capture: undefined,
  } as const,
);

/**
 * The constants of an OS, or undefined where raw sockets are not supported.
 *
 * @param os An OS name as in `Deno.build.os`.
 * @returns Its constants, or undefined.
 */
export function constantsFor(os: string): OsConstants | undefined {
  if (os === "linux") return LINUX;
  if (os === "darwin") return DARWIN;
  return undefined;
}

/**
 * The errno name of a number on an OS (`"EPERM"`), or undefined when it is
 * not one tcpcraft explains.
 *
 * @param errno The errno value.
 * @param constants The OS.
 * @returns The name, or undefined.
 */
export function errnoName(
  errno: number,
  constants: OsConstants,
): ErrnoName | undefined {
  for (const [name, value] of Object.entries(constants.errno)) {
    if (value === errno) return name as ErrnoName;
  }
  return undefined;
}

/** Whether the host stores multi-byte integers little end first. */
export const LITTLE_ENDIAN: boolean =
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
