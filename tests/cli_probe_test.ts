/**
 * `tcpcraft probe`: the command's logic against a fake network whose
 * answers and round-trip times are scripted (so the statistics are known
 * exactly), and the CLI judged by real kernels in namespaces: a listener's
 * SYN-ACKs, a closed port's RSTs, RTTs against tcpdump's timestamps, loss
 * when the peer's firewall drops every other probe, ICMP errors from a
 * peer that rejects.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readCaptureBytes, TCP_FLAGS } from "../mod.ts";
import { runCli } from "../src/cli/main.ts";
import { probeSourcePort, rttStatistics } from "../src/engine/conversation.ts";
import {
  answerIcmp,
  answerSyn,
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

// ---------------------------------------------------------------------------
// The logic, against a scripted network.

Deno.test("probe prints a line per SYN-ACK with options decoded, and exact statistics", async () => {
  const rtts = [0.5, 2, 1, 4];
  const fake = fakeConversation((sent, i) => ({
    bytes: answerSyn(sent, true),
    kind: "tcp",
    rttMs: rtts[i]!,
  }));
  const code = await runCli(
    ["probe", "192.0.2.1", "-p", "443", "-i", "100ms"],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  assert.equal(fake.host.err, "");
  const lines = fake.host.out.trimEnd().split("\n");
  assert.equal(lines.length, 4 + 3);
  for (const [i, line] of lines.slice(0, 4).entries()) {
    const sent = fake.sent[i]!;
    assert.equal(
      line,
      `len=48 ip=192.0.2.1 ttl=64 DF id=0 sport=443 dport=${sent.tcp.srcPort} flags=SA seq=287454020 ack=${
        (sent.tcp.seq + 1) >>> 0
      } win=64240 mss=1460 wscale=7 rtt=${rtts[i]!.toFixed(3)} ms`,
    );
  }
  assert.deepEqual(lines.slice(4), [
    "--- 192.0.2.1 tcpcraft statistics ---",
    "4 packets sent, 4 received, 0% loss",
    // sorted 0.5 1 2 4: p50 rank 2, p90 and p99 rank 4
    "rtt min/avg/max/p50/p90/p99 = 0.500/1.875/4.000/1.000/4.000/4.000 ms",
  ]);
  // One receiver, IP header written by tcpcraft, closed at the end.
  assert.deepEqual(fake.opened, [{
    family: 4,
    options: { headerIncluded: true },
  }]);
  assert.equal(fake.closed, 1);
  assert.equal(fake.handlers.size, 0);
});

Deno.test("probe numbers source ports up from a random base and gives each probe its own seq", async () => {
  const fake = fakeConversation(() => undefined);
  await runCli(
    ["probe", "192.0.2.1", "-c", "3", "-i", "10ms", "--timeout", "20ms"],
    fake.host,
    META,
  );
  const ports = fake.sent.map((p) => p.tcp.srcPort);
  assert.ok(ports[0]! >= 49152 && ports[0]! <= 65535);
  assert.deepEqual(ports, [0, 1, 2].map((i) => probeSourcePort(ports[0]!, i)));
  assert.equal(new Set(fake.sent.map((p) => p.tcp.seq)).size, 3);
  // Fixed -s and --seq are kept.
  const fixed = fakeConversation(() => undefined);
  await runCli(
    [
      "probe",
      "192.0.2.1",
      "-c",
      "2",
      "-s",
      "1234",
      "--seq",
      "99",
      "-i",
      "10ms",
      "--timeout",
      "10ms",
    ],
    fixed.host,
    META,
  );
  assert.deepEqual(fixed.sent.map((p) => [p.tcp.srcPort, p.tcp.seq]), [[
    1234,
    99,
  ], [1234, 99]]);
});

Deno.test("probe counts loss and prints no reply for every probe unanswered within --timeout", async () => {
  const fake = fakeConversation((sent, i) =>
    i % 2 === 0
      ? { bytes: answerSyn(sent, false), kind: "tcp", rttMs: 1 }
      : undefined
  );
  const code = await runCli(
    ["probe", "192.0.2.1", "-c", "10", "-i", "50ms", "--timeout", "300ms"],
    fake.host,
    META,
  );
  assert.equal(code, 0);
  const lines = fake.host.out.trimEnd().split("\n");
  const noReply = lines.filter((l) => l.startsWith("no reply"));
  assert.equal(noReply.length, 5);
  assert.equal(
    noReply[0],
    `no reply to sport=${fake.sent[1]!.tcp.srcPort} seq=${
      fake.sent[1]!.tcp.seq
    } within 300 ms`,
  );
  assert.equal(lines.filter((l) => / flags=RA /.test(l)).length, 5);
  assert.equal(lines.at(-2), "10 packets sent, 5 received, 50% loss");
  // A reply after the timeout is not counted: the probe was reported lost.
  const late = fakeConversation((sent) => ({
    bytes: answerSyn(sent, true),
    kind: "tcp",
    rttMs: 500,
  }));
  const lateCode = await runCli(
    ["probe", "192.0.2.1", "-c", "2", "-i", "100ms", "--timeout", "200ms"],
    late.host,
    META,
  );
  assert.equal(lateCode, 1);
  assert.match(late.host.out, /2 packets sent, 0 received, 100% loss\n$/);
});

Deno.test("probe shows ICMP errors as such, counts them apart and exits 1 without a TCP reply", async () => {
  const fake = fakeConversation((sent) => ({
    bytes: answerIcmp(sent, "192.0.2.254", 3, 13),
    kind: "icmp",
    rttMs: 0.25,
  }));
  const code = await runCli(
    ["probe", "192.0.2.1", "-c", "2", "-i", "10ms"],
    fake.host,
    META,
  );
  assert.equal(code, 1);
  const lines = fake.host.out.trimEnd().split("\n");
  assert.equal(
    lines[0],
    `ICMP administratively prohibited from 192.0.2.254: ttl=64 dport=${
      fake.sent[0]!.tcp.srcPort
    } rtt=0.250 ms`,
  );
  assert.equal(
    lines.at(-1),
    "2 packets sent, 0 received, +2 ICMP errors, 100% loss",
  );
  const six = fakeConversation((sent) => ({
    bytes: answerIcmp(sent, "2001:db8::fe", 3, 0),
    kind: "icmp",
    rttMs: 1,
  }));
  await runCli(["probe", "2001:db8::1", "-c", "1"], six.host, META);
  assert.match(
    six.host.out,
    /^ICMPv6 hop limit exceeded in transit from 2001:db8::fe: hlim=64 dport=\d+ rtt=1\.000 ms\n/,
  );
});

Deno.test("probe ignores replies that answer no probe: wrong ack, wrong port, another host", async () => {
  const fake = fakeConversation((sent) => {
    const good = answerSyn(sent, true);
    const wrongAck = good.slice();
    wrongAck[31] = wrongAck[31]! ^ 1; // the ack's last byte
    const other = answerSyn(
      { ...sent, ip: { ...sent.ip, dst: "192.0.2.9" } },
      true,
    );
    const port = answerSyn(
      { ...sent, tcp: { ...sent.tcp, dstPort: 444 } },
      true,
    );
    return [wrongAck, other, port].map((bytes) => ({
      bytes,
      kind: "tcp" as const,
      rttMs: 1,
    }));
  });
  const code = await runCli(
    ["probe", "192.0.2.1", "-p", "443", "-c", "1", "--timeout", "100ms"],
    fake.host,
    META,
  );
  assert.equal(code, 1);
  assert.match(fake.host.out, /^no reply to sport=\d+ seq=\d+ within 100 ms\n/);
});

Deno.test("probe --count 0 runs until Ctrl-C, then prints the summary", async () => {
  const fake = fakeConversation(
    (sent) => ({ bytes: answerSyn(sent, true), kind: "tcp", rttMs: 3 }),
    { interruptAfter: 7 },
  );
  const code = await runCli(
    ["probe", "192.0.2.1", "-c", "0", "-i", "10ms"],
    fake.host,
    META,
  );
  assert.equal(code, 0);
  assert.equal(fake.sent.length, 7);
  const lines = fake.host.out.trimEnd().split("\n");
  // The 7th probe was sent when Ctrl-C came: sent, not answered.
  assert.equal(
    lines.at(-2),
    "7 packets sent, 6 received, 14.3% loss, interrupted",
  );
  assert.equal(fake.closed, 1);
  assert.equal(fake.handlers.size, 0);
});

Deno.test("probe --format ndjson writes one object per event and the summary; json one document", async () => {
  const fake = fakeConversation((sent, i) =>
    i === 0
      ? { bytes: answerSyn(sent, true), kind: "tcp", rttMs: 2 }
      : undefined
  );
  await runCli(
    [
      "probe",
      "192.0.2.1",
      "-c",
      "2",
      "-i",
      "10ms",
      "--timeout",
      "50ms",
      "--format",
      "ndjson",
    ],
    fake.host,
    META,
  );
  const events = fake.host.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.event), ["reply", "timeout", "summary"]);
  assert.equal(events[0].rttMs, 2);
  assert.equal(events[0].flags, "SA");
  assert.equal(events[0].packet.tcp.options[0].value, 1460);
  assert.equal(events[2].lossPercent, 50);
  assert.deepEqual(events[2].rtt, {
    count: 1,
    min: 2,
    avg: 2,
    max: 2,
    p50: 2,
    p90: 2,
    p99: 2,
  });
  const whole = fakeConversation((sent) => ({
    bytes: answerSyn(sent, false),
    kind: "tcp",
    rttMs: 1,
  }));
  await runCli(
    ["probe", "192.0.2.1", "-c", "1", "--format", "json"],
    whole.host,
    META,
  );
  const document = JSON.parse(whole.host.out);
  assert.equal(document.target, "192.0.2.1");
  assert.equal(document.events[0].flags, "RA");
  assert.equal(document.summary.received, 1);
});

Deno.test("probe with ACK flags gives each probe a random ack, which a RST echoes as its seq", async () => {
  // A RST without ACK whose seq is the probe's ack (RFC 9293).
  const rst = fakeConversation((sent) => {
    const bytes = answerSyn(sent, false);
    const view = new DataView(bytes.buffer);
    view.setUint32(24, sent.tcp.ack); // seq := probe's ack
    view.setUint32(28, 0);
    bytes[33] = TCP_FLAGS.rst;
    return { bytes, kind: "tcp", rttMs: 1 };
  });
  await runCli(
    ["probe", "192.0.2.1", "-f", "A", "-c", "2", "-i", "10ms"],
    rst.host,
    META,
  );
  assert.notEqual(rst.sent[0]!.tcp.ack, rst.sent[1]!.tcp.ack);
  assert.match(
    rst.host.out,
    /flags=R seq=\d+ ack=0 win=0 rtt=1\.000 ms\n.*flags=R /,
  );
  assert.match(rst.host.out, /2 packets sent, 2 received, 0% loss/);
});

Deno.test("probe --pcap records each probe sent and each reply received, with their times", async () => {
  const fake = fakeConversation((sent, i) =>
    i === 0
      ? { bytes: answerSyn(sent, true), kind: "tcp", rttMs: 1.5 }
      : undefined
  );
  const code = await runCli(
    [
      "probe",
      "192.0.2.1",
      "-c",
      "2",
      "-i",
      "10ms",
      "--timeout",
      "20ms",
      "--pcap",
      "out.pcapng",
    ],
    fake.host,
    META,
  );
  assert.equal(code, 0, fake.host.err);
  const { records, error } = readCaptureBytes(
    await fake.host.readFile("out.pcapng"),
  );
  assert.equal(error, undefined);
  assert.deepEqual(records.map((r) => [r.comment, r.direction]), [
    ["sent: probe 1", "outbound"],
    ["received: reply to probe 1", "inbound"],
    ["sent: probe 2", "outbound"],
  ]);
  const ms = (r: (typeof records)[number]) =>
    r.timestamp.seconds * 1000 + r.timestamp.nanoseconds / 1e6;
  assert.ok(Math.abs(ms(records[1]!) - ms(records[0]!) - 1.5) < 1e-3);
  assert.equal(records[0]!.data[33], TCP_FLAGS.syn);
});

Deno.test("probe refuses bad input with exit 2 before opening anything", async () => {
  for (
    const args of [
      ["probe"],
      ["probe", "192.0.2.1", "--count", "-1"],
      ["probe", "192.0.2.1", "--timeout", "0"],
      ["probe", "192.0.2.1", "-i", "soon"],
      ["probe", "192.0.2.1", "--format", "hex"],
      ["probe", "192.0.2.1", "-6"],
      ["probe", "192.0.2.1", "--hop-limit", "3"],
    ]
  ) {
    const fake = fakeConversation(() => undefined);
    const code = await runCli(args, fake.host, META);
    assert.equal(code, 2, `${args.join(" ")}: ${fake.host.err}`);
    assert.deepEqual(fake.opened, [], args.join(" "));
  }
});

Deno.test("probe draws --rand-sport, --rand-dport, --rand-ack and --rand-id per probe, matches the replies from the drawn ports, and --seed repeats the probes", async () => {
  const run = async (seed: string) => {
    const fake = fakeConversation((sent) => ({
      bytes: answerSyn(sent, false),
      kind: "tcp",
      rttMs: 1,
    }));
    const code = await runCli(
      [
        "probe",
        "192.0.2.1",
        "-c",
        "20",
        "-i",
        "10ms",
        "--rand-sport",
        "--rand-dport",
        "--rand-ack",
        "--rand-id",
        "--seed",
        seed,
      ],
      fake.host,
      META,
    );
    assert.equal(code, 0, fake.host.err);
    assert.match(fake.host.out, /20 packets sent, 20 received, 0% loss/);
    return fake.sent.map((p) => [
      p.tcp.srcPort,
      p.tcp.dstPort,
      p.tcp.seq,
      p.tcp.ack,
      p.ip.version === 4 ? p.ip.id : -1,
    ]);
  };
  const a = await run("11");
  assert.deepEqual(await run("11"), a);
  const b = await run("12");
  assert.ok(a.every((fields, i) => fields.every((v, j) => v !== b[i]![j])));
  for (const [column, min] of [[0, 1024], [1, 1], [4, 0]]) {
    const values = a.map((fields) => fields[column!]!);
    assert.ok(values.every((v) => v >= min! && v <= 65535), `${values}`);
    assert.ok(new Set(values).size >= 18, `column ${column}: ${values}`);
  }
  assert.equal(new Set(a.map((fields) => fields[3])).size, 20);
});

Deno.test("probe -p ++N and --dport-step N step the destination port per probe", async () => {
  for (
    const [args, ports] of [
      [["-p", "++8000"], [8000, 8001, 8002]],
      [["-p", "8000", "--dport-step", "-10"], [8000, 7990, 7980]],
      [["--dport-step", "3"], [80, 83, 86]],
    ] as const
  ) {
    const fake = fakeConversation((sent) => ({
      bytes: answerSyn(sent, true),
      kind: "tcp",
      rttMs: 1,
    }));
    const code = await runCli(
      ["probe", "192.0.2.1", "-c", "3", "-i", "10ms", ...args],
      fake.host,
      META,
    );
    assert.equal(code, 0, fake.host.err);
    assert.deepEqual(fake.sent.map((p) => p.tcp.dstPort), ports);
    assert.match(fake.host.out, /3 packets sent, 3 received/);
  }
});

Deno.test("probe refuses --rand-source and --rand-dest, and random fields with their fixed options, in one line with exit 2", async () => {
  const bad: [string[], string][] = [
    [
      ["192.0.2.1", "--rand-source", "10.0.0.0/8"],
      "--rand-source: replies to a drawn source address go to that address, not back to probe; send --rand-source sends without waiting for them",
    ],
    [
      ["192.0.2.1", "--rand-source"],
      "--rand-source: replies to a drawn source address go to that address, not back to probe; send --rand-source sends without waiting for them",
    ],
    [
      ["192.0.2.1", "--rand-dest", "10.0.0.0/8"],
      "--rand-dest: probe talks to one TARGET; scan probes many (tcpcraft scan CIDR), send --rand-dest sends to drawn ones",
    ],
    [
      ["192.0.2.1", "--rand-sport", "-s", "9"],
      "--rand-sport: conflicts with --sport; give one",
    ],
    [
      ["192.0.2.1", "--rand-seq", "--seq", "9"],
      "--rand-seq: conflicts with --seq; give one",
    ],
    [
      ["192.0.2.1", "-p", "++80", "--dport-step", "2"],
      "--dport-step: conflicts with -p ++PORT; give one",
    ],
    [
      ["192.0.2.1", "-p", "+80"],
      '--dport: "+80": hping3\'s +PORT steps on each reply, which probe does not do; use ++PORT (one more per packet) or a port',
    ],
    [
      ["2001:db8::1", "--rand-id"],
      "--rand-id: applies to IPv4 only, and the destination is IPv6",
    ],
    [
      ["192.0.2.1:22", "--rand-dport"],
      "--rand-dport: conflicts with the port in TARGET 192.0.2.1:22; give one",
    ],
  ];
  for (const [args, message] of bad) {
    const fake = fakeConversation(() => undefined);
    const code = await runCli(["probe", ...args], fake.host, META);
    assert.equal(code, 2, `${args}: ${fake.host.err}`);
    assert.equal(
      fake.host.err,
      `tcpcraft probe: ${message}\nTry 'tcpcraft probe --help'.\n`,
    );
    assert.deepEqual(fake.opened, [], args.join(" "));
  }
  // The help's options list what probe draws, not what it refuses; its
  // description says why it refuses them.
  const help = fakeConversation(() => undefined);
  assert.equal(await runCli(["probe", "--help"], help.host, META), 0);
  for (
    const option of ["--rand-sport", "--rand-dport", "--rand-id", "--seed"]
  ) {
    assert.match(help.host.out, new RegExp(`${option}\\b`));
  }
  const options = help.host.out.slice(help.host.out.indexOf("OPTIONS:"));
  assert.doesNotMatch(options, /--rand-source|--rand-dest/);
  assert.match(help.host.out, /--rand-source and --rand-dest are\nrefused/);
});

// ---------------------------------------------------------------------------
// Namespace tests: the CLI in namespace a, the peer's kernel in b.

/** Run `tcpcraft <args>` inside a namespace as root with --allow-ffi. */
function cliIn(
  net: TestNetwork,
  host: Host,
  args: string[],
  timeoutMs = 30000,
) {
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
  ], { check: false, timeoutMs });
}

async function nft(net: TestNetwork, host: Host, rules: string) {
  await net.run(host, ["nft", "-f", "-"], { stdin: rules });
}

const gate = netnsTestGate("/usr/bin/python3", "tcpdump", "nft");

Deno.test({
  name:
    "probe (namespaces): SYN-ACKs from a listener with MSS and window scale decoded, RSTs from a closed port, over IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7300, { lifetimeMs: 30000 });
      try {
        for (const dst of [net.b.ipv4, `[${net.b.ipv6}]`]) {
          const open = await cliIn(net, net.a, [
            "probe",
            `${dst}:7300`,
            "-c",
            "3",
            "-i",
            "100ms",
            "-o",
            "mss=1400",
            "-o",
            "sackok",
            "-o",
            "nop",
            "-o",
            "wscale=7",
          ]);
          assert.equal(open.code, 0, open.stderr);
          const lines = open.stdout.trimEnd().split("\n");
          const replies = lines.filter((l) => l.startsWith("len="));
          assert.equal(replies.length, 3, open.stdout);
          for (const line of replies) {
            // Linux answers a SYN with MSS, SACK permitted and window scale.
            assert.match(
              line,
              /^len=\d+ ip=\S+ (ttl|hlim)=64 .*sport=7300 dport=\d+ flags=SA seq=\d+ ack=\d+ win=\d+ mss=\d+ sackOK wscale=\d+ rtt=\d+\.\d{3} ms$/,
            );
          }
          assert.equal(lines.at(-2), "3 packets sent, 3 received, 0% loss");
          assert.match(
            lines.at(-1)!,
            /^rtt min\/avg\/max\/p50\/p90\/p99 = [\d.\/]+ ms$/,
          );

          const closed = await cliIn(net, net.a, [
            "probe",
            `${dst}:7399`,
            "-c",
            "2",
            "-i",
            "100ms",
          ]);
          assert.equal(closed.code, 0, closed.stderr);
          const rsts = closed.stdout.split("\n").filter((l) =>
            l.startsWith("len=")
          );
          assert.equal(rsts.length, 2);
          for (const line of rsts) {
            assert.match(line, / sport=7399 .* flags=RA seq=0 /);
          }
        }
      } finally {
        await listener.close();
      }
    });
  },
});

/** tcpdump -nn -vv records joined, with the time of day in seconds. */
function parseTimedDump(lines: string[]): { time: number; text: string }[] {
  const records: string[] = [];
  for (const line of lines) {
    if (/^\s/.test(line) && records.length > 0) {
      records[records.length - 1] += ` ${line.trim()}`;
    } else records.push(line);
  }
  return records.map((text) => {
    const m = /^(\d\d):(\d\d):(\d\d\.\d+) /.exec(text);
    assert.ok(m !== null, text);
    return {
      time: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]),
      text,
    };
  });
}

Deno.test({
  name:
    "probe (namespaces): per-probe RTTs and the summary agree with tcpdump's timestamps (SYN out to SYN-ACK in) within a gross tolerance" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7301, { lifetimeMs: 30000 });
      try {
        const count = 8;
        const capture = await net.capture(
          net.a,
          net.a.ifaces[0]!,
          "tcp port 7301 and tcp[13] & 2 != 0",
          { count: 2 * count, timeoutMs: 15000 },
        );
        const run = await cliIn(net, net.a, [
          "probe",
          `${net.b.ipv4}:7301`,
          "-c",
          String(count),
          "-i",
          "100ms",
          "--format",
          "json",
        ]);
        assert.equal(run.code, 0, run.stderr);
        const document = JSON.parse(run.stdout);
        const dump = parseTimedDump(await capture.result());
        assert.equal(
          dump.length,
          2 * count,
          dump.map((d) => d.text).join("\n"),
        );
        const ours: number[] = [];
        const theirs: number[] = [];
        for (const event of document.events) {
          assert.equal(event.event, "reply");
          const out = dump.find((d) =>
            d.text.includes(`.${event.sport} > ${net.b.ipv4}.7301: Flags [S]`)
          );
          const back = dump.find((d) =>
            d.text.includes(
              `${net.b.ipv4}.7301 > ${net.a.ipv4}.${event.sport}: Flags [S.]`,
            )
          );
          assert.ok(
            out !== undefined && back !== undefined,
            `sport ${event.sport}`,
          );
          let captured = (back.time - out.time) * 1000;
          if (captured < -43_200_000) captured += 86_400_000; // midnight
          ours.push(event.rttMs);
          theirs.push(captured);
          // Ours starts before the send system call; tcpdump sees the SYN
          // leave a little later. Gross bound: the machine is noisy.
          assert.ok(
            Math.abs(event.rttMs - captured) < 5,
            `probe ${event.probe}: ours ${event.rttMs} ms, capture ${captured} ms`,
          );
        }
        const summary = document.summary.rtt;
        const expected = rttStatistics(ours)!;
        assert.deepEqual(summary, { ...expected });
        const captured = rttStatistics(theirs)!;
        assert.ok(Math.abs(summary.avg - captured.avg) < 5);
        console.log(
          `RTT avg: ours ${summary.avg.toFixed(3)} ms, tcpdump ${
            captured.avg.toFixed(3)
          } ms; ` +
            `max difference ${
              Math.max(...ours.map((o, i) => Math.abs(o - theirs[i]!))).toFixed(
                3,
              )
            } ms`,
        );
      } finally {
        await listener.close();
      }
    });
  },
});

Deno.test({
  name:
    "probe (namespaces): a peer that drops every other SYN gives exactly 50% loss over 10 probes" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, 7302, { lifetimeMs: 30000 });
      try {
        await nft(
          net,
          net.b,
          `table inet tcpcraft_test {
            chain input {
              type filter hook input priority 0;
              tcp dport 7302 tcp flags & (syn | ack) == syn numgen inc mod 2 == 1 drop
            }
          }`,
        );
        const run = await cliIn(net, net.a, [
          "probe",
          `${net.b.ipv4}:7302`,
          "-c",
          "10",
          "-i",
          "100ms",
          "--timeout",
          "400ms",
        ]);
        assert.equal(run.code, 0, run.stderr);
        const lines = run.stdout.trimEnd().split("\n");
        assert.equal(
          lines.filter((l) => l.startsWith("len=")).length,
          5,
          run.stdout,
        );
        assert.equal(
          lines.filter((l) => l.startsWith("no reply")).length,
          5,
          run.stdout,
        );
        assert.equal(lines.at(-2), "10 packets sent, 5 received, 50% loss");
      } finally {
        await listener.close();
      }
    });
  },
});

Deno.test({
  name:
    "probe (namespaces): a peer that rejects with ICMP administratively prohibited is shown as such, IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      await nft(
        net,
        net.b,
        `table inet tcpcraft_test {
          chain input {
            type filter hook input priority 0;
            tcp dport 7303 reject with icmpx type admin-prohibited
          }
        }`,
      );
      for (
        const [dst, from, word] of [
          [net.b.ipv4, net.b.ipv4, "ICMP"],
          [`[${net.b.ipv6}]`, net.b.ipv6, "ICMPv6"],
        ] as const
      ) {
        const run = await cliIn(net, net.a, [
          "probe",
          `${dst}:7303`,
          "-c",
          "2",
          "-i",
          "100ms",
        ]);
        assert.equal(run.code, 1, run.stderr);
        const lines = run.stdout.trimEnd().split("\n");
        for (const line of lines.slice(0, 2)) {
          assert.match(
            line,
            new RegExp(
              `^${word} administratively prohibited from ${from}: (ttl|hlim)=64 dport=\\d+ rtt=[\\d.]+ ms$`,
            ),
          );
        }
        assert.equal(
          lines.at(-1),
          "2 packets sent, 0 received, +2 ICMP errors, 100% loss",
        );
      }
    });
  },
});

Deno.test({
  name:
    "probe (namespaces): -p ++N --rand-sport --rand-id --seed: each probe to the next port from a drawn source port, each RST matched to its probe" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const args = [
        "probe",
        `${net.b.ipv4}`,
        "-p",
        "++7400",
        "-c",
        "4",
        "-i",
        "50ms",
        "--rand-sport",
        "--rand-id",
        "--seed",
        "3",
      ];
      const first = await cliIn(net, net.a, args);
      assert.equal(first.code, 0, first.stderr);
      const replies = first.stdout.split("\n").filter((l) =>
        l.startsWith("len=")
      );
      assert.equal(replies.length, 4, first.stdout);
      const sports = replies.map((line, i) => {
        const m = / sport=(\d+) dport=(\d+) flags=RA /.exec(line);
        assert.ok(m !== null, line);
        assert.equal(Number(m[1]), 7400 + i);
        return Number(m[2]);
      });
      assert.ok(sports.every((p) => p >= 1024), `${sports}`);
      assert.equal(new Set(sports).size, 4);
      // The same seed: the same source ports again.
      const again = await cliIn(net, net.a, args);
      assert.deepEqual(
        again.stdout.split("\n").filter((l) => l.startsWith("len=")).map((
          l,
        ) => / dport=(\d+) /.exec(l)![1]),
        sports.map(String),
      );
    });
  },
});
