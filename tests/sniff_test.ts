/**
 * `sniff` (the Sniff engine and the ffi packet socket): on a fake sniffer
 * that runs the compiled program with tcpcraft's BPF interpreter (count,
 * time limit, signal, decoding, bad filters refused before anything
 * opens), and judged by tcpdump in namespaces: with the same filter, the
 * kernel-filtered socket sees exactly the packets tcpdump sees while
 * unrelated traffic flows.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  encodePacket,
  formatHex,
  linkPayload,
  makeTcpPacket,
  type PacketFilter,
  readCaptureBytes,
  Sniff,
  TCP_FLAGS,
  tcpdumpFilterExpression,
} from "../mod.ts";
import { sniff, sr } from "../ffi/mod.ts";
import { answerIcmp } from "./_fake_conversation.ts";
import { fakeNet } from "./_fake_net.ts";
import { openRawSockets } from "./_leaks.ts";
import { agentMain, netnsTestGate, withNetwork } from "./_netns.ts";

const SELF = import.meta.url;

function packet(srcPort: number, flags: number = TCP_FLAGS.syn): Uint8Array {
  return encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    srcPort,
    dstPort: 443,
    flags,
  }));
}

Deno.test("Sniff hands over what the kernel's program takes, decoded, and stops at count", async () => {
  const fake = fakeNet(() => undefined);
  fake.sniffable(packet(1000), "out", 1);
  fake.sniffable(packet(1001, TCP_FLAGS.ack), "out", 2); // not SYN: rejected
  fake.sniffable(packet(1002), "out", 3);
  fake.sniffable(packet(1003), "out", 4);
  const sniffed = Sniff.open(fake.net, {
    filter: { port: [443], flags: { set: TCP_FLAGS.syn } },
    count: 2,
    clock: fake.clock,
  });
  const ports: number[] = [];
  for await (const p of sniffed) {
    ports.push(p.packet!.tcp.srcPort);
    assert.equal(p.direction, "out");
    assert.equal(p.protocol, 6);
    assert.equal(p.truncated, false);
  }
  assert.deepEqual(ports, [1000, 1002]);
  assert.equal(fake.sniffers.open, 0);
  assert.deepEqual(sniffed.stats(), { captured: 2, received: 2, dropped: 0 });
  // The program given to the kernel is the compiled filter.
  assert.equal(fake.sniffers.programs[0]!.program, sniffed.program);
});

Deno.test("Sniff stops at its time limit and at its signal, and closes the socket", async () => {
  const fake = fakeNet(() => undefined);
  fake.sniffable(packet(1), "in", 10);
  fake.sniffable(packet(2), "in", 500);
  const seen: number[] = [];
  for await (
    const p of Sniff.open(fake.net, { timeoutMs: 100, clock: fake.clock })
  ) seen.push(p.packet!.tcp.srcPort);
  assert.deepEqual(seen, [1]);
  assert.equal(fake.clock.now(), 100);

  const controller = new AbortController();
  const again = fakeNet(() => undefined);
  for (let i = 0; i < 5; i++) again.sniffable(packet(i), "in", 10 * i);
  let count = 0;
  for await (
    const _ of Sniff.open(again.net, {
      signal: controller.signal,
      clock: again.clock,
    })
  ) {
    if (++count === 2) controller.abort();
  }
  assert.equal(count, 2);
  assert.equal(again.sniffers.open, 0);
});

Deno.test("Sniff decodes ICMP errors and says why bytes do not decode", async () => {
  const fake = fakeNet(() => undefined);
  const sent = {
    ip: {
      version: 4 as const,
      tos: 0,
      id: 1,
      dontFragment: false,
      moreFragments: false,
      reservedBit: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: "192.0.2.42",
      dst: "192.0.2.1",
      options: new Uint8Array(),
      ihl: 5,
      totalLength: 40,
      checksum: 0,
    },
    tcp: makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }).tcp,
  };
  fake.sniffable(
    answerIcmp(sent as Parameters<typeof answerIcmp>[0], "192.0.2.1", 3, 3),
    "in",
  );
  const [icmp] = await Array.fromAsync(Sniff.open(fake.net, {
    filter: { protocols: ["icmp"] },
    count: 1,
    clock: fake.clock,
  }));
  assert.deepEqual(icmp?.icmp, {
    family: 4,
    type: 3,
    code: 3,
    description: "port unreachable",
  });
});

Deno.test("Sniff refuses a filter that cannot compile, a bad count or time limit, before opening anything", () => {
  const fake = fakeNet(() => undefined);
  for (
    const [options, message] of [
      [{ filter: { host: ["192.0.2.300"] } }, /Cannot compile packet filter/],
      [{ filter: [] }, /Cannot compile packet filter: no filter given/],
      [
        { filter: { protocols: ["icmp"], port: [80] } },
        /ports and flags are TCP's/,
      ],
      [{ count: 0 }, /count 0 is not a positive integer/],
      [{ timeoutMs: 0 }, /timeoutMs 0 is not a positive number/],
      [{ timeoutMs: -1 }, /timeoutMs -1/],
    ] as const
  ) {
    assert.throws(
      () => Sniff.open(fake.net, options as Parameters<typeof Sniff.open>[1]),
      (error: Error) =>
        error instanceof RangeError && message.test(error.message),
    );
  }
  assert.equal(fake.sniffers.opened, 0);
  assert.throws(
    () =>
      Sniff.open(
        {
          ...fake.net,
          openSniffer: undefined,
        } as unknown as Parameters<typeof Sniff.open>[0],
      ),
    /Cannot sniff: this host has no packet sockets/,
  );
});

// ---------------------------------------------------------------------------
// Namespaces: the kernel filters, tcpdump judges.

/** Sniff on an interface while sending matching and unrelated packets. */
async function sniffWhileSending(
  args: {
    filter: PacketFilter;
    iface: string;
    v4: string;
    v6: string;
    port: number;
    other: number;
  },
): Promise<
  {
    seen: string[];
    directions: string[];
    left: ReturnType<typeof openRawSockets>;
  }
> {
  const sniffed = sniff({
    filter: args.filter,
    interface: args.iface,
    timeoutMs: 3000,
  });
  const reading = Array.fromAsync(sniffed);
  // Unrelated traffic flows meanwhile: a connection carrying 256 KiB.
  const connection = await Deno.connect({ hostname: args.v4, port: args.port });
  const writing = connection.write(new Uint8Array(256 * 1024)).then(() =>
    connection.close()
  );
  const probes = [];
  for (let i = 0; i < 20; i++) {
    probes.push({ dst: args.v4, srcPort: 41000 + i, dstPort: args.port });
    probes.push({ dst: args.v6, srcPort: 42000 + i, dstPort: args.port });
    probes.push({ dst: args.v4, srcPort: 43000 + i, dstPort: args.other });
    probes.push({
      dst: args.v4,
      srcPort: 44000 + i,
      dstPort: args.port,
      flags: TCP_FLAGS.ack,
    });
  }
  for await (const _ of sr(probes, { timeoutMs: 300 })) { /* drain */ }
  await writing;
  const packets = await reading;
  return {
    seen: packets.map((p) => formatHex(p.bytes)),
    directions: [...new Set(packets.map((p) => p.direction))].sort(),
    left: openRawSockets(),
  };
}

const gate = netnsTestGate("tcpdump", "/usr/bin/python3");

Deno.test({
  name:
    "sniff (namespaces): with a filter, the kernel-filtered socket sees exactly what tcpdump sees with the same filter while unrelated traffic flows" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7500, { lifetimeMs: 30000 });
      try {
        const filter: PacketFilter = {
          host: [net.b.ipv4, net.b.ipv6],
          port: [7500],
          flags: { set: TCP_FLAGS.syn },
        };
        const expression = tcpdumpFilterExpression(filter);
        const capture = await net.capture(net.a, net.a.ifaces[0]!, expression, {
          count: 100000,
          timeoutMs: 5500,
        });
        const result = await net.agent<
          Awaited<ReturnType<typeof sniffWhileSending>>
        >(net.a, SELF, "sniffWhileSending", {
          filter,
          iface: net.a.ifaces[0]!,
          v4: net.b.ipv4,
          v6: net.b.ipv6,
          port: 7500,
          other: 7501,
        });
        await capture.result();
        const file = readCaptureBytes(await Deno.readFile(capture.file));
        const dumped = file.records.map((r) => formatHex(linkPayload(r)!));
        // 40 SYNs out, 40 SYN-ACKs back, and the connection's SYN and SYN-ACK.
        assert.equal(dumped.length, 82, `tcpdump saw ${dumped.length}`);
        assert.deepEqual([...result.seen].sort(), [...dumped].sort());
        assert.deepEqual(result.directions, ["in", "out"]);
        assert.deepEqual(result.left, { raw: 0, raw6: 0, packet: 0 });
      } finally {
        await listener.close();
      }
    });
  },
});

if (import.meta.main) await agentMain({ sniffWhileSending });
