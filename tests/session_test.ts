/**
 * Hand-made TCP sessions (TcpSession) against a scripted peer on the fake
 * network (virtual clock): the handshake and its retransmission, data out
 * cut to the peer's MSS, data in reordered and duplicated, a lost segment
 * sent again, FIN and RST, a zero window, a refused or unreachable peer,
 * the signal; and that every end releases the receiver and the reset hold.
 * The real kernel and an HTTP server judge them in session_netns_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SessionError, TCP_FLAGS, TcpSession } from "../mod.ts";
import { fakeNet } from "./_fake_net.ts";
import { tcpPeer } from "./_fake_peer.ts";

const { syn, ack, fin, rst, psh } = TCP_FLAGS;
const DST = "192.0.2.1";
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function open(
  script: Parameters<typeof tcpPeer>[0],
  options: Partial<Parameters<typeof TcpSession.open>[1]> = {},
) {
  const { peer, record } = tcpPeer(script);
  const fake = fakeNet(peer);
  const opening = TcpSession.open(fake.net, {
    dst: DST,
    dstPort: 80,
    srcPort: 40000,
    isn: 1000,
    clock: fake.clock,
    timeoutMs: 2000,
    rtoMs: 100,
    ...options,
  });
  return { fake, record, opening };
}

Deno.test("a session fetches a response cut in three, reordered and duplicated, then closes with FIN both ways", async () => {
  const response = "HTTP/1.0 200 OK\r\n\r\nhello, world";
  const { fake, record, opening } = open({
    response: {
      text: response,
      sizes: [10, 9, 12],
      order: [2, 0, 1],
      duplicate: true,
    },
  }, { dropKernelResets: true });
  const session = await opening;
  assert.equal(session.state, "established");
  assert.equal(session.peerIsn, 5000);
  assert.equal(session.peerMss, 1460);
  assert.deepEqual(session.local, { address: "192.0.2.42", port: 40000 });
  await session.send("GET / HTTP/1.0\r\n\r\n");
  assert.equal(record.request, "GET / HTTP/1.0\r\n\r\n");
  assert.equal(text(await session.readAll()), response);
  await session.close();
  assert.equal(session.state, "closed");
  assert.equal(record.finReceived, true);
  // The handshake, as sent: SYN with our ISN, then ACK of the SYN-ACK.
  const [synSent, ackSent] = fake.sent.map((s) => s.packet.tcp);
  assert.equal(synSent!.flags, syn);
  assert.equal(synSent!.seq, 1000);
  assert.deepEqual(synSent!.options, [{ kind: "mss", value: 1460 }]);
  assert.equal(ackSent!.flags, ack);
  assert.equal(ackSent!.ack, 5001);
  // The last segment acknowledges the whole response and the peer's FIN.
  const last = fake.sent.at(-1)!.packet.tcp;
  assert.equal(last.ack, 5001 + response.length + 1);
  // Nothing left: the receiver is closed, the hold released.
  assert.equal(fake.receivers.open, 0);
  assert.equal(fake.holds.held, 0);
  assert.deepEqual(fake.holds.taken, [{
    family: 4,
    local: "192.0.2.42",
    localPort: 40000,
    remote: DST,
    remotePort: 80,
  }]);
});

Deno.test("the SYN is sent again after the retransmission timeout, doubling, until the SYN-ACK comes", async () => {
  const { fake, opening } = open({ dropSyns: 2 });
  const session = await opening;
  const syns = fake.sent.filter((s) => s.packet.tcp.flags === syn);
  assert.deepEqual(syns.map((s) => s.at), [0, 100, 300]);
  await session.abort();
});

Deno.test("data goes out cut to the peer's MSS, PSH on the last segment, and a lost segment is sent again", async () => {
  const { fake, record, opening } = open({ mss: 1000, dropData: 1 });
  const session = await opening;
  const data = new Uint8Array(2500).fill(0x61);
  await session.send(data);
  assert.equal(record.request.length, 2500);
  const segments = fake.sent.map((s) => s.packet.tcp).filter((t) =>
    t.payload.length > 0
  );
  // The first one was dropped: go back to it and send all three again.
  assert.deepEqual(segments.map((t) => t.payload.length), [
    1000,
    1000,
    500,
    1000,
    1000,
    500,
  ]);
  assert.deepEqual(segments.map((t) => (t.flags & psh) !== 0), [
    false,
    false,
    true,
    false,
    false,
    true,
  ]);
  assert.equal(segments[3]!.seq, 1001);
  await session.abort();
});

Deno.test("a peer that refuses or is unreachable fails the opening, and nothing stays open", async () => {
  for (
    const [script, kind, message] of [
      [{ refuse: true }, "refused", /the peer refused it \(RST\)/],
      [
        { unreachable: true },
        "unreachable",
        /port unreachable \(ICMP from 192\.0\.2\.1\)/,
      ],
      [{ dropSyns: 100 }, "timeout", /no answer to the SYN within 2000 ms/],
    ] as const
  ) {
    const { fake, opening } = open(script, { dropKernelResets: true });
    await assert.rejects(
      opening,
      (error: Error) =>
        error instanceof SessionError && error.kind === kind &&
        message.test(error.message),
    );
    assert.equal(fake.receivers.open, 0, kind);
    assert.equal(fake.holds.held, 0, kind);
  }
});

Deno.test("a peer that resets mid-session fails reads and sends with reset, and the session releases everything", async () => {
  const { fake, opening } = open({ resetOnData: true });
  const session = await opening;
  await assert.rejects(
    session.send("hello"),
    (error: Error) => error instanceof SessionError && error.kind === "reset",
  );
  await assert.rejects(
    session.readAll(),
    (error: Error) =>
      error instanceof SessionError && error.kind === "reset" &&
      /dropKernelResets: true/.test(error.message),
  );
  assert.equal(session.state, "closed");
  await assert.rejects(session.close(), /reset/);
  assert.equal(fake.receivers.open, 0);
});

Deno.test("a zero window is probed with one byte; when it opens the data goes, when it stays shut sends fail with zero-window", async () => {
  const opened = open({ window: 0, openAfterProbes: 2 });
  const session = await opened.opening;
  await session.send("abc");
  assert.equal(opened.record.request, "abc");
  const probes = opened.fake.sent.map((s) => s.packet.tcp).filter((t) =>
    t.payload.length === 1
  );
  assert.equal(probes.length, 2);
  await session.abort();

  const shut = open({ window: 0 }, { timeoutMs: 1000 });
  const stuck = await shut.opening;
  await assert.rejects(
    stuck.send("abc"),
    (error: Error) =>
      error instanceof SessionError && error.kind === "zero-window",
  );
  assert.equal(stuck.state, "closed");
  assert.equal(shut.fake.receivers.open, 0);
});

Deno.test("abort() sends RST with ACK, ends reads, refuses sends; the signal aborts too", async () => {
  const { fake, opening } = open({});
  const session = await opening;
  const reading = session.readAll();
  await session.abort();
  assert.equal((await reading).length, 0);
  const last = fake.sent.at(-1)!.packet.tcp;
  assert.equal(last.flags, rst | ack);
  await assert.rejects(
    session.send("x"),
    (error: Error) => error instanceof SessionError && error.kind === "closed",
  );
  assert.equal(fake.receivers.open, 0);

  const controller = new AbortController();
  const signalled = open({}, {
    signal: controller.signal,
    dropKernelResets: true,
  });
  const other = await signalled.opening;
  controller.abort(new Error("Ctrl-C"));
  await assert.rejects(
    other.readAll(),
    (error: Error) => error instanceof SessionError && error.kind === "aborted",
  );
  await other.close().catch(() => {});
  assert.equal(signalled.fake.receivers.open, 0);
  assert.equal(signalled.fake.holds.held, 0);
  assert.equal(signalled.fake.sent.at(-1)!.packet.tcp.flags, rst | ack);
});

Deno.test("a session refuses bad options and an aborted signal before opening anything", async () => {
  for (
    const [options, message] of [
      [{ dstPort: 0 }, /dstPort 0/],
      [{ srcPort: 70000 }, /srcPort 70000/],
      [{ window: 0 }, /window 0/],
      [{ timeoutMs: 0 }, /timeoutMs 0/],
      [{ retries: -1 }, /retries -1/],
      [{ isn: 2 ** 32 }, /isn 4294967296/],
    ] as const
  ) {
    const { fake, opening } = open({}, options);
    await assert.rejects(
      opening,
      (error: Error) =>
        error instanceof RangeError && message.test(error.message),
    );
    assert.equal(fake.receivers.opened, 0);
    assert.equal(fake.holds.taken.length, 0);
  }
  const controller = new AbortController();
  controller.abort(new Error("no"));
  const { fake, opening } = open({}, { signal: controller.signal });
  await assert.rejects(opening, /no/);
  assert.equal(fake.receivers.opened, 0);
  const { net } = fakeNet(() => undefined);
  const { holdKernelResets: _, ...without } = net;
  await assert.rejects(
    TcpSession.open(without, {
      dst: DST,
      dstPort: 80,
      dropKernelResets: true,
    }),
    /this host cannot hold back the kernel's resets/,
  );
});

Deno.test("the segments of a session are reported as they go out and come in", async () => {
  const seen: string[] = [];
  const { opening } = open({}, {
    onSegment: (s) =>
      seen.push(`${s.direction} ${s.packet.tcp.flags.toString(16)}`),
  });
  const session = await opening;
  await session.close();
  assert.deepEqual(seen.slice(0, 3), ["sent 2", "received 12", "sent 10"]);
  assert.ok(seen.includes(`sent ${(fin | ack).toString(16)}`));
});
