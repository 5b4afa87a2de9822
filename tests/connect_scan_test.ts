/**
 * The connect scan: its engine on fake connectors (states, retries on
 * timeouts only, the bound on attempts in flight, open connections handed
 * over and closed, stopping, failures), and nmap's `-sT` as the oracle in
 * namespaces, with tcpcraft's scan run as `nobody` under `deno run
 * --allow-net` only.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type ByteStream,
  type ConnectOutcome,
  runConnectScan,
  type ScanResult,
} from "../mod.ts";
import { netnsTestGate, withNetwork } from "./_netns.ts";
import { parseNmapXml } from "./_nmap.ts";
import { ACCEPT_SCRIPT, startServer } from "./_servers.ts";

function stream(log: string[], name: string): ByteStream {
  return {
    write: () => Promise.resolve(),
    read: () => Promise.resolve({ kind: "end" }),
    close: () => log.push(`close ${name}`),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("runConnectScan() keeps at most `concurrency` attempts in flight and tries again only on timeouts", async () => {
  let inFlight = 0;
  let most = 0;
  const tries = new Map<number, number>();
  const results: ScanResult[] = [];
  const outcome = await runConnectScan({
    connector: {
      async connect(_address, port): Promise<ConnectOutcome> {
        tries.set(port, (tries.get(port) ?? 0) + 1);
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(2);
        inFlight--;
        if (port % 4 === 0) return { kind: "timeout" };
        if (port % 4 === 1) return { kind: "refused", rttMs: 0.5 };
        if (port % 4 === 2) {
          return { kind: "unreachable", reason: "host-unreach", rttMs: 0.7 };
        }
        return { kind: "open", rttMs: 0.3, stream: stream([], "") };
      },
    },
    targets: Array.from({ length: 40 }, (_, i) => ({
      address: "192.0.2.1",
      port: i + 1,
      addressIndex: 0,
    })),
    concurrency: 5,
    retries: 2,
    onResult: (r) => results.push(r),
  });
  assert.equal(most, 5);
  assert.equal(results.length, 40);
  for (const [port, n] of tries) {
    assert.equal(n, port % 4 === 0 ? 3 : 1, `port ${port}`);
  }
  assert.equal(outcome.attempts, 30 + 10 * 3);
  assert.deepEqual(outcome.counts, {
    open: 10,
    closed: 10,
    filtered: 20,
    unfiltered: 0,
    "open|filtered": 0,
  });
  const byReason = new Set(
    results.map((r) => `${r.state} ${r.reason} ${r.rttMs === null}`),
  );
  assert.deepEqual([...byReason].sort(), [
    "closed conn-refused false",
    "filtered host-unreach false",
    "filtered no-response true",
    "open syn-ack false",
  ]);
  assert.equal(outcome.interrupted, false);
});

Deno.test("runConnectScan() hands an open connection to onOpen and closes it after, or at once without onOpen", async () => {
  const log: string[] = [];
  const connector = {
    connect: (_a: string, port: number): Promise<ConnectOutcome> =>
      Promise.resolve({
        kind: "open",
        rttMs: 1,
        stream: stream(log, String(port)),
      }),
  };
  const targets = [{ address: "192.0.2.1", port: 22, addressIndex: 0 }];
  await runConnectScan({
    connector,
    targets,
    onResult: () => log.push("result"),
    onOpen: async (target) => {
      log.push(`banner ${target.port}`);
      await sleep(1);
    },
  });
  assert.deepEqual(log, ["result", "banner 22", "close 22"]);
  log.length = 0;
  await runConnectScan({ connector, targets, onResult: () => {} });
  assert.deepEqual(log, ["close 22"]);
});

Deno.test("runConnectScan() stops taking targets when aborted, and rethrows a connector's failure after the attempts in flight", async () => {
  const controller = new AbortController();
  const seen: number[] = [];
  const outcome = await runConnectScan({
    connector: {
      connect: (_a, port) => {
        if (port === 3) controller.abort();
        return Promise.resolve({ kind: "refused", rttMs: 1 });
      },
    },
    targets: Array.from(
      { length: 100 },
      (_, i) => ({ address: "192.0.2.1", port: i + 1, addressIndex: 0 }),
    ),
    concurrency: 1,
    signal: controller.signal,
    onResult: (r) => seen.push(r.port),
  });
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(outcome.interrupted, true);
  let finished = 0;
  await assert.rejects(
    runConnectScan({
      connector: {
        async connect(_a, port) {
          if (port === 2) {
            throw new Error("Cannot connect: too many open files");
          }
          await sleep(5);
          finished++;
          return { kind: "refused", rttMs: 1 };
        },
      },
      targets: Array.from(
        { length: 100 },
        (_, i) => ({ address: "192.0.2.1", port: i + 1, addressIndex: 0 }),
      ),
      concurrency: 4,
      onResult: () => {},
    }),
    /too many open files/,
  );
  assert.equal(finished, 3); // the three in flight finished; nothing new started
});

// ------------------------------------------------------ nmap -sT as oracle

const gate = netnsTestGate("nft", "nmap", "setpriv");
const AGENT = new URL("./_connect_agent.ts", import.meta.url).pathname;

const PEER_RULES = `
table inet tcpcraft_connect_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 135 drop
    meta nfproto ipv4 tcp dport 7105 reject with icmp type admin-prohibited
    meta nfproto ipv4 tcp dport 7108 reject with icmp type port-unreachable
    meta nfproto ipv4 tcp dport 7109 reject with icmp type host-unreachable
    meta nfproto ipv6 tcp dport 7105 reject with icmpv6 type admin-prohibited
    meta nfproto ipv6 tcp dport 7108 reject with icmpv6 type port-unreachable
    meta nfproto ipv6 tcp dport 7109 reject with icmpv6 type addr-unreachable
  }
}
`;
const ROUTER_RULES = `
table inet tcpcraft_connect_test {
  chain forward {
    type filter hook forward priority 0; policy accept;
    meta nfproto ipv4 tcp dport 7110 reject with icmp type host-unreachable
    meta nfproto ipv6 tcp dport 7110 reject with icmpv6 type addr-unreachable
    ip daddr 10.200.9.0/24 reject with icmp type net-unreachable
    ip6 daddr fd00:200:9::/64 reject with icmpv6 type no-route
  }
}
`;
const PORTS = [22, 23, 80, 135, 7105, 7108, 7109, 7110, 7111];

Deno.test({
  name:
    "a connect scan as nobody with --allow-net only gives nmap -sT's state and reason on every port, IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (network) => {
      const { a, b, c } = network;
      await network.run(c!, ["nft", "-f", "-"], { stdin: PEER_RULES });
      await network.run(b, ["nft", "-f", "-"], { stdin: ROUTER_RULES });
      // Routes to networks the firewall then rejects as unreachable: the
      // kernel's own "no route" errors are rate-limited by a setting that
      // is not per namespace (net.ipv4.route.error_cost).
      await network.run(b, [
        "ip",
        "route",
        "add",
        "10.200.9.0/24",
        "dev",
        b.ifaces[1]!,
      ]);
      await network.run(b, [
        "ip",
        "-6",
        "route",
        "add",
        "fd00:200:9::/64",
        "dev",
        b.ifaces[1]!,
      ]);
      // Linux rate-limits ICMP errors per destination (six, then one a
      // second): nmap and tcpcraft both draw errors from the same peers,
      // so which attempt gets one would depend on timing.
      for (const host of [b, c!]) {
        await network.run(host, [
          "sysctl",
          "-qw",
          "net.ipv4.icmp_ratelimit=0",
          "net.ipv6.icmp.ratelimit=0",
        ]);
      }
      const server = await startServer(c!, ACCEPT_SCRIPT, ["", "22", "80"]);
      const denoDir = await Deno.makeTempDir({ prefix: "tcpcraft-deno-" });
      await Deno.chmod(denoDir, 0o777);
      const asNobody = [
        "setpriv",
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "env",
        `DENO_DIR=${denoDir}`,
        "HOME=/nonexistent",
        "DENO_NO_UPDATE_CHECK=1",
      ];
      try {
        const uid = await network.run(a, [...asNobody, "id", "-u"]);
        assert.equal(uid.stdout.trim(), "65534");
        const disagreements: string[] = [];
        // The router answers network unreachable for 10.200.9.0/24 and
        // fd00:200:9::/64. Attempts wait 1.5 s: Linux reports an ICMPv6
        // error to connect() only when it answers the retransmitted SYN,
        // one second after the first (it ignores the first one's), for
        // nmap and tcpcraft alike.
        for (
          const [target, unrouted] of [[c!.ipv4, "10.200.9.9"], [
            c!.ipv6,
            "fd00:200:9::9",
          ]] as const
        ) {
          const v6 = target.includes(":");
          const oracle = new Map<string, string>();
          for (
            const [host, ports] of [[target, PORTS.join(",")], [
              unrouted,
              "80",
            ]] as const
          ) {
            const nmap = await network.run(a, [
              "nmap",
              ...(v6 ? ["-6"] : []),
              "-n",
              "-Pn",
              "-sT",
              "--reason",
              "-p",
              ports,
              "--max-retries",
              "1",
              "--initial-rtt-timeout",
              "1500ms",
              "--min-rtt-timeout",
              "1500ms",
              "--max-rtt-timeout",
              "1500ms",
              "-oX",
              "-",
              host,
            ], { timeoutMs: 60_000 });
            for (const scanned of parseNmapXml(nmap.stdout).hosts) {
              for (const port of scanned.ports) {
                oracle.set(
                  `${scanned.address}:${port.port}`,
                  `${port.state} ${port.reason}`,
                );
              }
            }
          }
          assert.equal(oracle.size, PORTS.length + 1, [...oracle].join("\n"));
          const targets = [
            ...PORTS.map((port) => ({ address: target, port })),
            { address: unrouted, port: 80 },
          ];
          const ours = await network.run(a, [
            ...asNobody,
            Deno.execPath(),
            "run",
            "--allow-net",
            "--no-prompt",
            "--quiet",
            AGENT,
            JSON.stringify({ targets, timeoutMs: 1500 }),
          ], { timeoutMs: 60_000 });
          const verdicts = new Map<string, string>();
          for (const line of ours.stdout.trim().split("\n")) {
            const row = JSON.parse(line) as ScanResult & { done?: unknown };
            if (row.done === undefined) {
              verdicts.set(
                `${row.host}:${row.port}`,
                `${row.state} ${row.reason}`,
              );
            }
          }
          for (const [key, expected] of oracle) {
            if (verdicts.get(key) !== expected) {
              disagreements.push(
                `${key}: nmap ${expected}, tcpcraft ${verdicts.get(key)}`,
              );
            }
          }
          // What the peers must produce, so a broken oracle cannot pass quietly.
          assert.equal(verdicts.get(`${target}:22`), "open syn-ack");
          assert.equal(verdicts.get(`${target}:23`), "closed conn-refused");
          assert.equal(verdicts.get(`${target}:135`), "filtered no-response");
          assert.equal(verdicts.get(`${target}:7110`), "filtered host-unreach");
          assert.equal(verdicts.get(`${unrouted}:80`), "filtered net-unreach");
          assert.equal(
            verdicts.get(`${target}:7105`),
            v6 ? "filtered admin-prohibited" : "filtered host-unreach",
          );
        }
        assert.deepEqual(disagreements, []);
      } finally {
        await server.stop();
        await Deno.remove(denoDir, { recursive: true });
      }
    }, { hosts: 3 });
  },
});
