/**
 * The OS layer outside RawSocket's packet paths: errno mapping (by table,
 * and by a real kernel refusing packets), constants and struct layouts
 * (checked against the C compiler), socket addresses, lazy loading, the
 * `--allow-ffi` message, the EPERM message for an unprivileged user, source
 * discovery, name resolution (`/etc/hosts` included) and `sendTcp`.
 *
 * Agents at the end run inside namespaces or as other users (see
 * tests/_netns.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { makeTcpPacket, ParseError, TCP_FLAGS } from "../mod.ts";
import {
  FfiPermissionError,
  isDenoPermissionError,
  permissionHint,
  RawSocket,
  ResolveError,
  resolveHost,
  routeSource,
  sendTcp,
  SocketError,
  socketErrorFromErrno,
  translatePermissionError,
} from "../ffi/mod.ts";
import { DARWIN, LINUX, type OsConstants } from "../ffi/_constants.ts";
import { libcLoaded } from "../ffi/_libc.ts";
import { allocate, readSockaddr, writeSockaddr } from "../ffi/_sockaddr.ts";
import {
  agentMain,
  commandExists,
  netnsTestGate,
  withNetwork,
} from "./_netns.ts";

const SELF = import.meta.url;

// ---------------------------------------------------------------------------
// Agents

interface ErrorReport {
  code?: string;
  name: string;
  message: string;
}

function report(error: unknown): ErrorReport {
  const e = error as Error & { code?: string };
  return e.code === undefined
    ? { name: e.name, message: e.message }
    : { name: e.name, message: e.message, code: e.code };
}

async function attempt(
  fn: () => unknown,
): Promise<ErrorReport | { ok: unknown }> {
  try {
    return { ok: await fn() };
  } catch (error) {
    return report(error);
  }
}

/** Run without any permission: importing worked if we got here. */
async function noPermission(): Promise<Record<string, unknown>> {
  return {
    loadedAfterImport: libcLoaded(),
    open: await attempt(() => RawSocket.open({ family: 4 })),
    route: await attempt(() => routeSource("127.0.0.1")),
    resolveName: await attempt(() => resolveHost("localhost")),
    resolveLiteral: await attempt(() => resolveHost("192.0.2.1")),
    sendTcp: await attempt(() => sendTcp({ dst: "127.0.0.1", dport: 9 })),
    loadedAtEnd: libcLoaded(),
  };
}

/** Run as an unprivileged user with --allow-ffi. */
async function unprivileged(): Promise<Record<string, unknown>> {
  return {
    uid: Deno.uid(),
    open4: await attempt(() => RawSocket.open({ family: 4 })),
    open6: await attempt(() =>
      RawSocket.open({ family: 6, headerIncluded: true })
    ),
    route: await attempt(() => routeSource("127.0.0.1")),
  };
}

interface KernelErrorsArgs {
  b4: string;
  a6: string;
  b6: string;
}

/** Provoke errors the kernel reports, in a namespace prepared by the test. */
async function kernelErrors(
  args: KernelErrorsArgs,
): Promise<Record<string, unknown>> {
  const syn = new Uint8Array(20);
  syn[12] = 0x50;
  syn[13] = 0x02;
  using v4 = RawSocket.open({ family: 4 });
  using v6 = RawSocket.open({ family: 6, headerIncluded: true });
  // 40 + 20 + 1460 = 1520 bytes: over the 1500-byte MTU.
  const big = makeTcpPacket({
    src: args.a6,
    dst: args.b6,
    payload: new Uint8Array(1460),
  });
  return {
    routeToPeer: await attempt(() => routeSource(args.b4)),
    routeNoRoute: await attempt(() => routeSource("192.0.2.1")),
    sendNoRoute: await attempt(() => v4.send(syn, "192.0.2.1")),
    sendUnreachableRoute: await attempt(() => v4.send(syn, "198.51.100.1")),
    sendProhibitedRoute: await attempt(() => v4.send(syn, "203.0.113.1")),
    sendFirewalled: await attempt(() => {
      const firewalled = syn.slice();
      firewalled[2] = 0x1f; // destination port 0x1f3f = 7999, dropped by nft
      firewalled[3] = 0x3f;
      return v4.send(firewalled, args.b4);
    }),
    sendManyNoRoute: await attempt(() => v4.sendMany([syn, syn], "192.0.2.1")),
    sendTooBig: await attempt(() => v6.send(big, args.b6)),
  };
}

async function resolving(): Promise<Record<string, unknown>> {
  return {
    both: await attempt(() => resolveHost("tcpcraft-peer.test")),
    v4: await attempt(() => resolveHost("tcpcraft-peer.test", { family: 4 })),
    v6: await attempt(() => resolveHost("tcpcraft-peer.test", { family: 6 })),
    alias: await attempt(() => resolveHost("peer-alias")),
    onlyV4Asked6: await attempt(() =>
      resolveHost("only-four.test", { family: 6 })
    ),
    unknown: await attempt(() => resolveHost("no-such-host.test")),
  };
}

interface SendTcpArgs {
  a4: string;
  b4: string;
  port: number;
}

async function sendTcpAgent(
  args: SendTcpArgs,
): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  const cases: [string, Parameters<typeof sendTcp>[0], 4 | 6][] = [
    ["plain", { dst: args.b4, dport: args.port, payload: "hello" }, 4],
    ["ttl", { dst: args.b4, dport: args.port, ttl: 33, id: 777 }, 4],
    ["byName6", {
      dst: "tcpcraft-peer.test",
      family: 6,
      dport: args.port,
      flags: "S",
    }, 6],
    ["hopLimit6", {
      dst: "tcpcraft-peer.test",
      family: 6,
      dport: args.port,
      hopLimit: 9,
    }, 6],
  ];
  for (const [name, init, family] of cases) {
    using listen = RawSocket.open({ family });
    const sent = await sendTcp(init);
    let reply = null;
    const deadline = performance.now() + 3000;
    for (let round = 0; round < 100 && reply === null; round++) {
      const remaining = Math.ceil(deadline - performance.now());
      if (remaining <= 0) break;
      for (const r of await listen.receive({ timeoutMs: remaining })) {
        if (
          r.packet?.tcp.dstPort === sent.packet.tcp.srcPort &&
          r.source === sent.destination
        ) {
          reply = {
            flags: r.packet.tcp.flags,
            ack: r.packet.tcp.ack,
            afterSend: r.receivedAt - sent.sentAt,
          };
          break;
        }
      }
    }
    results[name] = {
      src: sent.packet.ip.src,
      destination: sent.destination,
      headerIncluded: sent.headerIncluded,
      bytes: sent.bytes.length,
      seq: sent.packet.tcp.seq,
      srcPort: sent.packet.tcp.srcPort,
      ttl: sent.packet.ip.version === 4
        ? sent.packet.ip.ttl
        : sent.packet.ip.hopLimit,
      reply,
    };
  }
  results.forcedKernel = await attempt(() =>
    sendTcp({ dst: args.b4, dport: args.port, ttl: 3, headerIncluded: false })
  );
  results.spoofed = await attempt(async () => {
    const sent = await sendTcp({
      dst: args.b4,
      dport: args.port,
      src: "10.200.0.77",
    });
    return { headerIncluded: sent.headerIncluded, src: sent.packet.ip.src };
  });
  return results;
}

if (import.meta.main) {
  await agentMain({
    noPermission,
    unprivileged,
    kernelErrors,
    resolving,
    sendTcp: sendTcpAgent,
  });
}

// ---------------------------------------------------------------------------
// Tests

const AS_AGENT = { ignore: true, suffix: "" };

Deno.test("socketErrorFromErrno() names EPERM and EACCES on socket() and says how to grant the capability", () => {
  const expected =
    "Cannot open raw socket: permission denied; run as root or grant cap_net_raw (sudo setcap cap_net_raw+ep ./tcpcraft)";
  for (const os of ["linux", "darwin"]) {
    for (const errno of [1, 13]) {
      const error = socketErrorFromErrno(errno, "socket", { os });
      assert.ok(error instanceof SocketError);
      assert.equal(error.code, errno === 1 ? "EPERM" : "EACCES");
      assert.equal(error.errno, errno);
      assert.equal(error.syscall, "socket");
      assert.equal(error.message, expected);
    }
  }
});

Deno.test("socketErrorFromErrno() says EACCES on connect() is a broadcast destination, not missing privileges", () => {
  // Linux answers a UDP connect() to a broadcast address (what routeSource
  // does) with EACCES, root or not: `tcpcraft send 10.99.0.255` as root.
  for (const [os, errno] of [["linux", 13], ["darwin", 13]] as const) {
    const error = socketErrorFromErrno(errno, "connect", {
      os,
      action: "Cannot find a source address for 192.0.2.255",
    });
    assert.equal(error.code, "EACCES");
    assert.equal(
      error.message,
      "Cannot find a source address for 192.0.2.255: permission denied (EACCES); the destination is a broadcast address: give the address of one host",
    );
  }
});

Deno.test("socketErrorFromErrno() names each network errno with its number on Linux and on macOS", () => {
  const table: [string, number, number, RegExp][] = [
    [
      "ENETUNREACH",
      101,
      51,
      /network is unreachable \(ENETUNREACH\); .*ip route/,
    ],
    [
      "EHOSTUNREACH",
      113,
      65,
      /host is unreachable \(EHOSTUNREACH\); .*ip neigh/,
    ],
    ["EADDRNOTAVAIL", 99, 49, /address not available \(EADDRNOTAVAIL\); /],
    [
      "EMSGSIZE",
      90,
      40,
      /message too long \(EMSGSIZE\); the 1520-byte packet is larger than the interface MTU allows: send a smaller payload/,
    ],
    [
      "EAFNOSUPPORT",
      97,
      47,
      /address family not supported \(EAFNOSUPPORT\); .*IPv6 disabled/,
    ],
    [
      "ENOBUFS",
      105,
      55,
      /no buffer space available \(ENOBUFS\); .*send fewer packets/,
    ],
    ["EAGAIN", 11, 35, /\(EAGAIN\)/],
    ["EPROTONOSUPPORT", 93, 43, /\(EPROTONOSUPPORT\)/],
  ];
  for (const [code, linux, darwin, pattern] of table) {
    for (const [os, errno] of [["linux", linux], ["darwin", darwin]] as const) {
      const error = socketErrorFromErrno(errno, "sendto", {
        os,
        action: "Cannot send packet to 192.0.2.1",
        length: 1520,
      });
      assert.equal(error.code, code, `${os} ${errno}`);
      assert.ok(
        error.message.startsWith("Cannot send packet to 192.0.2.1: "),
        error.message,
      );
      assert.match(error.message, pattern);
      assert.ok(!error.message.endsWith("."), error.message);
    }
  }
  // The two numberings differ: 51 is ENETUNREACH on macOS, not on Linux.
  assert.equal(socketErrorFromErrno(51, "sendto", { os: "linux" }).code, "E51");
});

Deno.test("socketErrorFromErrno() explains EPERM on send as a firewall and keeps strerror for unknown numbers", () => {
  const perm = socketErrorFromErrno(1, "sendmmsg", { os: "linux" });
  assert.equal(
    perm.message,
    "Cannot send packets: operation not permitted (EPERM); a firewall rule (iptables or nftables OUTPUT chain) refused the packet",
  );
  const unknown = socketErrorFromErrno(4242, "recvmsg", {
    os: "linux",
    strerror: "Unknown error 4242",
  });
  assert.equal(unknown.code, "E4242");
  assert.equal(
    unknown.message,
    "Cannot receive packets: Unknown error 4242 (E4242)",
  );
});

Deno.test("permissionHint() and translatePermissionError() turn Deno's refusal into one line naming --allow-ffi", () => {
  assert.equal(
    permissionHint(),
    "Cannot use raw sockets: Deno needs --allow-ffi (run: deno run --allow-ffi cli.ts ...)",
  );
  const translated = translatePermissionError(
    new Deno.errors.NotCapable(
      'Requires ffi access to "libc.so.6", run again with the --allow-ffi flag',
    ),
  );
  assert.ok(translated instanceof FfiPermissionError);
  assert.equal(translated.message, permissionHint());
  assert.ok(!translated.message.includes("\n"));
  assert.ok(
    isDenoPermissionError(
      new Deno.errors.PermissionDenied(
        "Requires ffi access, run again with the --allow-ffi flag",
      ),
    ),
  );
  assert.ok(
    !isDenoPermissionError(
      new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    ),
  );
  const other = new Error("x");
  assert.equal(translatePermissionError(other), other);
});

/** Each check: a label, the C expression, and what _constants.ts says. */
function layoutChecks(k: OsConstants): [string, string, number][] {
  const l = k.layout;
  const checks: [string, string, number][] = [
    ["AF_UNSPEC", "AF_UNSPEC", k.AF_UNSPEC],
    ["AF_INET", "AF_INET", k.AF_INET],
    ["AF_INET6", "AF_INET6", k.AF_INET6],
    ["SOCK_STREAM", "SOCK_STREAM", k.SOCK_STREAM],
    ["SOCK_DGRAM", "SOCK_DGRAM", k.SOCK_DGRAM],
    ["SOCK_RAW", "SOCK_RAW", k.SOCK_RAW],
    ["SOCK_CLOEXEC", "SOCK_CLOEXEC", k.SOCK_CLOEXEC],
    ["IPPROTO_IP", "IPPROTO_IP", k.IPPROTO_IP],
    ["IPPROTO_ICMP", "IPPROTO_ICMP", k.IPPROTO_ICMP],
    ["IPPROTO_TCP", "IPPROTO_TCP", k.IPPROTO_TCP],
    ["IPPROTO_UDP", "IPPROTO_UDP", k.IPPROTO_UDP],
    ["IPPROTO_IPV6", "IPPROTO_IPV6", k.IPPROTO_IPV6],
    ["IPPROTO_ICMPV6", "IPPROTO_ICMPV6", k.IPPROTO_ICMPV6],
    ["IP_HDRINCL", "IP_HDRINCL", k.IP_HDRINCL],
    ["IP_TOS", "IP_TOS", k.IP_TOS],
    ["IP_TTL", "IP_TTL", k.IP_TTL],
    ["IPV6_UNICAST_HOPS", "IPV6_UNICAST_HOPS", k.IPV6_UNICAST_HOPS],
    ["IPV6_CHECKSUM", "IPV6_CHECKSUM", k.IPV6_CHECKSUM],
    ["IPV6_RECVPKTINFO", "IPV6_RECVPKTINFO", k.IPV6_RECVPKTINFO],
    ["IPV6_PKTINFO", "IPV6_PKTINFO", k.IPV6_PKTINFO],
    ["IPV6_RECVHOPLIMIT", "IPV6_RECVHOPLIMIT", k.IPV6_RECVHOPLIMIT],
    ["IPV6_HOPLIMIT", "IPV6_HOPLIMIT", k.IPV6_HOPLIMIT],
    ["IPV6_RECVTCLASS", "IPV6_RECVTCLASS", k.IPV6_RECVTCLASS],
    ["IPV6_TCLASS", "IPV6_TCLASS", k.IPV6_TCLASS],
    ["SOL_SOCKET", "SOL_SOCKET", k.SOL_SOCKET],
    ["SO_SNDBUF", "SO_SNDBUF", k.SO_SNDBUF],
    ["SO_RCVBUF", "SO_RCVBUF", k.SO_RCVBUF],
    ["SO_BROADCAST", "SO_BROADCAST", k.SO_BROADCAST],
    ["SO_TIMESTAMP", "SO_TIMESTAMPNS", k.SO_TIMESTAMP],
    ["SCM_TIMESTAMP", "SCM_TIMESTAMPNS", k.SCM_TIMESTAMP],
    ["MSG_TRUNC", "MSG_TRUNC", k.MSG_TRUNC],
    ["MSG_CTRUNC", "MSG_CTRUNC", k.MSG_CTRUNC],
    ["MSG_DONTWAIT", "MSG_DONTWAIT", k.MSG_DONTWAIT],
    ["POLLIN", "POLLIN", k.POLLIN],
    ["POLLERR", "POLLERR", k.POLLERR],
    ["sockaddr_in", "sizeof(struct sockaddr_in)", l.sockaddrIn],
    ["sockaddr_in6", "sizeof(struct sockaddr_in6)", l.sockaddrIn6],
    ["sin6_addr", "offsetof(struct sockaddr_in6, sin6_addr)", 8],
    ["sin6_scope_id", "offsetof(struct sockaddr_in6, sin6_scope_id)", 24],
    ["sockaddr_storage", "sizeof(struct sockaddr_storage)", l.sockaddrStorage],
    ["msghdr", "sizeof(struct msghdr)", l.msghdr.size],
    ["msg_name", "offsetof(struct msghdr, msg_name)", l.msghdr.name],
    ["msg_namelen", "offsetof(struct msghdr, msg_namelen)", l.msghdr.namelen],
    ["msg_iov", "offsetof(struct msghdr, msg_iov)", l.msghdr.iov],
    ["msg_iovlen", "offsetof(struct msghdr, msg_iovlen)", l.msghdr.iovlen],
    [
      "msg_iovlen size",
      "sizeof(((struct msghdr *)0)->msg_iovlen)",
      l.msghdr.iovlenSize,
    ],
    ["msg_control", "offsetof(struct msghdr, msg_control)", l.msghdr.control],
    [
      "msg_controllen",
      "offsetof(struct msghdr, msg_controllen)",
      l.msghdr.controllen,
    ],
    [
      "msg_controllen size",
      "sizeof(((struct msghdr *)0)->msg_controllen)",
      l.msghdr.controllenSize,
    ],
    ["msg_flags", "offsetof(struct msghdr, msg_flags)", l.msghdr.flags],
    ["mmsghdr", "sizeof(struct mmsghdr)", l.mmsghdr],
    ["msg_len", "offsetof(struct mmsghdr, msg_len)", l.mmsghdrLen],
    ["iovec", "sizeof(struct iovec)", l.iovec],
    ["CMSG_LEN(0)", "CMSG_LEN(0)", l.cmsghdr.headerSize],
    [
      "cmsg_len size",
      "sizeof(((struct cmsghdr *)0)->cmsg_len)",
      l.cmsghdr.lenSize,
    ],
    ["cmsg_level", "offsetof(struct cmsghdr, cmsg_level)", l.cmsghdr.level],
    ["cmsg_type", "offsetof(struct cmsghdr, cmsg_type)", l.cmsghdr.type],
    ["CMSG_ALIGN(1)", "CMSG_ALIGN(1)", l.cmsghdr.align],
    ["pollfd", "sizeof(struct pollfd)", l.pollfd],
    ["nfds_t", "sizeof(nfds_t)", l.nfdsSize],
    ["addrinfo", "sizeof(struct addrinfo)", l.addrinfo.size],
    ["ai_family", "offsetof(struct addrinfo, ai_family)", l.addrinfo.family],
    [
      "ai_socktype",
      "offsetof(struct addrinfo, ai_socktype)",
      l.addrinfo.socktype,
    ],
    ["ai_addrlen", "offsetof(struct addrinfo, ai_addrlen)", l.addrinfo.addrlen],
    ["ai_addr", "offsetof(struct addrinfo, ai_addr)", l.addrinfo.addr],
    [
      "ai_canonname",
      "offsetof(struct addrinfo, ai_canonname)",
      l.addrinfo.canonname,
    ],
    ["ai_next", "offsetof(struct addrinfo, ai_next)", l.addrinfo.next],
    ["timespec", "sizeof(struct timespec)", 16],
    ["in6_pktinfo", "sizeof(struct in6_pktinfo)", 20],
  ];
  for (const [name, value] of Object.entries(k.errno)) {
    checks.push([name, name, value]);
  }
  for (const [name, value] of Object.entries(k.eai)) {
    checks.push([name, name, value]);
  }
  return checks;
}

async function compileAndRun(
  includes: string[],
  checks: [string, string, number][],
): Promise<Map<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-layout-" });
  try {
    const source = [
      "#define _GNU_SOURCE",
      ...includes.map((h) => `#include <${h}>`),
      "#include <stdio.h>",
      "#include <stddef.h>",
      "int main(void) {",
      ...checks.map(([label, expr]) =>
        `  printf("%s %ld\\n", "${label}", (long)(${expr}));`
      ),
      "  return 0;",
      "}",
    ].join("\n");
    await Deno.writeTextFile(`${dir}/layout.c`, source);
    const cc = await new Deno.Command("cc", {
      args: [`${dir}/layout.c`, "-o", `${dir}/layout`],
      stderr: "piped",
    }).output();
    assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
    const run = await new Deno.Command(`${dir}/layout`, { stdout: "piped" })
      .output();
    const values = new Map<string, number>();
    for (
      const line of new TextDecoder().decode(run.stdout).trim().split("\n")
    ) {
      const at = line.lastIndexOf(" ");
      values.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
    return values;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const cGate = import.meta.main
  ? AS_AGENT
  : Deno.build.os === "linux" && commandExists("cc")
  ? { ignore: false, suffix: "" }
  : { ignore: true, suffix: ` (skipped: needs Linux and a C compiler)` };

Deno.test({
  name:
    "Linux constants and struct layouts in ffi/_constants.ts match what the C compiler says" +
    cGate.suffix,
  ignore: cGate.ignore,
  async fn() {
    const checks = layoutChecks(LINUX);
    const values = await compileAndRun(
      [
        "sys/socket.h",
        "netinet/in.h",
        "poll.h",
        "errno.h",
        "netdb.h",
        "time.h",
      ],
      checks,
    );
    const mismatches = checks
      .filter(([label, , expected]) => values.get(label) !== expected)
      .map(([label, , expected]) =>
        `${label}: ours ${expected}, C ${values.get(label)}`
      );
    assert.deepEqual(mismatches, []);
    // The kernel-only ones live in linux/ headers, which clash with netinet/in.h.
    const kernel: [string, string, number][] = [
      ["IPV6_HDRINCL", "IPV6_HDRINCL", LINUX.IPV6_HDRINCL!],
      ["IPV6_FLOWINFO", "IPV6_FLOWINFO", LINUX.IPV6_FLOWINFO!],
      ["UIO_MAXIOV", "UIO_MAXIOV", LINUX.SENDMMSG_MAX],
    ];
    const kernelValues = await compileAndRun(
      ["linux/in6.h", "linux/uio.h"],
      kernel,
    );
    for (const [label, , expected] of kernel) {
      assert.equal(kernelValues.get(label), expected, label);
    }
  },
});

Deno.test("writeSockaddr() lays out sockaddr_in and sockaddr_in6 per OS: macOS has the length byte", () => {
  const v6 = new Uint8Array([
    0x20,
    0x01,
    0x0d,
    0xb8,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
  ]);
  const linux = allocate(128).fill(0xa5);
  assert.equal(
    writeSockaddr(linux, v6, LINUX, {
      port: 443,
      flowInfo: 0x12345,
      scopeId: 7,
    }),
    28,
  );
  assert.deepEqual(
    linux.subarray(0, 28),
    new Uint8Array([
      0x0a,
      0x00,
      0x01,
      0xbb, // AF_INET6 = 10 (host order), port 443
      0x00,
      0x01,
      0x23,
      0x45, // flow info, network order
      0x20,
      0x01,
      0x0d,
      0xb8,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x01,
      0x07,
      0x00,
      0x00,
      0x00, // scope id, host order
    ]),
  );
  const darwin = allocate(128).fill(0xa5);
  assert.equal(
    writeSockaddr(darwin, new Uint8Array([192, 0, 2, 1]), DARWIN, { port: 80 }),
    16,
  );
  assert.deepEqual(
    darwin.subarray(0, 16),
    new Uint8Array([
      0x10,
      0x02,
      0x00,
      0x50, // sin_len 16, AF_INET 2, port 80
      0xc0,
      0x00,
      0x02,
      0x01, // 192.0.2.1
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
    ]),
  );
  const darwin6 = allocate(28);
  writeSockaddr(darwin6, v6, DARWIN);
  assert.deepEqual(darwin6.subarray(0, 2), new Uint8Array([28, 30]));
  for (
    const [k, bytes] of [[LINUX, linux], [DARWIN, darwin], [
      DARWIN,
      darwin6,
    ]] as const
  ) {
    const address = readSockaddr(bytes, k);
    assert.ok(address !== undefined);
    assert.equal(
      address.address,
      address.family === 6 ? "2001:db8::1" : "192.0.2.1",
    );
  }
  assert.equal(readSockaddr(new Uint8Array(16), LINUX), undefined); // AF_UNSPEC
});

Deno.test("resolveHost() returns address literals untouched (canonical) without a lookup or permission", async () => {
  assert.deepEqual(await resolveHost("192.0.2.1"), ["192.0.2.1"]);
  assert.deepEqual(await resolveHost("2001:DB8:0::1"), ["2001:db8::1"]);
  assert.deepEqual(await resolveHost("[::1]", { family: 6 }), ["::1"]);
  await assert.rejects(
    () => resolveHost("192.0.2.1", { family: 6 }),
    ParseError,
  );
  await assert.rejects(() => resolveHost("192.0.2"), ParseError);
  await assert.rejects(() => resolveHost(""), ParseError);
  await assert.rejects(() => resolveHost(" localhost"), ParseError);
});

Deno.test({
  name: "routeSource() finds the loopback source and refuses host names",
  ignore: Deno.build.os !== "linux",
  fn() {
    assert.equal(routeSource("127.0.0.1"), "127.0.0.1");
    assert.equal(routeSource("127.1.2.3"), "127.0.0.1");
    assert.throws(() => routeSource("localhost"), ParseError);
  },
});

function denoCommand(
  args: string[],
  options: { env?: Record<string, string>; prefix?: string[] } = {},
) {
  const [command, ...rest] = [
    ...(options.prefix ?? []),
    Deno.execPath(),
    ...args,
  ];
  return new Deno.Command(command!, {
    args: rest,
    env: { DENO_NO_UPDATE_CHECK: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

function agentResult(
  stdout: Uint8Array,
  stderr: Uint8Array,
): Record<string, unknown> {
  const text = new TextDecoder().decode(stdout);
  const line = text.split("\n").find((l) =>
    l.startsWith("@@tcpcraft-agent-result ")
  );
  assert.ok(
    line !== undefined,
    `no agent result:\n${text}\n${new TextDecoder().decode(stderr)}`,
  );
  return JSON.parse(line.slice("@@tcpcraft-agent-result ".length));
}

Deno.test({
  name:
    "Without --allow-ffi, importing ffi/mod.ts opens nothing and each call fails with the one-line --allow-ffi message",
  ignore: import.meta.main,
  async fn() {
    const { stdout, stderr } = await denoCommand([
      "run",
      "--no-prompt",
      "--no-lock",
      new URL(SELF).pathname,
      "noPermission",
      "null",
    ]);
    const result = agentResult(stdout, stderr);
    const hint = { name: "FfiPermissionError", message: permissionHint() };
    assert.deepEqual(result, {
      loadedAfterImport: false,
      open: hint,
      route: hint,
      resolveName: {
        name: "FfiPermissionError",
        message:
          'Cannot resolve host "localhost": Deno needs --allow-ffi (run: deno run --allow-ffi cli.ts ...)',
      },
      resolveLiteral: { ok: ["192.0.2.1"] },
      sendTcp: hint,
      loadedAtEnd: false,
    });
  },
});

const setprivGate =
  Deno.build.os === "linux" && !import.meta.main && Deno.uid() === 0 &&
    commandExists("setpriv")
    ? { ignore: false, suffix: "" }
    : { ignore: true, suffix: " (skipped: needs Linux, root and setpriv)" };

Deno.test({
  name:
    "As an unprivileged user, RawSocket.open() fails with EPERM and the message says how to grant cap_net_raw" +
    setprivGate.suffix,
  ignore: setprivGate.ignore,
  async fn() {
    // The user "nobody" must be able to read the code and write a Deno cache.
    const denoDir = await Deno.makeTempDir({ prefix: "tcpcraft-nobody-" });
    try {
      await Deno.chmod(denoDir, 0o777);
      const { stdout, stderr } = await denoCommand(
        [
          "run",
          "--allow-ffi",
          "--allow-sys",
          "--no-prompt",
          "--no-lock",
          new URL(SELF).pathname,
          "unprivileged",
          "null",
        ],
        {
          prefix: [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
          ],
          env: { DENO_DIR: denoDir, HOME: denoDir },
        },
      );
      const result = agentResult(stdout, stderr);
      const eperm = {
        name: "SocketError",
        code: "EPERM",
        message:
          "Cannot open raw socket: permission denied; run as root or grant cap_net_raw (sudo setcap cap_net_raw+ep ./tcpcraft)",
      };
      assert.deepEqual(result, {
        uid: 65534,
        open4: eperm,
        open6: eperm,
        // Source discovery uses a UDP socket: no privilege needed.
        route: { ok: "127.0.0.1" },
      });
    } finally {
      await Deno.remove(denoDir, { recursive: true });
    }
  },
});

const nftGate = import.meta.main ? AS_AGENT : netnsTestGate("nft");

Deno.test({
  name:
    "RawSocket errors from a real kernel: ENETUNREACH, EHOSTUNREACH, EACCES, EPERM (firewall) and EMSGSIZE, each explained" +
    nftGate.suffix,
  ignore: nftGate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      await net.run(net.a, [
        "ip",
        "route",
        "add",
        "unreachable",
        "198.51.100.0/24",
      ]);
      await net.run(net.a, [
        "ip",
        "route",
        "add",
        "prohibit",
        "203.0.113.0/24",
      ]);
      await net.run(net.a, ["nft", "-f", "-"], {
        stdin: `table ip tcpcraft_test {
  chain output {
    type filter hook output priority 0; policy accept;
    tcp dport 7999 drop
  }
}
`,
      });
      const r = await net.agent<Record<string, Record<string, string>>>(
        net.a,
        SELF,
        "kernelErrors",
        {
          b4: net.b.ipv4,
          a6: net.a.ipv6,
          b6: net.b.ipv6,
        } satisfies KernelErrorsArgs,
      );
      assert.deepEqual(r.routeToPeer, { ok: net.a.ipv4 });
      const expect = (key: string, code: string, message: RegExp) => {
        assert.equal(
          r[key]!.name,
          "SocketError",
          `${key}: ${JSON.stringify(r[key])}`,
        );
        assert.equal(r[key]!.code, code, `${key}: ${JSON.stringify(r[key])}`);
        assert.match(r[key]!.message!, message);
      };
      expect(
        "routeNoRoute",
        "ENETUNREACH",
        /^Cannot find a source address for 192\.0\.2\.1: network is unreachable \(ENETUNREACH\); no route leads to this network/,
      );
      expect(
        "sendNoRoute",
        "ENETUNREACH",
        /^Cannot send packet to 192\.0\.2\.1: network is unreachable \(ENETUNREACH\)/,
      );
      expect(
        "sendUnreachableRoute",
        "EHOSTUNREACH",
        /^Cannot send packet to 198\.51\.100\.1: host is unreachable \(EHOSTUNREACH\)/,
      );
      expect(
        "sendProhibitedRoute",
        "EACCES",
        /^Cannot send packet to 203\.0\.113\.1: permission denied \(EACCES\)/,
      );
      expect(
        "sendFirewalled",
        "EPERM",
        /^Cannot send packet to 10\.200\.0\.2: operation not permitted \(EPERM\); a firewall rule/,
      );
      expect(
        "sendManyNoRoute",
        "ENETUNREACH",
        /^Cannot send packets to 192\.0\.2\.1 \(after 0 of 2 packets were sent\): network is unreachable/,
      );
      expect(
        "sendTooBig",
        "EMSGSIZE",
        /^Cannot send packet to fd00:200::2: message too long \(EMSGSIZE\); the 1520-byte packet is larger than the interface MTU allows/,
      );
    });
  },
});

const netGate = import.meta.main ? AS_AGENT : netnsTestGate();

Deno.test({
  name:
    "resolveHost() reads /etc/hosts as the system does (both families, aliases, family filter, unknown names)" +
    netGate.suffix,
  ignore: netGate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      // `ip netns exec` mounts these over /etc: no DNS server is asked.
      await net.etc(net.a, {
        hosts: [
          "127.0.0.1 localhost",
          "10.9.8.7 tcpcraft-peer.test peer-alias",
          "fd00:9::7 tcpcraft-peer.test",
          "10.9.8.6 only-four.test",
          "",
        ].join("\n"),
        "nsswitch.conf": "hosts: files\n",
        "resolv.conf": "nameserver 127.0.0.1\n",
      });
      const r = await net.agent<
        Record<
          string,
          { ok?: string[]; name?: string; code?: string; message?: string }
        >
      >(
        net.a,
        SELF,
        "resolving",
        null,
      );
      assert.deepEqual(new Set(r.both!.ok), new Set(["10.9.8.7", "fd00:9::7"]));
      assert.deepEqual(r.v4, { ok: ["10.9.8.7"] });
      assert.deepEqual(r.v6, { ok: ["fd00:9::7"] });
      assert.deepEqual(r.alias, { ok: ["10.9.8.7"] });
      assert.equal(r.onlyV4Asked6!.name, "ResolveError");
      assert.equal(r.unknown!.name, "ResolveError");
      assert.equal(r.unknown!.code, "EAI_NONAME");
      assert.match(
        r.unknown!.message!,
        /^Cannot resolve host "no-such-host\.test": /,
      );
    });
  },
});

Deno.test({
  name:
    "sendTcp() finds the source, picks the mode from the fields given, resolves names, and the peer answers its SYN" +
    netGate.suffix,
  ignore: netGate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7010);
      try {
        await net.etc(net.a, {
          hosts: `127.0.0.1 localhost\n${net.b.ipv6} tcpcraft-peer.test\n`,
          "nsswitch.conf": "hosts: files\n",
        });
        type Sent = {
          src: string;
          destination: string;
          headerIncluded: boolean;
          bytes: number;
          seq: number;
          ttl: number;
          reply: { flags: number; ack: number; afterSend: number } | null;
        };
        const r = await net.agent<
          Record<string, Sent & Record<string, unknown>>
        >(
          net.a,
          SELF,
          "sendTcp",
          { a4: net.a.ipv4, b4: net.b.ipv4, port: 7010 } satisfies SendTcpArgs,
        );
        const expectations: [
          string,
          string,
          string,
          boolean,
          number,
          number,
        ][] = [
          // name, src, destination, headerIncluded, bytes handed over, ttl
          ["plain", net.a.ipv4, net.b.ipv4, false, 25, 64],
          ["ttl", net.a.ipv4, net.b.ipv4, true, 40, 33],
          ["byName6", net.a.ipv6, net.b.ipv6, false, 20, 64],
          ["hopLimit6", net.a.ipv6, net.b.ipv6, true, 60, 9],
        ];
        for (
          const [name, src, destination, headerIncluded, bytes, ttl]
            of expectations
        ) {
          const sent = r[name]!;
          assert.equal(sent.src, src, name);
          assert.equal(sent.destination, destination, name);
          assert.equal(sent.headerIncluded, headerIncluded, name);
          assert.equal(sent.bytes, bytes, name);
          assert.equal(sent.ttl, ttl, name);
          assert.ok(sent.reply !== null, `${name}: no reply`);
          // The SYN-ACK acknowledges our sequence number: the checksum, made
          // with the discovered source, was right.
          assert.equal(sent.reply.flags, TCP_FLAGS.syn | TCP_FLAGS.ack, name);
          assert.equal(sent.reply.ack, (sent.seq + 1) >>> 0, name);
          // Both times are epoch milliseconds on one clock.
          assert.ok(
            sent.reply.afterSend > -5 && sent.reply.afterSend < 3000,
            `${name}: ${sent.reply.afterSend}`,
          );
        }
        assert.deepEqual(r.forcedKernel, {
          name: "RangeError",
          message:
            "Cannot send packet to 10.200.0.2: ttl needs headerIncluded, which was set to false",
        });
        assert.deepEqual(r.spoofed, {
          ok: { headerIncluded: true, src: "10.200.0.77" },
        });
      } finally {
        await listener.close();
      }
    });
  },
});

Deno.test({
  name: "ResolveError carries the host name and the getaddrinfo code",
  fn() {
    const error = new ResolveError(
      "x.test",
      "EAI_NONAME",
      "Name or service not known",
    );
    assert.equal(error.code, "EAI_NONAME");
    assert.equal(error.host, "x.test");
    assert.equal(
      error.message,
      'Cannot resolve host "x.test": Name or service not known',
    );
  },
});
