/**
 * The send engine (src/engine/send.ts) without the command line and without
 * root: a socket that records its calls, on the memory host's virtual
 * clock.
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  makeTcpPacket,
  PacketSeries,
  SEND_BATCH,
  sendPackets,
  type SendPacketsOptions,
  verifyPacketChecksums,
} from "../mod.ts";
import { createMemoryHost } from "../src/host/memory.ts";

interface Call {
  at: number;
  packets: Uint8Array[];
}

function socket(
  host: { now(): number },
  options: { failCall?: number; onCall?: (call: number) => void } = {},
) {
  const calls: Call[] = [];
  const call = (packets: Uint8Array[]) => {
    options.onCall?.(calls.length + 1);
    if (calls.length + 1 === options.failCall) {
      throw new Error(
        "Cannot send packet to 192.0.2.1: network is unreachable",
      );
    }
    calls.push({ at: host.now(), packets });
  };
  return {
    calls,
    socket: {
      send(packet: Uint8Array) {
        call([packet]);
        return packet.length;
      },
      sendMany(packets: Uint8Array[]) {
        call(packets);
        return packets.length;
      },
    },
  };
}

function run(
  options: Partial<SendPacketsOptions> & { count: number },
  fake: ReturnType<typeof socket>,
  host = createMemoryHost(),
) {
  return sendPackets({
    socket: fake.socket,
    destination: "192.0.2.1",
    series: new PacketSeries(
      makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
    ),
    headerIncluded: true,
    intervalMs: 0,
    clock: host,
    wallClock: () => 1.7e12 + host.now(),
    ...options,
  }, () => {});
}

Deno.test("PacketSeries steps the source port and sequence number, checksums adjusted, unless the model fixes the checksum", () => {
  const stepped = new PacketSeries(
    makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", srcPort: 1000 }),
    { sportStep: -3, seqStep: 0x8000_0000 },
  );
  const packets = stepped.take(3).map((bytes) => decodePacket(bytes).tcp);
  assert.deepEqual(packets.map((tcp) => tcp.srcPort), [1000, 997, 994]);
  assert.deepEqual(packets.map((tcp) => tcp.seq), [0, 0x8000_0000, 0]);
  const fixed = new PacketSeries(
    makeTcpPacket({
      src: "192.0.2.42",
      dst: "192.0.2.1",
      checksum: 0x1234,
    }),
    { sportStep: 1 },
  );
  for (const bytes of fixed.take(2)) {
    assert.equal(decodePacket(bytes).tcp.checksum, 0x1234);
  }
  for (const bytes of stepped.take(2)) {
    assert.ok(verifyPacketChecksums(bytes).tcp);
  }
});

Deno.test("PacketSeries without steps hands out the same bytes", () => {
  const series = new PacketSeries(
    makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
  );
  const [a, b] = series.take(2);
  assert.equal(a, b);
});

Deno.test("sendPackets() floods in batches of SEND_BATCH, one call each", async () => {
  const fake = socket(createMemoryHost());
  const outcome = await run({ count: SEND_BATCH * 2 + 5 }, fake);
  assert.deepEqual(fake.calls.map((c) => c.packets.length), [
    SEND_BATCH,
    SEND_BATCH,
    5,
  ]);
  assert.equal(outcome.packets, SEND_BATCH * 2 + 5);
  assert.equal(outcome.bytes, (SEND_BATCH * 2 + 5) * 40);
});

Deno.test("sendPackets() paces packet i at start + i × interval", async () => {
  const host = createMemoryHost();
  const fake = socket(host);
  const outcome = await run({ count: 4, intervalMs: 250 }, fake, host);
  assert.deepEqual(fake.calls.map((c) => c.at), [0, 250, 500, 750]);
  assert.equal(outcome.elapsedMs, 750);
});

Deno.test("sendPackets() hands the kernel the TCP segment when it writes the IP header", async () => {
  const fake = socket(createMemoryHost());
  await run({ count: 1, headerIncluded: false }, fake);
  assert.equal(fake.calls[0]!.packets[0]!.length, 20);
});

Deno.test("sendPackets() stops at a failed call: what was sent before is counted, the error kept", async () => {
  const host = createMemoryHost();
  const fake = socket(host, { failCall: 3 });
  const outcome = await run({ count: 5, intervalMs: 10 }, fake, host);
  assert.equal(outcome.packets, 2);
  assert.match(String(outcome.failure?.error), /network is unreachable/);
});

Deno.test("sendPackets() stops after the packets being sent when the signal aborts", async () => {
  const controller = new AbortController();
  const host = createMemoryHost();
  const fake = socket(host, {
    onCall: (n) => {
      if (n === 2) controller.abort();
    },
  });
  const outcome = await run(
    { count: 10, intervalMs: 100, signal: controller.signal },
    fake,
    host,
  );
  assert.equal(outcome.packets, 2);
  assert.equal(outcome.interrupted, true);
});

Deno.test("sendPackets() floods a series that is not one stepped template (a packet's fragments) through sendMany, not from slots", async () => {
  const host = createMemoryHost();
  const fake = socket(host);
  const datagrams = [
    new Uint8Array(28).fill(1),
    new Uint8Array(28).fill(2),
    new Uint8Array(24).fill(3),
  ];
  class Fragments extends PacketSeries {
    #i = 0;
    override get slotted(): boolean {
      return false;
    }
    override next(): Uint8Array {
      return datagrams[this.#i++ % datagrams.length]!;
    }
  }
  let ringOpened = false;
  const outcome = await sendPackets({
    socket: {
      ...fake.socket,
      openSendRing() {
        ringOpened = true;
        throw new Error("the slots were asked for");
      },
    },
    destination: "192.0.2.1",
    series: new Fragments(
      makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
    ),
    headerIncluded: true,
    intervalMs: 0,
    count: 6,
    clock: host,
    wallClock: () => 1.7e12 + host.now(),
  });
  assert.equal(ringOpened, false);
  assert.equal(outcome.packets, 6);
  assert.deepEqual(
    fake.calls.flatMap((c) => c.packets.map((p) => p[0])),
    [1, 2, 3, 1, 2, 3],
  );
});
