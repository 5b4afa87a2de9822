/**
 * Tests for src/filter/: typed filters compiled to classic BPF, judged by
 * tcpdump (libpcap), which decides which packets of a capture an
 * expression takes:
 *
 * - the interpreter runs tcpdump's own programs (`tcpdump -ddd`) and keeps
 *   exactly the packets tcpdump keeps;
 * - the listing of tcpdump's programs is `tcpdump -d`'s, byte for byte;
 * - for seeded random typed filters, the compiled program, the JavaScript
 *   evaluation and tcpdump running the filter's pcap-filter expression keep
 *   the same packets of a corpus that has both families, ports, flags,
 *   ICMP, UDP, IPv4 options, fragments, extension headers and packets cut
 *   short.
 */

import assert from "node:assert/strict";
import {
  BPF,
  BPF_ACCEPT,
  type BpfInstruction,
  compilePacketFilter,
  encodeBpf,
  encodeIpv4Header,
  encodePacket,
  type FlagMatch,
  formatBpf,
  makeTcpPacket,
  matchPacketFilter,
  type PacketFilter,
  PcapWriter,
  runBpf,
  tcpdumpFilterExpression,
  validateBpf,
} from "../mod.ts";
import { commandExists } from "./_netns.ts";
import { seededRandom } from "./_fixtures.ts";

const SKIP = commandExists("tcpdump")
  ? undefined
  : "tcpdump is missing (apt-get install tcpdump)";

/** The packets every comparison runs on. */
function corpus(): { bytes: Uint8Array; original: number }[] {
  const packets: { bytes: Uint8Array; original: number }[] = [];
  const add = (bytes: Uint8Array, cut?: number) =>
    packets.push({
      bytes: cut === undefined ? bytes : bytes.subarray(0, cut),
      original: bytes.length,
    });
  const v4 = ["192.0.2.1", "192.0.2.77", "198.51.100.9", "10.1.2.3"];
  const v6 = ["2001:db8::1", "2001:db8::ff", "2001:db8:1::7", "fe80::1"];
  const ports = [20, 22, 80, 443, 1023, 8080, 49152, 65535];
  const flags = [0x02, 0x12, 0x10, 0x04, 0x14, 0x11, 0x29, 0x00, 0x1ff, 0x18];
  let n = 0;
  for (const family of [v4, v6]) {
    for (const src of family) {
      for (const dst of family) {
        if (src === dst) continue;
        const sp = ports[n % ports.length]!;
        const dp = ports[(n * 3 + 1) % ports.length]!;
        const f = flags[n % flags.length]!;
        n++;
        add(encodePacket(makeTcpPacket({
          src,
          dst,
          srcPort: sp,
          dstPort: dp,
          flags: f,
          payload: new Uint8Array(n % 3),
        })));
      }
    }
  }
  // IPv4 with options (IHL 7): ports further in.
  const withOptions = encodePacket({
    ...makeTcpPacket({ src: v4[0]!, dst: v4[1]!, srcPort: 443, dstPort: 22 }),
  });
  const options = new Uint8Array([1, 1, 1, 1, 7, 7, 4, 0, 0, 0, 0, 0]);
  const header = encodeIpv4Header(
    {
      version: 4,
      tos: 0,
      id: 9,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: v4[0]!,
      dst: v4[1]!,
      options,
    },
    { payloadLength: withOptions.length - 20 },
  );
  add(new Uint8Array([...header, ...withOptions.subarray(20)]));
  // A later IPv4 fragment: no ports in it.
  const later = encodePacket(makeTcpPacket({
    src: v4[2]!,
    dst: v4[0]!,
    srcPort: 80,
    dstPort: 80,
    flags: 0x12,
  }));
  later[6] = 0x00;
  later[7] = 0x10; // fragment offset 16 (128 bytes)
  add(later);
  // ICMP, ICMPv6 and UDP headers with TCP-like bytes after them.
  for (
    const [src, dst, proto] of [[v4[1]!, v4[0]!, 1], [
      v4[3]!,
      v4[0]!,
      17,
    ]] as const
  ) {
    const bytes = encodePacket(
      makeTcpPacket({ src, dst, srcPort: 80, dstPort: 80 }),
    );
    bytes[9] = proto;
    add(bytes);
  }
  const icmp6 = encodePacket(
    makeTcpPacket({ src: v6[1]!, dst: v6[0]!, srcPort: 80 }),
  );
  icmp6[6] = 58;
  add(icmp6);
  // IPv6 with a hop-by-hop header before TCP: not "next header 6".
  const hop = encodePacket(
    makeTcpPacket({ src: v6[0]!, dst: v6[2]!, dstPort: 80 }),
  );
  hop[6] = 0;
  add(hop);
  // Cut short: inside the addresses, the ports, the flags.
  const full = encodePacket(makeTcpPacket({
    src: v4[0]!,
    dst: v4[1]!,
    srcPort: 80,
    dstPort: 443,
    flags: 0x12,
  }));
  for (const cut of [1, 9, 14, 18, 21, 23, 33]) add(full, cut);
  const full6 = encodePacket(makeTcpPacket({
    src: v6[0]!,
    dst: v6[1]!,
    srcPort: 80,
    dstPort: 443,
    flags: 0x12,
  }));
  for (const cut of [7, 12, 30, 41, 43, 53]) add(full6, cut);
  // Not IP at all.
  add(new Uint8Array([0x50, 1, 2, 3]));
  return packets;
}

const CORPUS = corpus();
/** The packets of the corpus cut short of their original length. */
const CUT = new Set(
  CORPUS.flatMap((packet, i) =>
    packet.bytes.length !== packet.original ? [i] : []
  ),
);

/** The capture tcpdump reads: packet i at second i + 1 of the epoch. */
function writeCorpus(dir: string): string {
  const writer = new PcapWriter({ linkType: 101 });
  const parts = [writer.header()];
  CORPUS.forEach((packet, i) =>
    parts.push(writer.packet(packet.bytes, {
      timestamp: (i + 1) * 1000,
      originalLength: packet.original,
    }))
  );
  const path = `${dir}/corpus.pcap`;
  Deno.writeFileSync(path, new Uint8Array(parts.flatMap((p) => [...p])));
  return path;
}

function tcpdump(args: string[]): string {
  const out = new Deno.Command("tcpdump", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const stderr = new TextDecoder().decode(out.stderr);
  // libpcap's optimizer refuses an expression it proves keeps nothing.
  if (stderr.includes("expression rejects all packets")) return "";
  assert.ok(out.success, `tcpdump ${args.join(" ")}: ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

/** Indexes of the packets tcpdump keeps with this expression. */
function tcpdumpKeeps(file: string, expression: string): number[] {
  return tcpdump(["-r", file, "-nn", "-tt", expression]).split("\n")
    .filter((line) => /^\d+\.\d{6} /.test(line))
    .map((line) => Number(line.split(".")[0]) - 1);
}

function programOf(file: string, expression: string): BpfInstruction[] {
  const lines = tcpdump(["-r", file, "-ddd", expression]).trim().split("\n");
  return lines.slice(1).map((line) => {
    const [code, jt, jf, k] = line.trim().split(/\s+/).map(Number);
    return { code: code!, jt: jt!, jf: jf!, k: k! >>> 0 };
  });
}

function keeps(verdict: (bytes: Uint8Array) => boolean): number[] {
  return CORPUS.flatMap((packet, i) => verdict(packet.bytes) ? [i] : []);
}

const EXPRESSIONS = [
  "ip",
  "ip6",
  "tcp",
  "icmp or icmp6",
  "tcp port 80",
  "tcp src port 443 or tcp dst portrange 20-23",
  "src host 192.0.2.1 or dst net 2001:db8::/48",
  "ip and tcp[13] & 0x12 = 0x12",
  "ip6 and ip6[53] & 4 != 0",
  "not tcp",
  "ip[6:2] & 0x1fff != 0",
  "len > 50",
];

Deno.test({
  name:
    "runBpf() keeps exactly the packets tcpdump keeps when it runs tcpdump's own programs",
  ignore: SKIP !== undefined,
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const file = writeCorpus(dir);
      for (const expression of EXPRESSIONS) {
        const program = programOf(file, expression);
        validateBpf(program);
        // A packet whose original length differs from its captured one
        // (cut short) is judged by tcpdump on its captured bytes too; `len`
        // is the original length, which runBpf cannot know: leave those
        // packets out of the comparison for `len`.
        const cut = expression.includes("len")
          ? new Set(
            CORPUS.flatMap((p, i) => p.bytes.length !== p.original ? [i] : []),
          )
          : new Set<number>();
        const ours = keeps((bytes) => runBpf(program, bytes) !== 0)
          .filter((i) => !cut.has(i));
        const theirs = tcpdumpKeeps(file, expression).filter((i) =>
          !cut.has(i)
        );
        assert.deepEqual(ours, theirs, expression);
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "formatBpf() lists tcpdump's programs exactly as tcpdump -d does",
  ignore: SKIP !== undefined,
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      const file = writeCorpus(dir);
      for (const expression of EXPRESSIONS) {
        const listing = tcpdump(["-r", file, "-d", expression]).trimEnd();
        assert.equal(
          formatBpf(programOf(file, expression)),
          listing,
          expression,
        );
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/** A seeded random typed filter. */
function randomFilter(random: (max: number) => number): PacketFilter {
  const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;
  const nets = [
    "192.0.2.1",
    "192.0.2.0/24",
    "192.0.2.64/26",
    "198.51.100.9",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "2001:db8::1",
    "2001:db8::/48",
    "2001:db8::/127",
    "2001:db8:1::/64",
    "fe80::/10",
    "::/0",
  ];
  const portMatches = [
    20,
    22,
    80,
    443,
    8080,
    65535,
    [20, 23] as const,
    [1000, 50000] as const,
    [0, 65535] as const,
  ];
  const list = <T>(items: readonly T[]) =>
    Array.from({ length: 1 + random(3) }, () => pick(items));
  const filter: PacketFilter = {};
  const icmp = random(6) === 0;
  if (random(3) === 0) filter.family = pick([4, 6] as const);
  if (icmp) filter.protocols = pick([["icmp"], ["tcp", "icmp"]] as const);
  if (random(3) === 0) filter.host = list(nets);
  if (random(3) === 0) filter.src = list(nets);
  if (random(3) === 0) filter.dst = list(nets);
  if (!icmp) {
    if (random(3) === 0) filter.port = list(portMatches);
    if (random(3) === 0) filter.srcPort = list(portMatches);
    if (random(3) === 0) filter.dstPort = list(portMatches);
    if (random(3) === 0) {
      const masks = [0x02, 0x12, 0x10, 0x04, 0x01, 0x100, 0x29];
      filter.flags = {};
      if (random(2) === 0) filter.flags.set = pick(masks);
      if (random(2) === 0) filter.flags.clear = pick(masks);
      if (random(4) === 0) filter.flags.equals = pick(masks);
    }
  }
  return filter;
}

Deno.test({
  name:
    "compilePacketFilter(), matchPacketFilter() and tcpdump on the filter's expression keep the same packets, for 300 seeded random filters",
  ignore: SKIP !== undefined,
  fn() {
    const dir = Deno.makeTempDirSync();
    const random = seededRandom(0x7c9);
    try {
      const file = writeCorpus(dir);
      let kept = 0;
      for (let t = 0; t < 300; t++) {
        const filters = Array.from(
          { length: 1 + (random(4) === 0 ? 1 : 0) },
          () => randomFilter(random),
        );
        const program = compilePacketFilter(filters);
        validateBpf(program);
        const expression = tcpdumpFilterExpression(filters);
        const compiled = keeps((bytes) =>
          runBpf(program, bytes) === BPF_ACCEPT
        );
        const evaluated = keeps((bytes) => matchPacketFilter(filters, bytes));
        const what = `${JSON.stringify(filters)} as ${expression}`;
        // Down to packets cut short, the program and the evaluation agree.
        assert.deepEqual(evaluated, compiled, what);
        // tcpdump agrees on every whole packet; on a packet cut short a
        // load past the end drops it, and which loads run depends on the
        // order libpcap's optimizer chose, so those are not compared.
        const whole = (list: number[]) => list.filter((i) => !CUT.has(i));
        const theirs = tcpdumpKeeps(file, expression);
        assert.deepEqual(whole(compiled), whole(theirs), what);
        kept += theirs.length;
      }
      // The filters keep some packets and drop others: not a vacuous test.
      assert.ok(kept > 300 && kept < 300 * CORPUS.length / 2, `kept ${kept}`);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("compilePacketFilter() compiles a filter of 200 networks with jumps that stay in range", () => {
  const src = Array.from(
    { length: 200 },
    (_, i) => `2001:db8:${i.toString(16)}::/48`,
  );
  const program = compilePacketFilter({ src, dstPort: [80, [8000, 8100]] });
  validateBpf(program);
  const packet = (from: string, port: number) =>
    encodePacket(
      makeTcpPacket({ src: from, dst: "2001:db8::9", dstPort: port }),
    );
  assert.equal(runBpf(program, packet("2001:db8:c7::1", 8050)), BPF_ACCEPT);
  assert.equal(runBpf(program, packet("2001:db8:c8::1", 8050)), 0);
  assert.equal(runBpf(program, packet("2001:db8:0::1", 81)), 0);
});

Deno.test("compilePacketFilter() says what is wrong with a filter it cannot compile", () => {
  const cases: [PacketFilter, RegExp][] = [
    [
      { src: ["192.0.2.300"] },
      /"192\.0\.2\.300" is not an address or CIDR block/,
    ],
    [{ src: ["192.0.2.0/33"] }, /prefix length must be 0\.\.32 for IPv4/],
    [{ dst: [] }, /the dst address list is empty/],
    [{ port: [70000] }, /port 70000 is not a port/],
    [{ port: [[90, 80]] }, /port range 90-80 ends before it starts/],
    [{ flags: { set: 0x200 } }, /flags\.set 512 is not a mask/],
    [{ protocols: ["icmp"], port: [80] }, /ports and flags are TCP's/],
    [{ protocols: [] }, /the protocol list is empty/],
    [{ family: 5 as 4 }, /family 5 is not 4 or 6/],
    [{ protocols: "tcp" as unknown as ["tcp"] }, /protocol is not a list/],
    [{ port: 80 as unknown as [80] }, /port is not a list/],
    [{ src: [5 as unknown as string] }, /5 is not an address or CIDR block/],
    [
      { dstPort: [[1, 2, 3] as unknown as [1, 2]] },
      /\[1,2,3\] is not a port or a \[from, to\] range/,
    ],
    [
      { flags: null as unknown as FlagMatch },
      /flags null is not an object of masks/,
    ],
    [null as unknown as PacketFilter, /null is not a filter object/],
  ];
  for (const [filter, message] of cases) {
    assert.throws(() => compilePacketFilter(filter), message);
  }
  assert.throws(
    () =>
      compilePacketFilter({
        src: Array.from({ length: 1200 }, (_, i) =>
          `2001:db8::${i.toString(16)}`),
      }),
    /more than the kernel's 4096/,
  );
});

Deno.test("validateBpf() refuses what the kernel refuses", () => {
  const ret = { code: BPF.RET | BPF.K, jt: 0, jf: 0, k: 0 };
  const cases: [BpfInstruction[], RegExp][] = [
    [[], /0 instructions/],
    [[{ code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: 0 }], /is not a ret/],
    [
      [{ code: BPF.JMP | BPF.JEQ | BPF.K, jt: 1, jf: 0, k: 0 }, ret],
      /jumps past the end/,
    ],
    [
      [{ code: BPF.ALU | BPF.DIV | BPF.K, jt: 0, jf: 0, k: 0 }, ret],
      /divides by 0/,
    ],
    [
      [{ code: 0x02, jt: 0, jf: 0, k: 16 }, ret],
      /stores past the 16 scratch words/,
    ],
    [
      [{ code: BPF.RET | BPF.K, jt: 0, jf: 0, k: 2 ** 32 }],
      /field out of range/,
    ],
  ];
  for (const [program, message] of cases) {
    assert.throws(() => validateBpf(program), message);
  }
});

Deno.test("encodeBpf() writes struct sock_filter in the byte order asked for", () => {
  const program = [{ code: 0x0015, jt: 1, jf: 2, k: 0x01020304 }];
  assert.deepEqual(
    encodeBpf(program, { littleEndian: true }),
    new Uint8Array([0x15, 0, 1, 2, 4, 3, 2, 1]),
  );
  assert.deepEqual(
    encodeBpf(program, { littleEndian: false }),
    new Uint8Array([0, 0x15, 1, 2, 1, 2, 3, 4]),
  );
});
