/**
 * `tcpcraft trace`: the command's logic against a scripted network (hops
 * answer by TTL), and the CLI judged by real kernels in three namespaces in
 * a line: client a, router b (forwarding on), server c. The hop list must
 * be exactly the router, then the server.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { DecodedTcpPacket } from "../mod.ts";
import { runCli } from "../src/cli/main.ts";
import {
  answerIcmp,
  answerSyn,
  type FakeAnswer,
  fakeConversation,
} from "./_fake_conversation.ts";
import {
  type Host,
  netnsTestGate,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";

const META = { version: "test" };
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

function ttlOf(sent: DecodedTcpPacket): number {
  return sent.ip.version === 4 ? sent.ip.ttl : sent.ip.hopLimit;
}

/** A path of routers, then the destination (open or closed). */
function path(
  routers: readonly (string | null)[],
  open: boolean,
): (sent: DecodedTcpPacket) => FakeAnswer | undefined {
  return (sent) => {
    const ttl = ttlOf(sent);
    if (ttl <= routers.length) {
      const router = routers[ttl - 1];
      if (router === null || router === undefined) return undefined;
      return {
        bytes: answerIcmp(sent, router, sent.ip.version === 4 ? 11 : 3, 0),
        kind: "icmp",
        rttMs: ttl,
      };
    }
    return { bytes: answerSyn(sent, open), kind: "tcp", rttMs: 10 };
  };
}

// ---------------------------------------------------------------------------
// The logic, against a scripted network.

Deno.test("trace lists each router from its time-exceeded, then the open destination, and stops there", async () => {
  const fake = fakeConversation(path(["10.0.1.1", "10.0.2.1"], true));
  const code = await runCli(
    ["trace", "192.0.2.1", "-p", "443"],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  assert.equal(
    fake.host.out,
    [
      "tcpcraft trace to 192.0.2.1 port 443, 30 hops max, 3 probes per hop",
      " 1  10.0.1.1  1.000 ms  1.000 ms  1.000 ms",
      " 2  10.0.2.1  2.000 ms  2.000 ms  2.000 ms",
      " 3  192.0.2.1  10.000 ms  10.000 ms  10.000 ms  [open]",
      "",
    ].join("\n"),
  );
  // 3 hops x 3 queries; query q of every hop from the same port, every seq distinct.
  assert.equal(fake.sent.length, 9);
  assert.deepEqual(fake.sent.map(ttlOf), [1, 1, 1, 2, 2, 2, 3, 3, 3]);
  const ports = fake.sent.map((p) => p.tcp.srcPort);
  assert.deepEqual(ports.slice(3, 6), ports.slice(0, 3));
  assert.equal(new Set(ports.slice(0, 3)).size, 3);
  assert.equal(new Set(fake.sent.map((p) => p.tcp.seq)).size, 9);
  assert.equal(fake.closed, 1);
});

Deno.test("trace prints * for silent hops and queries, [closed] for a RST, and exits 1 when the destination never answers", async () => {
  const fake = fakeConversation(path(["2001:db8:1::1", null], false));
  const code = await runCli(
    ["trace", "2001:db8::1", "-q", "2", "--timeout", "50ms"],
    fake.host,
    META,
  );
  assert.equal(code, 0);
  assert.deepEqual(fake.host.out.split("\n").slice(1, 4), [
    " 1  2001:db8:1::1  1.000 ms  1.000 ms",
    " 2  *  *",
    " 3  2001:db8::1  10.000 ms  10.000 ms  [closed]",
  ]);
  const silent = fakeConversation(() => undefined);
  const silentCode = await runCli(
    ["trace", "192.0.2.1", "-m", "3", "-q", "1", "--timeout", "20ms"],
    silent.host,
    META,
  );
  assert.equal(silentCode, 1);
  assert.deepEqual(silent.host.out.split("\n").slice(1, 4), [
    " 1  *",
    " 2  *",
    " 3  *",
  ]);
});

Deno.test("trace stops at a hop that answers unreachable, with traceroute's marks", async () => {
  const fake = fakeConversation((sent) =>
    ttlOf(sent) === 1
      ? {
        bytes: answerIcmp(sent, "10.0.1.1", 11, 0),
        kind: "icmp",
        rttMs: 1,
      }
      : { bytes: answerIcmp(sent, "10.0.2.1", 3, 13), kind: "icmp", rttMs: 2 }
  );
  const code = await runCli(["trace", "192.0.2.1", "-q", "2"], fake.host, META);
  assert.equal(code, 1);
  assert.equal(
    fake.host.out.split("\n")[2],
    " 2  10.0.2.1  2.000 ms !X  2.000 ms !X",
  );
  assert.equal(fake.sent.length, 4);
  // From the destination itself, a prohibition means the port is filtered.
  const filtered = fakeConversation((sent) => ({
    bytes: answerIcmp(sent, "192.0.2.1", 3, 13),
    kind: "icmp",
    rttMs: 1,
  }));
  assert.equal(
    await runCli(["trace", "192.0.2.1", "-q", "1"], filtered.host, META),
    0,
  );
  assert.equal(
    filtered.host.out.split("\n")[1],
    " 1  192.0.2.1  1.000 ms !X  [filtered]",
  );
});

Deno.test("trace --format json gives every hop's answers", async () => {
  const fake = fakeConversation(path(["10.0.1.1"], true));
  await runCli(
    ["trace", "192.0.2.1", "-q", "1", "--format", "json"],
    fake.host,
    META,
  );
  const document = JSON.parse(fake.host.out);
  assert.equal(document.reached, true);
  assert.equal(document.state, "open");
  assert.deepEqual(document.hops.map((h: { ttl: number }) => h.ttl), [1, 2]);
  assert.deepEqual(document.hops[0].answers[0], {
    kind: "icmp",
    from: "10.0.1.1",
    category: "time-exceeded",
    description: "time exceeded in transit",
    type: 11,
    code: 0,
    mark: "",
    rttMs: 1,
  });
  assert.deepEqual(document.hops[1].answers[0], {
    kind: "tcp",
    from: "192.0.2.1",
    flags: "SA",
    state: "open",
    rttMs: 10,
  });
});

Deno.test("trace refuses options it sets itself and bad ranges, with exit 2 and nothing opened", async () => {
  for (
    const args of [
      ["trace", "192.0.2.1", "--ttl", "5"],
      ["trace", "2001:db8::1", "--hop-limit", "5"],
      ["trace", "192.0.2.1", "--seq", "5"],
      ["trace", "192.0.2.1", "--first-hop", "5", "-m", "4"],
      ["trace", "192.0.2.1", "-q", "0"],
      ["trace", "192.0.2.1", "-m", "256"],
    ]
  ) {
    const fake = fakeConversation(() => undefined);
    assert.equal(await runCli(args, fake.host, META), 2, args.join(" "));
    assert.deepEqual(fake.opened, []);
  }
});

// ---------------------------------------------------------------------------
// Namespace tests: a -- b (router) -- c.

function cliIn(net: TestNetwork, host: Host, args: string[]) {
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
    CLI,
    ...args,
  ], { check: false, timeoutMs: 30000 });
}

const gate = netnsTestGate("/usr/bin/python3");

Deno.test({
  name:
    "trace (namespaces): the hops to a server behind a router are exactly the router then the server, [open] on a listening port and [closed] on another, IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const c = net.c!;
      const listener = await net.listen(c, 7400, { lifetimeMs: 30000 });
      try {
        for (const family of [4, 6] as const) {
          const server = family === 4 ? c.ipv4 : c.ipv6;
          // The router answers from the interface facing a.
          const router = family === 4 ? net.b.ipv4 : net.b.ipv6;
          const open = await cliIn(net, net.a, [
            "trace",
            server,
            "-p",
            "7400",
            "--format",
            "json",
          ]);
          assert.equal(open.code, 0, open.stderr);
          const document = JSON.parse(open.stdout);
          assert.deepEqual(
            document.hops.map((hop: { answers: { from: string }[] }) =>
              hop.answers.map((answer) => answer?.from)
            ),
            [[router, router, router], [server, server, server]],
          );
          assert.deepEqual(
            document.hops[0].answers.map((a: { category: string }) =>
              a.category
            ),
            ["time-exceeded", "time-exceeded", "time-exceeded"],
          );
          assert.equal(document.state, "open");

          const closed = await cliIn(net, net.a, [
            "trace",
            server,
            "-p",
            "7401",
            "-q",
            "1",
          ]);
          assert.equal(closed.code, 0, closed.stderr);
          const lines = closed.stdout.trimEnd().split("\n");
          assert.equal(lines.length, 3, closed.stdout);
          assert.match(lines[1]!, new RegExp(`^ 1  ${router}  [\\d.]+ ms$`));
          assert.match(
            lines[2]!,
            new RegExp(`^ 2  ${server}  [\\d.]+ ms  \\[closed\\]$`),
          );
        }
      } finally {
        await listener.close();
      }
    }, { hosts: 3 });
  },
});

Deno.test("trace stops on Ctrl-C with exit 130, 'interrupted' on standard error", async () => {
  const fake = fakeConversation(() => undefined, { interruptAfter: 2 });
  const code = await runCli(
    ["trace", "192.0.2.1", "-p", "443", "--timeout", "50ms"],
    fake.host,
    META,
  );
  assert.equal(code, 130);
  assert.equal(fake.host.err, "interrupted\n");
  assert.doesNotMatch(fake.host.out, /interrupted/);
  assert.equal(fake.closed, 1);
});
