/**
 * `sr` and `sr1` (exchangePackets, exchangeOne) and the exchange engine
 * under them, on the fake network of tests/_fake_net.ts (virtual clock,
 * scripted peer): answers matched by probe's rules, then the unanswered,
 * retries, pacing, kernel transmit stamps as the start of the RTT, and
 * every bad input refused before anything is opened. The real kernel
 * judges them in sr_netns_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  encodePacket,
  Exchange,
  exchangeLoop,
  exchangeOne,
  exchangePackets,
  makeTcpPacket,
  probeOf,
  type SrResult,
  TCP_FLAGS,
} from "../mod.ts";
import { answerIcmp, answerSyn } from "./_fake_conversation.ts";
import { EPOCH, fakeNet } from "./_fake_net.ts";

const DST = "192.0.2.1";

async function all(results: AsyncIterable<SrResult>): Promise<SrResult[]> {
  const out: SrResult[] = [];
  for await (const result of results) out.push(result);
  return out;
}

Deno.test("sr yields each answer as it matches, then the unanswered in the order sent", async () => {
  // Port 80 answers after 3 ms, 81 with a RST after 1 ms, 82 never.
  const fake = fakeNet((sent) => {
    const port = sent.tcp.dstPort;
    if (port === 82) return undefined;
    return {
      bytes: answerSyn(sent, port === 80),
      delayMs: port === 80 ? 3 : 1,
    };
  });
  const results = await all(exchangePackets(fake.net, [
    { dst: DST, srcPort: 40000, dstPort: 80 },
    { dst: DST, srcPort: 40001, dstPort: 81 },
    { dst: DST, srcPort: 40002, dstPort: 82 },
  ], { timeoutMs: 50, clock: fake.clock }));
  assert.deepEqual(
    results.map((r) => [r.kind, r.sent.index, r.sent.packet.tcp.dstPort]),
    [["tcp", 1, 81], ["tcp", 0, 80], ["unanswered", 2, 82]],
  );
  const [rst, synAck] = results;
  assert.ok(rst?.kind === "tcp" && synAck?.kind === "tcp");
  assert.equal(rst.reply.tcp.flags, TCP_FLAGS.rst | TCP_FLAGS.ack);
  assert.equal(synAck.reply.tcp.flags, TCP_FLAGS.syn | TCP_FLAGS.ack);
  assert.equal(synAck.rttMs, 3);
  assert.equal(rst.rttMs, 1);
  // The source was filled from the route; tcpcraft wrote the IP header.
  assert.equal(synAck.sent.packet.ip.src, "192.0.2.42");
  assert.equal(fake.receivers.opened, 1);
  assert.equal(fake.receivers.open, 0);
});

Deno.test("sr matches by probe's rules: a SYN-ACK with the wrong ack answers nothing", async () => {
  const fake = fakeNet((sent) => {
    const bytes = answerSyn(sent, true);
    bytes[31] = bytes[31]! ^ 1; // the ack's last byte
    return { bytes, delayMs: 1 };
  });
  const results = await all(
    exchangePackets(fake.net, [{ dst: DST, dstPort: 80, seq: 7 }], {
      timeoutMs: 20,
      clock: fake.clock,
    }),
  );
  assert.deepEqual(results.map((r) => r.kind), ["unanswered"]);
});

Deno.test("sr1 gives the ICMP error that quotes the packet, with its RTT", async () => {
  const fake = fakeNet((sent) => ({
    bytes: answerIcmp(sent, "192.0.2.254", 3, 13),
    icmp: true,
    delayMs: 2,
  }));
  const answer = await exchangeOne(fake.net, { dst: DST, dstPort: 22 }, {
    clock: fake.clock,
  });
  assert.equal(answer?.kind, "icmp");
  assert.ok(answer?.kind === "icmp");
  assert.equal(answer.reply.description, "administratively prohibited");
  assert.equal(answer.reply.from, "192.0.2.254");
  assert.equal(answer.rttMs, 2);
});

Deno.test("sr1 resolves to undefined after the timeout and every retry, each sent again", async () => {
  const fake = fakeNet(() => undefined);
  const answer = await exchangeOne(fake.net, { dst: DST, dstPort: 22 }, {
    timeoutMs: 100,
    retries: 2,
    clock: fake.clock,
  });
  assert.equal(answer, undefined);
  assert.deepEqual(fake.sent.map((s) => s.at), [0, 100, 200]);
  assert.equal(fake.clock.now(), 300);
  assert.equal(fake.receivers.open, 0);
});

Deno.test("sr1 answers a retry: the RTT runs from the last send", async () => {
  const fake = fakeNet((sent, index) =>
    index === 1 ? { bytes: answerSyn(sent, true), delayMs: 4 } : undefined
  );
  const answer = await exchangeOne(fake.net, { dst: DST }, {
    timeoutMs: 50,
    retries: 3,
    clock: fake.clock,
  });
  assert.equal(answer?.kind, "tcp");
  assert.equal(answer?.rttMs, 4);
  assert.equal(answer?.sent.attempts, 2);
  assert.equal(fake.sent.length, 2);
});

Deno.test("sr takes encoded datagrams, packet models and inits with names, and paces them by rate", async () => {
  const fake = fakeNet((sent) => ({
    bytes: answerSyn(sent, true),
    delayMs: 1,
  }));
  const model = makeTcpPacket({ src: "192.0.2.42", dst: DST, srcPort: 1 });
  const bytes = encodePacket(
    makeTcpPacket({ src: "192.0.2.42", dst: DST, srcPort: 2 }),
  );
  const results = await all(exchangePackets(
    fake.net,
    [model, bytes, { dst: "peer.example", srcPort: 3 }],
    { rate: 10, timeoutMs: 50, clock: fake.clock },
  ));
  assert.deepEqual(results.map((r) => r.sent.packet.tcp.srcPort), [1, 2, 3]);
  assert.deepEqual(results.map((r) => r.kind), ["tcp", "tcp", "tcp"]);
  // 10 a second: one every 100 ms.
  assert.deepEqual(fake.sent.map((s) => s.at), [0, 100, 200]);
});

Deno.test("sr takes an async iterable, pulled as each packet's turn comes", async () => {
  const fake = fakeNet((sent) => ({
    bytes: answerSyn(sent, false),
    delayMs: 1,
  }));
  async function* packets() {
    for (let i = 0; i < 3; i++) yield { dst: DST, srcPort: 50000 + i };
  }
  const results = await all(
    exchangePackets(fake.net, packets(), { clock: fake.clock }),
  );
  assert.equal(results.filter((r) => r.kind === "tcp").length, 3);
});

Deno.test("the RTT starts at the kernel's transmit stamp (the driver's) when the receiver reports stamps", async () => {
  // The stamp comes 0.030 ms after the wall clock read before the call.
  const fake = fakeNet(
    (sent) => ({ bytes: answerSyn(sent, true), delayMs: 1 }),
    { stampDelayMs: 0.03 },
  );
  const answer = await exchangeOne(fake.net, { dst: DST }, {
    clock: fake.clock,
  });
  assert.ok(answer !== undefined);
  assert.equal(answer.sent.sentAt, EPOCH + 0.03);
  // Epoch milliseconds in a double keep about a quarter of a microsecond.
  assert.ok(Math.abs(answer.rttMs - 0.97) < 1e-3, String(answer.rttMs));
});

Deno.test("Exchange.send() stamps a probe with its transmit time; stamps of unknown packets are ignored", () => {
  const fake = fakeNet(() => undefined, { stampDelayMs: 0.5 });
  const exchange = Exchange.open(fake.net, { families: [4] });
  const packet = makeTcpPacket({ src: "192.0.2.42", dst: DST, seq: 9 });
  const { probe } = exchange.send(encodePacket(packet), probeOf(packet, 0));
  assert.equal(probe.sentAt, EPOCH + 0.5);
  assert.equal(exchange.pending, 1);
  assert.equal(exchange.forget(probe), true);
  exchange.close();
  assert.equal(fake.receivers.open, 0);
});

Deno.test("exchangeLoop reads what arrived every 32 sends when there is no interval", async () => {
  const fake = fakeNet((sent) => ({
    bytes: answerSyn(sent, true),
    delayMs: 0,
  }));
  const exchange = Exchange.open(fake.net);
  const items = Array.from({ length: 100 }, (_, i) => {
    const packet = makeTcpPacket({
      src: "192.0.2.42",
      dst: DST,
      srcPort: 30000 + i,
    });
    return { datagram: encodePacket(packet), probe: probeOf(packet, i) };
  });
  const kinds: string[] = [];
  for await (
    const event of exchangeLoop(exchange, items, {
      clock: fake.clock,
      intervalMs: 0,
      timeoutMs: 10,
    })
  ) kinds.push(event.kind);
  exchange.close();
  // Replies come in after each burst of 32, not after all 100.
  assert.equal(kinds.indexOf("reply"), 32);
  assert.equal(kinds.filter((k) => k === "reply").length, 100);
});

Deno.test("sr refuses bad options and bad packets; nothing is opened or sent", async () => {
  for (
    const [options, message] of [
      [{ timeoutMs: 0 }, /timeoutMs 0 is not a positive number/],
      [{ timeoutMs: -5 }, /timeoutMs -5/],
      [{ timeoutMs: NaN }, /timeoutMs NaN/],
      [{ retries: 1.5 }, /retries 1.5/],
      [{ rate: 0 }, /rate 0 is not a positive number/],
    ] as const
  ) {
    const fake = fakeNet(() => undefined);
    await assert.rejects(
      all(exchangePackets(fake.net, [{ dst: DST }], options)),
      (error: Error) =>
        error instanceof RangeError && message.test(error.message),
    );
    assert.equal(fake.receivers.opened, 0);
  }
  const fake = fakeNet(() => undefined);
  await assert.rejects(
    exchangeOne(fake.net, { dst: DST, srcPort: 70000 }),
    /srcPort|70000/,
  );
  await assert.rejects(
    exchangeOne(fake.net, new Uint8Array([0x45, 0, 0])),
    /Cannot send and receive: packet 0 is not an IP datagram carrying TCP/,
  );
  await assert.rejects(
    exchangeOne(fake.net, { dst: "nowhere.example" }),
    /no such host/,
  );
  assert.equal(fake.sent.length, 0);
  assert.equal(fake.receivers.open, 0);
});

Deno.test("a send the network refuses is the error of sr1, and the sockets are closed", async () => {
  const failure = new Error(
    "Cannot send packet to 192.0.2.1: network is unreachable",
  );
  const fake = fakeNet(() => undefined, { failSend: failure });
  await assert.rejects(
    exchangeOne(fake.net, { dst: DST }),
    (e) => e === failure,
  );
  assert.equal(fake.receivers.open, 0);
});

Deno.test("an aborted signal: sr1 rejects with its reason before sending; mid-way it rejects and closes everything", async () => {
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  const fake = fakeNet(() => undefined);
  await assert.rejects(
    exchangeOne(fake.net, { dst: DST }, { signal: controller.signal }),
    /stop/,
  );
  assert.equal(fake.receivers.opened, 0);

  const later = new AbortController();
  const slow = fakeNet(() => undefined);
  const pending = exchangeOne(slow.net, { dst: DST }, {
    timeoutMs: 10_000,
    signal: later.signal,
    clock: slow.clock,
  });
  setTimeout(() => later.abort(new Error("enough")), 5);
  await assert.rejects(pending, /enough/);
  assert.equal(slow.receivers.open, 0);
});

Deno.test("sr ends at an abort with the unanswered listed; stopping the iteration early closes the sockets", async () => {
  const controller = new AbortController();
  const fake = fakeNet((sent, index) =>
    index === 0 ? { bytes: answerSyn(sent, true), delayMs: 1 } : undefined
  );
  const kinds: string[] = [];
  for await (
    const result of exchangePackets(
      fake.net,
      [{ dst: DST, srcPort: 1 }, { dst: DST, srcPort: 2 }],
      { timeoutMs: 10_000, signal: controller.signal, clock: fake.clock },
    )
  ) {
    kinds.push(result.kind);
    if (result.kind === "tcp") controller.abort();
  }
  assert.deepEqual(kinds, ["tcp", "unanswered"]);
  assert.equal(fake.receivers.open, 0);

  const early = fakeNet((sent) => ({
    bytes: answerSyn(sent, true),
    delayMs: 1,
  }));
  for await (
    const _ of exchangePackets(
      early.net,
      [{ dst: DST, srcPort: 1 }, { dst: DST, srcPort: 2 }],
      { clock: early.clock },
    )
  ) break;
  assert.equal(early.receivers.open, 0);
});

Deno.test("sr with both families opens one receiver each and matches both", async () => {
  const fake = fakeNet((sent) => ({
    bytes: answerSyn(sent, true),
    delayMs: 1,
  }));
  const results = await all(exchangePackets(fake.net, [
    { dst: DST, srcPort: 1 },
    { dst: "2001:db8::1", srcPort: 2 },
  ], { clock: fake.clock, timeoutMs: 50 }));
  assert.deepEqual(
    results.map((r) => [r.kind, r.sent.packet.ip.version]).sort(),
    [["tcp", 4], ["tcp", 6]],
  );
  assert.equal(fake.receivers.opened, 2);
  assert.equal(fake.receivers.open, 0);
});
