import assert from "node:assert/strict";
import {
  encodePacket,
  makeTcpPacket,
  PcapngWriter,
  PcapWriter,
  readCaptureBytes,
} from "../mod.ts";
import { createMemoryHost, type MemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import { ANOMALY_FIXTURES, cleanSyn, xmas } from "./_explain_fixtures.ts";
import { pshAckOdd, pythonHas, runPython } from "./_fixtures.ts";
import { concat, fixture, fixturePath, have } from "./fixtures/_tools.ts";

const ROOT = new URL("..", import.meta.url);
const TSHARK = have("tshark");
const TCPDUMP = have("tcpdump");
const PYTHON = pythonHas("ipaddress");
if (!TSHARK) console.log("tshark tests skipped: tshark is not installed");
if (!TCPDUMP) console.log("tcpdump tests skipped: tcpdump is not installed");

const XMAS_HEX = [
  "45000028",
  "00010000",
  "4006f6a3",
  "c000022a",
  "c0000201",
  "0014029a",
  "00000000",
  "00000000",
  "50292000",
  "08e20000",
];

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  raw: Uint8Array;
}

/** Run `deno run --allow-read cli.ts explain ...args`, standard input from `stdin`. */
async function cli(
  args: string[],
  stdin?: Uint8Array | string,
): Promise<Result> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "cli.ts", "explain", ...args],
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin,
    );
    await writer.close();
  }
  const output = await child.output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
    raw: output.stdout,
  };
}

/** Run `explain` in a memory host. */
async function explain(
  args: string[],
  options: Parameters<typeof createMemoryHost>[0] = {},
): Promise<{ code: number; host: MemoryHost }> {
  const host = createMemoryHost(options);
  const code = await runCli(["explain", ...args], host, { version: "0" });
  return { code, host };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.trim().split("\n").filter((l) => l !== "").map((line) =>
    JSON.parse(line)
  );
}

const CONTROL =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/;

Deno.test("explain HEX prints the Christmas-tree packet's diagram, field table, checksums and anomalies", async () => {
  const result = await cli(XMAS_HEX);
  assert.equal(result.stderr, "");
  assert.equal(result.code, 0);
  const out = result.stdout;
  assert.match(
    out,
    /^IP 192\.0\.2\.42\.20 > 192\.0\.2\.1\.666: Flags \[FPU\], seq 0, win 8192, urg 0, length 0\n\nIPv4 header, bytes 0-19 of the packet\n/,
  );
  assert.match(out, /^TCP header, bytes 20-39 of the packet$/m);
  assert.match(
    out,
    /^ {2}\| Data {2}\|Rsrvd\|A\|C\|E\|U\|A\|P\|R\|S\|F\| {31}\|$/m,
  );
  assert.match(
    out,
    /^ {2}\|0 1 0 1\|0 0 0\|0\|0\|0\|1\|0\|1\|0\|0\|1\|0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\|$/m,
  );
  assert.match(
    out,
    /^ {2}URG +13\.2 +1 +1 +1 +set: the urgent pointer is significant$/m,
  );
  assert.match(
    out,
    /^ {2}Checksum +16 +16 +00001000 11100010 +0x08e2 +correct/m,
  );
  assert.match(
    out,
    /^ {4}pseudo-header: source 192\.0\.2\.42, destination 192\.0\.2\.1, zero, protocol 6, TCP length 20$/m,
  );
  assert.match(out, /^ {4}complement: ~0xf71d = 0x08e2$/m);
  assert.match(
    out,
    /^Anomalies \(2\)\n {2}xmas at byte 33: Christmas tree packet: FIN, PSH and URG are all set/m,
  );
  assert.match(
    out,
    /^ {2}urg-without-pointer at byte 38: URG is set but the urgent pointer is 0/m,
  );
});

Deno.test("explain reports the anomalies of every fixture in text and JSON, and none for a clean SYN", async () => {
  for (const f of ANOMALY_FIXTURES) {
    const text = await explain([toHex(f.bytes), "--no-diagram"]);
    assert.equal(text.code, 0, f.description);
    assert.equal(text.host.err, "");
    if (f.codes.length === 0) {
      assert.match(text.host.out, /^Anomalies: none$/m, f.description);
    } else {
      assert.match(
        text.host.out,
        new RegExp(`^Anomalies \\(${f.codes.length}\\)$`, "m"),
        f.description,
      );
    }
    for (const code of f.codes) {
      assert.match(text.host.out, new RegExp(`^  ${code} at byte \\d+: `, "m"));
    }
    if (f.words !== undefined) {
      assert.match(text.host.out, f.words, f.description);
    }
    const json = await explain([toHex(f.bytes), "--format", "json"]);
    assert.equal(json.code, 0);
    const [value] = jsonLines(json.host.out) as {
      anomalies: { code: string; message: string }[];
    }[];
    assert.deepEqual(
      value!.anomalies.map((a) => a.code),
      f.codes,
      f.description,
    );
    if (f.words !== undefined) {
      assert.match(value!.anomalies[0]!.message, f.words);
    }
  }
});

Deno.test({
  name:
    "explain --steps prints the words Python sums for the TCP checksum, and its result",
  ignore: !PYTHON,
  async fn() {
    for (const bytes of [xmas.bytes, cleanSyn.bytes, pshAckOdd.bytes]) {
      const { code, host } = await explain([
        toHex(bytes),
        "--steps",
        "--no-diagram",
      ]);
      assert.equal(code, 0);
      const tcpPart = host.out.slice(host.out.indexOf("  TCP checksum"));
      const words = [
        ...tcpPart.matchAll(/^ {6}0x[0-9a-f]{4} \+ 0x([0-9a-f]{4}) = /gm),
      ]
        .map((m) => parseInt(m[1]!, 16));
      const result = /complement: ~0x[0-9a-f]{4} = 0x([0-9a-f]{4})/.exec(
        tcpPart,
      );
      const python = await runPython(
        `
import sys, json, ipaddress
b = bytes.fromhex(json.load(sys.stdin))
ihl = (b[0] & 15) * 4
seg = bytearray(b[ihl:])
seg[16:18] = b"\\0\\0"
data = b[12:16] + b[16:20] + bytes([0, 6]) + len(seg).to_bytes(2, "big") + bytes(seg)
if len(data) % 2: data += b"\\0"
words = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
s = sum(words)
while s > 0xffff: s = (s & 0xffff) + (s >> 16)
print(json.dumps({"words": words, "checksum": ~s & 0xffff}))
`,
        toHex(bytes),
      ) as { words: number[]; checksum: number };
      assert.deepEqual(words, python.words);
      assert.equal(parseInt(result![1]!, 16), python.checksum);
    }
  },
});

const TSHARK_FIELDS = [
  "tcp.srcport",
  "tcp.dstport",
  "tcp.seq_raw",
  "tcp.ack_raw",
  "tcp.flags",
  "tcp.window_size_value",
  "tcp.window_size",
  "tcp.checksum.status",
  "ip.checksum.status",
  "frame.comment",
];

const STATUS: Record<string, string> = {
  correct: "1",
  wrong: "0",
  unchecked: "2",
};

Deno.test({
  name:
    "explain --pcap gives the ports, numbers, flags, windows, checksum verdicts and comments tshark reports",
  ignore: !TSHARK,
  async fn() {
    const files = [
      "lo_ethernet.pcap",
      "lo_nano.pcap",
      "any_sll.pcap",
      "any_sll2.pcap",
      "tshark_lo.pcapng",
      "editcap_comments.pcapng",
      "scapy_raw_be.pcap",
      "scapy_raw_be_nano.pcap",
      "scapy_vlan.pcap",
      "scapy_null.pcap",
    ];
    for (const name of files) {
      const args = [
        "-r",
        fixturePath(name),
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "ip.check_checksum:TRUE",
        "-T",
        "fields",
        "-E",
        "occurrence=f",
      ];
      for (const f of TSHARK_FIELDS) args.push("-e", f);
      const out = await new Deno.Command("tshark", {
        args,
        stdout: "piped",
        stderr: "null",
      }).output();
      const theirs = new TextDecoder().decode(out.stdout).split("\n")
        .filter((l) => l !== "").map((l) => l.split("\t"));
      const { code, host } = await explain(
        ["--pcap", name, "--format", "json"],
        { files: { [name]: fixture(name) } },
      );
      assert.equal(code, 0, host.err);
      const ours = jsonLines(host.out).map((value) => {
        const v = value as {
          tcp: {
            srcPort: number;
            dstPort: number;
            seq: number;
            ack: number;
            flags: number;
            window: number;
            scaledWindow?: number;
          };
          layers: { kind: string; fields: { key: string; value: number }[] }[];
          checksums: { kind: string; status: string }[];
          comment?: string;
        };
        const tcpLayer = v.layers.find((l) => l.kind === "tcp")!;
        const reserved = tcpLayer.fields.find((f) =>
          f.key === "reserved"
        )!.value;
        const ip = v.checksums.find((c) => c.kind === "ipv4-header");
        return [
          String(v.tcp.srcPort),
          String(v.tcp.dstPort),
          String(v.tcp.seq),
          String(v.tcp.ack),
          `0x${((reserved << 9) | v.tcp.flags).toString(16).padStart(4, "0")}`,
          String(v.tcp.window),
          String(v.tcp.scaledWindow ?? v.tcp.window),
          STATUS[v.checksums.find((c) => c.kind === "tcp")!.status]!,
          ip === undefined ? "" : STATUS[ip.status]!,
          v.comment ?? "",
        ];
      });
      assert.deepEqual(ours, theirs, name);
    }
  },
});

Deno.test({
  name:
    "explain reads the output of tcpdump -x and a capture piped on standard input",
  ignore: !TCPDUMP,
  async fn() {
    const dump = await new Deno.Command("tcpdump", {
      args: ["-r", fixturePath("scapy_raw_be.pcap"), "-nn", "-x", "-c", "1"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const fromDump = await cli(["--brief"], dump.stdout);
    assert.equal(fromDump.stderr, "");
    assert.equal(
      fromDump.stdout,
      "IP 192.0.2.1.1234 > 192.0.2.2.80: Flags [S], seq 1000, win 8192, options [mss 1460], length 0 | ip checksum correct, tcp checksum correct, no anomalies\n",
    );
    const piped = await cli(["-", "--brief"], fixture("scapy_raw_be.pcap"));
    assert.equal(piped.code, 0);
    assert.equal(piped.stdout.split("\n").length, 5);
    assert.match(
      piped.stdout,
      /^4 IP 192\.0\.2\.42\.20 > 192\.0\.2\.1\.666: Flags \[FPU\].* anomalies: xmas, urg-without-pointer$/m,
    );
  },
});

Deno.test("explain reads hex from standard input when given - or nothing, and refuses a terminal", async () => {
  const stdin = `# the Christmas-tree packet\n${XMAS_HEX.join(" ")}\n`;
  for (const args of [["-"], []]) {
    const { code, host } = await explain([...args, "--brief"], { stdin });
    assert.equal(code, 0);
    assert.match(host.out, /Flags \[FPU\].*anomalies: xmas/);
  }
  const terminal = await explain([], { isTerminal: { stdin: true } });
  assert.equal(terminal.code, 2);
  assert.equal(
    terminal.host.err,
    "tcpcraft explain: missing HEX (the packet as hex), --pcap FILE, or - for standard input\nTry 'tcpcraft explain --help'.\n",
  );
  const pcap = await explain(["--pcap", "-", "--brief"], {
    stdin: fixture("scapy_vlan.pcap"),
  });
  assert.equal(pcap.code, 0);
  assert.equal(pcap.host.out.trim().split("\n").length, 4);
});

Deno.test("explain refuses bad input on one line with exit 2, printing nothing", async () => {
  const cases: [string[], string, Parameters<typeof createMemoryHost>[0]?][] = [
    [
      ["45", "zz"],
      'HEX: cannot parse hex bytes "45 zz": "z" is not a hex digit',
    ],
    [
      ["450"],
      'HEX: cannot parse hex bytes "450": odd number of hex digits (3)',
    ],
    [["0x", ":"], "HEX: no hex bytes given"],
    [["-"], "standard input holds no hex bytes", { stdin: " \n" }],
    [
      ["--src", "192.0.2.1", "--dst", "192.0.2.2", "4500"],
      "--src: only with --tcp (an IP datagram carries its own addresses)",
    ],
    [
      ["--tcp", "--src", "192.0.2.1", "0014"],
      "--dst: missing; the pseudo-header needs both --src and --dst",
    ],
    [
      ["--tcp", "--src", "192.0.2.1", "--dst", "2001:db8::1", "0014"],
      "--dst: 2001:db8::1 is IPv6 but --src 192.0.2.1 is IPv4",
    ],
    [
      ["--pcap", "x.pcap", "4500"],
      '--pcap: conflicts with the HEX argument "4500"; give one input',
    ],
    [
      ["--pcap", "x.pcap", "--tcp"],
      "--tcp: a capture holds whole packets; --tcp is for a bare segment given as hex",
    ],
    [
      ["--index", "2", "4500"],
      "--index: only for the packets of a capture (--pcap FILE, or a capture on standard input)",
    ],
    [
      ["--pcap", "missing.pcap"],
      '--pcap: cannot read "missing.pcap": no such file or directory',
    ],
    [
      ["--filter", "port http", "-"],
      '--filter: "http" is not a port (0..65535)',
    ],
    [
      ["--filter", "syn or fin", "-"],
      '--filter: "or" is not supported: every term must hold (run explain twice for either)',
    ],
    [
      ["--filter", "colour red", "-"],
      '--filter: unknown term "colour"; terms are port N, src port N, dst port N, host ADDR, src ADDR, dst ADDR, flags F (exactly), syn/ack/fin/rst/psh/urg/ece/cwr/ae (set), ip, ip6, anomaly [CODE], not TERM',
    ],
    [["--format", "xml", "4500"], '--format: "xml" is not one of text, json'],
    [
      ["-", "4500"],
      "HEX: - (standard input) cannot be mixed with hex arguments",
    ],
    [
      ["--count", "1"],
      "--count: only for the packets of a capture, and standard input holds hex",
      { stdin: XMAS_HEX.join("") },
    ],
  ];
  for (const [args, message, options] of cases) {
    const { code, host } = await explain(args, options);
    assert.equal(code, 2, args.join(" "));
    assert.equal(host.out, "", args.join(" "));
    assert.equal(
      host.err,
      `tcpcraft explain: ${message}\nTry 'tcpcraft explain --help'.\n`,
      args.join(" "),
    );
  }
});

Deno.test("explain says why bytes are not an IP datagram, exit 1, and suggests --tcp", async () => {
  const { code, host } = await explain(["0014029a 00000000"]);
  assert.equal(code, 1);
  assert.equal(
    host.err,
    "error: Cannot decode IP header: version 0 at byte 0 is neither 4 nor 6 (byte 0 is 0x00; give --tcp for a bare TCP segment)\n",
  );
  assert.equal(host.out, "");
});

Deno.test("explain --tcp explains a bare segment, checking the checksum when --src and --dst give the pseudo-header", async () => {
  const segment = toHex(xmas.bytes.subarray(20));
  const bare = await explain(["--tcp", segment, "--brief"]);
  assert.equal(
    bare.host.out,
    "TCP 20 > 666: Flags [FPU], seq 0, win 8192, urg 0, length 0 | tcp checksum unchecked, anomalies: xmas, urg-without-pointer\n",
  );
  const full = await explain([
    "--tcp",
    "--src",
    "192.0.2.42",
    "--dst",
    "192.0.2.1",
    segment,
    "--no-diagram",
  ]);
  assert.match(
    full.host.out,
    /^TCP 192\.0\.2\.42\.20 > 192\.0\.2\.1\.666: Flags \[FPU\]/,
  );
  assert.match(full.host.out, /^TCP header, bytes 0-19 of the segment$/m);
  assert.match(
    full.host.out,
    /^ {2}TCP checksum \(stored at byte 16\): correct/m,
  );
});

Deno.test("explain strips an Ethernet header given as hex, and says so", async () => {
  const { records } = readCaptureBytes(fixture("lo_ethernet.pcap"));
  const frame = records[3]!.data;
  const { code, host } = await explain([toHex(frame), "--no-diagram"]);
  assert.equal(code, 0);
  assert.match(
    host.out,
    /^IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.40123: Flags \[P\.\]/,
  );
  assert.match(
    host.out,
    /^Note: an Ethernet frame: the 14-byte Ethernet header is left out, and offsets count from the IP header$/m,
  );
  assert.match(host.out, /^ {2}0000 {2}68 65 6c 6c 6f {2,}hello$/m);
});

Deno.test("explain --filter, --index and --count pick the packets of a capture", async () => {
  const files = {
    "lo.pcap": fixture("lo_ethernet.pcap"),
    "scapy.pcap": fixture("scapy_raw_be.pcap"),
  };
  const numbers = async (args: string[]) => {
    const { code, host } = await explain([...args, "--brief"], { files });
    assert.equal(code, 0, host.err);
    return host.out.trim().split("\n").filter((l) => l !== "").map((l) =>
      Number(l.split(" ")[0])
    );
  };
  assert.deepEqual(await numbers(["--pcap", "lo.pcap", "--filter", "syn"]), [
    1,
    2,
    11,
    12,
  ]);
  assert.deepEqual(
    await numbers(["--pcap", "lo.pcap", "--filter", "flags S"]),
    [1, 11],
  );
  assert.deepEqual(
    await numbers(["--pcap", "lo.pcap", "--filter", "ip6 and fin"]),
    [18, 19],
  );
  assert.deepEqual(
    await numbers([
      "--pcap",
      "lo.pcap",
      "--filter",
      "dst port 40123 and not ack",
    ]),
    [1, 11],
  );
  assert.deepEqual(
    await numbers(["--pcap", "lo.pcap", "--filter", "host ::1 psh"]),
    [14, 16],
  );
  assert.deepEqual(await numbers(["--pcap", "lo.pcap", "--count", "3"]), [
    1,
    2,
    3,
  ]);
  assert.deepEqual(await numbers(["--pcap", "lo.pcap", "--index", "13"]), [13]);
  assert.deepEqual(
    await numbers(["--pcap", "scapy.pcap", "--filter", "anomaly xmas"]),
    [4],
  );
  assert.deepEqual(
    await numbers(["--pcap", "scapy.pcap", "--filter", "anomaly"]),
    [4],
  );
  assert.deepEqual(
    await numbers(["--pcap", "scapy.pcap", "--filter", "src 2001:db8::1"]),
    [3],
  );

  const none = await explain(["--pcap", "scapy.pcap", "--filter", "port 9"], {
    files,
  });
  assert.equal(none.code, 0);
  assert.equal(none.host.out, "");
  assert.equal(
    none.host.err,
    'no packet of the 4 read matches the filter "port 9"\n',
  );

  const past = await explain(["--pcap", "scapy.pcap", "--index", "9"], {
    files,
  });
  assert.equal(past.code, 1);
  assert.equal(
    past.host.err,
    "error: --index 9: the capture has only 4 packets\n",
  );
});

Deno.test("explain --pcap applies the window scale of each connection's handshake", async () => {
  const { host } = await explain([
    "--pcap",
    "lo.pcap",
    "--index",
    "4",
    "--no-diagram",
  ], {
    files: { "lo.pcap": fixture("lo_ethernet.pcap") },
  });
  assert.match(
    host.out,
    /^Packet 4: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z, 71 bytes$/m,
  );
  assert.match(
    host.out,
    /^ {2}Window +14 +16 +00000000 01000000 +64 \(×1024 = 65536\) +64 × 2\^10 = 65536 bytes \(window scale 10 from this side's SYN\)$/m,
  );
  assert.match(host.out, /^ {2}Sequence Number .*\(relative 1\)$/m);
});

/** A pcap with three good packets, then whatever `tail` adds. */
function pcapWith(tail: Uint8Array): Uint8Array {
  const writer = new PcapWriter();
  const packets = [cleanSyn.bytes, xmas.bytes, pshAckOdd.bytes];
  return concat(
    writer.header(),
    ...packets.map((p, i) => writer.packet(p, { timestamp: 1000 * i })),
    tail,
  );
}

function recordHeader(caplen: number, origlen: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, caplen, true);
  view.setUint32(12, origlen, true);
  return bytes;
}

Deno.test("explain explains the packets before the damage in a hostile capture, then one error line, exit 1", async () => {
  const good = pcapWith(new Uint8Array());
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "truncated record header",
      pcapWith(new Uint8Array(9)),
      /^error: Cannot decode pcap file: record header at byte \d+ is truncated: 9 bytes, expected 16$/,
    ],
    [
      "length past the end",
      pcapWith(concat(recordHeader(1000, 1000), new Uint8Array(40))),
      /^error: Cannot decode pcap file: packet data at byte \d+ is truncated: 40 bytes, expected 1000$/,
    ],
    [
      "absurd capture length",
      pcapWith(recordHeader(0x7fffffff, 0x7fffffff)),
      /^error: Cannot decode pcap file: .*2147483647.* at byte \d+|^error: Cannot decode pcap file: .* at byte \d+.*2147483647/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    const started = performance.now();
    const { code, host } = await explain(["--pcap", "f.pcap", "--brief"], {
      files: { "f.pcap": bytes },
    });
    assert.ok(performance.now() - started < 5000, `${what}: bounded time`);
    assert.equal(code, 1, what);
    assert.deepEqual(
      host.out.trim().split("\n").map((l) => l.split(" ")[0]),
      ["1", "2", "3"],
      what,
    );
    assert.equal(host.err.split("\n").length, 2, `${what}: one line`);
    assert.match(host.err.trim(), message, what);
  }
  // Cut anywhere: never a crash, never a stack, and every packet before the cut.
  for (let cut = 0; cut < good.length; cut += 7) {
    const { code, host } = await explain(["--pcap", "f.pcap", "--brief"], {
      files: { "f.pcap": good.subarray(0, cut) },
    });
    const complete = readCaptureBytes(good.subarray(0, cut)).records.length;
    assert.equal(
      host.out === "" ? 0 : host.out.trim().split("\n").length,
      complete,
      `cut ${cut}`,
    );
    assert.ok(
      code === 1 || (code === 0 && host.err === ""),
      `cut ${cut}: ${host.err}`,
    );
    if (code === 1) {
      assert.match(
        host.err,
        /^error: Cannot decode (pcap file|capture file): [^\n]*\n$/,
        `cut ${cut}`,
      );
    }
    assert.doesNotMatch(host.err, /\n\s+at /);
  }
});

Deno.test("explain on a hostile capture in a real process: good packets on stdout, one error line, exit 1", async () => {
  const writer = new PcapngWriter();
  const block = writer.packet(xmas.bytes, { timestamp: 0 });
  const hostile = concat(writer.header(), block, block.subarray(0, 30));
  const path = await Deno.makeTempFile({ suffix: ".pcapng" });
  try {
    await Deno.writeFile(path, hostile);
    const result = await cli(["--pcap", path, "--no-diagram"]);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /^Packet 1: 1970-01-01T00:00:00\.000000000Z, 40 bytes$/m,
    );
    assert.doesNotMatch(result.stdout, /^Packet 2/m);
    assert.match(
      result.stderr,
      /^error: Cannot decode pcapng file: .* at byte \d+[^\n]*\n$/,
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("explain lets no control character from a packet or a capture comment reach the terminal", async () => {
  const payload = new TextEncoder().encode(
    "\x1b[2J\x1b]0;pwned\x07\rBEL\x07\x1b[31mred\u202e\u0085",
  );
  const packet = encodePacket(makeTcpPacket({
    src: "192.0.2.1",
    dst: "192.0.2.2",
    flags: 0x18,
    payload,
  }));
  const writer = new PcapngWriter();
  const capture = concat(
    writer.header(),
    writer.packet(packet, {
      timestamp: 0,
      comment: "evil \x1b[2J comment \u202e\x07",
    }),
  );
  const path = await Deno.makeTempFile({ suffix: ".pcapng" });
  try {
    await Deno.writeFile(path, capture);
    for (
      const args of [
        [toHex(packet)],
        [toHex(packet), "--steps"],
        ["--pcap", path],
        ["--pcap", path, "--brief"],
        ["--pcap", path, "--format", "json"],
        [toHex(packet), "--format", "json"],
      ]
    ) {
      const result = await cli(args);
      assert.equal(result.code, 0, args.join(" "));
      for (const byte of result.raw) {
        assert.ok(
          byte >= 0x20 || byte === 0x0a,
          `${args.join(" ")}: byte 0x${byte.toString(16)}`,
        );
      }
      assert.doesNotMatch(result.stdout, CONTROL, args.join(" "));
      if (args.includes("json")) {
        const value = jsonLines(result.stdout)[0] as {
          payload: { bytes: string; preview: string };
          comment?: string;
        };
        assert.equal(value.payload.bytes, toHex(payload));
        assert.match(
          value.payload.preview,
          /^\\x1b\[2J\\x1b\]0;pwned\\x07\\x0dBEL/,
        );
        if (args.includes("--pcap")) {
          assert.equal(
            value.comment,
            "evil \x1b[2J comment \u202e\x07",
            "JSON keeps the value, escaped",
          );
        }
      } else if (args.includes("--pcap") && !args.includes("--brief")) {
        assert.match(
          result.stdout,
          /comment "evil \\x1b\[2J comment \\u202e\\x07"/,
        );
      }
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("explain --format json prints one object per packet with the record's facts", async () => {
  const { code, host } = await explain([
    "--pcap",
    "c.pcapng",
    "--format",
    "json",
  ], {
    files: { "c.pcapng": fixture("editcap_comments.pcapng") },
  });
  assert.equal(code, 0);
  const values = jsonLines(host.out) as {
    index: number;
    timestamp: { iso: string; seconds: number; nanoseconds: number };
    capturedLength: number;
    linkType: number;
    summary: string;
    comment?: string;
    kind: string;
  }[];
  assert.deepEqual(
    values.map((v) => v.index),
    Array.from({ length: values.length }, (_, i) => i + 1),
  );
  assert.equal(values[0]!.comment, "first packet, comment");
  assert.equal(values[2]!.comment, "zweites Paket: grüße ✓");
  assert.equal(values[0]!.linkType, 1);
  assert.match(
    values[0]!.timestamp.iso,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/,
  );
  assert.match(
    values[0]!.summary,
    /^IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.40123: Flags \[S\]/,
  );
  assert.equal(values[0]!.kind, "packet");
});

Deno.test("explain --help prints usage, arguments, options and examples; tcpcraft --help lists explain", async () => {
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.stderr, "");
  for (const section of ["USAGE:", "ARGS:", "OPTIONS:", "EXAMPLES:"]) {
    assert.match(help.stdout, new RegExp(`^${section}$`, "m"));
  }
  assert.match(
    help.stdout,
    /^ {4}tcpcraft explain \[HEX\.\.\. \| - \| --pcap FILE\] \[OPTIONS\]$/m,
  );
  assert.match(help.stdout, /--steps/);
  const host = createMemoryHost();
  assert.equal(await runCli(["--help"], host, { version: "0" }), 0);
  assert.match(
    host.out,
    /^ {4}explain {2,}explain a TCP packet field by field/m,
  );
});
