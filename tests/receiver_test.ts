/**
 * Receiver judged by real kernels, in three namespaces (a, router b with
 * forwarding, c): a SYN to a port c listens on comes back as a SYN-ACK on
 * the TCP socket, a SYN with TTL 1 comes back from the router as a
 * time-exceeded message on the ICMP socket, both matched to their probes
 * by `ReplyMatcher`; one wait covers both sockets; the event loop runs
 * while it waits.
 *
 * @module
 */

import assert from "node:assert/strict";
import { makeTcpPacket, ReplyMatcher, TCP_FLAGS } from "../mod.ts";
import { epochNow, Receiver, SocketError } from "../ffi/mod.ts";
import {
  agentMain,
  type Host,
  netnsTestGate,
  openFdCount,
  withNetwork,
} from "./_netns.ts";

const SELF = import.meta.url;

// ---------------------------------------------------------------------------
// Agent: runs inside namespace a.

interface ExchangeArgs {
  family: 4 | 6;
  src: string;
  dst: string;
  port: number;
}

interface ExchangeResult {
  idleTicks: number;
  idleBatch: number;
  icmpWaitMs: number;
  icmp: {
    from: string;
    description: string;
    probeId: number;
    tcpInBatch: number;
  };
  synAck: { flags: number; probeId: number; rttMs: number };
  fdBefore: number;
  fdAfter: number;
  afterClose: string;
}

async function exchange(args: ExchangeArgs): Promise<ExchangeResult> {
  const fdBefore = openFdCount();
  const receiver = Receiver.open({ family: args.family, headerIncluded: true });
  const matcher = new ReplyMatcher();
  let result: Omit<ExchangeResult, "fdBefore" | "fdAfter" | "afterClose">;
  try {
    // Nothing is coming: the wait runs off the event loop, so timers fire.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const idle = await receiver.poll(400);
    clearInterval(timer);

    const send = (id: number, ttl: number, seq: number) => {
      const probe = {
        id,
        family: args.family,
        src: args.src,
        dst: args.dst,
        srcPort: 41000 + id,
        dstPort: args.port,
        seq,
        ack: 0,
        flags: TCP_FLAGS.syn,
        payloadLength: 0,
        ttl,
        sentAt: epochNow(),
      };
      receiver.tcp.send(
        makeTcpPacket({
          src: probe.src,
          dst: probe.dst,
          srcPort: probe.srcPort,
          dstPort: probe.dstPort,
          seq: probe.seq,
          flags: probe.flags,
          ttl,
        }),
        args.dst,
      );
      matcher.add(probe);
    };

    // TTL 1: only the router answers, on the ICMP socket. A long timeout
    // that returns early shows the one wait covers the ICMP socket too.
    send(1, 1, 0x01000000);
    const started = performance.now();
    const first = await receiver.poll(5000);
    const icmpWaitMs = performance.now() - started;
    let icmpReply;
    for (const p of first.icmp) {
      icmpReply ??= matcher.matchIcmp(p.bytes, p.receivedAt, args.family);
    }
    assert.ok(icmpReply?.kind === "icmp", "no ICMP reply matched");

    send(2, 64, 0x02000000);
    let synAck;
    for (let round = 0; round < 20 && synAck === undefined; round++) {
      const batch = await receiver.poll(250);
      for (const p of batch.tcp) {
        synAck ??= matcher.matchTcp(p.bytes, p.receivedAt);
      }
    }
    assert.ok(synAck?.kind === "tcp", "no SYN-ACK matched");
    result = {
      idleTicks: ticks,
      idleBatch: idle.tcp.length + idle.icmp.length,
      icmpWaitMs,
      icmp: {
        from: icmpReply.from,
        description: icmpReply.description,
        probeId: icmpReply.probe.id,
        tcpInBatch: first.tcp.length,
      },
      synAck: {
        flags: synAck.packet.tcp.flags,
        probeId: synAck.probe.id,
        rttMs: synAck.rttMs,
      },
    };
  } finally {
    receiver.close();
  }
  let afterClose = "";
  try {
    await receiver.poll(0);
  } catch (error) {
    afterClose = error instanceof SocketError
      ? `${error.code}: ${error.message}`
      : String(error);
  }
  return { ...result, fdBefore, fdAfter: openFdCount(), afterClose };
}

if (import.meta.main) {
  await agentMain({ exchange });
}

// ---------------------------------------------------------------------------
// Tests

const gate = netnsTestGate("python3");

function addressOf(host: Host, family: 4 | 6): string {
  return family === 4 ? host.ipv4 : host.ipv6;
}

Deno.test({
  name:
    "Receiver reads a router's time-exceeded (ICMP socket) and the server's SYN-ACK (TCP socket) in one wait, off the event loop (3 namespaces)" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const c = net.c!;
      const listener = await net.listen(c, 7200, { lifetimeMs: 30000 });
      try {
        for (const family of [4, 6] as const) {
          const result = await net.agent<ExchangeResult>(
            net.a,
            SELF,
            "exchange",
            {
              family,
              src: addressOf(net.a, family),
              dst: addressOf(c, family),
              port: 7200,
            } satisfies ExchangeArgs,
          );
          assert.equal(
            (result as { agentError?: string }).agentError,
            undefined,
          );
          assert.equal(result.idleBatch, 0);
          // 400 ms at 10 ms a tick: gross bound, the machine is noisy.
          assert.ok(result.idleTicks >= 10, `ticks ${result.idleTicks}`);
          assert.ok(result.icmpWaitMs < 4000, `waited ${result.icmpWaitMs} ms`);
          assert.deepEqual(result.icmp, {
            from: addressOf(net.b, family),
            description: family === 4
              ? "time exceeded in transit"
              : "hop limit exceeded in transit",
            probeId: 1,
            tcpInBatch: 0,
          });
          assert.equal(result.synAck.probeId, 2);
          assert.equal(result.synAck.flags, TCP_FLAGS.syn | TCP_FLAGS.ack);
          assert.ok(result.synAck.rttMs >= 0 && result.synAck.rttMs < 1000);
          assert.equal(result.fdAfter, result.fdBefore);
          assert.equal(
            result.afterClose,
            "EBADF: Cannot receive packets: the receiver is closed",
          );
        }
      } finally {
        await listener.close();
      }
    }, { hosts: 3 });
  },
});
