/**
 * The crafting options on the command line: what `build` prints for them,
 * what `send` and `probe` hand their engines (on fake networks), every bad
 * input refused with one line and exit 2 before anything is opened, the
 * text of fragments as tcpdump prints it, and the options in help and
 * shell completions.
 */

import assert from "node:assert/strict";
import { TCPDUMP } from "./_peers.ts";
import { answerSyn } from "./_fake_conversation.ts";
import {
  decodeIp,
  decodePacket,
  encodePacket,
  fragment,
  FragmentReassembler,
  makeTcpPacket,
  parseHex,
  verifyTcpSignature,
} from "../mod.ts";
import { completionScript } from "../src/cli/completions.ts";
import { formatPacketText } from "../src/cli/format.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import type {
  CliNet,
  CliRawSocket,
  CliReceivedPacket,
} from "../src/cli/host.ts";
import { COMMANDS, runCli } from "../src/cli/main.ts";

const META = { version: "test" };
const V4 = ["192.0.2.1", "--src", "192.0.2.42"];
const V6 = ["2001:db8::1", "--src", "2001:db8::2"];

async function build(args: string[]) {
  const host = createMemoryHost();
  const code = await runCli(["build", ...args], host, META);
  return { code, out: host.out, err: host.err };
}

/** Every bad input: the command line, then the start of its one line. */
const BAD: [string[], string][] = [
  [
    [...V4, "--frag", "12"],
    "--frag: 12 is not a multiple of 8 bytes of at least 8",
  ],
  [
    [...V4, "--frag", "4"],
    "--frag: 4 is not a multiple of 8 bytes of at least 8",
  ],
  [[...V4, "--frag", "8", "--df"], "--frag: the packet has DF set (--df)"],
  [[...V4, "--mtu", "100", "--df"], "--mtu: the packet has DF set (--df)"],
  [
    [...V4, "--frag-order", "reverse"],
    "--frag-order: needs --frag SIZE or --mtu BYTES",
  ],
  [
    [...V4, "--frag", "8", "--mtu", "100"],
    "--mtu: conflicts with --frag; give one",
  ],
  [[...V4, "--mtu", "27"], "--mtu: 27 bytes leave no room for 8 bytes of data"],
  [
    [...V4, "--frag", "8", "--frag-dup", "9"],
    "--frag-dup: there is no fragment 9: the datagram makes 3 fragments",
  ],
  [
    [...V4, "--frag", "8", "--frag-order", "1,5"],
    "--frag-order: there is no fragment 5",
  ],
  [
    [...V4, "--frag", "8", "--frag-order", "sideways"],
    '--frag-order: "sideways" is not in-order, reverse, random',
  ],
  [
    [...V4, "--frag", "8", "--frag-tiny", "3"],
    "--frag-tiny: 3 is not a multiple of 8",
  ],
  [
    [...V4, "--frag", "40", "--frag-overlap", "first"],
    "--frag-overlap: no decoy would arrive before the datagram is complete",
  ],
  [
    [...V4, "--frag", "8", "--frag-overlap", "middle"],
    '--frag-overlap: "middle" is not one of first, last',
  ],
  [[...V4, "--frag", "8", "--frag-id", "5"], "--frag-id: applies to IPv6 only"],
  [
    ["192.0.2.1", "--rand-source", "2001:db8::/32"],
    "--rand-source: 2001:db8::/32 is IPv6, but the destination is IPv4",
  ],
  [
    ["--rand-dest", "10.0.0.0/33", "--src", "10.0.0.1"],
    '--rand-dest: "10.0.0.0/33" is not a CIDR block',
  ],
  [
    ["192.0.2.1", "--src", "192.0.2.42", "--rand-dest", "2001:db8::/64"],
    "--rand-dest: 2001:db8::/64 is IPv6, but the destination is IPv4",
  ],
  [[...V4, "--rand-sport", "-s", "5"], "--rand-sport: conflicts with --sport"],
  [[...V6, "--rand-id"], "--rand-id: applies to IPv4 only"],
  [[...V4, "-p", "+80"], '--dport: "+80": hping3\'s +PORT steps on each reply'],
  [
    [...V4, "-p", "++80", "--dport-step", "2"],
    "--dport-step: conflicts with -p ++PORT",
  ],
  [[...V4, "--md5-key", ""], "--md5-key: the key is empty"],
  [
    [...V4, "--md5-key", "k".repeat(81)],
    "--md5-key: the key is 81 bytes, more than the 80 Linux takes",
  ],
  [[...V4, "--ao-key", "hex:"], "--ao-key: the key is empty"],
  [
    [...V4, "--ao-key", "k", "--ao-alg", "hmac-md5"],
    '--ao-alg: "hmac-md5" is not one of hmac-sha-1-96, aes-128-cmac-96',
  ],
  [[...V4, "--ao-key-id", "3"], "--ao-key-id: needs --ao-key KEY"],
  [
    [...V4, "--md5-key", "a", "--ao-key", "b"],
    "--ao-key: conflicts with --md5-key",
  ],
  [
    [...V4, "-f", "A", "--ao-key", "k"],
    "--ao-key: a segment without SYN needs --ao-isn LOCAL:REMOTE",
  ],
  [
    [...V4, "--ao-key", "k", "--ao-isn", "5"],
    '--ao-isn: "5" is not LOCAL:REMOTE',
  ],
  [[
    ...V4,
    "--md5-key",
    "k",
    "-o",
    "mss=1460",
    "-o",
    "ts=1:2",
    "-o",
    "wscale=7",
    "-o",
    "uto=5",
  ], "--md5-key: the signature's option and the -o options take 41 bytes"],
  [
    [...V4, "--ip-opt", "rr=9", "--ip-opt", "ra"],
    "--ip-opt: the options take 43 bytes, more than the 40 an IPv4 header holds",
  ],
  [
    [...V4, "--ip-opt", "lsrr=2001:db8::1"],
    '--ip-opt: "lsrr=2001:db8::1": "2001:db8::1" is not an IPv4 address',
  ],
  [[...V4, "--ip-opt", "bogus"], '--ip-opt: "bogus": unknown IPv4 option; use'],
  [
    [...V4, "--ip-opt", "ra", "--ip-options", "94040000"],
    "--ip-opt: conflicts with --ip-options; give one",
  ],
  [
    [...V6, "--ip-opt", "ra"],
    "--ip-opt: applies to IPv4 only, and TARGET 2001:db8::1 is IPv6",
  ],
  [
    [...V4, "--ext", "hbh=ra"],
    "--ext: applies to IPv6 only, and TARGET 192.0.2.1 is IPv4",
  ],
  [
    [...V6, "--ext", "rh0=192.0.2.1"],
    '--ext: "rh0=192.0.2.1": "192.0.2.1" is not an IPv6 address',
  ],
  [
    [...V6, "--ext", "dst=opt=fly/3"],
    '--ext: "dst=opt=fly/3": option action "fly" is not skip, discard, icmp or icmp-unicast',
  ],
  [
    [...V6, "--ext", "raw=60:0102"],
    '--ext: "raw=60:0102": raw data is 2 bytes; an extension header\'s is 6 + 8n',
  ],
  [
    [...V4, "-o", "mptcp=bogus"],
    '--option: "mptcp=bogus": unknown MPTCP subtype "bogus"',
  ],
  [
    [...V4, "-o", "edo=70000"],
    '--option: "edo=70000": edo header length "70000" is out of range',
  ],
];

Deno.test("build refuses every bad crafting input with one line naming the flag, exit 2, nothing printed", async () => {
  for (const [args, message] of BAD) {
    const { code, out, err } = await build(args);
    const label = args.join(" ");
    assert.equal(code, 2, `${label}: ${err}`);
    assert.equal(out, "", label);
    const lines = err.split("\n");
    assert.equal(lines.length, 3, `${label}: ${err}`);
    assert.ok(
      lines[0]!.startsWith(`tcpcraft build: ${message}`),
      `${label}:\n  got  ${lines[0]}\n  want tcpcraft build: ${message}`,
    );
  }
});

/** A fake network recording the sockets opened and the datagrams sent. */
function fakeNet() {
  const opened: { family: 4 | 6; headerIncluded?: boolean }[] = [];
  const calls: Uint8Array[][] = [];
  const host = createMemoryHost();
  const net: CliNet = {
    openRawSocket(options) {
      opened.push(options);
      const socket: CliRawSocket = {
        send(packet) {
          calls.push([packet.slice()]);
          return packet.length;
        },
        sendMany(packets) {
          calls.push(packets.map((p) => p.slice()));
          return packets.length;
        },
        receive: () => Promise.resolve([]),
        close() {},
      };
      return socket;
    },
    routeSource: (dst) => dst.includes(":") ? "2001:db8::2" : "192.0.2.42",
    resolveHost: (name) => Promise.resolve([name]),
    wallClock: () => 1000 + host.now(),
  };
  return { host: Object.assign(host, { net }), opened, calls };
}

Deno.test("send refuses bad crafting input before opening anything", async () => {
  const cases: [string[], RegExp][] = [
    [["192.0.2.1", "--frag", "12"], /--frag: 12 is not a multiple of 8/],
    [["192.0.2.1", "--frag", "8", "--df"], /--frag: the packet has DF set/],
    [["192.0.2.1", "--md5-key", ""], /--md5-key: the key is empty/],
    [
      ["192.0.2.1", "--ao-key", "k", "--ao-alg", "x"],
      /--ao-alg: "x" is not one of/,
    ],
    [
      ["192.0.2.1", "--ip-opt", "rr=9", "--ip-opt", "ra"],
      /--ip-opt: the options take 43 bytes/,
    ],
    [
      ["192.0.2.1", "--md5-key", "k", "--sport-step", "1", "-c", "2"],
      /--sport-step: steps are patched into one encoded packet/,
    ],
    [
      ["192.0.2.1", "--frag", "8", "--seq-step", "1", "-c", "2"],
      /--seq-step: steps are patched into one encoded packet, which --frag sends as fragments/,
    ],
  ];
  for (const [args, message] of cases) {
    const fake = fakeNet();
    const code = await runCli(["send", ...args], fake.host, META);
    assert.equal(code, 2, `${args}: ${fake.host.err}`);
    assert.match(fake.host.err, message);
    assert.equal(fake.host.err.split("\n").length, 3);
    assert.equal(fake.opened.length, 0, `${args}`);
    assert.equal(fake.calls.length, 0, `${args}`);
  }
});

Deno.test("send --frag hands the engine each packet's fragments together, header-included, with a fresh identification each run", async () => {
  const ids = new Set<number>();
  for (let run = 0; run < 3; run++) {
    const fake = fakeNet();
    const code = await runCli(
      ["send", "192.0.2.1:80", "-s", "1000", "--seq", "7", "--frag", "8", "-q"],
      fake.host,
      META,
    );
    assert.equal(code, 0, fake.host.err);
    assert.deepEqual(fake.opened, [{ family: 4, headerIncluded: true }]);
    assert.equal(fake.calls.length, 1, "one packet's fragments leave together");
    const [datagrams] = fake.calls;
    assert.equal(datagrams!.length, 3);
    const reassembler = new FragmentReassembler();
    const whole = datagrams!.map((d, i) => reassembler.add(d, i)).at(-1)!;
    const packet = decodePacket(whole.first);
    assert.equal(packet.tcp.srcPort, 1000);
    ids.add(packet.ip.version === 4 ? packet.ip.id : -1);
  }
  assert.ok(ids.size > 1, "the identification is drawn per run");

  const paced = fakeNet();
  assert.equal(
    await runCli(
      ["send", "2001:db8::1:80", "--frag", "8", "-c", "2", "-i", "10ms", "-q"],
      paced.host,
      META,
    ),
    0,
    paced.host.err,
  );
  assert.equal(paced.calls.flat().length, 6);
  assert.ok(
    paced.calls.flat().every((d) => decodeIp(d).fragment),
    "every datagram is an IPv6 fragment",
  );
});

Deno.test("send --md5-key sends a segment signed for the routed source", async () => {
  const fake = fakeNet();
  assert.equal(
    await runCli(
      ["send", "192.0.2.1:179", "--md5-key", "bgp", "-q"],
      fake.host,
      META,
    ),
    0,
    fake.host.err,
  );
  // Kernel mode: the socket is handed the TCP segment.
  assert.deepEqual(fake.opened, [{ family: 4, headerIncluded: false }]);
  const [[segment]] = fake.calls as [[Uint8Array]];
  assert.ok(
    verifyTcpSignature(segment, {
      kind: "md5",
      key: new TextEncoder().encode("bgp"),
    }, {
      src: "192.0.2.42",
      dst: "192.0.2.1",
    }),
  );
});

Deno.test("probe --frag --md5-key sends each probe as fragments of a signed SYN, and reads the SYN-ACK to the reassembled one", async () => {
  const host = createMemoryHost();
  const sent: Uint8Array[][] = [];
  const queue: CliReceivedPacket[] = [];
  const reassembler = new FragmentReassembler();
  const net: CliNet = {
    openRawSocket: () => {
      throw new Error("unused");
    },
    routeSource: () => "192.0.2.42",
    resolveHost: (name) => Promise.resolve([name]),
    wallClock: () => 1000 + host.now(),
    openReceiver: () => ({
      send: () => {
        throw new Error("a fragmented probe is sent with sendMany");
      },
      sendMany(packets) {
        sent.push(packets);
        for (const [i, bytes] of packets.entries()) {
          const done = reassembler.add(bytes, i);
          if (done === undefined) continue;
          const syn = decodePacket(done.first);
          const key = new TextEncoder().encode("ldp");
          assert.ok(
            verifyTcpSignature(done.first.subarray(20), { kind: "md5", key }, {
              src: syn.ip.src,
              dst: syn.ip.dst,
            }),
          );
          queue.push({
            bytes: answerSyn(syn, true),
            source: "192.0.2.1",
            receivedAt: 1000 + host.now() + 1,
          });
        }
        return packets.length;
      },
      async poll(timeoutMs) {
        if (queue.length === 0) await host.sleep(timeoutMs);
        return { tcp: queue.splice(0), icmp: [] };
      },
      close() {},
    }),
  };
  const code = await runCli(
    [
      "probe",
      "192.0.2.1:646",
      "-c",
      "2",
      "-i",
      "10ms",
      "--timeout",
      "50ms",
      "--md5-key",
      "ldp",
      "--frag",
      "16",
    ],
    Object.assign(host, { net, os: "linux" as const }),
    META,
  );
  assert.equal(code, 0, host.err);
  assert.equal(sent.length, 2);
  assert.ok(sent.every((fragments) => fragments.length === 3));
  assert.equal(
    host.out.split("\n").filter((l) => l.startsWith("len=")).length,
    2,
  );
});

Deno.test("build prints each fragment on a line, writes them to --pcap, and takes one random draw again with --seed", async () => {
  const text = await build([...V4, "--frag", "8", "--frag-order", "reverse"]);
  assert.equal(text.code, 0, text.err);
  assert.deepEqual(text.out.trimEnd().split("\n"), [
    "IP 192.0.2.42 > 192.0.2.1: ip-proto-6",
    "IP 192.0.2.42 > 192.0.2.1: ip-proto-6",
    "IP 192.0.2.42.20 > 192.0.2.1.80:  [|tcp]",
  ]);
  const seeded = [
    "--rand-source",
    "10.0.0.0/8",
    "--rand-seq",
    "--rand-sport",
    "--seed",
    "42",
  ];
  const a = await build(["192.0.2.1", ...seeded]);
  const b = await build(["192.0.2.1", ...seeded]);
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out, b.out);
  assert.match(
    a.out,
    /^IP 10\.\d+\.\d+\.\d+\.\d+ > 192\.0\.2\.1\.80: Flags \[S\], seq \d+, win 8192, length 0\n$/,
  );
  const dest = await build([
    "--rand-dest",
    "198.51.100.0/24",
    "--rand-source",
    "--seed",
    "1",
  ]);
  assert.match(
    dest.out,
    /^IP \d+\.\d+\.\d+\.\d+\.20 > 198\.51\.100\.\d+\.80: /,
  );
  const stepped = await build([...V4, "-p", "++8080"]);
  assert.match(stepped.out, /192\.0\.2\.1\.8080:/);
  const hex = await build([
    ...V6,
    "--frag",
    "8",
    "--format",
    "hex",
    "--frag-id",
    "7",
  ]);
  const fragments = hex.out.trimEnd().split("\n").map(parseHex);
  assert.deepEqual(
    fragments,
    fragment(makeTcpPacket({ src: "2001:db8::2", dst: "2001:db8::1" }), {
      size: 8,
      id: 7,
    }),
  );
});

Deno.test({
  name: "the text of fragments is the line tcpdump prints for them",
  ignore: !TCPDUMP,
  async fn() {
    const payload = new Uint8Array(30);
    const packets = [
      ...fragment(
        makeTcpPacket({
          src: "192.0.2.42",
          dst: "192.0.2.1",
          dstPort: 666,
          payload,
        }),
        { size: 16 },
      ),
      ...fragment(
        makeTcpPacket({
          src: "192.0.2.42",
          dst: "192.0.2.1",
          dstPort: 666,
          payload,
          options: [{ kind: "mss", value: 1460 }],
        }),
        { size: 32 },
      ),
      ...fragment(
        makeTcpPacket({
          src: "2001:db8::1",
          dst: "2001:db8::2",
          dstPort: 666,
          payload,
        }),
        { size: 24, id: 5 },
      ),
      ...fragment(
        makeTcpPacket({
          src: "2001:db8::1",
          dst: "2001:db8::2",
          dstPort: 666,
          payload,
        }),
        { size: 8, id: 6 },
      ),
    ];
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    try {
      const size = 24 + packets.reduce((n, p) => n + 16 + p.length, 0);
      const bytes = new Uint8Array(size);
      const view = new DataView(bytes.buffer);
      view.setUint32(0, 0xa1b2c3d4, true);
      view.setUint16(4, 2, true);
      view.setUint16(6, 4, true);
      view.setUint32(16, 65535, true);
      view.setUint32(20, 101, true);
      let at = 24;
      for (const p of packets) {
        view.setUint32(at + 8, p.length, true);
        view.setUint32(at + 12, p.length, true);
        bytes.set(p, at + 16);
        at += 16 + p.length;
      }
      await Deno.writeFile(path, bytes);
      const out = await new Deno.Command("tcpdump", {
        args: ["-nn", "-S", "-t", "-r", path],
        stdout: "piped",
        stderr: "null",
      }).output();
      const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
      assert.deepEqual(packets.map(formatPacketText), lines);
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test("help and shell completions list the crafting options", async () => {
  const options = [
    "--frag",
    "--mtu",
    "--frag-order",
    "--frag-overlap",
    "--frag-tiny",
    "--frag-dup",
    "--frag-drop-last",
    "--frag-raw",
    "--frag-id",
    "--ip-opt",
    "--ext",
    "--md5-key",
    "--ao-key",
    "--ao-key-id",
    "--ao-rnext-id",
    "--ao-alg",
    "--ao-isn",
    "--ao-sne",
    "--ao-exclude-options",
  ];
  const randoms = [
    "--rand-source",
    "--rand-dest",
    "--rand-sport",
    "--rand-dport",
    "--rand-seq",
    "--rand-ack",
    "--rand-id",
    "--dport-step",
    "--seed",
  ];
  for (const command of ["build", "send", "probe"]) {
    const host = createMemoryHost();
    assert.equal(await runCli([command, "--help"], host, META), 0);
    for (
      const option of [...options, ...(command === "build" ? randoms : [])]
    ) {
      assert.match(
        host.out,
        new RegExp(`${option}\\b`),
        `${command} ${option}`,
      );
    }
  }
  for (const shell of ["bash", "zsh", "fish"] as const) {
    const script = completionScript(shell, COMMANDS);
    for (const option of [...options, ...randoms]) {
      assert.ok(script.includes(option.slice(2)), `${shell} ${option}`);
    }
    assert.match(script, /hmac-sha-1-96/);
    assert.match(script, /maimon/);
  }
});

Deno.test("the options a signature and typed options give are in the packet that is encoded", () => {
  const bytes = encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    ipOptions: [{ kind: "routerAlert", value: 0 }],
  }));
  assert.equal(bytes[0], 0x46);
});
