/**
 * `tcpcraft listen`: the command's logic on a fake sniffer (lines, formats,
 * capture files, Ctrl-C, bad input refused before anything opens), and the
 * CLI judged by tcpdump in namespaces: with the same filter, the same
 * packets, described the same way, at the same kernel time stamps.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodePacket, makeTcpPacket, readCaptureBytes } from "../mod.ts";
import { sr } from "../ffi/mod.ts";
import { runCli } from "../src/cli/main.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { fakeNet } from "./_fake_net.ts";
import {
  agentMain,
  netnsTestGate,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";

const META = { version: "test" };
const SELF = import.meta.url;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

function syn(srcPort: number, dstPort = 80): Uint8Array {
  return encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    srcPort,
    dstPort,
  }));
}

/** A memory host on a fake network; Ctrl-C after `interruptAfter` polls. */
function listenHost(setup: { interruptAfter?: number } = {}) {
  const fake = fakeNet(() => undefined);
  const handlers = new Set<() => void>();
  const base = createMemoryHost();
  let polls = 0;
  const openSniffer = fake.net.openSniffer;
  const net = {
    ...fake.net,
    openSniffer(options: Parameters<typeof openSniffer>[0]) {
      const sniffer = openSniffer(options);
      return {
        ...sniffer,
        async poll(timeoutMs: number) {
          const packets = await sniffer.poll(timeoutMs);
          if (++polls === setup.interruptAfter) {
            for (const handler of handlers) handler();
          }
          return packets;
        },
      };
    },
  };
  const host = Object.assign(base, {
    net,
    onInterrupt(handler: () => void) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  });
  return { fake, host, handlers };
}

Deno.test("listen prints a line per packet the filter takes, with time and direction, and the counts on standard error", async () => {
  const { fake, host } = listenHost();
  fake.sniffable(syn(40000), "out", 1);
  fake.sniffable(syn(40001, 22), "out", 2); // another port: the kernel drops it
  fake.sniffable(syn(40002), "in", 3);
  const code = await runCli(["listen", "--port", "80", "-c", "2"], host, META);
  assert.equal(code, 0, host.err);
  const lines = host.out.trimEnd().split("\n");
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    /^\d\d:\d\d:\d\d\.\d{6} Out IP 192\.0\.2\.42\.40000 > 192\.0\.2\.1\.80: Flags \[S\], seq 0, win 8192, length 0$/,
  );
  assert.match(lines[1]!, / In {2}IP 192\.0\.2\.42\.40002 > /);
  assert.equal(
    host.err,
    "tcpcraft: listening on every interface, a 41-instruction BPF filter in the kernel\n" +
      "2 packets captured\n2 packets received by filter\n0 packets dropped by kernel\n",
  );
  assert.equal(fake.sniffers.open, 0);
});

Deno.test("listen builds one typed filter from its options, and -d prints the program and tcpdump's expression without opening anything", async () => {
  const { fake, host } = listenHost();
  const code = await runCli(
    [
      "listen",
      "--host",
      "192.0.2.0/24",
      "--dport",
      "443",
      "--flags",
      "S",
      "--without-flags",
      "A",
      "-4",
      "-d",
    ],
    host,
    META,
  );
  assert.equal(code, 0, host.err);
  assert.equal(fake.sniffers.opened, 0);
  assert.match(host.out, /^\(000\) ldxb +4\*\(\[0\]&0xf\)$/m);
  assert.match(
    host.out,
    /^# tcpdump: \(ip and ip\[9\] == 6 and \(src net 192\.0\.2\.0\/24 or dst net 192\.0\.2\.0\/24\) and tcp dst port 443 and ip\[6:2\] & 0x1fff == 0 and tcp\[12:2\] & 0x2 == 0x2 and tcp\[12:2\] & 0x10 == 0\)$/m,
  );
});

Deno.test("listen --format ndjson writes an object per packet and the summary; json one document; --pcap records directions", async () => {
  const lines = listenHost();
  lines.fake.sniffable(syn(1), "out", 1);
  lines.fake.sniffable(syn(2), "in", 2);
  await runCli(
    ["listen", "-c", "2", "--format", "ndjson", "--pcap", "l.pcapng"],
    lines.host,
    META,
  );
  const events = lines.host.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.event), ["packet", "packet", "summary"]);
  assert.equal(events[0].direction, "out");
  assert.equal(events[0].packet.tcp.srcPort, 1);
  assert.match(events[0].summary, /^IP 192\.0\.2\.42\.1 > /);
  assert.deepEqual(
    { captured: events[2].captured, interrupted: events[2].interrupted },
    { captured: 2, interrupted: false },
  );
  const { records } = readCaptureBytes(await lines.host.readFile("l.pcapng"));
  assert.deepEqual(records.map((r) => [r.direction, r.comment]), [
    ["outbound", "sent: out"],
    ["inbound", "received: in"],
  ]);

  const whole = listenHost();
  whole.fake.sniffable(syn(3), "in", 1);
  await runCli(["listen", "-c", "1", "--format", "json"], whole.host, META);
  const document = JSON.parse(whole.host.out);
  assert.equal(document.packets.length, 1);
  assert.equal(document.summary.captured, 1);
});

Deno.test("listen --explain writes the bit-level explanation under each line", async () => {
  const { fake, host } = listenHost();
  fake.sniffable(syn(40000), "out", 1);
  await runCli(["listen", "-c", "1", "--explain"], host, META);
  assert.match(host.out, /^TCP header, bytes 20-39 of the packet$/m);
  assert.match(host.out, /^ {2}SYN +13\.6 +1 +1 +1 +set: synchronize/m);
});

Deno.test("listen ends at Ctrl-C with the counts and exit code 130", async () => {
  const { fake, host, handlers } = listenHost({ interruptAfter: 3 });
  fake.sniffable(syn(1), "in", 1);
  const code = await runCli(["listen"], host, META);
  assert.equal(code, 130);
  assert.match(host.err, /1 packet captured\n/);
  assert.equal(fake.sniffers.open, 0);
  assert.equal(handlers.size, 0);
});

Deno.test("listen refuses bad input with one line and exit 2, opening nothing", async () => {
  for (
    const [args, message] of [
      [["--host", "300.1.1.1"], /--host: "300\.1\.1\.1" is not an address/],
      [["--port", "70000"], /--port/],
      [["-4", "-6"], /-4 and -6 exclude each other/],
      [["--flags", "Z"], /--flags/],
      [["--count", "0"], /--count/],
      [["--timeout", "0"], /--timeout/],
      [["--explain", "--format", "json"], /--explain: explanations are text/],
      [["--pcap", "-"], /--pcap: give a file name/],
      [["extra"], /listen/],
    ] as const
  ) {
    const { fake, host } = listenHost();
    const code = await runCli(["listen", ...args], host, META);
    assert.equal(code, 2, `${args.join(" ")}: ${host.err}`);
    assert.match(host.err, message);
    assert.equal(host.err.trimEnd().split("\n").length, 2, host.err); // the line and the hint
    assert.equal(fake.sniffers.opened, 0);
  }
  const bare = createMemoryHost();
  assert.equal(await runCli(["listen"], bare, META), 1);
  assert.equal(
    bare.err,
    "error: Cannot listen: this host has no packet sockets\n",
  );
});

// ---------------------------------------------------------------------------
// Namespaces: the CLI next to tcpdump.

/** SYNs to a listening port and to an unrelated one. */
async function traffic(
  args: { dst: string; port: number; other: number },
): Promise<number> {
  const probes = [];
  for (let i = 0; i < 10; i++) {
    probes.push({ dst: args.dst, srcPort: 45000 + i, dstPort: args.port });
    probes.push({ dst: args.dst, srcPort: 46000 + i, dstPort: args.other });
  }
  let n = 0;
  for await (const _ of sr(probes, { timeoutMs: 500 })) n++;
  return n;
}

function listenIn(net: TestNetwork, args: string[]) {
  return net.start(net.a, [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    "TZ=UTC",
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${CONFIG}`,
    "--allow-ffi",
    "--allow-read",
    "--allow-env",
    CLI,
    "listen",
    ...args,
  ]);
}

const gate = netnsTestGate("tcpdump", "/usr/bin/python3");

Deno.test({
  name:
    "listen (namespaces): the same packets as tcpdump with the same filter, described the same way at the same kernel time stamps, while other traffic flows" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7800, { lifetimeMs: 30000 });
      try {
        // Each SYN to 7800: the SYN, the SYN-ACK, the kernel's RST.
        const expected = 30;
        const iface = net.a.ifaces[0]!;
        const capture = await net.capture(net.a, iface, "tcp port 7800", {
          count: expected,
          timeoutMs: 15000,
        });
        const listen = listenIn(net, [
          "--port",
          "7800",
          "-I",
          iface,
          "-c",
          String(expected),
          "--timeout",
          "15s",
        ]);
        assert.match(
          (await listen.stderr(20000)) ?? "",
          new RegExp(
            `^tcpcraft: listening on ${iface}, a \\d+-instruction BPF filter in the kernel$`,
          ),
        );
        const answered = await net.agent<number>(net.a, SELF, "traffic", {
          dst: net.b.ipv4,
          port: 7800,
          other: 7801,
        });
        assert.equal(answered, 20);
        const ours: string[] = [];
        for (let i = 0; i < expected; i++) {
          const line = await listen.stdout(10000);
          if (line === undefined) break;
          ours.push(line);
        }
        const status = await listen.status;
        assert.equal(status.code, 0);
        await capture.result(); // tcpdump stopped: the file is whole
        const { stdout } = await net.run(net.a, [
          "env",
          "TZ=UTC",
          "tcpdump",
          "-r",
          capture.file,
          "-nn",
        ]);
        const theirs = stdout.trimEnd().split("\n");
        assert.equal(ours.length, expected);
        assert.equal(theirs.length, expected);
        // "12:00:00.123456 Out IP …" against "12:00:00.123456 IP …": the
        // same descriptions; the same times, outgoing packets to the
        // microsecond, incoming ones within 2 µs (tcpdump's ring and this
        // socket read the arrival time at slightly different points).
        const split = (line: string) => {
          const m = /^(\d\d):(\d\d):(\d\d\.\d{6}) (?:In {2}|Out )?(.*)$/.exec(
            line,
          );
          assert.ok(m !== null, line);
          const micro = Math.round(
            ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e6,
          );
          return { micro, text: m[4]!, out: line.includes(" Out ") };
        };
        const mine = ours.map(split).sort((x, y) =>
          x.text.localeCompare(y.text)
        );
        const dumped = theirs.map(split).sort((x, y) =>
          x.text.localeCompare(y.text)
        );
        assert.deepEqual(mine.map((x) => x.text), dumped.map((x) => x.text));
        const apart = mine.map((x, i) => Math.abs(x.micro - dumped[i]!.micro));
        assert.ok(Math.max(...apart) <= 2, `µs apart: ${apart.join(" ")}`);
        assert.deepEqual(
          apart.filter((_, i) => mine[i]!.out),
          Array(mine.filter((x) => x.out).length).fill(0),
        );
      } finally {
        await listener.close();
      }
    });
  },
});

if (import.meta.main) await agentMain({ traffic });
