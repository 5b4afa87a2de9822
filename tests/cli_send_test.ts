/**
 * `tcpcraft send`: the command's logic against a fake network (what is
 * opened, what bytes are handed to the socket, pacing, batching, Ctrl-C,
 * errors), and the CLI itself judged by real kernels: it runs inside
 * namespace a (see tests/_netns.ts) and namespace b's kernel and tcpdump say
 * whether the packets were right.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  decodeTcp,
  LINKTYPE,
  readCaptureBytes,
  verifyPacketChecksums,
  verifyTcpChecksum,
} from "../mod.ts";
import { createDenoHost } from "../ffi/deno_host.ts";
import type {
  CliNet,
  CliRawSocket,
  CliRawSocketOptions,
  MemoryHost,
} from "../src/cli/host.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import { SEND_BATCH } from "../src/engine/send.ts";
import {
  agentMain,
  commandExists,
  type Host,
  netnsTestGate,
  openFdCount,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";

const SELF = import.meta.url;
const AGENT = import.meta.main;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const META = { version: "test" };

// ---------------------------------------------------------------------------
// A fake network: records what `send` opens and sends.

interface SentCall {
  kind: "send" | "sendMany";
  packets: Uint8Array[];
  destination: string;
  /** The host clock when the call was made. */
  at: number;
}

interface FakeNetwork {
  host: MemoryHost;
  opened: CliRawSocketOptions[];
  calls: SentCall[];
  closed: number;
  resolved: { name: string; family: 4 | 6 | undefined }[];
  routed: string[];
  /** Interrupt handlers currently registered. */
  handlers: Set<() => void>;
}

interface FakeOptions {
  /** The source the fake routing table gives (default by family). */
  routed4?: string;
  routed6?: string;
  /** Names the fake resolver knows. */
  names?: Record<string, string[]>;
  /** Call the interrupt handlers after this many packets were sent. */
  interruptAfter?: number;
  /** Throw from the send call with this index (0-based). */
  failCall?: number;
  os?: string;
}

function fakeNetwork(options: FakeOptions = {}): FakeNetwork {
  const host = createMemoryHost(
    options.os === undefined ? {} : { os: options.os },
  );
  const fake: FakeNetwork = {
    host,
    opened: [],
    calls: [],
    closed: 0,
    resolved: [],
    routed: [],
    handlers: new Set(),
  };
  let sent = 0;
  const record = (kind: SentCall["kind"], packets: Uint8Array[], d: string) => {
    if (fake.calls.length === options.failCall) {
      fake.calls.push({ kind, packets: [], destination: d, at: host.now() });
      throw new Error(
        "Cannot send packet to 192.0.2.1: no buffer space available (ENOBUFS)",
      );
    }
    fake.calls.push({
      kind,
      packets: packets.map((p) => p.slice()),
      destination: d,
      at: host.now(),
    });
    sent += packets.length;
    if (
      options.interruptAfter !== undefined && sent >= options.interruptAfter
    ) {
      for (const handler of fake.handlers) handler();
    }
  };
  const net: CliNet = {
    openRawSocket(socketOptions) {
      fake.opened.push(socketOptions);
      const socket: CliRawSocket = {
        send(packet, destination) {
          record("send", [packet], destination);
          return packet.length;
        },
        sendMany(packets, destination) {
          record("sendMany", packets, destination);
          return packets.length;
        },
        receive() {
          return Promise.resolve([]);
        },
        close() {
          fake.closed++;
        },
      };
      return socket;
    },
    routeSource(dst) {
      fake.routed.push(dst);
      return dst.includes(":")
        ? options.routed6 ?? "2001:db8::42"
        : options.routed4 ?? "192.0.2.42";
    },
    resolveHost(name, resolveOptions) {
      fake.resolved.push({ name, family: resolveOptions?.family });
      const all = options.names?.[name] ?? [];
      const found = all.filter((a) =>
        resolveOptions?.family === undefined ||
        (resolveOptions.family === 6) === a.includes(":")
      );
      if (found.length === 0) {
        return Promise.reject(
          new Error(`Cannot resolve host "${name}": Name or service not known`),
        );
      }
      return Promise.resolve(found);
    },
    wallClock() {
      return 1_700_000_000_000 + host.now();
    },
  };
  Object.assign(host, {
    net,
    onInterrupt(handler: () => void) {
      fake.handlers.add(handler);
      return () => fake.handlers.delete(handler);
    },
  });
  return fake;
}

function sentPackets(fake: FakeNetwork): Uint8Array[] {
  return fake.calls.flatMap((call) => call.packets);
}

// ---------------------------------------------------------------------------
// Unit tests: the command against the fake network.

Deno.test("send --dry-run prints each packet as build does and a summary, and opens nothing", async () => {
  const fake = fakeNetwork();
  const code = await runCli(
    [
      "send",
      "192.0.2.1:666",
      "--src",
      "192.0.2.42",
      "-s",
      "65534",
      "--seq",
      "0xffffffff",
      "--sport-step",
      "1",
      "--seq-step",
      "1",
      "-c",
      "3",
      "-f",
      "xmas",
      "--dry-run",
    ],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  assert.equal(fake.host.err, "");
  assert.equal(
    fake.host.out,
    [
      "IP 192.0.2.42.65534 > 192.0.2.1.666: Flags [FPU], seq 4294967295, win 8192, urg 0, length 0",
      "IP 192.0.2.42.65535 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0",
      "IP 192.0.2.42.0 > 192.0.2.1.666: Flags [FPU], seq 1, win 8192, urg 0, length 0",
      "3 packets, 120 bytes (dry run: nothing sent)",
      "",
    ].join("\n"),
  );
  assert.equal(fake.opened.length, 0);
  assert.equal(fake.routed.length, 0, "--src given: no route lookup");
});

Deno.test("send --sport-step and --seq-step step by negative amounts and keep each checksum right", async () => {
  const fake = fakeNetwork();
  const code = await runCli(
    [
      "send",
      "[2001:db8::1]:80",
      "--src",
      "2001:db8::2",
      "-s",
      "1",
      "--seq",
      "1",
      "--sport-step",
      "-1",
      "--seq-step",
      "-2",
      "-c",
      "3",
      "-f",
      "PA",
      "--data",
      "hi",
      "--dry-run",
      "--format",
      "json",
    ],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  const lines = fake.host.out.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((j) => [j.tcp.srcPort, j.tcp.seq, j.tcp.checksumValid]),
    [[1, 1, true], [0, 4294967295, true], [65535, 4294967293, true]],
  );
  // JSON and hex keep standard output one packet per line: summary on stderr.
  assert.equal(fake.host.err, "3 packets, 186 bytes (dry run: nothing sent)\n");
});

Deno.test("send without -s and --seq picks a random source port in 49152..65535 and a random sequence number", async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const fake = fakeNetwork();
    const code = await runCli(
      [
        "send",
        "192.0.2.1",
        "--src",
        "192.0.2.42",
        "--dry-run",
        "--format",
        "json",
      ],
      fake.host,
      META,
    );
    assert.equal(code, 0);
    const json = JSON.parse(fake.host.out);
    assert.ok(json.tcp.srcPort >= 49152 && json.tcp.srcPort <= 65535);
    assert.equal(json.tcp.checksumValid, true);
    seen.add(`${json.tcp.srcPort} ${json.tcp.seq}`);
  }
  assert.ok(seen.size >= 7, `random values repeat: ${[...seen]}`);
});

Deno.test("send in kernel mode opens a plain socket and hands it the TCP segment, checksummed with the routed source", async () => {
  const fake = fakeNetwork({ routed4: "192.0.2.42" });
  const code = await runCli(
    [
      "send",
      "192.0.2.1:22",
      "-s",
      "40000",
      "--seq",
      "7",
      "-o",
      "mss=1460",
      "--data",
      "x",
    ],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  assert.deepEqual(fake.opened, [{ family: 4, headerIncluded: false }]);
  assert.equal(fake.calls.length, 1);
  assert.equal(fake.calls[0]!.kind, "send");
  assert.equal(fake.calls[0]!.destination, "192.0.2.1");
  const segment = fake.calls[0]!.packets[0]!;
  assert.equal(segment.length, 20 + 4 + 1);
  const tcp = decodeTcp(segment);
  assert.equal(tcp.srcPort, 40000);
  assert.equal(tcp.dstPort, 22);
  assert.equal(tcp.seq, 7);
  assert.ok(verifyTcpChecksum(segment, "192.0.2.42", "192.0.2.1"));
  assert.equal(fake.closed, 1);
  assert.equal(
    fake.host.out,
    "IP 192.0.2.42.40000 > 192.0.2.1.22: Flags [S], seq 7:8, win 8192, options [mss 1460], length 1\n" +
      "1 packet, 45 bytes sent in 0.000 s\n",
  );
});

Deno.test("send writes the IP header itself when an IP-level option or a foreign --src is given", async () => {
  const cases: [string, string[]][] = [
    ["192.0.2.1", ["--ttl", "33"]],
    ["192.0.2.1", ["--id", "777"]],
    ["192.0.2.1", ["--tos", "0x10"]],
    ["192.0.2.1", ["--df"]],
    ["192.0.2.1", ["--ip-checksum", "1"]],
    ["192.0.2.1", ["--ip-options", "01010101"]],
    ["192.0.2.1", ["--src", "192.0.2.99"]],
    ["2001:db8::1", ["--hop-limit", "7"]],
    ["2001:db8::1", ["--flow-label", "0x12345"]],
    ["2001:db8::1", ["--traffic-class", "4"]],
    ["2001:db8::1", ["--src", "2001:db8::99"]],
  ];
  for (const [target, extra] of cases) {
    const fake = fakeNetwork();
    const code = await runCli(["send", target, ...extra], fake.host, META);
    assert.equal(code, 0, `${extra}: ${fake.host.err}`);
    const family = target.includes(":") ? 6 : 4;
    assert.deepEqual(
      fake.opened,
      [{ family, headerIncluded: true }],
      `${extra}`,
    );
    const datagram = fake.calls[0]!.packets[0]!;
    const packet = decodePacket(datagram);
    assert.equal(packet.ip.version, family);
    assert.ok(verifyPacketChecksums(datagram).tcp, `${extra}`);
  }
  // The routed source given as --src stays in kernel mode.
  const fake = fakeNetwork({ routed4: "192.0.2.42" });
  assert.equal(
    await runCli(["send", "192.0.2.1", "--src", "192.0.2.42"], fake.host, META),
    0,
  );
  assert.deepEqual(fake.opened, [{ family: 4, headerIncluded: false }]);
});

Deno.test("send notes on Linux that the kernel rewrites an IPv4 --ip-checksum and an --id of 0", async () => {
  const fake = fakeNetwork();
  assert.equal(
    await runCli(
      ["send", "192.0.2.1", "--ip-checksum", "0xbeef", "--id", "0"],
      fake.host,
      META,
    ),
    0,
  );
  assert.match(
    fake.host.err,
    /^note: Linux rewrites the IPv4 header checksum/m,
  );
  assert.match(fake.host.err, /^note: Linux replaces an IPv4 id of 0/m);
});

Deno.test("send --flood sends in sendMany batches of at most 1024, never one call per packet", async () => {
  const fake = fakeNetwork();
  const code = await runCli(
    ["send", "192.0.2.1", "-c", "2500", "--flood", "--sport-step", "1", "-q"],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  assert.deepEqual(
    fake.calls.map((c) => [c.kind, c.packets.length]),
    [["sendMany", SEND_BATCH], ["sendMany", SEND_BATCH], ["sendMany", 452]],
  );
  const ports = sentPackets(fake).map((p) => decodeTcp(p).srcPort);
  assert.equal(new Set(ports).size, 2500);
  assert.ok(
    sentPackets(fake).every((p) =>
      verifyTcpChecksum(p, "192.0.2.42", "192.0.2.1")
    ),
  );
  assert.match(fake.host.out, /^2500 packets, 100000 bytes sent in /);
  assert.equal(
    fake.host.out.split("\n").length,
    2,
    "-q prints only the summary",
  );
});

Deno.test("send paces packets at --interval and --rate, one send call each, and reports the rate", async () => {
  for (
    const [args, step] of [
      [["-i", "250ms"], 250],
      [["--rate", "10"], 100],
      [["-i", "2"], 2000],
      [[], 1000],
    ] as const
  ) {
    const fake = fakeNetwork();
    const code = await runCli(
      ["send", "192.0.2.1", "-c", "5", "-q", ...args],
      fake.host,
      META,
    );
    assert.equal(code, 0, fake.host.err);
    assert.deepEqual(
      fake.calls.map((c) => [c.kind, c.at]),
      [0, 1, 2, 3, 4].map((i) => ["send", i * step]),
    );
    const seconds = (4 * step / 1000).toFixed(3);
    const rate = (1000 / step).toFixed(1);
    assert.equal(
      fake.host.out,
      `5 packets, 200 bytes sent in ${seconds} s (${rate} pps)\n`,
    );
  }
});

Deno.test("send stops on Ctrl-C after the packet being sent, prints the summary and exits 130", async () => {
  const fake = fakeNetwork({ interruptAfter: 3 });
  const code = await runCli(
    [
      "send",
      "192.0.2.1",
      "-c",
      "100",
      "-i",
      "10ms",
      "-s",
      "1000",
      "--seq",
      "5",
    ],
    fake.host,
    META,
  );
  assert.equal(code, 130);
  assert.equal(sentPackets(fake).length, 3);
  const lines = fake.host.out.trim().split("\n");
  assert.equal(lines.length, 4);
  assert.equal(
    lines[3],
    "3 packets, 120 bytes sent in 0.020 s (100 pps), interrupted",
  );
  assert.equal(fake.handlers.size, 0, "the Ctrl-C handler is removed");
  assert.equal(fake.closed, 1);

  const flood = fakeNetwork({ interruptAfter: 1 });
  assert.equal(
    await runCli(
      ["send", "192.0.2.1", "-c", "5000", "--flood", "-q"],
      flood.host,
      META,
    ),
    130,
  );
  assert.equal(sentPackets(flood).length, SEND_BATCH, "one batch, then stop");
});

Deno.test("send prints the summary of what was sent before a failed send, then the error, and closes the socket", async () => {
  const fake = fakeNetwork({ failCall: 1 });
  const code = await runCli(
    ["send", "192.0.2.1", "-c", "3", "-i", "1ms", "-q"],
    fake.host,
    META,
  );
  assert.equal(code, 1);
  assert.match(fake.host.out, /^1 packet, 40 bytes sent in 0\.000 s\n$/);
  assert.equal(
    fake.host.err,
    "error: Cannot send packet to 192.0.2.1: no buffer space available (ENOBUFS)\n",
  );
  assert.equal(fake.closed, 1);

  const first = fakeNetwork({ failCall: 0 });
  assert.equal(await runCli(["send", "192.0.2.1"], first.host, META), 1);
  assert.equal(first.host.out, "", "nothing sent: no summary");
  assert.equal(first.host.err.split("\n").length, 2, "one line");
});

Deno.test("send resolves a host name with -4/-6 and refuses a literal of the other family", async () => {
  const names = { "peer.test": ["192.0.2.7", "2001:db8::7"] };
  const v6 = fakeNetwork({ names });
  assert.equal(await runCli(["send", "peer.test:443", "-6"], v6.host, META), 0);
  assert.deepEqual(v6.resolved, [{ name: "peer.test", family: 6 }]);
  assert.equal(v6.calls[0]!.destination, "2001:db8::7");
  assert.deepEqual(v6.opened, [{ family: 6, headerIncluded: false }]);
  assert.match(v6.host.out, /^IP6 2001:db8::42\.\d+ > 2001:db8::7\.443: /);

  const any = fakeNetwork({ names });
  assert.equal(await runCli(["send", "peer.test"], any.host, META), 0);
  assert.deepEqual(any.resolved, [{ name: "peer.test", family: undefined }]);
  assert.equal(any.calls[0]!.destination, "192.0.2.7");

  const unknown = fakeNetwork({ names });
  assert.equal(await runCli(["send", "nowhere.test"], unknown.host, META), 1);
  assert.equal(
    unknown.host.err,
    'error: Cannot resolve host "nowhere.test": Name or service not known\n',
  );
  assert.equal(unknown.opened.length, 0);
});

Deno.test("send refuses bad input with exit 2 before resolving, routing or opening anything", async () => {
  const bad: [string[], RegExp][] = [
    [["192.0.2.1", "--flood"], /--flood: needs --count/],
    [["192.0.2.1", "-c", "0"], /--count: "0" is out of range/],
    [["192.0.2.1", "-i", "0"], /--interval: "0" is out of range/],
    [["192.0.2.1", "-i", "soon"], /--interval: "soon" is not a duration/],
    [["192.0.2.1", "--rate", "0"], /--rate: "0" is not a rate/],
    [["192.0.2.1", "--rate", "fast"], /--rate: "fast" is not a rate/],
    [
      ["192.0.2.1", "--rate", "5", "-i", "1s"],
      /--rate: conflicts with --interval/,
    ],
    [
      ["192.0.2.1", "-c", "5", "--flood", "-i", "1s"],
      /--flood: conflicts with --interval/,
    ],
    [
      ["192.0.2.1", "-c", "5", "--flood", "--rate", "9"],
      /--flood: conflicts with --rate/,
    ],
    [["peer.test", "-4", "-6"], /-4: conflicts with -6/],
    [["192.0.2.1", "-6"], /-6: TARGET 192\.0\.2\.1 is an IPv4 address/],
    [
      ["192.0.2.1", "--sport-step", "70000"],
      /--sport-step: "70000" is out of range/,
    ],
    [["192.0.2.1", "--ttl", "256"], /--ttl: "256" is out of range/],
    [
      ["192.0.2.1:99999"],
      /TARGET: "192\.0\.2\.1:99999": "99999" is not a port/,
    ],
    [["bad host"], /TARGET: /],
    [["--count", "3"], /missing TARGET/],
  ];
  for (const [args, message] of bad) {
    const fake = fakeNetwork({ names: { "peer.test": ["192.0.2.7"] } });
    const code = await runCli(["send", ...args], fake.host, META);
    assert.equal(code, 2, `${args}: ${fake.host.err}`);
    assert.equal(fake.host.out, "", `${args}`);
    assert.match(fake.host.err, message, `${args}`);
    assert.equal(
      fake.host.err.split("\n")[0]!.startsWith("tcpcraft send: "),
      true,
    );
    assert.equal(fake.opened.length, 0, `${args}`);
    assert.equal(fake.resolved.length, 0, `${args}`);
    assert.equal(fake.routed.length, 0, `${args}`);
  }
  // Checks that need the address still come before any socket.
  const late: [string[], RegExp][] = [
    [["2001:db8::1", "--ttl", "3"], /--ttl: applies to IPv4 only/],
    [["192.0.2.1", "--src", "2001:db8::2"], /--src: 2001:db8::2 is IPv6/],
    [["192.0.2.1:80", "-p", "81"], /--dport: 81 disagrees with port 80/],
    [
      ["192.0.2.1", "--data", "a", "--data-hex", "62"],
      /--data-hex: conflicts with --data/,
    ],
    [["peer.test", "--hop-limit", "3"], /--hop-limit: applies to IPv6 only/],
  ];
  for (const [args, message] of late) {
    const fake = fakeNetwork({ names: { "peer.test": ["192.0.2.7"] } });
    const code = await runCli(["send", ...args], fake.host, META);
    assert.equal(code, 2, `${args}: ${fake.host.err}`);
    assert.match(fake.host.err, message, `${args}`);
    assert.equal(fake.opened.length, 0, `${args}`);
    assert.equal(fake.calls.length, 0, `${args}`);
  }
});

Deno.test("send on Windows says raw TCP is unavailable, and a host without network access says so, in one line", async () => {
  const windows = fakeNetwork({ os: "windows" });
  assert.equal(
    await runCli(["send", "192.0.2.1", "--flood"], windows.host, META),
    1,
  );
  assert.match(
    windows.host.err,
    /^error: Cannot send packets: Windows does not allow raw TCP sockets; .*\n$/,
  );
  assert.equal(windows.opened.length, 0);

  const plain = createMemoryHost();
  assert.equal(await runCli(["send", "192.0.2.1"], plain, META), 1);
  assert.equal(
    plain.err,
    "error: Cannot send packets: this host has no raw network access\n",
  );
  const dry = createMemoryHost();
  assert.equal(await runCli(["send", "192.0.2.1", "--dry-run"], dry, META), 1);
  assert.match(
    dry.err,
    /^error: Cannot find the source address for 192\.0\.2\.1 \(give --src ADDR/,
  );
  assert.equal(dry.err.split("\n").length, 2);
});

Deno.test('send --pcap records every packet sent: the whole datagram, outbound, comment "sent", the wall-clock time of its send call', async () => {
  const fake = fakeNetwork();
  const code = await runCli(
    [
      "send",
      "192.0.2.1:80",
      "-c",
      "3",
      "-i",
      "5ms",
      "--sport-step",
      "1",
      "-s",
      "5000",
      "--pcap",
      "out.pcapng",
    ],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  const { records, error } = readCaptureBytes(
    await fake.host.readFile("out.pcapng"),
  );
  assert.equal(error, undefined);
  assert.equal(records.length, 3);
  records.forEach((record, i) => {
    assert.equal(record.linkType, LINKTYPE.RAW);
    assert.equal(record.comment, "sent");
    assert.equal(record.direction, "outbound");
    // Kernel mode sends the segment; the capture holds the whole datagram.
    const packet = decodePacket(record.data);
    assert.equal(packet.tcp.srcPort, 5000 + i);
    assert.deepEqual(record.data.subarray(20), fake.calls[i]!.packets[0]);
    assert.ok(verifyPacketChecksums(record.data).tcp);
    // The fake wall clock is 1.7e12 ms plus the host clock: 0, 5, 10 ms.
    assert.deepEqual(record.timestamp, {
      seconds: 1_700_000_000,
      nanoseconds: i * 5_000_000,
    });
  });
});

Deno.test("send --dry-run --pcap records the packets as built (no direction); a bad --pcap is a usage error before any socket", async () => {
  const fake = fakeNetwork();
  const code = await runCli(
    [
      "send",
      "192.0.2.1",
      "--src",
      "192.0.2.42",
      "-c",
      "2",
      "--dry-run",
      "--pcap",
      "dry.pcap",
    ],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  const { records } = readCaptureBytes(await fake.host.readFile("dry.pcap"));
  assert.equal(records.length, 2);
  assert.equal(records[0]!.comment, undefined, "classic pcap has no comments");
  const ng = fakeNetwork();
  assert.equal(
    await runCli(
      [
        "send",
        "192.0.2.1",
        "--src",
        "192.0.2.42",
        "--dry-run",
        "--pcap",
        "dry.pcapng",
      ],
      ng.host,
      META,
    ),
    0,
  );
  const built = readCaptureBytes(await ng.host.readFile("dry.pcapng")).records;
  assert.equal(built[0]!.comment, "built");
  assert.equal(built[0]!.direction, undefined);

  const bad = fakeNetwork();
  assert.equal(
    await runCli(["send", "192.0.2.1", "--pcap", "-"], bad.host, META),
    2,
  );
  assert.match(bad.host.err, /^tcpcraft send: --pcap: /);
  assert.equal(bad.opened.length, 0);
});

// ---------------------------------------------------------------------------
// Random and stepped fields, drawn per packet.

/** `send … --dry-run --format hex` on a fake network: the packets' bytes. */
async function dryHex(args: string[]): Promise<Uint8Array[]> {
  const fake = fakeNetwork();
  const code = await runCli(
    ["send", ...args, "--dry-run", "--format", "hex"],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  assert.equal(fake.opened.length, 0);
  return fake.host.out.trim().split("\n").map((line) =>
    Uint8Array.from(line.match(/../g)!, (byte) => parseInt(byte, 16))
  );
}

const RANDOM_ARGS = [
  "192.0.2.1",
  "-c",
  "500",
  "-f",
  "A",
  "--rand-source",
  "10.9.0.0/16",
  "--rand-sport",
  "-p",
  "++8000",
  "--rand-seq",
  "--rand-ack",
  "--rand-id",
];

Deno.test("send --seed: a dry run draws the same packets twice and other packets with another seed, every checksum right", async () => {
  const a = await dryHex([...RANDOM_ARGS, "--seed", "7"]);
  assert.equal(a.length, 500);
  assert.deepEqual(await dryHex([...RANDOM_ARGS, "--seed", "7"]), a);
  const b = await dryHex([...RANDOM_ARGS, "--seed", "8"]);
  assert.equal(
    a.filter((bytes, i) => bytes.every((byte, j) => byte === b[i]![j])).length,
    0,
  );
  const sources = new Set<string>();
  const ports = new Set<number>();
  a.forEach((bytes, i) => {
    assert.deepEqual(verifyPacketChecksums(bytes), { ip: true, tcp: true });
    const { ip, tcp } = decodePacket(bytes);
    assert.match(ip.src, /^10\.9\./);
    assert.equal(ip.dst, "192.0.2.1");
    assert.equal(tcp.dstPort, 8000 + i);
    assert.ok(tcp.srcPort >= 1024);
    sources.add(ip.src);
    ports.add(tcp.srcPort);
  });
  assert.ok(sources.size > 490 && ports.size > 490);
  // Without --seed the draws differ from run to run.
  const unseeded = ["192.0.2.1", "-c", "50", "--rand-source", "10.9.0.0/16"];
  assert.notDeepEqual(await dryHex(unseeded), await dryHex(unseeded));
});

Deno.test("send --seed also repeats the default source port and sequence number, fragment IDs and order, and the first packet is build's draw", async () => {
  const args = ["192.0.2.1:80", "--src", "192.0.2.42", "-c", "3"];
  const a = await dryHex([...args, "--seed", "1"]);
  assert.deepEqual(await dryHex([...args, "--seed", "1"]), a);
  assert.notDeepEqual(await dryHex([...args, "--seed", "2"]), a);
  assert.ok(decodePacket(a[0]!).tcp.srcPort >= 49152);
  // Fragment IDs and a random fragment order too.
  const fragments = [
    ...args,
    "--data",
    "0123456789abcdef0123456789abcdef",
    "--frag",
    "8",
    "--frag-order",
    "random",
  ];
  const f = await dryHex([...fragments, "--seed", "1"]);
  assert.equal(f.length, 3 * 7);
  assert.deepEqual(await dryHex([...fragments, "--seed", "1"]), f);
  assert.notDeepEqual(await dryHex([...fragments, "--seed", "2"]), f);
  // The same options as build's, one packet: the same draw.
  const drawn = [
    "198.51.100.0/24",
    "--rand-source",
    "10.0.0.0/8",
    "--rand-sport",
    "--rand-seq",
    "--seed",
    "7",
  ];
  const [first] = await dryHex(["--rand-dest", ...drawn]);
  const build = fakeNetwork();
  assert.equal(
    await runCli(
      ["build", "--rand-dest", ...drawn, "--format", "hex"],
      build.host,
      META,
    ),
    0,
  );
  const built = decodePacket(
    Uint8Array.from(build.host.out.match(/../g)!, (b) => parseInt(b, 16)),
  );
  const sent = decodePacket(first!);
  assert.deepEqual(
    [sent.ip.src, sent.ip.dst, sent.tcp.srcPort, sent.tcp.seq],
    [built.ip.src, built.ip.dst, built.tcp.srcPort, built.tcp.seq],
  );
});

Deno.test("send --rand-dest sends each packet to its own address, header-included; TARGET may be left out or only give the port", async () => {
  const fake = fakeNetwork();
  const code = await runCli(
    [
      "send",
      "--rand-dest",
      "198.51.100.0/28",
      "-p",
      "443",
      "-c",
      "40",
      "--flood",
      "-q",
      "--seed",
      "3",
    ],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  assert.deepEqual(fake.opened, [{ family: 4, headerIncluded: true }]);
  assert.deepEqual(fake.routed, ["198.51.100.0"]);
  const calls = fake.calls;
  assert.equal(calls.length, 40);
  const destinations = new Set<string>();
  for (const call of calls) {
    assert.equal(call.kind, "send");
    const { ip, tcp } = decodePacket(call.packets[0]!);
    assert.equal(ip.dst, call.destination);
    assert.match(ip.dst, /^198\.51\.100\.([0-9]|1[0-5])$/);
    assert.equal(ip.src, "192.0.2.42");
    assert.equal(tcp.dstPort, 443);
    assert.ok(verifyPacketChecksums(call.packets[0]!).tcp);
    destinations.add(ip.dst);
  }
  assert.ok(destinations.size >= 12, `${[...destinations]}`);
  const [port] = await dryHex([
    "[2001:db8::1]:8080",
    "--rand-dest",
    "2001:db8:5::/64",
    "--src",
    "2001:db8::42",
  ]);
  assert.equal(decodePacket(port!).tcp.dstPort, 8080);
  assert.match(decodePacket(port!).ip.dst, /^2001:db8:5:0:/);
});

Deno.test("send: a random source or ID makes tcpcraft write the IP header; random ports and numbers leave it to the kernel", async () => {
  const cases: [string[], boolean][] = [
    [["--rand-source"], true],
    [["--rand-source", "10.0.0.0/8"], true],
    [["--rand-id"], true],
    [["--rand-sport", "--rand-dport", "--rand-seq", "--rand-ack"], false],
    [["--dport-step", "1"], false],
  ];
  for (const [extra, included] of cases) {
    const fake = fakeNetwork();
    const code = await runCli(
      ["send", "192.0.2.1", "-c", "3", ...extra],
      fake.host,
      META,
    );
    assert.equal(code, 0, `${extra}: ${fake.host.err}`);
    assert.deepEqual(fake.opened, [{ family: 4, headerIncluded: included }]);
    for (const packet of sentPackets(fake)) {
      if (included) {
        assert.deepEqual(verifyPacketChecksums(packet), {
          ip: true,
          tcp: true,
        });
      } else {
        assert.ok(verifyTcpChecksum(packet, "192.0.2.42", "192.0.2.1"));
      }
    }
  }
});

Deno.test("send refuses bad random and stepped fields with one line and exit 2, before resolving, routing or opening anything", async () => {
  const bad: [string[], string][] = [
    [
      ["192.0.2.1", "--rand-source", "2001:db8::/32"],
      "--rand-source: 2001:db8::/32 is IPv6, but the destination is IPv4",
    ],
    [
      ["192.0.2.1", "--rand-source", "10.0.0.0/33"],
      '--rand-source: "10.0.0.0/33" is not a CIDR block (10.0.0.0/8)',
    ],
    [
      ["--rand-dest", "10.0.0.0/x"],
      '--rand-dest: "10.0.0.0/x" is not a CIDR block (10.0.0.0/8)',
    ],
    [
      ["192.0.2.1", "--rand-dest", "2001:db8::/64"],
      "--rand-dest: 2001:db8::/64 is IPv6, but the destination is IPv4",
    ],
    [
      ["--rand-dest", "10.0.0.0/8", "-6"],
      "--rand-dest: 10.0.0.0/8 is IPv4, but the destination is IPv6",
    ],
    [
      ["192.0.2.1", "--rand-source", "--src", "192.0.2.9"],
      "--rand-source: conflicts with --src; give one",
    ],
    [
      ["192.0.2.1", "--rand-sport", "-s", "5"],
      "--rand-sport: conflicts with --sport; give one",
    ],
    [
      ["192.0.2.1", "--rand-sport", "--sport-step", "1"],
      "--rand-sport: conflicts with --sport-step; give one",
    ],
    [
      ["192.0.2.1", "--rand-seq", "--seq", "1"],
      "--rand-seq: conflicts with --seq; give one",
    ],
    [
      ["192.0.2.1", "--rand-seq", "--seq-step", "1"],
      "--rand-seq: conflicts with --seq-step; give one",
    ],
    [
      ["192.0.2.1", "--rand-ack", "--ack", "1"],
      "--rand-ack: conflicts with --ack; give one",
    ],
    [
      ["192.0.2.1", "--rand-id", "--id", "3"],
      "--rand-id: conflicts with --id; give one",
    ],
    [
      ["192.0.2.1", "--rand-dport", "-p", "80"],
      "--rand-dport: conflicts with --dport; give one",
    ],
    [
      ["192.0.2.1", "--rand-dport", "--dport-step", "2"],
      "--rand-dport: conflicts with --dport-step; give one",
    ],
    [
      ["192.0.2.1", "-p", "++80", "--dport-step", "2"],
      "--dport-step: conflicts with -p ++PORT; give one",
    ],
    [
      ["192.0.2.1", "-p", "+80"],
      '--dport: "+80": hping3\'s +PORT steps on each reply, which send does not wait for; use ++PORT (one more per packet) or a port',
    ],
    [
      ["192.0.2.1", "--rand-seq", "--frag", "8"],
      "--rand-seq: per-packet fields are patched into one encoded packet, which --frag sends as fragments; not with --frag yet",
    ],
    [
      ["192.0.2.1", "-p", "++80", "--md5-key", "k"],
      "-p ++PORT: per-packet fields are patched into one encoded packet, which a signature covers whole; not with --md5-key or --ao-key yet",
    ],
    [
      ["--rand-dest", "10.0.0.0/8", "-I", "eth0"],
      "--rand-dest: -I sends every frame to one next hop's hardware address; leave out -I (the kernel routes each drawn destination)",
    ],
    [["192.0.2.1", "--seed", "-1"], '--seed: "-1" is out of range'],
    [
      ["-c", "2"],
      "missing TARGET (an IPv4 or IPv6 address or a host name; TARGET:PORT or [IPv6]:PORT also sets the port)",
    ],
  ];
  for (const [args, message] of bad) {
    const fake = fakeNetwork();
    const code = await runCli(["send", ...args], fake.host, META);
    assert.equal(code, 2, `${args}: ${fake.host.err}`);
    assert.equal(fake.host.out, "", `${args}`);
    const lines = fake.host.err.split("\n");
    assert.equal(
      lines[0]!.startsWith(`tcpcraft send: ${message}`),
      true,
      `${args}: ${lines[0]}`,
    );
    assert.deepEqual(lines.slice(1), ["Try 'tcpcraft send --help'.", ""]);
    assert.equal(fake.opened.length, 0, `${args}`);
    assert.equal(fake.resolved.length, 0, `${args}`);
    assert.equal(fake.routed.length, 0, `${args}`);
  }
  // Checks that need the destination still come before any socket.
  const late: [string[], string][] = [
    [
      ["2001:db8::1", "--rand-id"],
      "--rand-id: applies to IPv4 only, and the destination is IPv6",
    ],
    [
      ["192.0.2.1:80", "--rand-dport"],
      "--rand-dport: conflicts with the port in TARGET 192.0.2.1:80; give one",
    ],
    [
      ["peer.test", "-6", "--rand-source", "10.0.0.0/8"],
      "--rand-source: 10.0.0.0/8 is IPv4, but the destination is IPv6",
    ],
    [
      [
        "--rand-dest",
        "198.51.100.0/24",
        "--src",
        "192.0.2.42",
        "--ip-opt",
        "lsrr=203.0.113.9",
      ],
      "--rand-dest: the TCP checksum covers the final destination of the source route (or routing header), which a drawn destination leaves as it is; leave out one",
    ],
  ];
  for (const [args, message] of late) {
    const fake = fakeNetwork({ names: { "peer.test": ["2001:db8::7"] } });
    const code = await runCli(["send", ...args], fake.host, META);
    assert.equal(code, 2, `${args}: ${fake.host.err}`);
    assert.equal(fake.host.err.split("\n")[0], `tcpcraft send: ${message}`);
    assert.equal(fake.opened.length, 0, `${args}`);
    assert.equal(fake.calls.length, 0, `${args}`);
  }
});

// ---------------------------------------------------------------------------
// The CLI as a process.

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** `deno run <flags> cli.ts send ...` with an optional prefix (`setpriv …`). */
async function cliProcess(
  flags: string[],
  args: string[],
  options: { prefix?: string[]; env?: Record<string, string> } = {},
): Promise<Result> {
  const [command, ...rest] = [
    ...(options.prefix ?? []),
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${CONFIG}`,
    ...flags,
    CLI,
    "send",
    ...args,
  ];
  const output = await new Deno.Command(command!, {
    args: rest,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

const FFI_MESSAGE =
  "error: Cannot send packets: Deno needs --allow-ffi (run: deno run --allow-ffi cli.ts ...)\n";

Deno.test({
  name:
    "send without --allow-ffi fails with one line naming the flag, and --dry-run with --src needs no permission",
  ignore: AGENT || Deno.build.os === "windows",
  async fn() {
    const denied = await cliProcess(["--allow-read"], ["127.0.0.1:9"]);
    assert.deepEqual(denied, { code: 1, stdout: "", stderr: FFI_MESSAGE });
    const dry = await cliProcess([], [
      "127.0.0.1:9",
      "--src",
      "127.0.0.1",
      "-s",
      "20",
      "--seq",
      "0",
      "-f",
      "xmas",
      "--dry-run",
    ]);
    assert.deepEqual(dry, {
      code: 0,
      stdout:
        "IP 127.0.0.1.20 > 127.0.0.1.9: Flags [FPU], seq 0, win 8192, urg 0, length 0\n" +
        "1 packet, 40 bytes (dry run: nothing sent)\n",
      stderr: "",
    });
  },
});

const setprivGate = !AGENT && Deno.build.os === "linux" && Deno.uid() === 0 &&
    commandExists("setpriv")
  ? { ignore: false, suffix: "" }
  : { ignore: true, suffix: " (skipped: needs Linux, root and setpriv)" };

Deno.test({
  name:
    "send as an unprivileged user: EPERM in one line with how to grant cap_net_raw, usage errors before any socket, --dry-run works" +
    setprivGate.suffix,
  ignore: setprivGate.ignore,
  async fn() {
    // The user "nobody" needs a Deno cache it can write.
    const denoDir = await Deno.makeTempDir({ prefix: "tcpcraft-nobody-" });
    try {
      await Deno.chmod(denoDir, 0o777);
      const asNobody = {
        prefix: [
          "setpriv",
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          "--inh-caps=-all",
        ],
        env: { DENO_DIR: denoDir, HOME: denoDir },
      };
      const flags = ["--allow-ffi", "--allow-read"];
      const eperm = await cliProcess(flags, ["127.0.0.1:9"], asNobody);
      assert.deepEqual(eperm, {
        code: 1,
        stdout: "",
        stderr:
          "error: Cannot open raw socket: permission denied; run as root or grant cap_net_raw (sudo setcap cap_net_raw+ep ./tcpcraft)\n",
      });
      // Usage errors found before and after the route lookup: the usage
      // error, not EPERM, proves no socket was attempted.
      const bad = await Promise.all([
        cliProcess(flags, ["127.0.0.1", "--flood"], asNobody),
        cliProcess(flags, ["127.0.0.1", "--hop-limit", "3"], asNobody),
        cliProcess(flags, ["127.0.0.1", "--rate", "0"], asNobody),
        cliProcess(
          flags,
          ["127.0.0.1", "-c", "2", "--flood", "-i", "1s"],
          asNobody,
        ),
      ]);
      for (const result of bad) {
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.stdout, "");
        assert.match(result.stderr, /^tcpcraft send: --/);
        assert.doesNotMatch(result.stderr, /raw socket/);
      }
      const dry = await cliProcess(["--allow-read"], [
        "127.0.0.1:9",
        "--src",
        "127.0.0.1",
        "-c",
        "2",
        "--dry-run",
        "--format",
        "hex",
      ], asNobody);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^(45000028000100004006[0-9a-f]{60}\n){2}$/);
      assert.equal(dry.stderr, "2 packets, 80 bytes (dry run: nothing sent)\n");
    } finally {
      await Deno.remove(denoDir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------
// Namespace tests: the CLI in namespace a, the judges in namespace b.

/** Run `tcpcraft send` inside a namespace (as root, with --allow-ffi). */
function sendIn(
  net: TestNetwork,
  host: Host,
  args: string[],
): Promise<Result> {
  return net.run(host, [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    "NO_COLOR=1",
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${CONFIG}`,
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    CLI,
    "send",
    ...args,
  ], { check: false, timeoutMs: 30000 });
}

/** One packet as `tcpdump -nn -vv` printed it (header and TCP lines joined). */
interface Dumped {
  text: string;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  flags: string;
  cksum: string;
}

function parseDump(lines: string[]): Dumped[] {
  const records: string[] = [];
  for (const line of lines) {
    if (/^\s/.test(line) && records.length > 0) {
      records[records.length - 1] += ` ${line.trim()}`;
    } else {
      records.push(line);
    }
  }
  return records.flatMap((text) => {
    const m =
      /\s([0-9a-f.:]+)\.(\d+) > ([0-9a-f.:]+)\.(\d+): Flags \[([^\]]+)\], cksum (0x[0-9a-f]+ \([^)]*\))/
        .exec(text);
    return m === null ? [] : [{
      text,
      src: m[1]!,
      sport: Number(m[2]),
      dst: m[3]!,
      dport: Number(m[4]),
      flags: m[5]!,
      cksum: m[6]!,
    }];
  });
}

const gate = AGENT
  ? { ignore: true, suffix: "" }
  : netnsTestGate("tcpdump", "ethtool", "/usr/bin/python3");

Deno.test({
  name:
    "send: SYN, Xmas, NULL and FIN with options and payloads over IPv4 and IPv6 carry correct checksums (tcpdump -vv) and draw the peer kernel's answers: SYN-ACK or RST from a listener, RST from a closed port" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const open = 7001;
      const closed = 7002;
      const listener = await net.listen(net.b, open, { lifetimeMs: 30000 });
      const kinds = [
        {
          name: "SYN",
          flags: "S",
          args: [
            "-f",
            "syn",
            "-o",
            "mss=1460",
            "-o",
            "sackok",
            "-o",
            "ts=1:0",
            "-o",
            "nop",
            "-o",
            "wscale=7",
            "--data",
            "hello",
          ],
        },
        {
          name: "Xmas",
          flags: "FPU",
          args: ["-f", "xmas", "--urgent", "1", "--data-hex", "de ad be ef"],
        },
        {
          name: "NULL",
          flags: "none",
          args: ["-f", "null", "-o", "nop", "-o", "mss=536", "--data", "null"],
        },
        {
          name: "FIN",
          flags: "F",
          args: ["-f", "F", "-o", "ts=77:0", "--data", "bye"],
        },
      ];
      const sends: {
        family: 4 | 6;
        kind: typeof kinds[number];
        port: number;
        sport: number;
      }[] = [];
      let sport = 41000;
      for (const family of [4, 6] as const) {
        for (const kind of kinds) {
          for (const port of [open, closed]) {
            sends.push({ family, kind, port, sport: sport++ });
          }
        }
      }
      // Sent: 16; SYN-ACKs: 2 (and a's RSTs to them: 2); RSTs from the
      // closed port: 8.
      const capture = await net.capture(net.b, net.b.ifaces[0]!, "tcp", {
        count: 28,
        timeoutMs: 20000,
      });
      for (let i = 0; i < sends.length; i += 4) {
        const results = await Promise.all(
          sends.slice(i, i + 4).map((s) => {
            const dst = s.family === 4 ? net.b.ipv4 : `[${net.b.ipv6}]`;
            return sendIn(net, net.a, [
              `${dst}:${s.port}`,
              "-s",
              String(s.sport),
              ...s.kind.args,
            ]);
          }),
        );
        for (const result of results) {
          assert.equal(result.code, 0, result.stderr);
          assert.match(result.stdout, /\n1 packet, \d+ bytes sent in /);
        }
      }
      const dumped = parseDump(await capture.result());
      await listener.close();
      for (const s of sends) {
        const what = `${s.kind.name} IPv${s.family} to ${
          s.port === open ? "listener" : "closed port"
        }`;
        const a = s.family === 4 ? net.a.ipv4 : net.a.ipv6;
        const b = s.family === 4 ? net.b.ipv4 : net.b.ipv6;
        // a's kernel resets the SYN-ACK it did not expect: flags [R].
        const out = dumped.filter((d) =>
          d.src === a && d.sport === s.sport && d.flags !== "R"
        );
        assert.equal(
          out.length,
          1,
          `${what}: sent once\n${dumped.map((d) => d.text).join("\n")}`,
        );
        assert.equal(out[0]!.dst, b);
        assert.equal(out[0]!.dport, s.port);
        assert.equal(out[0]!.flags, s.kind.flags, what);
        assert.match(out[0]!.cksum, /^0x[0-9a-f]{4} \(correct\)$/, what);
        const answers = dumped.filter((d) =>
          d.src === b && d.dport === s.sport
        );
        for (const answer of answers) {
          assert.match(answer.cksum, /\(correct\)$/, `${what}: answer`);
        }
        // A closed port resets anything without RST; a listener answers a
        // SYN and silently drops FIN, Xmas and NULL (no SYN, no ACK).
        const expected = s.port === closed
          ? ["R."]
          : s.kind.name === "SYN"
          ? ["S."]
          : [];
        assert.deepEqual(answers.map((d) => d.flags), expected, what);
      }
    });
  },
});

Deno.test({
  name:
    "send --checksum 0xdead: the peer kernel drops every packet, TcpInCsumErrors rises by exactly the count and nothing answers" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7003, { lifetimeMs: 30000 });
      const before = await net.counters(net.b);
      const results = await Promise.all([
        sendIn(net, net.a, [
          `${net.b.ipv4}:7003`,
          "--checksum",
          "0xdead",
          "-c",
          "3",
          "-i",
          "10ms",
          "-s",
          "42000",
          "--seq",
          "1000",
          "--sport-step",
          "1",
        ]),
        sendIn(net, net.a, [
          `[${net.b.ipv6}]:7003`,
          "--checksum",
          "0xdead",
          "-c",
          "4",
          "--flood",
          "-s",
          "43000",
          "--seq",
          "1000",
          "--seq-step",
          "1",
        ]),
      ]);
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      assert.match(results[0].stdout, /^3 packets, 120 bytes sent in /m);
      assert.match(results[1].stdout, /^4 packets, 240 bytes sent in /m);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await net.counters(net.b);
      await listener.close();
      assert.equal(after.TcpInCsumErrors! - before.TcpInCsumErrors!, 7);
      assert.equal(
        after.TcpOutSegs! - before.TcpOutSegs!,
        0,
        "no SYN-ACK, no RST",
      );
    });
  },
});

Deno.test({
  name:
    "send --count 1000 --flood delivers 1000 packets (peer TcpInSegs), and run in-process it leaves no file descriptor open" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const before = await net.counters(net.b);
      const result = await sendIn(net, net.a, [
        `${net.b.ipv4}:7004`,
        "--count",
        "1000",
        "--flood",
        "--sport-step",
        "1",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split("\n");
      assert.equal(lines.length, 1001, "one line per packet, then the summary");
      assert.match(
        lines[1000]!,
        /^1000 packets, 40000 bytes sent in \d+\.\d{3} s \(\d+ pps\)$/,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const middle = await net.counters(net.b);
      assert.equal(middle.TcpInSegs! - before.TcpInSegs!, 1000);
      // Every checksum right: the closed port reset each one.
      assert.equal(middle.TcpInCsumErrors! - before.TcpInCsumErrors!, 0);
      assert.equal(middle.TcpOutRsts! - before.TcpOutRsts!, 1000);

      const inProcess = await net.agent<{
        code: number;
        before: string[];
        after: string[];
      }>(net.a, SELF, "inProcessFlood", { dst: `[${net.b.ipv6}]:7004` });
      assert.equal(inProcess.code, 0);
      assert.deepEqual(inProcess.after, inProcess.before);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await net.counters(net.b);
      assert.equal(after.TcpInSegs! - middle.TcpInSegs!, 1000);
      assert.equal(after.TcpInCsumErrors! - middle.TcpInCsumErrors!, 0);
      assert.equal(after.TcpOutRsts! - middle.TcpOutRsts!, 1000);
    });
  },
});

Deno.test({
  name:
    "send switches to header-included mode by itself: --ttl/--id/--tos/--df, --hop-limit/--flow-label and a spoofed --src arrive as sent (tcpdump -vv in the peer)" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-send-" });
    const pcap = `${dir}/sent.pcapng`;
    await withNetwork(async (net) => {
      const capture = await net.capture(
        net.b,
        net.b.ifaces[0]!,
        "tcp and dst port 7005",
        { count: 4, timeoutMs: 15000 },
      );
      const results = await Promise.all([
        sendIn(net, net.a, [
          `${net.b.ipv4}:7005`,
          "--ttl",
          "33",
          "--id",
          "777",
          "--tos",
          "0x10",
          "--df",
          "-s",
          "44001",
          "--pcap",
          pcap,
        ]),
        sendIn(net, net.a, [
          `${net.b.ipv4}:7005`,
          "--src",
          "10.200.0.99",
          "-s",
          "44002",
        ]),
        sendIn(net, net.a, [
          `[${net.b.ipv6}]:7005`,
          "--hop-limit",
          "7",
          "--flow-label",
          "0x12345",
          "-s",
          "44003",
        ]),
        sendIn(net, net.a, [
          `[${net.b.ipv6}]:7005`,
          "--src",
          "fd00:200::99",
          "-s",
          "44004",
        ]),
      ]);
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      const dumped = parseDump(await capture.result());
      const bySport = (port: number) => {
        const found = dumped.filter((d) => d.sport === port);
        assert.equal(
          found.length,
          1,
          `sport ${port}:\n${dumped.map((d) => d.text).join("\n")}`,
        );
        assert.match(found[0]!.cksum, /\(correct\)$/);
        return found[0]!;
      };
      assert.match(
        bySport(44001).text,
        /^\S+ IP \(tos 0x10, ttl 33, id 777, offset 0, flags \[DF\]/,
      );
      // --pcap holds what the peer received, as tcpdump reads it.
      const read = await new Deno.Command("tcpdump", {
        args: ["-r", pcap, "-nn", "-vv"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(read.success, decode(read.stderr));
      const recorded = parseDump(decode(read.stdout).split("\n"));
      assert.equal(recorded.length, 1);
      const withoutTime = (text: string) => text.replace(/^\S+ /, "");
      assert.equal(
        withoutTime(recorded[0]!.text),
        withoutTime(bySport(44001).text),
      );
      assert.equal(bySport(44002).src, "10.200.0.99");
      assert.match(
        bySport(44003).text,
        /^\S+ IP6 \(flowlabel 0x12345, hlim 7,/,
      );
      assert.equal(bySport(44004).src, "fd00:200::99");
    }).finally(() => Deno.remove(dir, { recursive: true }));
  },
});

Deno.test({
  name:
    "send: Ctrl-C (SIGINT) stops a paced run with the summary and exit 130, and the peer received exactly the packets counted" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const before = await net.counters(net.b);
      const child = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          net.a.ns,
          Deno.execPath(),
          "run",
          "--quiet",
          "--no-prompt",
          `--config=${CONFIG}`,
          "--allow-ffi",
          "--allow-read",
          CLI,
          "send",
          `${net.b.ipv4}:7006`,
          "-c",
          "1000",
          "-i",
          "20ms",
        ],
        env: { DENO_NO_UPDATE_CHECK: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderrText = new Response(child.stderr).text();
      // `ip netns exec` execs the command: the child is the CLI itself.
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let out = "";
      const deadline = Date.now() + 20000;
      while (out.split("\n").length < 6 && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      child.kill("SIGINT");
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const status = await child.status;
      const stderr = await stderrText;
      assert.equal(status.code, 130, stderr);
      assert.equal(stderr, "");
      const lines = out.trim().split("\n");
      const summary =
        /^(\d+) packets, (\d+) bytes sent in [\d.]+ s \([\d.]+ pps\), interrupted$/
          .exec(lines.at(-1)!);
      assert.ok(summary !== null, lines.at(-1));
      const packets = Number(summary[1]);
      assert.ok(packets >= 5 && packets < 1000, `${packets}`);
      assert.equal(lines.length, packets + 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await net.counters(net.b);
      assert.equal(after.TcpInSegs! - before.TcpInSegs!, packets);
    });
  },
});

/** The addresses, source port and seq of each packet, as the dry run of `args` prints them (`-q` left out). */
async function dryRunKeys(args: string[]): Promise<string[]> {
  const fake = fakeNetwork();
  const code = await runCli(
    ["send", ...args.filter((a) => a !== "-q"), "--dry-run", "--format", "hex"],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  return fake.host.out.trim().split("\n").map((line) => {
    const { ip, tcp } = decodePacket(
      Uint8Array.from(line.match(/../g)!, (b) => parseInt(b, 16)),
    );
    return `${ip.src} ${ip.dst} ${tcp.srcPort} ${tcp.seq}`;
  });
}

/** Whether `part` appears in `whole` in order (tcpdump may miss packets). */
function inOrder(part: string[], whole: string[]): boolean {
  let at = 0;
  for (const key of part) {
    at = whole.indexOf(key, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

Deno.test({
  name:
    "send --flood --rand-source CIDR --rand-sport --rand-seq --seed: the peer counts every packet (TcpInSegs), tcpdump shows correct checksums and sources spread over the block, in the order a dry run of the same seed prints, IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const count = 3000;
      const runs = [
        { dst: `${net.b.ipv4}:7010`, block: "10.201.0.0/16", re: /^10\.201\./ },
        {
          dst: `[${net.b.ipv6}]:7010`,
          block: "fd00:201::/48",
          re: /^fd00:201:0?:/,
        },
      ];
      const args = (run: typeof runs[number]) => [
        run.dst,
        "-c",
        String(count),
        "--flood",
        "-q",
        "--rand-source",
        run.block,
        "--rand-sport",
        "--rand-seq",
        "--seed",
        "2024",
      ];
      const before = await net.counters(net.b);
      // One capture per family: the first 1000 packets of each run.
      const captures = [
        await net.capture(net.b, net.b.ifaces[0]!, "ip and dst port 7010", {
          count: 1000,
          timeoutMs: 20000,
        }),
        await net.capture(net.b, net.b.ifaces[0]!, "ip6 and dst port 7010", {
          count: 1000,
          timeoutMs: 20000,
        }),
      ];
      for (const run of runs) {
        const result = await sendIn(net, net.a, args(run));
        assert.equal(result.code, 0, result.stderr);
        assert.match(
          result.stdout,
          new RegExp(`^${count} packets, \\d+ bytes sent in `),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await net.counters(net.b);
      assert.equal(after.TcpInSegs! - before.TcpInSegs!, 2 * count);
      assert.equal(after.TcpInCsumErrors! - before.TcpInCsumErrors!, 0);
      for (const [i, run] of runs.entries()) {
        const seen = parseDump(await captures[i]!.result());
        assert.ok(seen.length >= 500, `${seen.length} packets captured`);
        for (const d of seen) {
          assert.match(d.src, run.re);
          assert.match(d.cksum, /\(correct\)$/, d.text);
          assert.doesNotMatch(d.text, /bad cksum/);
          assert.equal(d.flags, "S");
        }
        assert.ok(
          new Set(seen.map((d) => d.src)).size >= seen.length * 0.95,
          `sources repeat: ${seen.length} packets`,
        );
        const expected = await dryRunKeys(args(run));
        const keys = seen.map((d) =>
          `${d.src} ${d.dst} ${d.sport} ${/seq (\d+)/.exec(d.text)![1]}`
        );
        assert.ok(inOrder(keys, expected), `IPv${i === 0 ? 4 : 6}: ${keys[0]}`);
      }
    });
  },
});

Deno.test({
  name:
    "send --flood --rand-dest over a block the peer holds: each packet reaches its own address (TcpInSegs, tcpdump), IPv4 and IPv6, the fast path and the paced one" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      // b answers for every address of the blocks; a routes them to b.
      await net.run(net.b, [
        "ip",
        "route",
        "add",
        "local",
        "10.202.0.0/28",
        "dev",
        "lo",
      ]);
      await net.run(net.b, [
        "ip",
        "-6",
        "route",
        "add",
        "local",
        "fd00:202::/124",
        "dev",
        "lo",
      ]);
      await net.run(net.a, [
        "ip",
        "route",
        "add",
        "10.202.0.0/28",
        "via",
        net.b.ipv4,
      ]);
      await net.run(net.a, [
        "ip",
        "-6",
        "route",
        "add",
        "fd00:202::/124",
        "via",
        net.b.ipv6,
      ]);
      const sends = [
        ["--rand-dest", "10.202.0.0/28", "-c", "400", "--flood", "-q"],
        ["--rand-dest", "fd00:202::/124", "-c", "400", "--flood", "-q"],
        ["--rand-dest", "10.202.0.0/28", "-c", "20", "-i", "1ms"],
      ];
      const total = 820;
      const before = await net.counters(net.b);
      const capture = await net.capture(
        net.b,
        net.b.ifaces[0]!,
        "tcp and dst port 7011",
        { count: total, timeoutMs: 20000 },
      );
      for (const args of sends) {
        const result = await sendIn(net, net.a, [
          ...args,
          "-p",
          "7011",
          "--rand-sport",
          "--seed",
          "5",
        ]);
        assert.equal(result.code, 0, result.stderr);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await net.counters(net.b);
      assert.equal(after.TcpInSegs! - before.TcpInSegs!, total);
      assert.equal(after.TcpInCsumErrors! - before.TcpInCsumErrors!, 0);
      const dumped = parseDump(await capture.result());
      for (const [family, re] of [[4, /^10\.202\.0\./], [6, /^fd00:202::/]]) {
        const seen = dumped.filter((d) => (re as RegExp).test(d.dst));
        assert.ok(seen.length >= 300, `IPv${family}: ${seen.length}`);
        for (const d of seen) assert.match(d.cksum, /\(correct\)$/, d.text);
        // 16 addresses, hundreds of draws: every one comes up.
        assert.equal(new Set(seen.map((d) => d.dst)).size, 16, `IPv${family}`);
        assert.ok(
          seen.every((d) => d.src === (family === 4 ? net.a.ipv4 : net.a.ipv6)),
        );
      }
    });
  },
});

// ---------------------------------------------------------------------------
// Agents: run inside a namespace by the tests above.

/** Run `send` in this process with the Deno host and list the fds around it. */
async function inProcessFlood(args: { dst: string }) {
  const fds = () =>
    [...Deno.readDirSync("/proc/self/fd")].map((entry) => {
      try {
        return `${entry.name} ${
          Deno.readLinkSync(`/proc/self/fd/${entry.name}`)
        }`;
      } catch {
        return entry.name; // the directory being read
      }
    }).sort();
  // Deno opens its signal-handling pipe once, on the first signal listener:
  // open it before counting, as a long-running program would have.
  const warm = () => {};
  Deno.addSignalListener("SIGINT", warm);
  Deno.removeSignalListener("SIGINT", warm);
  const before = fds();
  const count = openFdCount();
  const code = await runCli(
    ["send", args.dst, "--count", "1000", "--flood", "--sport-step", "1", "-q"],
    createDenoHost(),
    META,
  );
  const after = fds();
  return { code, before, after, counts: [count, openFdCount()] };
}

if (AGENT) await agentMain({ inProcessFlood });

Deno.test("send --pcap creates no capture file when the raw socket cannot be opened", async () => {
  const fake = fakeNetwork();
  const net = fake.host.net!;
  fake.host.net = {
    ...net,
    openRawSocket() {
      throw new Error(
        "Cannot open raw socket: permission denied; run as root or grant cap_net_raw (sudo setcap cap_net_raw+ep ./tcpcraft)",
      );
    },
  };
  const code = await runCli(
    ["send", "192.0.2.1:80", "--src", "192.0.2.42", "--pcap", "out.pcapng"],
    fake.host,
    META,
  );
  assert.equal(code, 1);
  assert.match(
    fake.host.err,
    /^error: Cannot open raw socket: permission denied/,
  );
  await assert.rejects(fake.host.readFile("out.pcapng"), /no such file/);
});
