/**
 * The fast paths against a real kernel, in private namespaces: send slots
 * (`sendmmsg` from slots set up once) and the receive ring (`recvmmsg`,
 * datagrams handed over in place, IPv6 headers rebuilt), the link layer
 * (`AF_PACKET` frames to a next hop resolved over route netlink), the
 * kernel's drop count, and `scan -I` / `send --flood -I` end to end.
 */

import assert from "node:assert/strict";
import { decodePacket, parseAddress, TCP_FLAGS } from "../mod.ts";
import { Receiver } from "../ffi/mod.ts";
import { formatMac, LinkSocket, resolveLink } from "../ffi/link.ts";
import { ProbeTemplate } from "../src/engine/scan/template.ts";
import {
  agentMain,
  type Host,
  netnsTestGate,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";

const SELF = import.meta.url;
const SPORT = 45000;

// ---------------------------------------------------------------- agents (a)

interface ProbeArgs {
  family: 4 | 6;
  src: string;
  dst: string;
  firstPort: number;
  count: number;
  /** Send on this interface (AF_PACKET) instead of the raw socket. */
  iface?: string;
  /** The receive buffer, bytes. */
  receiveBufferBytes?: number;
  /** Wait this long before draining (ms). */
  holdMs?: number;
}

interface ProbeResult {
  /** `port ack` of each RST+ACK from dst to our port, sorted by port. */
  replies: string[];
  drops: number;
  mac?: string;
  nextHop?: string;
}

/** Write `count` SYNs to consecutive ports into slots, send them in one call, drain the answers. */
async function probe(args: ProbeArgs): Promise<ProbeResult> {
  const receiver = Receiver.open({
    family: args.family,
    headerIncluded: true,
    ...(args.receiveBufferBytes === undefined
      ? {}
      : { receiveBufferBytes: args.receiveBufferBytes }),
  });
  const link = args.iface === undefined
    ? undefined
    : LinkSocket.open({ interface: args.iface, destination: args.dst });
  try {
    const template = new ProbeTemplate(
      args.family,
      args.src,
      SPORT,
      TCP_FLAGS.syn,
    );
    const options = { slots: args.count, slotBytes: template.length };
    const ring = link?.openSendRing(options) ??
      receiver.openSendRing(options);
    const dst = parseAddress(args.dst).bytes;
    for (let i = 0; i < args.count; i++) {
      const slot = ring.slots[i]!;
      template.prepare(slot);
      if (args.family === 4) {
        const v = ((dst[0]! << 24) | (dst[1]! << 16) | (dst[2]! << 8) |
          dst[3]!) >>> 0;
        template.writeV4(slot, v, args.firstPort + i, 1000 * i, 0);
      } else {
        slot.set(dst, 24);
        template.writeV6(slot, args.firstPort + i, 1000 * i, 0);
      }
    }
    ring.send(args.count, template.length);
    if (args.holdMs !== undefined) {
      await new Promise((r) => setTimeout(r, args.holdMs));
    }
    const seen = new Map<number, number>();
    const deadline = performance.now() + 5000;
    while (seen.size < args.count && performance.now() < deadline) {
      receiver.drain((data, offset, length, _at, icmp) => {
        if (icmp) return;
        const { ip, tcp } = decodePacket(data.slice(offset, offset + length), {
          lenient: true,
        });
        if (ip.src !== args.dst || tcp.dstPort !== SPORT) return;
        seen.set(tcp.srcPort, tcp.ack);
      });
      if (args.holdMs !== undefined) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const result: ProbeResult = {
      replies: [...seen].sort((a, b) => a[0] - b[0]).map(([p, a]) =>
        `${p} ${a}`
      ),
      drops: receiver.drops(),
    };
    if (link !== undefined) {
      result.mac = formatMac(link.target.destination);
      result.nextHop = link.target.nextHop;
    }
    return result;
  } finally {
    link?.close();
    receiver.close();
  }
}

function unresolved(args: { iface: string; dst: string }): string {
  try {
    resolveLink(args.iface, args.dst);
    return "resolved";
  } catch (error) {
    return (error as Error).message;
  }
}

if (import.meta.main) await agentMain({ probe, unresolved });

// ----------------------------------------------------------------- tests

const gate = netnsTestGate();

function expected(first: number, count: number): string[] {
  // A closed port answers a SYN with seq S by RST+ACK with ack S + 1.
  return Array.from(
    { length: count },
    (_, i) => `${first + i} ${1000 * i + 1}`,
  );
}

async function macOf(net: TestNetwork, host: Host): Promise<string> {
  const { stdout } = await net.run(host, [
    "ip",
    "-j",
    "link",
    "show",
    host.ifaces[0]!,
  ]);
  return (JSON.parse(stdout) as { address: string }[])[0]!.address;
}

Deno.test({
  name:
    "send slots go out in one sendmmsg and their answers are drained in place with recvmmsg (IPv4, IPv6)" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      for (const family of [4, 6] as const) {
        const result = await net.agent<ProbeResult>(
          net.a,
          SELF,
          "probe",
          {
            family,
            src: family === 4 ? net.a.ipv4 : net.a.ipv6,
            dst: family === 4 ? net.b.ipv4 : net.b.ipv6,
            firstPort: 7301,
            count: 32,
          } satisfies ProbeArgs,
        );
        assert.deepEqual(result.replies, expected(7301, 32), `IPv${family}`);
        assert.equal(result.drops, 0);
      }
    });
  },
});

Deno.test({
  name:
    "the kernel's drop count says when replies did not fit the receive buffer" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const result = await net.agent<ProbeResult>(
        net.a,
        SELF,
        "probe",
        {
          family: 4,
          src: net.a.ipv4,
          dst: net.b.ipv4,
          firstPort: 20000,
          count: 512,
          receiveBufferBytes: 4096,
          holdMs: 300,
        } satisfies ProbeArgs,
      );
      assert.ok(result.drops > 0, `${result.drops} dropped`);
      assert.ok(
        result.replies.length + result.drops >= 512,
        `${result.replies.length} read, ${result.drops} dropped`,
      );
    });
  },
});

Deno.test({
  name:
    "the link layer: the next hop's MAC read from the neighbour table, frames out through AF_PACKET, answers in; an unknown next hop is one clear line" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const { a, b } = net;
      const iface = a.ifaces[0]!;
      // A connection attempt resolves b's address the usual way (ARP).
      await net.run(a, [
        "bash",
        "-c",
        `timeout 2 bash -c 'echo > /dev/tcp/${b.ipv4}/7399' || true`,
      ], { check: false });
      const result = await net.agent<ProbeResult>(
        a,
        SELF,
        "probe",
        {
          family: 4,
          src: a.ipv4,
          dst: b.ipv4,
          firstPort: 7401,
          count: 16,
          iface,
        } satisfies ProbeArgs,
      );
      assert.equal(result.mac, await macOf(net, b));
      assert.equal(result.nextHop, b.ipv4);
      assert.deepEqual(result.replies, expected(7401, 16));
      const missing = await net.agent<string>(a, SELF, "unresolved", {
        iface,
        dst: "10.200.0.77",
      });
      assert.equal(
        missing,
        `Cannot send on ${iface} to 10.200.0.77: the next hop 10.200.0.77 is not in the neighbour table; ping it once (ping -c 1 10.200.0.77) and try again`,
      );
      const none = await net.agent<string>(a, SELF, "unresolved", {
        iface: "nosuch0",
        dst: b.ipv4,
      });
      assert.equal(
        none,
        `Cannot send on nosuch0 to ${b.ipv4}: no interface nosuch0`,
      );
    });
  },
});

const CLI = new URL("../cli.ts", import.meta.url).pathname;

function cli(args: string[]): string[] {
  return [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    CLI,
    ...args,
  ];
}

Deno.test({
  name:
    "scan -I and send --flood -I put frames on the wire that the peer answers as it does raw-socket packets" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (net) => {
      const { a, b } = net;
      const iface = a.ifaces[0]!;
      const listener = await net.listen(b, 7502, { lifetimeMs: 60_000 });
      try {
        await net.run(a, [
          "bash",
          "-c",
          `timeout 2 bash -c 'echo > /dev/tcp/${b.ipv4}/7399' || true`,
        ], { check: false });
        const scan = await net.run(
          a,
          cli([
            "scan",
            b.ipv4,
            "-p",
            "7501-7540",
            "-I",
            iface,
            "--rate",
            "2000",
            "--timeout",
            "300ms",
            "--format",
            "csv",
          ]),
        );
        const rows = scan.stdout.trim().split("\n").slice(1).map((line) =>
          line.split(",").slice(1, 3).join(" ")
        ).sort();
        assert.equal(rows.length, 40, scan.stdout + scan.stderr);
        assert.deepEqual(
          rows.filter((r) => !r.endsWith("closed")),
          ["7502 open"],
        );
        const before = (await net.counters(b)).TcpOutRsts ?? 0;
        const flood = await net.run(
          a,
          cli([
            "send",
            `${b.ipv4}:7601`,
            "--flood",
            "-c",
            "2000",
            "-q",
            "-I",
            iface,
          ]),
        );
        assert.match(flood.stdout, /^2000 packets, 80000 bytes sent in /m);
        const after = (await net.counters(b)).TcpOutRsts ?? 0;
        // Every SYN reached b's TCP whole (checksums right) and was reset.
        assert.ok(after - before >= 2000, `${after - before} RSTs`);
      } finally {
        await listener.close();
      }
    });
  },
});
