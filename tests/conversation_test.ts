/**
 * The conversation engine (src/engine/conversation.ts) and the trace
 * engine (src/engine/trace.ts) without the command line and without root:
 * the scripted fake network of tests/_fake_conversation.ts, on the memory
 * host's virtual clock, so every RTT is exactly what the script says.
 */

import assert from "node:assert/strict";
import {
  Conversation,
  makeTcpPacket,
  type ProbeEvent,
  type ReceiverNet,
  rttStatistics,
  runProbes,
  runTrace,
  TCP_FLAGS,
  type TraceEvent,
} from "../mod.ts";
import {
  answerIcmp,
  answerSyn,
  type FakeConversation,
  fakeConversation,
  type FakeScript,
} from "./_fake_conversation.ts";

const TARGET = "192.0.2.1";

function open(
  script: FakeScript,
  options: { dst?: string; flags?: number } = {},
): { fake: FakeConversation; conversation: Conversation } {
  const fake = fakeConversation(script);
  const dst = options.dst ?? TARGET;
  const base = makeTcpPacket({
    src: dst.includes(":") ? "2001:db8::42" : "192.0.2.42",
    dst,
    dstPort: 80,
    flags: options.flags ?? TCP_FLAGS.syn,
  });
  const conversation = Conversation.open(fake.host.net as ReceiverNet, {
    base,
  });
  return { fake, conversation };
}

Deno.test("Conversation opens a header-included receiver of the model's family and closes it", () => {
  const { fake, conversation } = open(() => undefined, { dst: "2001:db8::1" });
  assert.deepEqual(fake.opened, [{
    family: 6,
    options: { headerIncluded: true },
  }]);
  assert.equal(conversation.destination, "2001:db8::1");
  conversation.close();
  assert.equal(fake.closed, 1);
});

Deno.test("Conversation.send() makes the probe from the model, and poll() matches its reply once", async () => {
  const { fake, conversation } = open((sent) => [
    { kind: "tcp", bytes: answerSyn(sent, true), rttMs: 2 },
    { kind: "tcp", bytes: answerSyn(sent, true), rttMs: 3 },
  ]);
  const { probe, datagram } = conversation.send(
    { srcPort: 50001, seq: 1000, ack: 0, ttl: 7 },
    0,
  );
  assert.equal(fake.sent[0]!.tcp.srcPort, 50001);
  assert.equal(fake.sent[0]!.ip.version === 4 && fake.sent[0]!.ip.ttl, 7);
  assert.equal(probe.ttl, 7);
  assert.equal(datagram.length, 40);
  const first = await conversation.poll(5);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.reply.probe, probe);
  assert.equal(first[0]!.reply.rttMs, 2);
  // The retransmitted SYN-ACK answers a probe that no longer waits.
  assert.deepEqual(await conversation.poll(5), []);
  conversation.close();
});

Deno.test("runProbes() paces the probes, reports replies and timeouts as they happen, and counts them", async () => {
  const { fake, conversation } = open((sent, index) =>
    index === 1
      ? undefined
      : { kind: "tcp", bytes: answerSyn(sent, index === 0), rttMs: 5 + index }
  );
  const events: string[] = [];
  const outcome = await runProbes(conversation, {
    clock: fake.host,
    count: 3,
    intervalMs: 100,
    timeoutMs: 50,
    sportBase: 65535,
  }, (event: ProbeEvent) => {
    const at = fake.host.now();
    if (event.kind === "sent") events.push(`${at} sent ${event.index}`);
    else if (event.kind === "timeout") {
      events.push(`${at} timeout ${event.probe.id}`);
    } else events.push(`${at} reply ${event.reply.probe.id}`);
  });
  conversation.close();
  assert.deepEqual(events, [
    "0 sent 0",
    "5 reply 0",
    "100 sent 1",
    "150 timeout 1",
    "200 sent 2",
    "207 reply 2",
  ]);
  // Source ports go up by one from the base, wrapping inside 49152..65535.
  assert.deepEqual(fake.sent.map((p) => p.tcp.srcPort), [65535, 49152, 49153]);
  assert.equal(outcome.sent, 3);
  assert.equal(outcome.received, 2);
  assert.equal(outcome.icmpErrors, 0);
  assert.deepEqual(outcome.rtts, [5, 7]);
  assert.deepEqual(rttStatistics(outcome.rtts), {
    count: 2,
    min: 5,
    avg: 6,
    max: 7,
    p50: 5,
    p90: 7,
    p99: 7,
  });
  assert.equal(outcome.interrupted, false);
});

Deno.test("runProbes() counts ICMP errors apart from replies, and gives random acknowledgment numbers only when asked", async () => {
  const { fake, conversation } = open(
    (sent) => ({
      kind: "icmp",
      bytes: answerIcmp(sent, "192.0.2.254", 3, 13),
      rttMs: 1,
    }),
    { flags: TCP_FLAGS.ack },
  );
  const outcome = await runProbes(conversation, {
    clock: fake.host,
    count: 2,
    intervalMs: 10,
    timeoutMs: 50,
    sport: 40000,
    seq: 7,
    randomAck: true,
    sportBase: 0,
  }, () => {});
  conversation.close();
  assert.equal(outcome.received, 0);
  assert.equal(outcome.icmpErrors, 2);
  assert.deepEqual(fake.sent.map((p) => p.tcp.srcPort), [40000, 40000]);
  assert.deepEqual(fake.sent.map((p) => p.tcp.seq), [7, 7]);
  assert.notEqual(fake.sent[0]!.tcp.ack, fake.sent[1]!.tcp.ack);
});

Deno.test("runProbes() stops at an abort: the probes still waiting count as sent, not received", async () => {
  const controller = new AbortController();
  const { fake, conversation } = open(() => undefined);
  const outcome = await runProbes(conversation, {
    clock: fake.host,
    count: 0,
    intervalMs: 100,
    timeoutMs: 1000,
    sportBase: 50000,
    signal: controller.signal,
  }, (event) => {
    if (event.kind === "sent" && event.index === 2) controller.abort();
  });
  conversation.close();
  assert.equal(outcome.interrupted, true);
  assert.equal(outcome.sent, 3);
  assert.equal(outcome.received, 0);
});

Deno.test("runProbes() stops at a failed send and holds the error", async () => {
  const { fake, conversation } = open(() => undefined);
  conversation.close();
  const outcome = await runProbes(conversation, {
    clock: fake.host,
    count: 3,
    intervalMs: 10,
    timeoutMs: 10,
    sportBase: 50000,
  }, () => {});
  assert.equal(outcome.sent, 0);
  assert.match(String(outcome.failure?.error), /closed/);
});

Deno.test("runTrace() walks the hops until the destination answers, one flow per query", async () => {
  const { fake, conversation } = open((sent) => {
    const ttl = sent.ip.version === 4 ? sent.ip.ttl : sent.ip.hopLimit;
    if (ttl < 3) {
      return {
        kind: "icmp",
        bytes: answerIcmp(sent, `10.0.${ttl}.1`, 11, 0),
        rttMs: ttl,
      };
    }
    return { kind: "tcp", bytes: answerSyn(sent, false), rttMs: 3 };
  });
  const events: TraceEvent["kind"][] = [];
  const outcome = await runTrace(conversation, {
    clock: fake.host,
    firstHop: 1,
    maxHops: 30,
    queries: 2,
    timeoutMs: 100,
    sportBase: 50000,
  }, (event) => {
    events.push(event.kind);
  });
  conversation.close();
  assert.equal(outcome.reached, "closed");
  assert.deepEqual(outcome.hops.map((hop) => hop.ttl), [1, 2, 3]);
  assert.deepEqual(
    outcome.hops.map((hop) => hop.answers.map((a) => a?.from)),
    [["10.0.1.1", "10.0.1.1"], ["10.0.2.1", "10.0.2.1"], [TARGET, TARGET]],
  );
  // Query q of every hop leaves from the same port.
  assert.deepEqual(
    fake.sent.map((p) => p.tcp.srcPort),
    [50000, 50001, 50000, 50001, 50000, 50001],
  );
  assert.equal(new Set(fake.sent.map((p) => p.tcp.seq)).size, 6);
  assert.deepEqual(events.filter((kind) => kind === "hop").length, 3);
  assert.equal(outcome.interrupted, false);
});

Deno.test("runTrace() stops where all queries but one come back unreachable", async () => {
  const { fake, conversation } = open((sent) => ({
    kind: "icmp",
    bytes: answerIcmp(sent, "10.0.9.1", 3, 13),
    rttMs: 1,
  }));
  const outcome = await runTrace(conversation, {
    clock: fake.host,
    firstHop: 1,
    maxHops: 30,
    queries: 3,
    timeoutMs: 100,
    sportBase: 50000,
  }, () => {});
  conversation.close();
  assert.equal(outcome.reached, undefined);
  assert.equal(outcome.hops.length, 1);
  assert.deepEqual(
    outcome.hops[0]!.answers.map((a) => a?.kind === "icmp" && a.mark),
    ["!X", "!X", "!X"],
  );
});

Deno.test("runTrace() waits a hop's timeout for silence, and a signal ends it after the hop", async () => {
  const controller = new AbortController();
  const { fake, conversation } = open(() => undefined);
  const outcome = await runTrace(conversation, {
    clock: fake.host,
    firstHop: 4,
    maxHops: 30,
    queries: 1,
    timeoutMs: 300,
    sportBase: 50000,
    signal: controller.signal,
  }, (event) => {
    if (event.kind === "hop" && event.hop.ttl === 5) controller.abort();
  });
  conversation.close();
  assert.deepEqual(outcome.hops, [
    { ttl: 4, answers: [null] },
    { ttl: 5, answers: [null] },
  ]);
  assert.equal(outcome.interrupted, true);
  assert.equal(fake.host.now(), 600);
});
