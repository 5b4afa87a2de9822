/**
 * `tcpcraft scan`, in two parts.
 *
 * Without privileges: the command against a fake network (a host whose
 * receiver answers as a Linux peer does: SYN-ACK from an open port, RST
 * from a closed one, ICMP from a firewall, nothing from a drop), on the
 * memory host's virtual clock: states per scan type, retries, pacing,
 * shards, output formats, usage errors.
 *
 * With root, in private namespaces: nmap is the oracle. A peer namespace
 * has ports open (real listeners), closed, dropped by nftables and rejected
 * with ICMP; for every scan type and both families, tcpcraft's state and
 * reason for every port must equal what `nmap --reason` reports for it in
 * the same test. Then the probes a sharded scan puts on the wire are
 * counted in the peer, and the rate is held to gross bounds.
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  formatAddress,
  makeTcpPacket,
  parseAddress,
  readCaptureBytes,
  TCP_FLAGS,
} from "../mod.ts";
import type {
  CliNet,
  CliReceivedBatch,
  CliReceivedPacket,
  CliReceiver,
} from "../src/cli/host.ts";
import { createMemoryHost, type MemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import { scanCommand } from "../src/cli/commands/scan.ts";
import { commandExists, netnsTestGate, withNetwork } from "./_netns.ts";

// ------------------------------------------------------------ the fake peer

/** How a fake port answers. */
type Behaviour =
  | "open"
  | "closed"
  | "drop"
  | "prohibited"
  | "port-unreachable"
  | "window-open"
  | "flaky";

const SRC4 = "192.0.2.100";
const SRC6 = "2001:db8::100";

interface SentProbe {
  at: number;
  dst: string;
  dport: number;
  flags: number;
  seq: number;
  ack: number;
  bytes: Uint8Array;
}

interface FakeNetwork {
  net: CliNet;
  sent: SentProbe[];
}

function ipv4Datagram(
  src: string,
  dst: string,
  protocol: number,
  payload: Uint8Array,
): Uint8Array {
  const bytes = new Uint8Array(20 + payload.length);
  bytes.set([
    0x45,
    0,
    bytes.length >> 8,
    bytes.length & 0xff,
    0,
    1,
    0,
    0,
    64,
    protocol,
  ]);
  bytes.set(parseAddress(src).bytes, 12);
  bytes.set(parseAddress(dst).bytes, 16);
  bytes.set(payload, 20);
  return bytes;
}

function ipv6Datagram(
  src: string,
  dst: string,
  nextHeader: number,
  payload: Uint8Array,
): Uint8Array {
  const bytes = new Uint8Array(40 + payload.length);
  bytes.set([
    0x60,
    0,
    0,
    0,
    payload.length >> 8,
    payload.length & 0xff,
    nextHeader,
    64,
  ]);
  bytes.set(parseAddress(src).bytes, 8);
  bytes.set(parseAddress(dst).bytes, 24);
  bytes.set(payload, 40);
  return bytes;
}

/**
 * A network of fake hosts: `peers` maps an address to how each port
 * answers (ports not listed are closed). Replies are what a Linux peer
 * sends.
 */
function fakeNetwork(
  host: MemoryHost,
  peers: Record<string, Record<number, Behaviour>>,
  names: Record<string, string[]> = {},
): FakeNetwork {
  const sent: SentProbe[] = [];
  const tries = new Map<string, number>();
  const net: CliNet = {
    openRawSocket() {
      throw new Error("scan opens receivers, not raw sockets");
    },
    routeSource(dst) {
      return parseAddress(dst).family === 4 ? SRC4 : SRC6;
    },
    resolveHost(name, options = {}) {
      const found = (names[name] ?? []).filter((a) =>
        options.family === undefined ||
        parseAddress(a).family === options.family
      );
      return Promise.resolve(found);
    },
    wallClock() {
      return 1.7e12 + host.now();
    },
    openReceiver(family) {
      const tcp: CliReceivedPacket[] = [];
      const icmp: CliReceivedPacket[] = [];
      let waiter: ((batch: CliReceivedBatch) => void) | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const take = (): CliReceivedBatch => ({
        tcp: tcp.splice(0),
        icmp: icmp.splice(0),
      });
      const answer = (bytes: Uint8Array, destination: string) => {
        const packet = decodePacket(bytes);
        const { tcp: probe, ip } = packet;
        assert.equal(ip.version, family);
        assert.equal(formatAddress(parseAddress(ip.dst).bytes), destination);
        sent.push({
          at: host.now(),
          dst: destination,
          dport: probe.dstPort,
          flags: probe.flags,
          seq: probe.seq,
          ack: probe.ack,
          bytes: bytes.slice(),
        });
        let behaviour = peers[destination]?.[probe.dstPort] ?? "closed";
        const key = `${destination} ${probe.dstPort}`;
        const attempt = (tries.get(key) ?? 0) + 1;
        tries.set(key, attempt);
        if (behaviour === "flaky") {
          behaviour = attempt === 1 ? "drop" : "closed";
        }
        const receivedAt = net.wallClock() + 0.5;
        const { syn, ack, rst, fin } = TCP_FLAGS;
        const reply = (
          flags: number,
          seq: number,
          ackNumber: number,
          window: number,
        ) => {
          tcp.push({
            bytes: encodePacket(makeTcpPacket({
              src: ip.dst,
              dst: ip.src,
              srcPort: probe.dstPort,
              dstPort: probe.srcPort,
              seq,
              ack: ackNumber,
              flags,
              window,
            })),
            source: destination,
            receivedAt,
          });
        };
        const reset = (window = 0) => {
          if ((probe.flags & rst) !== 0) return;
          if ((probe.flags & ack) !== 0) reply(rst, probe.ack, 0, window);
          else {
            const length = ((probe.flags & syn) !== 0 ? 1 : 0) +
              ((probe.flags & fin) !== 0 ? 1 : 0);
            reply(rst | ack, 0, (probe.seq + length) >>> 0, window);
          }
        };
        switch (behaviour) {
          case "open":
            if ((probe.flags & (syn | ack | rst)) === syn) {
              reply(syn | ack, 777, (probe.seq + 1) >>> 0, 64240);
            } else if ((probe.flags & ack) !== 0) reset();
            // FIN, NULL and Xmas to a listening port: silence.
            break;
          case "closed":
            reset();
            break;
          case "window-open":
            reset(512);
            break;
          case "prohibited":
          case "port-unreachable": {
            const quoted = bytes.subarray(0, family === 4 ? 28 : 48);
            const message = new Uint8Array(8 + quoted.length);
            message[0] = family === 4 ? 3 : 1;
            message[1] = behaviour === "prohibited"
              ? (family === 4 ? 13 : 1)
              : (family === 4 ? 3 : 4);
            message.set(quoted, 8);
            icmp.push({
              bytes: family === 4
                ? ipv4Datagram(destination, ip.src, 1, message)
                : ipv6Datagram(destination, ip.src, 58, message),
              source: destination,
              receivedAt,
            });
            break;
          }
          case "drop":
            break;
        }
        if (waiter !== undefined && tcp.length + icmp.length > 0) {
          clearTimeout(timer);
          const wake = waiter;
          waiter = undefined;
          wake(take());
        }
      };
      const receiver: CliReceiver = {
        send(packet, destination) {
          answer(packet, destination);
          return packet.length;
        },
        sendMany(packets, destination) {
          for (const packet of packets) answer(packet, destination);
          return packets.length;
        },
        poll(timeoutMs) {
          if (tcp.length + icmp.length > 0) return Promise.resolve(take());
          // As a real receiver: wait for a packet or the time limit (on the
          // real clock, so an idle scan loop never races the virtual one).
          return new Promise((resolve) => {
            waiter = resolve;
            timer = setTimeout(() => {
              waiter = undefined;
              resolve(take());
            }, timeoutMs);
          });
        },
        close() {},
      };
      return receiver;
    },
  };
  return { net, sent };
}

interface ScanRun {
  code: number;
  out: string;
  err: string;
  sent: SentProbe[];
  host: MemoryHost;
}

async function scan(
  args: string[],
  peers: Record<string, Record<number, Behaviour>>,
  options: { names?: Record<string, string[]>; interruptAfter?: number } = {},
): Promise<ScanRun> {
  const host = createMemoryHost();
  const fake = fakeNetwork(host, peers, options.names);
  host.net = fake.net;
  if (options.interruptAfter !== undefined) {
    let handler: (() => void) | undefined;
    host.onInterrupt = (h) => {
      handler = h;
      return () => {
        handler = undefined;
      };
    };
    const original = fake.net.openReceiver!;
    fake.net.openReceiver = (family, o) => {
      const receiver = original(family, o);
      const send = receiver.send;
      return {
        ...receiver,
        send(packet, destination) {
          const n = send(packet, destination);
          if (fake.sent.length === options.interruptAfter) handler?.();
          return n;
        },
      };
    };
  }
  const code = await runCli(["scan", ...args], host, { version: "0" });
  return { code, out: host.out, err: host.err, sent: fake.sent, host };
}

interface Row {
  host: string;
  port: number;
  state: string;
  reason: string;
  rtt_ms: number | null;
  ttl?: number;
  reason_ip?: string;
}

function rows(out: string): Row[] {
  return out.trim().split("\n").filter((l) => l !== "").map((l) =>
    JSON.parse(l) as Row
  );
}

function byPort(list: Row[]): Record<number, string> {
  return Object.fromEntries(
    list.map((r) => [r.port, `${r.state} ${r.reason}`]),
  );
}

const PEER = "192.0.2.1";
const PORTS: Record<number, Behaviour> = {
  22: "open",
  23: "closed",
  24: "drop",
  25: "prohibited",
  26: "port-unreachable",
};

// ------------------------------------------------------- tests (no privileges)

Deno.test("scan reads a Linux peer as nmap does, for every scan type", async () => {
  const expected: Record<string, Record<number, string>> = {
    syn: {
      22: "open syn-ack",
      23: "closed reset",
      24: "filtered no-response",
      25: "filtered admin-prohibited",
      26: "filtered port-unreach",
    },
    fin: {
      22: "open|filtered no-response",
      23: "closed reset",
      24: "open|filtered no-response",
      25: "filtered admin-prohibited",
      26: "filtered port-unreach",
    },
    ack: {
      22: "unfiltered reset",
      23: "unfiltered reset",
      24: "filtered no-response",
      25: "filtered admin-prohibited",
      26: "filtered port-unreach",
    },
    window: {
      22: "closed reset",
      23: "closed reset",
      24: "filtered no-response",
      25: "filtered admin-prohibited",
      26: "filtered port-unreach",
    },
  };
  expected.null = expected.fin!;
  expected.xmas = expected.fin!;
  for (const [type, states] of Object.entries(expected)) {
    const run = await scan(
      [PEER, "-p", "22-26", "--scan", type, "--format", "ndjson"],
      { [PEER]: PORTS },
    );
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(byPort(rows(run.out)), states, type);
  }
});

Deno.test("scan --scan window reads a RST's window: above 0 is open", async () => {
  const run = await scan(
    [PEER, "-p", "80,81", "--scan", "window", "--format", "ndjson"],
    { [PEER]: { 80: "window-open", 81: "closed" } },
  );
  assert.deepEqual(byPort(rows(run.out)), {
    80: "open reset",
    81: "closed reset",
  });
});

Deno.test("scan sends the probes nmap sends: flags, window 1024, MSS on SYN only", async () => {
  const cases: [string, number][] = [
    ["syn", TCP_FLAGS.syn],
    ["fin", TCP_FLAGS.fin],
    ["null", 0],
    ["xmas", TCP_FLAGS.fin | TCP_FLAGS.psh | TCP_FLAGS.urg],
    ["ack", TCP_FLAGS.ack],
    ["window", TCP_FLAGS.ack],
  ];
  for (const [type, flags] of cases) {
    const run = await scan(
      [PEER, "-p", "23", "--scan", type, "-s", "40000"],
      {},
    );
    assert.equal(run.sent.length, 1);
    const packet = decodePacket(run.sent[0]!.bytes);
    assert.equal(packet.tcp.flags, flags, type);
    assert.equal(packet.tcp.window, 1024);
    assert.equal(packet.tcp.srcPort, 40000);
    assert.deepEqual(
      packet.tcp.options,
      type === "syn" ? [{ kind: "mss", value: 1460 }] : [],
    );
    assert.equal(packet.ip.src, SRC4);
    // The ACK probes carry a cookie in the acknowledgment number too.
    assert.equal(packet.tcp.ack !== 0, (flags & TCP_FLAGS.ack) !== 0);
  }
  const custom = await scan([PEER, "-p", "23", "--flags", "SF"], {});
  assert.equal(decodePacket(custom.sent[0]!.bytes).tcp.flags, 0x03);
});

Deno.test("scan sends an unanswered probe again --retries times, with a new sequence number", async () => {
  const run = await scan(
    [PEER, "-p", "22-24", "--retries", "3", "--format", "ndjson"],
    { [PEER]: { 22: "open", 23: "flaky", 24: "drop" } },
  );
  const count = (port: number) =>
    run.sent.filter((p) => p.dport === port).length;
  assert.equal(count(22), 1);
  assert.equal(count(23), 2); // answered on the second try
  assert.equal(count(24), 4); // 1 + 3 retries
  const seqs = run.sent.filter((p) => p.dport === 24).map((p) => p.seq);
  assert.equal(new Set(seqs).size, 4);
  assert.deepEqual(byPort(rows(run.out)), {
    22: "open syn-ack",
    23: "closed reset",
    24: "filtered no-response",
  });
  const none = await scan([PEER, "-p", "24", "--retries", "0"], {
    [PEER]: { 24: "drop" },
  });
  assert.equal(none.sent.length, 1);
});

Deno.test("scan waits --timeout between tries of an unanswered probe", async () => {
  const run = await scan(
    [PEER, "-p", "24", "--retries", "2", "--timeout", "700ms"],
    { [PEER]: { 24: "drop" } },
  );
  const times = run.sent.map((p) => p.at);
  assert.equal(times.length, 3);
  assert.ok(
    times[1]! - times[0]! >= 700 && times[1]! - times[0]! < 720,
    String(times),
  );
  assert.ok(
    times[2]! - times[1]! >= 700 && times[2]! - times[1]! < 720,
    String(times),
  );
});

Deno.test("scan paces probes at --rate (virtual clock)", async () => {
  const run = await scan(
    ["192.0.2.0/28", "-p", "1-25", "--rate", "200", "--timeout", "100ms"],
    {},
  );
  assert.equal(run.sent.length, 400);
  const times = run.sent.map((p) => p.at);
  const span = times.at(-1)! - times[0]!;
  // 400 probes at 200 per second: 399 intervals of 5 ms.
  assert.ok(span >= 1990 && span <= 2010, `span ${span} ms`);
  // No second holds more than the rate (plus the one token of a burst).
  for (let i = 0; i + 201 < times.length; i++) {
    assert.ok(times[i + 201]! - times[i]! >= 1000, `burst at ${times[i]}`);
  }
});

Deno.test("scan covers the target × port space once, in a seeded order", async () => {
  const args = [
    "192.0.2.0/29",
    "2001:db8::/126",
    "-p",
    "20-29",
    "--retries",
    "0",
  ];
  const first = await scan([...args, "--seed", "11"], {});
  const again = await scan([...args, "--seed", "11"], {});
  const other = await scan([...args, "--seed", "12"], {});
  const order = (run: ScanRun) => run.sent.map((p) => `${p.dst} ${p.dport}`);
  assert.equal(first.sent.length, 120);
  assert.equal(new Set(order(first)).size, 120);
  assert.deepEqual(order(again), order(first));
  assert.notDeepEqual(order(other), order(first));
  // Consecutive probes rarely share a host: the order is scrambled.
  const sameHost =
    order(first).filter((p, i, all) =>
      i > 0 && p.split(" ")[0] === all[i - 1]!.split(" ")[0]
    ).length;
  assert.ok(sameHost < 30, `${sameHost} consecutive probes to one host`);
});

Deno.test("scan --shard I/N: for N = 1..5 the shards are disjoint and cover the space", async () => {
  const args = [
    "192.0.2.0/28",
    "198.51.100.7",
    "-p",
    "1-13",
    "--seed",
    "7",
    "--dry-run",
  ];
  const whole = await scan([...args, "--shard", "1/1"], {});
  const all = whole.out.trim().split("\n");
  assert.equal(all.length, 17 * 13);
  assert.equal(new Set(all).size, all.length);
  assert.equal(whole.sent.length, 0);
  for (let n = 1; n <= 5; n++) {
    const seen = new Map<string, number>();
    for (let i = 1; i <= n; i++) {
      const run = await scan([...args, "--shard", `${i}/${n}`], {});
      assert.equal(run.code, 0, run.err);
      for (const line of run.out.trim().split("\n")) {
        assert.equal(
          seen.get(line),
          undefined,
          `${line} in shards ${seen.get(line)} and ${i} of ${n}`,
        );
        seen.set(line, i);
      }
    }
    assert.deepEqual([...seen.keys()].sort(), [...all].sort(), `N=${n}`);
  }
  // The same holds for what is sent, not only what is listed.
  const sent = new Set<string>();
  for (let i = 1; i <= 3; i++) {
    const run = await scan(
      [
        "192.0.2.0/28",
        "-p",
        "1-13",
        "--seed",
        "7",
        "--shard",
        `${i}/3`,
        "--retries",
        "0",
      ],
      {},
    );
    for (const p of run.sent) {
      const key = `${p.dst} ${p.dport}`;
      assert.ok(!sent.has(key), `${key} sent twice`);
      sent.add(key);
    }
  }
  assert.equal(sent.size, 16 * 13);
});

Deno.test("scan resolves names, reads target files and leaves out exclusions", async () => {
  const host = createMemoryHost({
    files: {
      "targets.txt": "# lab\n192.0.2.8/30\nweb.lab.example\n",
      "skip.txt": "192.0.2.9 db.lab.example\n",
    },
  });
  const fake = fakeNetwork(host, {}, {
    "web.lab.example": ["192.0.2.20", "192.0.2.21"],
    "db.lab.example": ["192.0.2.10"],
  });
  host.net = fake.net;
  const code = await runCli(
    [
      "scan",
      "192.0.2.30",
      "--targets-file",
      "targets.txt",
      "--exclude-file",
      "skip.txt",
      "--exclude",
      "192.0.2.11,192.0.2.30",
      "-p",
      "80",
      "--dry-run",
    ],
    host,
    { version: "0" },
  );
  assert.equal(code, 0, host.err);
  // The first address of a name, as nmap takes it; the exclusions gone.
  assert.deepEqual(host.out.trim().split("\n").sort(), [
    "192.0.2.20 80",
    "192.0.2.8 80",
  ]);
});

Deno.test("scan --format ndjson gives host, port, state, reason, rtt_ms and ttl", async () => {
  const run = await scan(
    [PEER, "-p", "22-24", "--format", "ndjson", "--retries", "0"],
    { [PEER]: { 22: "open", 24: "drop" } },
  );
  const list = rows(run.out).sort((a, b) => a.port - b.port);
  assert.deepEqual(list, [
    {
      host: PEER,
      port: 22,
      state: "open",
      reason: "syn-ack",
      rtt_ms: 0.5,
      ttl: 64,
    },
    {
      host: PEER,
      port: 23,
      state: "closed",
      reason: "reset",
      rtt_ms: 0.5,
      ttl: 64,
    },
    {
      host: PEER,
      port: 24,
      state: "filtered",
      reason: "no-response",
      rtt_ms: null,
    },
  ]);
  assert.match(
    run.err,
    /^scanned 3 ports on 1 host in \d+\.\d\d s \(3 probes, [\d.]+ pps\): 1 open, 1 closed, 1 filtered\n$/,
  );
});

Deno.test("scan --format table prints rows as results come, csv, and one JSON document sorted at the end", async () => {
  const peers = { [PEER]: { 22: "open" as const, 25: "prohibited" as const } };
  // The rows as they come are `--format table` since the default became
  // nmap's sorted table.
  const table = await scan(
    [PEER, "-p", "22,23,25", "--retries", "0", "--format", "table"],
    peers,
  );
  const lines = table.out.trim().split("\n");
  assert.equal(
    lines[0],
    "HOST        PORT  STATE          REASON               RTT",
  );
  assert.equal(lines.length, 4);
  assert.ok(
    lines.includes(
      "192.0.2.1     22  open           syn-ack              0.50 ms",
    ),
  );
  assert.ok(
    lines.includes(
      "192.0.2.1     25  filtered       admin-prohibited     0.50 ms",
    ),
  );
  assert.ok(
    lines.includes(
      "192.0.2.1     23  closed         reset                0.50 ms",
    ),
  );
  const csv = await scan([PEER, "-p", "22,23", "--format", "csv"], peers);
  assert.deepEqual(csv.out.trim().split("\n").slice(0, 1), [
    "host,port,state,reason,rtt_ms",
  ]);
  assert.ok(csv.out.includes("192.0.2.1,22,open,syn-ack,0.5\n"));
  const json = await scan(
    ["192.0.2.0/31", "-p", "22,23", "--format", "json", "--seed", "5"],
    { "192.0.2.0": { 22: "open" } },
  );
  const document = JSON.parse(json.out);
  assert.deepEqual(
    document.results.map((r: Row) => `${r.host} ${r.port} ${r.state}`),
    [
      "192.0.2.0 22 open",
      "192.0.2.0 23 closed",
      "192.0.2.1 22 closed",
      "192.0.2.1 23 closed",
    ],
  );
  assert.equal(document.scan.seed, 5);
  assert.equal(document.scan.type, "syn");
  assert.equal(document.summary.open, 1);
  assert.equal(document.summary.probes, 4);
});

Deno.test("scan --open shows open, open|filtered and unfiltered ports only", async () => {
  const syn = await scan([PEER, "-p", "22-26", "--open", "--format", "csv"], {
    [PEER]: PORTS,
  });
  assert.equal(
    syn.out,
    "host,port,state,reason,rtt_ms\n192.0.2.1,22,open,syn-ack,0.5\n",
  );
  const fin = await scan([
    PEER,
    "-p",
    "22-26",
    "--open",
    "--format",
    "ndjson",
    "--scan",
    "fin",
  ], {
    [PEER]: PORTS,
  });
  assert.deepEqual(rows(fin.out).map((r) => r.port).sort(), [22, 24]);
  // The summary still counts everything.
  assert.match(syn.err, /1 open, 1 closed, 3 filtered/);
});

Deno.test("scan reports the ICMP sender when it is not the target", async () => {
  const host = createMemoryHost();
  const fake = fakeNetwork(host, { [PEER]: { 25: "prohibited" } });
  const original = fake.net.openReceiver!;
  fake.net.openReceiver = (family, options) => {
    const receiver = original(family, options);
    return {
      ...receiver,
      async poll(timeoutMs) {
        const batch = await receiver.poll(timeoutMs);
        // A firewall at 192.0.2.254 sends the error, not the target.
        for (const packet of batch.icmp) packet.bytes.set([192, 0, 2, 254], 12);
        return batch;
      },
    };
  };
  host.net = fake.net;
  await runCli(["scan", PEER, "-p", "25", "--format", "ndjson"], host, {
    version: "0",
  });
  assert.equal(rows(host.out)[0]!.reason_ip, "192.0.2.254");
});

Deno.test("scan --pcap writes every probe sent and every reply matched", async () => {
  const run = await scan(
    [PEER, "-p", "22,24", "--retries", "1", "--pcap", "scan.pcapng"],
    { [PEER]: { 22: "open", 24: "drop" } },
  );
  assert.equal(run.code, 0, run.err);
  const { records } = readCaptureBytes(await run.host.readFile("scan.pcapng"));
  const comments = records.map((r) => r.comment).sort();
  assert.deepEqual(comments, [
    "received: 192.0.2.1 port 22",
    "sent: 192.0.2.1 port 22 try 1",
    "sent: 192.0.2.1 port 24 try 1",
    "sent: 192.0.2.1 port 24 try 2",
  ]);
});

Deno.test("scan --pcap creates no capture file when the raw sockets cannot be opened", async () => {
  const host = createMemoryHost();
  const fake = fakeNetwork(host, { [PEER]: { 22: "open" } });
  fake.net.openReceiver = () => {
    throw new Error(
      "Cannot open raw socket: permission denied; run as root or grant cap_net_raw (sudo setcap cap_net_raw+ep ./tcpcraft)",
    );
  };
  host.net = fake.net;
  const code = await runCli(
    ["scan", PEER, "-p", "22", "--pcap", "scan.pcapng"],
    host,
    { version: "0" },
  );
  assert.equal(code, 1);
  assert.match(host.err, /^error: Cannot open raw socket: permission denied/m);
  await assert.rejects(host.readFile("scan.pcapng"), /no such file/);
});

Deno.test("scan --progress draws a progress line on standard error and clears it", async () => {
  const run = await scan(
    [
      "192.0.2.0/28",
      "-p",
      "1-20",
      "--rate",
      "100",
      "--progress",
      "--format",
      "csv",
      // A fixed order: the open port is found before the last progress line.
      "--seed",
      "1",
    ],
    { "192.0.2.3": { 7: "open" } },
  );
  assert.equal(run.code, 0);
  const lines = run.err.split("\r\x1b[K").filter((l) => l !== "");
  assert.match(
    lines[0]!,
    /^\[ {2}0\.\d%\] \d+\/320 probes, [\d.]+ pps, 0 found, ETA \d+s$/,
  );
  assert.ok(
    lines.some((l) =>
      /^\[ *\d+\.\d%\] \d+\/320 probes, 100 pps, 1 found, ETA \d+s$/.test(l)
    ),
    lines.join("\n"),
  );
  // Cleared before the summary, which stands on its own line.
  assert.ok(run.err.includes("\r\x1b[Kscanned 320 ports on 16 hosts"), run.err);
  // Standard output stays clean.
  assert.ok(!run.out.includes("\x1b"));
  const quiet = await scan(["192.0.2.1", "-p", "1-3"], {});
  assert.ok(
    !quiet.err.includes("\x1b"),
    "no progress when standard error is no terminal",
  );
});

Deno.test("scan stops on Ctrl-C with the summary and exit code 130", async () => {
  const run = await scan(["192.0.2.0/24", "-p", "1-100"], {}, {
    interruptAfter: 5,
  });
  assert.equal(run.code, 130);
  assert.ok(run.sent.length < 10, `${run.sent.length} probes sent`);
  assert.match(run.err, /, interrupted\n$/);
});

Deno.test("scan refuses bad command lines before sending anything (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [[PEER], /missing -p\/--ports/],
    [["-p", "80"], /missing TARGETS/],
    [
      [PEER, "-p", "70000"],
      /--ports: cannot parse ports "70000": 70000 is not a port/,
    ],
    [[PEER, "-p", "80", "--shard", "1/2"], /--shard: needs --seed/],
    [
      [PEER, "-p", "80", "--seed", "1", "--shard", "3/2"],
      /the shard index 3 must be 1\.\.2/,
    ],
    [["2001:db8::/64", "-p", "80"], /too large to sweep/],
    [["2001:db8::1", "-p", "80", "-4"], /is IPv6, but only IPv4 is scanned/],
    [
      [PEER, "-p", "80", "--src", "2001:db8::9"],
      /is IPv4, but only IPv6 is scanned/,
    ],
    [
      [PEER, "-p", "80", "--exclude", "192.0.2.0/24"],
      /every target is excluded/,
    ],
    [
      [PEER, "-p", "80", "--scan", "idle"],
      /--scan: "idle" is not one of syn, fin/,
    ],
    [[PEER, "-p", "80", "--rate", "0"], /is not a rate/],
    [[PEER, "-p", "80", "--timeout", "2m"], /out of range/],
    [
      [PEER, "-p", "80", "--targets-file", "nope.txt"],
      /--targets-file: cannot read "nope.txt": no such file/,
    ],
    [
      [PEER, "-p", "80", "--progress", "--no-progress"],
      /conflicts with --no-progress/,
    ],
    [
      [PEER, "-p", "80", "--dry-run", "--pcap", "x.pcap"],
      /--pcap: conflicts with --dry-run/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const run = await scan(args, {});
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.err, pattern, args.join(" "));
    assert.match(run.err, /Try 'tcpcraft scan --help'\.\n$/);
    assert.equal(run.sent.length, 0);
    assert.equal(run.out, "");
  }
});

Deno.test("scan says why it cannot run where raw TCP is not delivered (exit 1)", async () => {
  for (const os of ["darwin", "windows"]) {
    const host = createMemoryHost({ os });
    const code = await runCli(["scan", PEER, "-p", "80"], host, {
      version: "0",
    });
    assert.equal(code, 1);
    assert.match(host.err, /^error: Cannot scan: .*use Linux/);
  }
  const bare = createMemoryHost();
  assert.equal(
    await runCli(["scan", PEER, "-p", "80"], bare, { version: "0" }),
    1,
  );
  assert.match(bare.err, /no raw network access/);
});

Deno.test("scan --help lists the options and examples", async () => {
  const host = createMemoryHost();
  assert.equal(
    await scanCommand.run(["--help"], { host, meta: { version: "0" } }),
    0,
  );
  assert.match(
    host.out,
    /USAGE:\n {4}tcpcraft scan TARGETS\.\.\. -p PORTS \[OPTIONS\]/,
  );
  for (
    const option of [
      "--shard I/N",
      "--seed N",
      "--rate PPS",
      "--retries N",
      "--open",
      "--pcap FILE",
    ]
  ) {
    assert.ok(host.out.includes(option), option);
  }
});

// -------------------------------------------------- namespaces and nmap

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const gate = netnsTestGate("nft", "nmap", "tcpdump", "/usr/bin/python3");

/** nmap's verdict per port from its XML output. */
function parseNmapXml(xml: string): Record<number, string> {
  assert.ok(
    !xml.includes("<extraports"),
    "nmap collapsed ports into extraports",
  );
  const result: Record<number, string> = {};
  const pattern =
    /<port protocol="tcp" portid="(\d+)"><state state="([^"]+)" reason="([^"]+)"/g;
  for (const match of xml.matchAll(pattern)) {
    result[Number(match[1])] = `${match[2]} ${match[3]}`;
  }
  return result;
}

const NMAP_FLAG: Record<string, string> = {
  syn: "-sS",
  fin: "-sF",
  null: "-sN",
  xmas: "-sX",
  ack: "-sA",
  window: "-sW",
  maimon: "-sM",
};

// Ports of the peer: 2 open (listeners), 2 closed, 2 dropped, and one each
// rejected with ICMP administratively prohibited, port unreachable and host
// unreachable (ICMPv6: address unreachable).
const LIVE_PORTS = {
  open: [7101, 7102],
  closed: [7103, 7104],
  drop: [7105, 7106],
  prohibited: 7107,
  portUnreachable: 7108,
  hostUnreachable: 7109,
};
const PORT_LIST = "7101-7109";

const RULES = `
table inet tcpcraft_scan_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport { 7105, 7106 } drop
    meta nfproto ipv4 tcp dport 7107 reject with icmp type admin-prohibited
    meta nfproto ipv4 tcp dport 7108 reject with icmp type port-unreachable
    meta nfproto ipv4 tcp dport 7109 reject with icmp type host-unreachable
    meta nfproto ipv6 tcp dport 7107 reject with icmpv6 type admin-prohibited
    meta nfproto ipv6 tcp dport 7108 reject with icmpv6 type port-unreachable
    meta nfproto ipv6 tcp dport 7109 reject with icmpv6 type addr-unreachable
  }
}
`;

Deno.test({
  name:
    "scan agrees with nmap on every port, for every scan type, IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (network) => {
      const { a, b } = network;
      await network.run(b, ["nft", "-f", "-"], { stdin: RULES });
      // Linux rate-limits ICMP errors per destination (about one a second
      // after a burst of six): without this, which probe gets its error
      // depends on timing, for nmap and tcpcraft alike.
      await network.run(b, [
        "sysctl",
        "-qw",
        "net.ipv4.icmp_ratelimit=0",
        "net.ipv6.icmp.ratelimit=0",
      ]);
      const listeners = [];
      for (const port of LIVE_PORTS.open) {
        listeners.push(await network.listen(b, port, { lifetimeMs: 110_000 }));
      }
      try {
        const disagreements: string[] = [];
        for (const target of [b.ipv4, b.ipv6]) {
          for (const type of Object.keys(NMAP_FLAG)) {
            const nmap = await network.run(a, [
              "nmap",
              ...(target.includes(":") ? ["-6"] : []),
              "-n",
              "-Pn",
              "--reason",
              NMAP_FLAG[type]!,
              "-p",
              PORT_LIST,
              "--max-retries",
              "1",
              "--max-rtt-timeout",
              "200ms",
              "--initial-rtt-timeout",
              "100ms",
              "--host-timeout",
              "30s",
              "-oX",
              "-",
              target,
            ]);
            const oracle = parseNmapXml(nmap.stdout);
            const ours = await network.run(a, [
              "env",
              "DENO_NO_UPDATE_CHECK=1",
              Deno.execPath(),
              "run",
              "-A",
              "--quiet",
              CLI,
              "scan",
              target,
              "-p",
              PORT_LIST,
              "--scan",
              type,
              "--timeout",
              "300ms",
              "--rate",
              "500",
              "--format",
              "ndjson",
            ]);
            const verdicts = byPort(rows(ours.stdout));
            assert.equal(
              Object.keys(oracle).length,
              9,
              `nmap ${type} ${target}: ${nmap.stdout}`,
            );
            assert.equal(
              Object.keys(verdicts).length,
              9,
              `tcpcraft ${type} ${target}: ${ours.stdout}`,
            );
            for (const port of Object.keys(oracle).map(Number)) {
              if (verdicts[port] !== oracle[port]) {
                disagreements.push(
                  `${type} ${target} port ${port}: nmap says ${
                    oracle[port]
                  }, tcpcraft ${verdicts[port]}`,
                );
              }
            }
            // What the table must show, so a broken oracle cannot pass quietly.
            if (type === "syn") {
              assert.equal(verdicts[LIVE_PORTS.open[0]!], "open syn-ack");
              assert.equal(verdicts[LIVE_PORTS.closed[0]!], "closed reset");
              assert.equal(
                verdicts[LIVE_PORTS.drop[0]!],
                "filtered no-response",
              );
              assert.equal(
                verdicts[LIVE_PORTS.prohibited],
                "filtered admin-prohibited",
              );
              assert.equal(
                verdicts[LIVE_PORTS.portUnreachable],
                "filtered port-unreach",
              );
              assert.equal(
                verdicts[LIVE_PORTS.hostUnreachable],
                "filtered host-unreach",
              );
            }
          }
        }
        assert.deepEqual(disagreements, []);
      } finally {
        for (const listener of listeners) await listener.close();
      }
    });
  },
});

Deno.test({
  name:
    "scan shards put every probe on the wire exactly once, at a bounded rate" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (network) => {
      const { a, b } = network;
      const ports = 600;
      const capture = await network.capture(
        b,
        b.ifaces[0]!,
        `tcp and src host ${a.ipv4} and dst portrange 20000-${
          20000 + ports - 1
        }`,
        { count: ports, timeoutMs: 30_000 },
      );
      const elapsed: number[] = [];
      for (let i = 1; i <= 3; i++) {
        const run = await network.run(a, [
          "env",
          "DENO_NO_UPDATE_CHECK=1",
          Deno.execPath(),
          "run",
          "-A",
          "--quiet",
          CLI,
          "scan",
          b.ipv4,
          "-p",
          `20000-${20000 + ports - 1}`,
          "--seed",
          "2024",
          "--shard",
          `${i}/3`,
          "--retries",
          "0",
          "--rate",
          "100",
          "--timeout",
          "300ms",
          "--format",
          "csv",
        ]);
        const lines = run.stdout.trim().split("\n").slice(1);
        assert.equal(lines.length, ports / 3);
        for (const line of lines) {
          const [, , state, reason] = line.split(",");
          assert.equal(`${state} ${reason}`, "closed reset", line);
        }
        const match = /in (\d+\.\d+) s/.exec(run.stderr);
        assert.ok(match !== null, run.stderr);
        elapsed.push(Number(match[1]));
      }
      const lines = await capture.result();
      const dports = lines.flatMap((line) => {
        const m = new RegExp(
          `> ${b.ipv4.replaceAll(".", "\\.")}\\.(\\d+): Flags \\[S\\]`,
        ).exec(line);
        return m === null ? [] : [Number(m[1])];
      });
      assert.equal(dports.length, ports, "probes captured");
      assert.equal(new Set(dports).size, ports, "distinct ports");
      // 200 probes at 100 per second: 2 s plus the 0.3 s wait; on a noisy
      // machine only gross bounds (bench/scan_rate_bench.ts measures).
      for (const seconds of elapsed) {
        assert.ok(seconds >= 1 && seconds < 10, `${seconds} s`);
      }
    });
  },
});

if (!commandExists("nmap")) {
  console.log("nmap tests skipped: nmap is not installed");
}

Deno.test("scan prints nmap's table by default: sorted, with SERVICE, the commonest state collapsed", async () => {
  const run = await scan(["192.0.2.0/31", "-p", "20-60", "--seed", "3"], {
    "192.0.2.0": { 22: "open", 25: "prohibited", 53: "drop" },
  });
  assert.equal(run.code, 0, run.err);
  const text = run.out.replace(/^Starting .*\n/, "").replace(
    /\n.* done: (.*) scanned in [\d.]+ seconds\n$/,
    "\n$1\n",
  );
  assert.equal(
    text,
    [
      "Nmap scan report for 192.0.2.0",
      "Host is up (0.00050s latency).",
      "Not shown: 38 closed tcp ports (reset)",
      "PORT   STATE    SERVICE",
      "22/tcp open     ssh",
      "25/tcp filtered smtp",
      "53/tcp filtered domain",
      "",
      "Nmap scan report for 192.0.2.1",
      "Host is up (0.00050s latency).",
      "All 41 scanned ports on 192.0.2.1 are in ignored states.",
      "Not shown: 41 closed tcp ports (reset)",
      "",
      "2 IP addresses (2 hosts up)",
      "",
    ].join("\n"),
  );
  assert.match(
    run.out,
    /^Starting tcpcraft 0 at \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/,
  );
  // --all-ports lists every port; --reason adds nmap's REASON column.
  const all = await scan([PEER, "-p", "20-60", "--all-ports", "--reason"], {
    [PEER]: { 22: "open" },
  });
  assert.match(
    all.out,
    /PORT {3}STATE {2}SERVICE +REASON\n20\/tcp closed ftp-data +reset ttl 64\n/,
  );
  assert.equal(
    all.out.split("\n").filter((l) => /^\d+\/tcp/.test(l)).length,
    41,
  );
});

Deno.test("scan -oX, -oG, -oN and -oA write nmap's files; one that cannot be written stops the scan before any probe (exit 2)", async () => {
  const run = await scan(
    [
      PEER,
      "-p",
      "22-24",
      "-oX",
      "s.xml",
      "-oG",
      "s.gnmap",
      "-oA",
      "all",
      "--format",
      "csv",
    ],
    { [PEER]: { 22: "open", 24: "drop" } },
  );
  assert.equal(run.code, 0, run.err);
  const read = async (path: string) =>
    new TextDecoder().decode(await run.host.readFile(path));
  const xml = await read("s.xml");
  assert.match(
    xml,
    /<scaninfo type="syn" protocol="tcp" numservices="3" services="22-24"\/>/,
  );
  assert.match(
    xml,
    /<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"\/><service name="ssh" method="table" conf="3"\/><\/port>/,
  );
  assert.match(xml, /<runstats><finished .* exit="success"\/>/);
  assert.equal(await read("all.xml"), xml);
  assert.match(
    await read("s.gnmap"),
    /Ports: 22\/open\/tcp\/\/ssh\/\/\/, 23\/closed\/tcp\/\/telnet\/\/\/, 24\/filtered\/tcp\/\/[^/]*\/\/\//,
  );
  assert.match(
    await read("all.nmap"),
    /^# tcpcraft 0 scan initiated .* as: tcpcraft scan 192\.0\.2\.1 -p 22-24 -oX s\.xml/,
  );
  // The csv on standard output is unchanged by the files.
  assert.match(run.out, /^host,port,state,reason,rtt_ms\n/);
  const host = createMemoryHost();
  const fake = fakeNetwork(host, {});
  host.net = fake.net;
  const files = host.files;
  host.files = {
    ...files,
    openWrite: (path) =>
      path === "nope/s.xml"
        ? Promise.reject(new Error("no such file or directory"))
        : files.openWrite(path),
  };
  const code = await runCli(
    ["scan", PEER, "-p", "22", "-oN", "ok.nmap", "-oX", "nope/s.xml"],
    host,
    { version: "0" },
  );
  assert.equal(code, 2);
  assert.match(
    host.err,
    /^tcpcraft scan: -oX: cannot write "nope\/s\.xml": no such file or directory\n/,
  );
  assert.equal(fake.sent.length, 0);
  assert.equal(host.out, "");
});

Deno.test("scan's adaptive mode (the default): one retry at first, another round when a retry is answered, a second's wait before each new round", async () => {
  const run = await scan(
    [PEER, "-p", "22-24", "-T4", "--format", "ndjson"],
    { [PEER]: { 22: "open", 23: "flaky", 24: "drop" } },
  );
  assert.equal(run.code, 0, run.err);
  const tries = (port: number) => run.sent.filter((p) => p.dport === port);
  assert.equal(tries(22).length, 1);
  assert.equal(tries(23).length, 2); // answered on its retry...
  assert.equal(tries(24).length, 3); // ...so one more round was allowed
  // Each new round of retries waits a second (ICMP rate limits).
  const times = tries(24).map((p) => p.at);
  assert.ok(times[1]! - times[0]! >= 1000, String(times));
  assert.ok(times[2]! - times[1]! >= 1000, String(times));
  assert.deepEqual(byPort(rows(run.out)), {
    22: "open syn-ack",
    23: "closed reset",
    24: "filtered no-response",
  });
  // Without answered retries a silent port gets one retry, whatever the cap.
  const quiet = await scan([PEER, "-p", "24", "--max-retries", "6"], {
    [PEER]: { 24: "drop" },
  });
  assert.equal(quiet.sent.length, 2);
  // --max-rate holds the pace; the modes' options do not mix.
  const paced = await scan(
    ["192.0.2.0/29", "-p", "1-25", "--max-rate", "100"],
    {},
  );
  const span = paced.sent.at(-1)!.at - paced.sent[0]!.at;
  assert.ok(span >= 1900, `200 probes at 100 per second in ${span} ms`);
  const mixed = await scan([PEER, "-p", "80", "-T4", "--rate", "100"], {});
  assert.equal(mixed.code, 2);
  assert.match(mixed.err, /-T: conflicts with --rate/);
  const template = await scan([PEER, "-p", "80", "-T", "ludicrous"], {});
  assert.equal(template.code, 2);
  assert.match(template.err, /"ludicrous" is not a timing template/);
  assert.equal(template.sent.length + mixed.sent.length, 0);
});

Deno.test("scan --os sends the system's SYN: options in order, window, TTL; and needs a SYN scan", async () => {
  const run = await scan([PEER, "-p", "23", "--os", "windows"], {});
  const packet = decodePacket(run.sent[0]!.bytes);
  assert.deepEqual(packet.tcp.options.map((o) => o.kind), [
    "mss",
    "nop",
    "wscale",
    "nop",
    "nop",
    "sackOk",
  ]);
  assert.equal(packet.tcp.window, 8192);
  assert.equal(packet.ip.version === 4 && packet.ip.ttl, 128);
  assert.deepEqual(
    byPort(
      rows(
        (await scan(
          [PEER, "-p", "23", "--os", "linux", "--format", "ndjson"],
          {},
        )).out,
      ),
    ),
    { 23: "closed reset" },
  );
  const fin = await scan(
    [PEER, "-p", "23", "--os", "linux", "--scan", "fin"],
    {},
  );
  assert.equal(fin.code, 2);
  assert.match(fin.err, /--os: needs a SYN scan/);
  const banners = await scan(
    [PEER, "-p", "23", "--scan", "ack", "--banners"],
    {},
  );
  assert.equal(banners.code, 2);
  assert.match(banners.err, /--banners: needs a SYN or connect scan/);
});
