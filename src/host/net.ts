/**
 * The network half of a host, as the engines see it: raw sockets, a
 * receiver for replies to probes, the routed source address, name
 * resolution and the wall clock. The ffi layer implements it
 * (`createFfiNet()` in `ffi/net.ts`); tests implement it with fakes, so the
 * portable half of every engine runs without root.
 *
 * Adding to it: new capabilities go in as OPTIONAL members, so that
 * existing implementations and fakes keep compiling; an engine that needs
 * one checks for it and says the host lacks it.
 *
 * @module
 */

/** A packet read from a raw socket, as {@linkcode NetRawSocket.receive} returns it. */
export interface NetReceivedPacket {
  /**
   * The whole IP datagram (for IPv6, with the fixed header rebuilt from what
   * the kernel reports), or the ICMP message's datagram on an ICMP socket.
   */
  bytes: Uint8Array;
  /** The sender's address, canonical text. */
  source: string;
  /** When the kernel received it, epoch milliseconds (same clock as {@linkcode Net.wallClock}). */
  receivedAt: number;
}

/**
 * Send slots kept between calls (a fast path): each slot is a buffer the
 * caller writes one datagram into, once, and patches in place; `send`
 * hands the kernel the filled slots in as few system calls as the OS
 * allows, with nothing built per packet (the message headers, buffer
 * pointers and socket addresses were written when the ring was opened).
 */
export interface NetSendRing {
  /** The slots, each `slotBytes` long; their bytes stay as written between sends. */
  readonly slots: readonly Uint8Array[];
  /**
   * Send bytes `offset` to `length` of slots `0..count-1`, in slot order.
   * Where each goes: the ring's destination, or (a receiver's ring) the
   * destination address in each slot's IP header.
   *
   * @returns `count`; a failure throws (the message says how many were sent).
   */
  send(count: number, length: number, offset?: number): number;
}

/** Options for {@linkcode NetRawSocket.openSendRing}. */
export interface NetSendRingOptions {
  /** How many slots (the most packets one `send` takes). */
  slots: number;
  /** The bytes of each slot. */
  slotBytes: number;
  /**
   * Where every packet goes; `"per-slot"`: each to the destination address
   * in its slot's IP header (header-included sockets; the ffi layer's
   * `RawSocket` takes it), for packets whose destinations differ.
   */
  destination: string;
}

/**
 * Called with each packet a receiver drains: `data[offset..offset+length)`
 * is the whole IP datagram (IPv6: its fixed header rebuilt), valid only
 * during the call; `icmp` says it came from the ICMP or ICMPv6 socket.
 */
export type NetPacketHandler = (
  data: Uint8Array,
  offset: number,
  length: number,
  receivedAt: number,
  icmp: boolean,
) => void;

/** An open raw socket (the ffi layer's `RawSocket` satisfies this). */
export interface NetRawSocket {
  /** Send one packet (whole datagram in header-included mode, else the TCP segment's packet); returns bytes accepted. */
  send(packet: Uint8Array, destination: string): number;
  /** Send many packets in as few system calls as the OS allows; returns how many were sent. */
  sendMany(packets: Uint8Array[], destination: string): number;
  /** Wait up to `timeoutMs` for packets without blocking the event loop; returns what arrived (maybe nothing). */
  receive(
    options: { timeoutMs: number; maxPackets?: number },
  ): Promise<NetReceivedPacket[]>;
  /** Close the socket (idempotent). */
  close(): void;
  /**
   * Optional fast path: send slots to one destination ({@linkcode NetSendRing});
   * the slots live as long as the socket.
   */
  openSendRing?(options: NetSendRingOptions): NetSendRing;
}

/** Options for {@linkcode Net.openRawSocket}. */
export interface NetRawSocketOptions {
  /** Address family. */
  family: 4 | 6;
  /** We write the IP header (IP_HDRINCL / IPV6_HDRINCL). */
  headerIncluded?: boolean;
  /** 6 (TCP, default), 1 (ICMP) or 58 (ICMPv6); the ICMP ones for receiving errors. */
  protocol?: 6 | 1 | 58;
  /**
   * May send to broadcast addresses (`SO_BROADCAST`; default false, and
   * Linux then refuses such a packet with `EACCES`).
   */
  broadcast?: boolean;
}

/** What one {@linkcode NetReceiver.poll} read. */
export interface NetReceivedBatch {
  /** From the TCP socket: whole IP datagrams. */
  tcp: NetReceivedPacket[];
  /** From the ICMP (IPv4) or ICMPv6 (IPv6) socket: whole IP datagrams. */
  icmp: NetReceivedPacket[];
}

/**
 * A raw TCP socket and a raw ICMP/ICMPv6 socket of one family, read
 * together (the ffi layer's `Receiver`). Send probes on it: a second raw
 * TCP socket would get a copy of every TCP packet and nobody would read it.
 */
export interface NetReceiver {
  /** Send one packet on the TCP socket (a whole datagram when opened with `headerIncluded`); returns bytes accepted. */
  send(packet: Uint8Array, destination: string): number;
  /** Send many packets on the TCP socket in as few system calls as the OS allows; returns how many were sent. */
  sendMany(packets: Uint8Array[], destination: string): number;
  /**
   * What is queued on either socket, else wait up to `timeoutMs` (one wait
   * for both, off the event loop) and return what arrived (maybe nothing).
   */
  poll(timeoutMs: number): Promise<NetReceivedBatch>;
  /** Close both sockets (idempotent). */
  close(): void;
  /**
   * Optional fast path: send slots on the TCP socket, each datagram to the
   * destination in its own IP header (`headerIncluded` receivers).
   */
  openSendRing?(options: Omit<NetSendRingOptions, "destination">): NetSendRing;
  /**
   * Optional fast path: read what is queued on both sockets now, without
   * waiting, in batches (`recvmmsg`), each packet handed to `onPacket` in
   * place (nothing allocated per packet).
   *
   * @returns How many packets were handed over (at most `maxPackets`, default 4096).
   */
  drain?(onPacket: NetPacketHandler, maxPackets?: number): number;
  /** Optional: packets the kernel dropped on both sockets for want of buffer room, since they were opened. */
  drops?(): number;
  /**
   * Ask the kernel to time stamp every packet this receiver sends from now
   * on, as it leaves (Linux `SO_TIMESTAMPING`, software transmit stamps).
   * Optional: a receiver without it has only the caller's clock.
   *
   * @returns Whether the kernel agreed.
   */
  enableTransmitStamps?(): boolean;
  /**
   * The transmit time stamps the kernel reported since the last call,
   * oldest first (after {@linkcode NetReceiver.enableTransmitStamps}).
   */
  transmitStamps?(): NetTransmitStamp[];
}

/** When the kernel saw one packet leave, from its transmit time stamps. */
export interface NetTransmitStamp {
  /** The datagram as it left (IP header first). */
  bytes: Uint8Array;
  /** The time, epoch milliseconds (same clock as {@linkcode Net.wallClock}). */
  sentAt: number;
  /**
   * Where the stamp was taken: `"sent"` when the driver took the packet
   * (the best estimate of when it left), `"scheduled"` when it entered the
   * device's queue (a driver that stamps nothing leaves only this one).
   */
  stage: "sent" | "scheduled";
}

/** Options for {@linkcode Net.openReceiver}. */
export interface NetReceiverOptions {
  /** The TCP socket sends whole datagrams, IP header included (default false). */
  headerIncluded?: boolean;
  /** Kernel receive buffer of each socket, bytes (default: the system's). */
  receiveBufferBytes?: number;
  /**
   * Send on the link layer instead (Linux `AF_PACKET`): every datagram in a
   * frame on this interface to the next hop of `destination` (its
   * hardware address resolved once); replies are still read by the raw
   * sockets. Needs `headerIncluded`.
   */
  link?: { interface: string; destination: string };
  /**
   * The TCP socket may send to broadcast addresses (`SO_BROADCAST`;
   * default false).
   */
  broadcast?: boolean;
}

/** Options for {@linkcode Net.openLinkSocket}. */
export interface NetLinkSocketOptions {
  /** The interface. */
  interface: string;
  /** The address whose next hop every frame goes to (the gateway's hardware address, or its own on the link). */
  destination: string;
}

/** One classic BPF instruction (`struct sock_filter`), as `src/filter/` compiles them. */
export interface NetBpfInstruction {
  /** The opcode. */
  code: number;
  /** Jump when true. */
  jt: number;
  /** Jump when false. */
  jf: number;
  /** The constant. */
  k: number;
}

/** Options for {@linkcode Net.openSniffer}. */
export interface NetSnifferOptions {
  /**
   * The classic BPF program the kernel runs on each packet (IP header
   * first) before it is queued; packets it rejects never reach the program.
   */
  program: readonly NetBpfInstruction[];
  /** The interface to listen on (default: every interface). */
  interface?: string;
  /** Kernel receive buffer, bytes (default: the system's, at least 4 MiB where allowed). */
  receiveBufferBytes?: number;
}

/** Which way a sniffed packet went, as the kernel says (`sll_pkttype`). */
export type NetPacketDirection =
  | "in"
  | "out"
  | "broadcast"
  | "multicast"
  | "other-host";

/** A packet a sniffer read. */
export interface NetSniffedPacket {
  /** The IP datagram (IP header first; cut to the buffer when it was longer). */
  bytes: Uint8Array;
  /** Its length on the wire, bytes (more than `bytes.length` when cut). */
  length: number;
  /** The kernel's time stamp, epoch milliseconds. */
  receivedAt: number;
  /**
   * The same time stamp exactly, as the kernel gave it (epoch seconds and
   * nanoseconds): milliseconds in a double keep only about a quarter of a
   * microsecond. Optional: a sniffer without it has only `receivedAt`.
   */
  time?: { seconds: number; nanoseconds: number };
  /** Which way it went. */
  direction: NetPacketDirection;
  /** The interface it was seen on (index; 0 when unknown). */
  interfaceIndex: number;
}

/** What a sniffer counted, as the kernel keeps it (`PACKET_STATISTICS`). */
export interface NetSnifferStats {
  /** Packets the filter took, since the last call. */
  received: number;
  /** Of those, packets dropped because the buffer was full, since the last call. */
  dropped: number;
}

/** A packet socket that sees what the host sends and receives, filtered in the kernel. */
export interface NetSniffer {
  /** What is queued, else wait up to `timeoutMs` (off the event loop) and return what arrived (maybe nothing). */
  poll(timeoutMs: number): Promise<NetSniffedPacket[]>;
  /** The kernel's counts since the last call, where it keeps them. */
  stats?(): NetSnifferStats;
  /** Close the socket (idempotent). */
  close(): void;
}

/** One TCP flow, from our end: the addresses and ports of a hand-made session. */
export interface NetFlow {
  /** 4 or 6. */
  family: 4 | 6;
  /** Our address. */
  local: string;
  /** Our port. */
  localPort: number;
  /** The peer's address. */
  remote: string;
  /** The peer's port. */
  remotePort: number;
}

/** A hold on the kernel's resets for one flow; release it when done. */
export interface NetResetHold {
  /** A line that says what holds them (`nft table inet tcpcraft_…`). */
  readonly description: string;
  /** Remove what holds them (idempotent). */
  release(): Promise<void>;
}

/** Resolve a host name (or pass an address literal through), as the system does. */
export type ResolveHost = (
  name: string,
  options?: { family?: 4 | 6 },
) => Promise<string[]>;

/** Who a process that runs as root becomes ({@linkcode Net.dropPrivileges}). */
export interface NetDropTarget {
  /** The user id (not 0). */
  uid: number;
  /** The group id (not 0). */
  gid: number;
}

/** What {@linkcode Net.dropPrivileges} did. */
export interface NetPrivilegeDrop {
  /**
   * What the process had before: `"root"` (a user id of 0), `"capabilities"`
   * (another user with capabilities, as a binary given `cap_net_raw` by
   * `setcap` has) or `"none"`.
   */
  had: "root" | "capabilities" | "none";
  /** The real, effective and saved user id now (all three are this one). */
  uid: number;
  /** The real, effective and saved group id now. */
  gid: number;
  /** Threads whose ids were read back (Linux: every thread of the process). */
  threads: number;
  /**
   * Whether a seccomp filter now refuses raw and packet sockets in every
   * thread, and no thread gains privileges through `exec` (Linux).
   */
  filtered: boolean;
  /** One line: `uid 1000, gid 1000, no capabilities, no new privileges`. */
  description: string;
}

/** Options for {@linkcode Net.routeSource}. */
export interface NetRouteSourceOptions {
  /** Look the route up for a broadcast address too (default false). */
  broadcast?: boolean;
}

/** Raw network access: what sending, probing, scanning and tracing need. */
export interface Net {
  /** Open a raw socket; throws the ffi layer's errors (their messages say what to do). */
  openRawSocket(options: NetRawSocketOptions): NetRawSocket;
  /**
   * The source address the kernel would use to reach `dst`; `broadcast`
   * looks it up for a broadcast address too (which Linux refuses
   * otherwise, as it refuses to send there).
   */
  routeSource(dst: string, options?: NetRouteSourceOptions): string;
  /** Resolve a host name (or pass an address literal through), as the system does. */
  resolveHost(name: string, options?: { family?: 4 | 6 }): Promise<string[]>;
  /** Wall-clock time, epoch milliseconds with fractions. */
  wallClock(): number;
  /**
   * Open a receiver for replies to probes: TCP and ICMP (or ICMPv6) raw
   * sockets of one family. Optional: a host without it cannot probe, trace
   * or scan.
   */
  openReceiver?(family: 4 | 6, options?: NetReceiverOptions): NetReceiver;
  /**
   * Open a link-layer socket (Linux `AF_PACKET`): datagrams, IP header
   * included, sent in frames to the next hop of a destination on one
   * interface, past the kernel's IP output path. Optional: a host without
   * it has no `-I`.
   */
  openLinkSocket?(options: NetLinkSocketOptions): NetRawSocket;
  /**
   * Open a packet socket that sees the IP packets the host sends and
   * receives, with a BPF program attached (Linux `AF_PACKET`). Optional: a
   * host without it cannot sniff.
   */
  openSniffer?(options: NetSnifferOptions): NetSniffer;
  /**
   * Keep the kernel from resetting one flow it does not know (a session
   * made by hand): its RST segments for exactly that flow are dropped until
   * the hold is released. Optional: a host without it cannot hold sessions
   * open against its own kernel.
   *
   * @throws An error whose message says why it cannot (no `nft`, no permission).
   */
  holdKernelResets?(flow: NetFlow): Promise<NetResetHold>;
  /**
   * Start now, while the process may, what {@linkcode Net.holdKernelResets}
   * needs once {@linkcode Net.dropPrivileges} has run (the ffi layer: an
   * `nft` process of its own that takes its commands on a pipe). Returns a
   * function that ends it. Optional.
   */
  prepareResetHolds?(): Promise<() => Promise<void>>;
  /**
   * Give up the process's privileges for good, once every socket it needs
   * is open and before it reads a byte from the network: a process running
   * as root becomes `target` (default: the user `nobody`) with no
   * supplementary groups; every capability is cleared; no privilege can be
   * gained through `exec` again. Optional: a host with nothing to give up
   * omits it.
   *
   * @param target Who to become when the process runs as root.
   * @returns What was done.
   * @throws An error whose message says which step failed; the process must
   *   then stop before it reads anything.
   */
  dropPrivileges?(target?: NetDropTarget): NetPrivilegeDrop;
  /**
   * The directed broadcast addresses of this host's own IPv4 subnets, as
   * the local routing table lists them (`ip route show table local type
   * broadcast`). Optional.
   */
  broadcastAddresses?(): string[];
}

/** A {@linkcode Net} that can open receivers: what the probing engines take. */
export type ReceiverNet = Net & Required<Pick<Net, "openReceiver">>;
