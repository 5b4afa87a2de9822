/**
 * RawSocket judged by a real kernel: packets are sent from namespace a to
 * namespace b over a veth pair (checksum offload off), and the peer kernel
 * decides whether they were right: a SYN-ACK, a RST, a dropped packet and a
 * counter, an accepted connection, a capture.
 *
 * The test process stays in the root namespace; the code that sends runs
 * inside namespace a as `deno run` of this same file (see the agents at the
 * end and `agentMain` in tests/_netns.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  makeTcpPacket,
  TCP_FLAGS,
  type TcpPacket,
  verifyPacketChecksums,
} from "../mod.ts";
import { RawSocket, type ReceivedPacket, SocketError } from "../ffi/mod.ts";
import { bsdIpv4HeaderOrder } from "../ffi/raw_socket.ts";
import {
  agentMain,
  type Host,
  netnsTestGate,
  openFdCount,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";

const SELF = import.meta.url;
const { syn, ack, rst, psh, fin } = TCP_FLAGS;

// ---------------------------------------------------------------------------
// Agents: run inside a namespace by the tests below.

/** One sending configuration. */
interface Combo {
  family: 4 | 6;
  headerIncluded: boolean;
  src: string;
  dst: string;
}

interface ProbeArgs {
  combos: Combo[];
  openPort: number;
  closedPort: number | null;
  sizes: number[];
  /** XOR the right checksum with this (0: send it right). */
  corruptWith: number;
  /** How long to wait for replies after the last packet. */
  waitMs: number;
  sportBase: number;
}

interface ProbeReply {
  flags: number;
  seq: number;
  ack: number;
  srcPort: number;
  dstPort: number;
  ipSrc: string;
  ipDst: string;
  ipVersion: number;
  tcpChecksumOk: boolean;
  ipChecksumOk: boolean | null;
  headerReconstructed: boolean;
}

interface ProbeResult {
  family: 4 | 6;
  headerIncluded: boolean;
  size: number;
  port: number;
  sport: number;
  seq: number;
  via: "send" | "sendMany";
  bytesSent: number;
  reply: ProbeReply | null;
}

function random32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return bytes;
}

function summarize(reply: ReceivedPacket): ProbeReply | null {
  const packet = reply.packet;
  if (packet === undefined) return null;
  const checks = verifyPacketChecksums(reply.bytes);
  return {
    flags: packet.tcp.flags,
    seq: packet.tcp.seq,
    ack: packet.tcp.ack,
    srcPort: packet.tcp.srcPort,
    dstPort: packet.tcp.dstPort,
    ipSrc: packet.ip.src,
    ipDst: packet.ip.dst,
    ipVersion: packet.ip.version,
    tcpChecksumOk: checks.tcp,
    ipChecksumOk: checks.ip,
    headerReconstructed: reply.headerReconstructed,
  };
}

/**
 * Collect replies from `peer` to the given source ports, the first per
 * port, until all came or `waitMs` passed.
 */
async function collect(
  socket: RawSocket,
  peer: string,
  ports: Set<number>,
  waitMs: number,
  stopWhenAll: boolean,
): Promise<Map<number, ReceivedPacket>> {
  const replies = new Map<number, ReceivedPacket>();
  const deadline = performance.now() + waitMs;
  for (let round = 0; round < 10000; round++) {
    if (stopWhenAll && replies.size === ports.size) break;
    const remaining = Math.ceil(deadline - performance.now());
    if (remaining <= 0) break;
    for (const reply of await socket.receive({ timeoutMs: remaining })) {
      const port = reply.packet?.tcp.dstPort;
      if (
        reply.source === peer && port !== undefined && ports.has(port) &&
        !replies.has(port)
      ) {
        replies.set(port, reply);
      }
    }
  }
  return replies;
}

async function probe(args: ProbeArgs): Promise<ProbeResult[]> {
  let sport = args.sportBase;
  const sockets: RawSocket[] = [];
  try {
    // Send everything first, then collect on every socket at once, so the
    // wait for replies (or for their absence) is paid once.
    const sentPerCombo: ProbeResult[][] = [];
    for (const combo of args.combos) {
      const socket = RawSocket.open({
        family: combo.family,
        headerIncluded: combo.headerIncluded,
      });
      sockets.push(socket);
      const sent: ProbeResult[] = [];
      const many: TcpPacket[] = [];
      const ports = [
        args.openPort,
        ...(args.closedPort === null ? [] : [args.closedPort]),
      ];
      for (const port of ports) {
        for (const size of args.sizes) {
          const packet = makeTcpPacket({
            src: combo.src,
            dst: combo.dst,
            srcPort: sport,
            dstPort: port,
            seq: random32(),
            flags: syn,
            window: 64240,
            payload: randomBytes(size),
            ttl: 64,
          });
          if (args.corruptWith !== 0) {
            const right = decodePacket(encodePacket(packet)).tcp.checksum;
            packet.tcp.checksum = right ^ args.corruptWith;
          }
          // The open port's SYNs go one by one (send), the closed port's in
          // one batch (sendMany): both paths are judged.
          const via = port === args.openPort ? "send" : "sendMany";
          let bytesSent = 0;
          if (via === "send") bytesSent = socket.send(packet, combo.dst);
          else many.push(packet);
          sent.push({
            family: combo.family,
            headerIncluded: combo.headerIncluded,
            size,
            port,
            sport,
            seq: packet.tcp.seq,
            via,
            bytesSent,
            reply: null,
          });
          sport++;
        }
      }
      if (many.length > 0) {
        const count = socket.sendMany(many, combo.dst);
        if (count !== many.length) {
          throw new Error(`sendMany sent ${count} of ${many.length}`);
        }
      }
      sentPerCombo.push(sent);
    }
    const replies = await Promise.all(args.combos.map((combo, i) =>
      collect(
        sockets[i]!,
        combo.dst,
        new Set(sentPerCombo[i]!.map((s) => s.sport)),
        args.waitMs,
        args.corruptWith === 0,
      )
    ));
    return sentPerCombo.flatMap((sent, i) =>
      sent.map((s) => {
        const reply = replies[i]!.get(s.sport);
        return { ...s, reply: reply === undefined ? null : summarize(reply) };
      })
    );
  } finally {
    for (const socket of sockets) socket.close();
  }
}

interface ConverseArgs extends Combo {
  port: number;
  sport: number;
  payloadHex: string;
}

interface ConverseResult {
  steps: string[];
  synAck: ProbeReply | null;
  dataAcked: boolean;
  finAcked: boolean;
  serverFin: boolean;
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function converse(args: ConverseArgs): Promise<ConverseResult> {
  using socket = RawSocket.open({
    family: args.family,
    headerIncluded: args.headerIncluded,
  });
  const payload = fromHex(args.payloadHex);
  const steps: string[] = [];
  const isn = random32();
  const segment = (fields: {
    seq: number;
    ack: number;
    flags: number;
    payload?: Uint8Array;
    options?: TcpPacket["tcp"]["options"];
  }) =>
    makeTcpPacket({
      src: args.src,
      dst: args.dst,
      srcPort: args.sport,
      dstPort: args.port,
      window: 64240,
      ...fields,
      seq: fields.seq >>> 0,
      ack: fields.ack >>> 0,
    });
  // Wait for a packet from the server to our port that satisfies `test`.
  const await_ = async (
    test: (r: ReceivedPacket) => boolean,
    timeoutMs: number,
  ): Promise<ReceivedPacket | undefined> => {
    const deadline = performance.now() + timeoutMs;
    for (let round = 0; round < 1000; round++) {
      const remaining = Math.ceil(deadline - performance.now());
      if (remaining <= 0) return undefined;
      for (const reply of await socket.receive({ timeoutMs: remaining })) {
        if (
          reply.source === args.dst &&
          reply.packet?.tcp.dstPort === args.sport &&
          test(reply)
        ) {
          return reply;
        }
      }
    }
    return undefined;
  };
  socket.send(
    segment({
      seq: isn,
      ack: 0,
      flags: syn,
      options: [{ kind: "mss", value: 1460 }],
    }),
    args.dst,
  );
  steps.push("SYN");
  const synAck = await await_(
    (r) =>
      r.packet!.tcp.flags === (syn | ack) &&
      r.packet!.tcp.ack === ((isn + 1) >>> 0),
    3000,
  );
  if (synAck === undefined) {
    return {
      steps,
      synAck: null,
      dataAcked: false,
      finAcked: false,
      serverFin: false,
    };
  }
  steps.push("SYN-ACK");
  const serverNext = (synAck.packet!.tcp.seq + 1) >>> 0;
  const ourNext = isn + 1;
  socket.send(segment({ seq: ourNext, ack: serverNext, flags: ack }), args.dst);
  steps.push("ACK");
  socket.send(
    segment({ seq: ourNext, ack: serverNext, flags: psh | ack, payload }),
    args.dst,
  );
  steps.push(`PSH+ACK ${payload.length} bytes`);
  const afterData = (ourNext + payload.length) >>> 0;
  const dataAck = await await_(
    (r) => (r.packet!.tcp.flags & ack) !== 0 && r.packet!.tcp.ack === afterData,
    3000,
  );
  if (dataAck !== undefined) steps.push("data ACKed");
  socket.send(
    segment({ seq: afterData, ack: serverNext, flags: fin | ack }),
    args.dst,
  );
  steps.push("FIN+ACK");
  const afterFin = (afterData + 1) >>> 0;
  const finAck = await await_(
    (r) => (r.packet!.tcp.flags & ack) !== 0 && r.packet!.tcp.ack === afterFin,
    3000,
  );
  let serverFin = finAck !== undefined &&
    (finAck.packet!.tcp.flags & fin) !== 0;
  if (finAck !== undefined && !serverFin) {
    serverFin = (await await_((r) =>
      (r.packet!.tcp.flags & fin) !== 0, 3000)) !==
      undefined;
  }
  if (finAck !== undefined) steps.push("FIN ACKed");
  if (serverFin) {
    socket.send(
      segment({ seq: afterFin, ack: (serverNext + 1) >>> 0, flags: ack }),
      args.dst,
    );
    steps.push("server FIN, ACKed");
  }
  return {
    steps,
    synAck: summarize(synAck),
    dataAcked: dataAck !== undefined,
    finAcked: finAck !== undefined,
    serverFin,
  };
}

interface SpoofArgs {
  v4: { src: string; dst: string };
  v6: { src: string; dst: string };
  port: number;
}

function spoof(args: SpoofArgs): { sent: number[] } {
  const sent: number[] = [];
  {
    using socket = RawSocket.open({ family: 4, headerIncluded: true });
    sent.push(socket.send(
      makeTcpPacket({
        src: args.v4.src,
        dst: args.v4.dst,
        srcPort: 40004,
        dstPort: args.port,
        seq: 0x01020304,
        ttl: 37,
        id: 0xbeef,
        tos: 0x28,
        dontFragment: true,
        window: 4321,
      }),
      args.v4.dst,
    ));
  }
  {
    using socket = RawSocket.open({ family: 6, headerIncluded: true });
    sent.push(socket.send(
      makeTcpPacket({
        src: args.v6.src,
        dst: args.v6.dst,
        srcPort: 40006,
        dstPort: args.port,
        seq: 0x05060708,
        hopLimit: 37,
        trafficClass: 0x28,
        flowLabel: 0xabcde,
        window: 4321,
      }),
      args.v6.dst,
    ));
  }
  return { sent };
}

interface FloodArgs {
  combos: Combo[];
  port: number;
  count: number;
}

function flood(
  args: FloodArgs,
): { fdBefore: number; fdAfter: number; sent: number[] } {
  // Build the packets first, so only the socket's own work lies between the counts.
  const batches = args.combos.map((combo) =>
    Array.from({ length: args.count }, (_, i) =>
      makeTcpPacket({
        src: combo.src,
        dst: combo.dst,
        srcPort: 20000 + i,
        dstPort: args.port,
        seq: random32(),
        flags: syn,
      }))
  );
  const fdBefore = openFdCount();
  const sent: number[] = [];
  args.combos.forEach((combo, i) => {
    const socket = RawSocket.open({
      family: combo.family,
      headerIncluded: combo.headerIncluded,
    });
    sent.push(socket.sendMany(batches[i]!, combo.dst));
    socket.close();
    socket.close(); // idempotent
  });
  const fdAfter = openFdCount();
  return { fdBefore, fdAfter, sent };
}

interface IcmpArgs {
  family: 4 | 6;
  src: string;
  dst: string;
  router: string;
}

async function icmp(args: IcmpArgs): Promise<
  {
    source: string;
    type: number;
    code: number;
    quotedPort: number;
    quotedSeq: number;
  } | null
> {
  using errors = RawSocket.open({
    family: args.family,
    protocol: args.family === 4 ? 1 : 58,
  });
  using socket = RawSocket.open({ family: args.family, headerIncluded: true });
  socket.send(
    makeTcpPacket({
      src: args.src,
      dst: args.dst,
      srcPort: 40100,
      dstPort: 7100,
      seq: 0x0badcafe,
      ttl: 1,
    }),
    args.dst,
  );
  const deadline = performance.now() + 3000;
  for (let round = 0; round < 100; round++) {
    const remaining = Math.ceil(deadline - performance.now());
    if (remaining <= 0) break;
    for (const reply of await errors.receive({ timeoutMs: remaining })) {
      if (reply.source !== args.router || reply.packet !== undefined) continue;
      // IPv4: IP header, then ICMP. IPv6: the rebuilt 40-byte header, then ICMPv6.
      const ipLength = args.family === 4 ? (reply.bytes[0]! & 0x0f) * 4 : 40;
      const message = reply.bytes.subarray(ipLength);
      // Only error messages (not neighbour discovery): ICMP 3 and 11, ICMPv6 1 and 3.
      const errorTypes = args.family === 4 ? [3, 11] : [1, 3];
      // The quoted packet: its IP header and at least 8 bytes of TCP.
      const minimum = 8 + (args.family === 4 ? 28 : 48);
      if (!errorTypes.includes(message[0]!) || message.length < minimum) {
        continue;
      }
      const quoted = message.subarray(8);
      const quotedIpLength = args.family === 4 ? (quoted[0]! & 0x0f) * 4 : 40;
      const tcp = new DataView(
        quoted.buffer,
        quoted.byteOffset + quotedIpLength,
      );
      if (tcp.getUint16(0) !== 40100) continue; // about another packet
      return {
        source: reply.source,
        type: message[0]!,
        code: message[1]!,
        quotedPort: tcp.getUint16(2),
        quotedSeq: tcp.getUint32(4),
      };
    }
  }
  return null;
}

if (import.meta.main) {
  await agentMain({ probe, converse, spoof, flood, icmp });
}

// ---------------------------------------------------------------------------
// Tests

function combos(net: TestNetwork): Combo[] {
  const list: Combo[] = [];
  for (const family of [4, 6] as const) {
    for (const headerIncluded of [false, true]) {
      list.push({
        family,
        headerIncluded,
        src: family === 4 ? net.a.ipv4 : net.a.ipv6,
        dst: family === 4 ? net.b.ipv4 : net.b.ipv6,
      });
    }
  }
  return list;
}

function label(r: ProbeResult): string {
  return `IPv${r.family} ${
    r.headerIncluded ? "header-included" : "kernel-header"
  } ${r.via} payload ${r.size} to port ${r.port}`;
}

function addressOf(host: Host, family: 4 | 6): string {
  return family === 4 ? host.ipv4 : host.ipv6;
}

/** Random payload sizes above 64 up to `max`, odd and even, and `max` itself. */
function randomSizes(max: number): number[] {
  const sizes = new Set<number>([max]);
  while (sizes.size < 7) {
    const size = 65 + (random32() % (max - 64));
    const odd = sizes.size % 2 === 1;
    sizes.add(odd ? size | 1 : size & ~1);
  }
  return [...sizes].filter((s) => s <= max);
}

const gate = netnsTestGate("/usr/bin/python3");

Deno.test({
  name:
    "RawSocket: a SYN draws a SYN-ACK from a listening port and a RST from a closed one (IPv4, IPv6, both modes, payload 0..64 and random sizes to the MTU)" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7000);
      try {
        const small = Array.from({ length: 65 }, (_, i) => i);
        const results: ProbeResult[] = [];
        for (const family of [4, 6] as const) {
          // 1500-byte MTU: 20 (IPv4) or 40 (IPv6) + 20 bytes of headers.
          const max = family === 4 ? 1460 : 1440;
          const sizes = [...small, ...randomSizes(max)];
          results.push(
            ...await net.agent<ProbeResult[]>(
              net.a,
              SELF,
              "probe",
              {
                combos: combos(net).filter((c) => c.family === family),
                openPort: 7000,
                closedPort: 7001,
                sizes,
                corruptWith: 0,
                waitMs: 5000,
                sportBase: family === 4 ? 30000 : 40000,
              } satisfies ProbeArgs,
            ),
          );
        }
        const problems: string[] = [];
        const tally = { synAck: 0, rst: 0 };
        for (const r of results) {
          const open = r.port === 7000;
          const reply = r.reply;
          const headerLength = r.headerIncluded
            ? (r.family === 4 ? 20 : 40)
            : 0;
          if (r.via === "send" && r.bytesSent !== headerLength + 20 + r.size) {
            problems.push(`${label(r)}: send() returned ${r.bytesSent}`);
          }
          if (reply === null) {
            problems.push(`${label(r)}: no reply`);
            continue;
          }
          const expectedFlags = open ? syn | ack : rst | ack;
          // A SYN-ACK acknowledges the SYN only; a RST acknowledges SYN and data.
          const expectedAck = (r.seq + 1 + (open ? 0 : r.size)) >>> 0;
          if (reply.flags !== expectedFlags || reply.ack !== expectedAck) {
            problems.push(
              `${label(r)}: flags 0x${
                reply.flags.toString(16)
              } ack ${reply.ack}, expected 0x${
                expectedFlags.toString(16)
              } ack ${expectedAck}`,
            );
          }
          if (
            reply.ipSrc !== addressOf(net.b, r.family) ||
            reply.ipDst !== addressOf(net.a, r.family) ||
            reply.srcPort !== r.port || reply.dstPort !== r.sport ||
            reply.ipVersion !== r.family
          ) {
            problems.push(
              `${label(r)}: reply addressed ${JSON.stringify(reply)}`,
            );
          }
          if (!reply.tcpChecksumOk || reply.ipChecksumOk === false) {
            problems.push(
              `${label(r)}: reply checksums wrong ${JSON.stringify(reply)}`,
            );
          }
          if (reply.headerReconstructed !== (r.family === 6)) {
            problems.push(
              `${label(r)}: headerReconstructed ${reply.headerReconstructed}`,
            );
          }
          if (open) tally.synAck++;
          else tally.rst++;
        }
        assert.deepEqual(problems, []);
        const perPort = results.length / 2;
        assert.ok(perPort >= 4 * 72, `only ${results.length} probes`);
        assert.deepEqual(tally, { synAck: perPort, rst: perPort });
        console.log(
          `${results.length} SYNs: ${tally.synAck} SYN-ACKs, ${tally.rst} RSTs, every ack and checksum as expected`,
        );
      } finally {
        await listener.close();
      }
    });
  },
});

Deno.test({
  name:
    "RawSocket: a SYN with a corrupted checksum draws nothing and TcpInCsumErrors rises by exactly the number sent" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7000);
      try {
        const sizes = [0, 1, 2, 3, 17];
        const before = await net.counters(net.b);
        const bad = await net.agent<ProbeResult[]>(
          net.a,
          SELF,
          "probe",
          {
            combos: combos(net),
            openPort: 7000,
            closedPort: null,
            sizes,
            corruptWith: 0x5a5a,
            waitMs: 1500,
            sportBase: 31000,
          } satisfies ProbeArgs,
        );
        const after = await net.counters(net.b);
        // Positive control: the same SYNs with the right checksum are answered.
        const good = await net.agent<ProbeResult[]>(
          net.a,
          SELF,
          "probe",
          {
            combos: combos(net),
            openPort: 7000,
            closedPort: null,
            sizes,
            corruptWith: 0,
            waitMs: 5000,
            sportBase: 32000,
          } satisfies ProbeArgs,
        );
        const final = await net.counters(net.b);
        assert.equal(bad.length, 4 * sizes.length);
        assert.deepEqual(
          bad.filter((r) => r.reply !== null).map(label),
          [],
          "corrupted SYNs were answered",
        );
        const delta = (
          a: Record<string, number>,
          b: Record<string, number>,
          key: string,
        ) => b[key]! - a[key]!;
        assert.equal(delta(before, after, "TcpInCsumErrors"), bad.length);
        assert.equal(delta(before, after, "TcpInErrs"), bad.length);
        assert.deepEqual(
          good.filter((r) => r.reply?.flags !== (syn | ack)).map(label),
          [],
          "right SYNs were not answered with SYN-ACK",
        );
        assert.equal(delta(after, final, "TcpInCsumErrors"), 0);
        console.log(
          `${bad.length} corrupted SYNs: no reply, TcpInCsumErrors +${
            delta(before, after, "TcpInCsumErrors")
          }; ${good.length} right ones: ${good.length} SYN-ACKs`,
        );
      } finally {
        await listener.close();
      }
    });
  },
});

const nftGate = netnsTestGate("/usr/bin/python3", "nft");

Deno.test({
  name:
    "RawSocket: a hand-made conversation (SYN, ACK, PSH+ACK, FIN) delivers its payload to a real accept() and read()" +
    nftGate.suffix,
  ignore: nftGate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7002, { readTimeoutMs: 8000 });
      try {
        // The local kernel knows nothing of our connection and would answer
        // the SYN-ACK with a RST: a narrow rule drops exactly those.
        await net.run(net.a, ["nft", "-f", "-"], {
          stdin: `table inet tcpcraft_test {
  chain output {
    type filter hook output priority 0; policy accept;
    tcp dport 7002 tcp flags & rst == rst drop
  }
}
`,
        });
        const runs = [
          { family: 4 as const, headerIncluded: false, sport: 45000 },
          { family: 6 as const, headerIncluded: true, sport: 46000 },
        ];
        for (const run of runs) {
          const payload = randomBytes(1000 + run.family);
          const result = await net.agent<ConverseResult>(
            net.a,
            SELF,
            "converse",
            {
              family: run.family,
              headerIncluded: run.headerIncluded,
              src: addressOf(net.a, run.family),
              dst: addressOf(net.b, run.family),
              port: 7002,
              sport: run.sport,
              payloadHex: toHex(payload),
            } satisfies ConverseArgs,
          );
          const what = `IPv${run.family} ${
            run.headerIncluded ? "header-included" : "kernel-header"
          }`;
          assert.ok(
            result.synAck !== null,
            `${what}: no SYN-ACK (${result.steps.join(", ")})`,
          );
          assert.ok(
            result.dataAcked,
            `${what}: data not ACKed (${result.steps.join(", ")})`,
          );
          assert.ok(
            result.finAcked,
            `${what}: FIN not ACKed (${result.steps.join(", ")})`,
          );
          const accepted = await listener.next(10000);
          assert.equal(accepted.peer, addressOf(net.a, run.family));
          assert.equal(accepted.port, run.sport);
          assert.ok(accepted.eof, `${what}: the server saw no FIN`);
          assert.deepEqual(accepted.data, payload);
          console.log(
            `${what}: ${
              result.steps.join(", ")
            }; server read ${accepted.data.length} bytes`,
          );
        }
        await net.run(net.a, [
          "nft",
          "delete",
          "table",
          "inet",
          "tcpcraft_test",
        ]);
        const { stdout } = await net.run(net.a, ["nft", "list", "ruleset"]);
        assert.ok(
          !stdout.includes("tcpcraft_test"),
          "the nft rule was not removed",
        );
      } finally {
        await listener.close();
      }
    });
  },
});

const dumpGate = netnsTestGate("tcpdump");

Deno.test({
  name:
    "RawSocket: header-included packets arrive with the spoofed source, TTL/hop limit, ID, TOS, DF and flow label as sent (tcpdump in the peer)" +
    dumpGate.suffix,
  ignore: dumpGate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const capture = await net.capture(
        net.b,
        net.b.ifaces[0]!,
        "tcp dst port 7003",
        {
          count: 2,
          timeoutMs: 10000,
        },
      );
      const result = await net.agent<{ sent: number[] }>(
        net.a,
        SELF,
        "spoof",
        {
          v4: { src: "10.200.0.99", dst: net.b.ipv4 },
          v6: { src: "fd00:200::99", dst: net.b.ipv6 },
          port: 7003,
        } satisfies SpoofArgs,
      );
      assert.deepEqual(result.sent, [40, 60]);
      const text = (await capture.result()).join("\n");
      assert.match(
        text,
        /IP \(tos 0x28, ttl 37, id 48879, offset 0, flags \[DF\], proto TCP \(6\), length 40\)\s+10\.200\.0\.99\.40004 > 10\.200\.0\.2\.7003: Flags \[S\], cksum 0x[0-9a-f]{4} \(correct\), seq 16909060, win 4321, length 0/,
      );
      assert.match(
        text,
        /IP6 \(class 0x28, flowlabel 0xabcde, hlim 37, next-header TCP \(6\) payload length: 20\) fd00:200::99\.40006 > fd00:200::2\.7003: Flags \[S\], cksum 0x[0-9a-f]{4} \(correct\), seq 84281096, win 4321, length 0/,
      );
      console.log(text);
    });
  },
});

Deno.test({
  name:
    "RawSocket: sendMany() delivers 1000 packets per call and close() leaves no file descriptor open" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const before = await net.counters(net.b);
      const all = combos(net).filter((c) =>
        c.family === 4 ? !c.headerIncluded : c.headerIncluded
      );
      const result = await net.agent<
        { fdBefore: number; fdAfter: number; sent: number[] }
      >(
        net.a,
        SELF,
        "flood",
        { combos: all, port: 7004, count: 1000 } satisfies FloodArgs,
      );
      const after = await net.counters(net.b);
      assert.deepEqual(result.sent, [1000, 1000]);
      assert.equal(result.fdAfter, result.fdBefore);
      // Port 7004 is closed: every SYN that arrives is counted and answered by a RST.
      assert.equal(after.TcpInSegs! - before.TcpInSegs!, 2000);
      assert.equal(after.TcpOutRsts! - before.TcpOutRsts!, 2000);
      assert.equal(after.TcpInCsumErrors! - before.TcpInCsumErrors!, 0);
      console.log(
        `2 x 1000 SYNs by sendMany: peer TcpInSegs +${
          after.TcpInSegs! - before.TcpInSegs!
        }, TcpOutRsts +${
          after.TcpOutRsts! - before.TcpOutRsts!
        }; open fds ${result.fdBefore} -> ${result.fdAfter}`,
      );
    });
  },
});

Deno.test({
  name:
    "RawSocket: ICMP and ICMPv6 sockets receive the time-exceeded message a router sends for a TTL 1 SYN (3 namespaces)" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const c = net.c!;
      for (const family of [4, 6] as const) {
        const result = await net.agent<
          {
            source: string;
            type: number;
            code: number;
            quotedPort: number;
            quotedSeq: number;
          } | null
        >(
          net.a,
          SELF,
          "icmp",
          {
            family,
            src: addressOf(net.a, family),
            dst: addressOf(c, family),
            router: addressOf(net.b, family),
          } satisfies IcmpArgs,
        );
        // ICMP time exceeded is type 11, ICMPv6 time exceeded type 3; code 0: TTL.
        assert.deepEqual(result, {
          source: addressOf(net.b, family),
          type: family === 4 ? 11 : 3,
          code: 0,
          quotedPort: 7100,
          quotedSeq: 0x0badcafe,
        });
      }
    }, { hosts: 3 });
  },
});

Deno.test("bsdIpv4HeaderOrder() swaps total length and fragment field to host order on little-endian hosts", () => {
  const datagram = encodePacket(
    makeTcpPacket({
      src: "192.0.2.1",
      dst: "192.0.2.2",
      dontFragment: true,
      id: 0x1234,
    }),
  );
  // 45 00 00 28 | 12 34 40 00 | ...
  const copy = datagram.slice();
  bsdIpv4HeaderOrder(copy, true);
  assert.deepEqual(
    copy.subarray(0, 8),
    new Uint8Array([0x45, 0x00, 0x28, 0x00, 0x12, 0x34, 0x00, 0x40]),
  );
  assert.deepEqual(copy.subarray(8), datagram.subarray(8));
  const big = datagram.slice();
  bsdIpv4HeaderOrder(big, false);
  assert.deepEqual(big, datagram);
  assert.throws(() => bsdIpv4HeaderOrder(new Uint8Array(7)), RangeError);
});

Deno.test({
  name: "RawSocket rejects a packet of the other family and use after close" +
    gate.suffix,
  ignore: gate.ignore,
  fn() {
    const socket = RawSocket.open({ family: 4 });
    try {
      const v6 = makeTcpPacket({ src: "::1", dst: "::1" });
      assert.throws(
        () => socket.send(v6, "127.0.0.1"),
        /the packet is IPv6 but the socket is IPv4/,
      );
      assert.throws(
        () => socket.send(new Uint8Array(20), "::1"),
        /Cannot parse IPv4 address "::1"/,
      );
      const spoofed = makeTcpPacket({ src: "127.0.0.9", dst: "127.0.0.1" });
      assert.throws(
        () => socket.send(spoofed, "127.0.0.1"),
        /source 127\.0\.0\.9 differs from 127\.0\.0\.1, the address the kernel writes; open the socket with headerIncluded/,
      );
    } finally {
      socket.close();
    }
    assert.ok(socket.closed);
    assert.throws(
      () => socket.send(new Uint8Array(20), "127.0.0.1"),
      (error: unknown) =>
        error instanceof SocketError && error.code === "EBADF" &&
        error.message ===
          "Cannot send packet to 127.0.0.1: the socket is closed",
    );
  },
});
