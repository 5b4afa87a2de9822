import assert from "node:assert/strict";
import { python, SCAPY, TCPDUMP } from "./_peers.ts";
import denoConfig from "../deno.json" with { type: "json" };
import { parseHex } from "../mod.ts";
import { CliError } from "../src/cli/errors.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { COMMANDS, runCli, runCommands } from "../src/cli/main.ts";

const ROOT = new URL("..", import.meta.url);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `deno run --allow-read cli.ts ...args` from the repository root. */
async function cli(args: string[], stdin?: string): Promise<Result> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "cli.ts", ...args],
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** The hex line `build ... --format hex` prints, checking it succeeded quietly. */
async function buildHex(args: string[], stdin?: string): Promise<string> {
  const result = await cli(["build", ...args, "--format", "hex"], stdin);
  assert.equal(result.stderr, "", args.join(" "));
  assert.equal(result.code, 0, args.join(" "));
  assert.match(result.stdout, /^[0-9a-f]+\n$/);
  return result.stdout.trim();
}

/** bytes(eval(expression)).hex() for each scapy expression. */
async function scapyHex(expressions: string[]): Promise<string[]> {
  const out = await python(
    "import sys, json\nfrom scapy.all import *\n" +
      "for e in json.load(sys.stdin): print(bytes(eval(e)).hex())",
    expressions,
  );
  return out.trim().split("\n");
}

Deno.test("tcpcraft --help prints the commands on stdout and exits 0", async () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    const result = await cli(args);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    assert.match(result.stdout, /^USAGE:$/m);
    assert.match(
      result.stdout,
      /^COMMANDS:\n {4}build {2,}build one TCP packet/m,
    );
  }
});

Deno.test("tcpcraft build --help prints USAGE, ARGS, OPTIONS and EXAMPLES on stdout and exits 0", async () => {
  for (
    const args of [["build", "--help"], ["build", "-h"], ["help", "build"]]
  ) {
    const result = await cli(args);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
    for (const section of ["USAGE:", "ARGS:", "OPTIONS:", "EXAMPLES:"]) {
      assert.match(result.stdout, new RegExp(`^${section}$`, "m"), section);
    }
    assert.match(result.stdout, /^ {4}tcpcraft build TARGET \[OPTIONS\]$/m);
    assert.match(result.stdout, /-p, --dport N/);
    assert.match(result.stdout, /--format FMT/);
  }
});

Deno.test("tcpcraft --version prints the version of deno.json", async () => {
  const result = await cli(["--version"]);
  assert.deepEqual(result, {
    code: 0,
    stdout: `tcpcraft ${denoConfig.version}\n`,
    stderr: "",
  });
});

const XMAS = [
  "192.0.2.1",
  "-p",
  "666",
  "-s",
  "20",
  "--src",
  "192.0.2.42",
  "-f",
  "xmas",
];

Deno.test({
  name:
    "build -f xmas --format hex gives the bytes scapy builds, and scapy reads FPU with a right checksum",
  ignore: !SCAPY,
  async fn() {
    const ours = await buildHex(XMAS);
    const [theirs] = await scapyHex([
      "IP(src='192.0.2.42',dst='192.0.2.1')/TCP(sport=20,dport=666,flags='FPU')",
    ]);
    assert.equal(ours, theirs);
    const dissected = JSON.parse(
      await python(
        [
          "import sys, json",
          "from scapy.all import *",
          "p = IP(bytes.fromhex(json.load(sys.stdin)))",
          "q = p.copy(); del q[TCP].chksum; del q.chksum; q = IP(bytes(q))",
          "print(json.dumps({'flags': str(p[TCP].flags), 'sport': p[TCP].sport,",
          "  'dport': p[TCP].dport, 'tcp_ok': p[TCP].chksum == q[TCP].chksum,",
          "  'ip_ok': p.chksum == q.chksum}))",
        ].join("\n"),
        ours,
      ),
    );
    assert.deepEqual(dissected, {
      flags: "FPU",
      sport: 20,
      dport: 666,
      tcp_ok: true,
      ip_ok: true,
    });
  },
});

Deno.test({
  name: "build --format text prints the line tcpdump prints for the same bytes",
  ignore: !TCPDUMP,
  async fn() {
    const argSets = [
      XMAS,
      [
        "[2001:db8::2]:443",
        "--src",
        "2001:db8::1",
        "-f",
        "SA",
        "--seq",
        "7",
        "--ack",
        "9",
        "--data",
        "hi",
        "-o",
        "mss=1440",
        "-o",
        "sack=1-2",
      ],
    ];
    for (const args of argSets) {
      const hex = await buildHex(args);
      const text = await cli(["build", ...args]);
      assert.equal(text.code, 0);
      const path = await Deno.makeTempFile({ suffix: ".pcap" });
      try {
        const packet = parseHex(hex);
        const file = new Uint8Array(24 + 16 + packet.length);
        const view = new DataView(file.buffer);
        view.setUint32(0, 0xa1b2c3d4, true);
        view.setUint16(4, 2, true);
        view.setUint16(6, 4, true);
        view.setUint32(16, 65535, true);
        view.setUint32(20, 101, true);
        view.setUint32(32, packet.length, true);
        view.setUint32(36, packet.length, true);
        file.set(packet, 40);
        await Deno.writeFile(path, file);
        const dump = await new Deno.Command("tcpdump", {
          args: ["-nn", "-S", "-t", "-r", path],
          stdout: "piped",
          stderr: "null",
        }).output();
        assert.equal(text.stdout, new TextDecoder().decode(dump.stdout));
      } finally {
        await Deno.remove(path);
      }
    }
  },
});

Deno.test("build --format json prints one object with every field decoded", async () => {
  const result = await cli([
    "build",
    ...XMAS,
    "--data",
    "hi",
    "--format",
    "json",
  ]);
  assert.equal(result.code, 0);
  assert.equal(result.stderr, "");
  assert.equal(result.stdout.split("\n").length, 2);
  const json = JSON.parse(result.stdout);
  assert.equal(json.length, 42);
  assert.deepEqual(Object.keys(json.ip), [
    "version",
    "ihl",
    "tos",
    "totalLength",
    "id",
    "reservedBit",
    "dontFragment",
    "moreFragments",
    "fragmentOffset",
    "ttl",
    "protocol",
    "checksum",
    "checksumValid",
    "src",
    "dst",
    "options",
  ]);
  assert.deepEqual(Object.keys(json.tcp), [
    "srcPort",
    "dstPort",
    "seq",
    "ack",
    "dataOffset",
    "reserved",
    "flags",
    "flagNames",
    "window",
    "checksum",
    "checksumValid",
    "urgentPointer",
    "options",
    "payload",
    "payloadLength",
  ]);
  assert.equal(json.tcp.flags, 0x29);
  assert.deepEqual(json.tcp.flagNames, ["fin", "psh", "urg"]);
  assert.equal(json.tcp.payload, "6869");
  assert.equal(json.tcp.payloadLength, 2);
  assert.equal(json.tcp.checksumValid, true);
  assert.equal(json.ip.checksumValid, true);
});

Deno.test({
  name: "build sets every header field and override the way scapy does",
  ignore: !SCAPY,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/payload.bin`;
      await Deno.writeFile(file, new Uint8Array([0, 0xff, 0x1b, 0x0a]));
      const V4 = "IP(src='192.0.2.42',dst='192.0.2.1')";
      const cases: { args: string[]; scapy: string; stdin?: string }[] = [
        {
          args: ["192.0.2.1", "--src", "192.0.2.42"],
          scapy: `${V4}/TCP()`,
        },
        {
          args: [
            "192.0.2.1:8080",
            "--src",
            "192.0.2.42",
            "-s",
            "1234",
            "-f",
            "syn,ack",
            "--seq",
            "0xdeadbeef",
            "--ack",
            "1",
            "-w",
            "0",
            "--urgent",
            "9",
          ],
          scapy:
            `${V4}/TCP(sport=1234,dport=8080,flags='SA',seq=0xdeadbeef,ack=1,window=0,urgptr=9)`,
        },
        {
          args: [
            "192.0.2.1",
            "--src",
            "192.0.2.42",
            "-p",
            "666",
            "--checksum",
            "0x1234",
            "--data-offset",
            "6",
            "--reserved",
            "7",
            "--data-hex",
            "01020304",
          ],
          scapy:
            `${V4}/TCP(dport=666,chksum=0x1234,dataofs=6,reserved=7)/bytes.fromhex('01020304')`,
        },
        {
          args: [
            "192.0.2.1",
            "--src",
            "192.0.2.42",
            "--ttl",
            "5",
            "--id",
            "0xabcd",
            "--df",
            "--tos",
            "0xb8",
            "--ip-checksum",
            "0x4242",
          ],
          scapy:
            "IP(src='192.0.2.42',dst='192.0.2.1',ttl=5,id=0xabcd,flags='DF',tos=0xb8,chksum=0x4242)/TCP()",
        },
        {
          args: [
            "192.0.2.1",
            "--src",
            "192.0.2.42",
            "--ip-options",
            "94040000",
          ],
          scapy:
            "IP(src='192.0.2.42',dst='192.0.2.1',options=[IPOption_Router_Alert()])/TCP()",
        },
        {
          args: [
            "[2001:db8::1]:22",
            "--src",
            "2001:db8::2",
            "--flow-label",
            "0xabcde",
            "--hop-limit",
            "1",
            "--tos",
            "4",
            "-f",
            "PA",
            "--data",
            "GET /",
          ],
          scapy:
            "IPv6(src='2001:db8::2',dst='2001:db8::1',fl=0xabcde,hlim=1,tc=4)/TCP(dport=22,flags='PA')/b'GET /'",
        },
        {
          args: ["192.0.2.1", "--src", "192.0.2.42", "--data", "héllo"],
          scapy: `${V4}/TCP()/'héllo'.encode()`,
        },
        {
          args: ["192.0.2.1", "--src", "192.0.2.42", "--data-file", file],
          scapy: `${V4}/TCP()/b'\\x00\\xff\\x1b\\x0a'`,
        },
        {
          args: ["192.0.2.1", "--src", "192.0.2.42", "--data-file", "-"],
          stdin: "from stdin\n",
          scapy: `${V4}/TCP()/b'from stdin\\n'`,
        },
        {
          args: [
            "192.0.2.1",
            "--src",
            "192.0.2.42",
            "-o",
            "mss=1460",
            "-o",
            "sackok",
            "-o",
            "ts=1:0",
            "-o",
            "nop",
            "-o",
            "wscale=7",
          ],
          scapy:
            `${V4}/TCP(options=[('MSS',1460),('SAckOK',b''),('Timestamp',(1,0)),('NOP',None),('WScale',7)])`,
        },
        {
          args: [
            "192.0.2.1",
            "--src",
            "192.0.2.42",
            "-f",
            "A",
            "-o",
            "sack=100-200,300-400",
            "-o",
            "md5=00112233445566778899aabbccddeeff",
          ],
          scapy:
            `${V4}/TCP(flags='A',options=[('SAck',(100,200,300,400)),(19,bytes.fromhex('00112233445566778899aabbccddeeff'))])`,
        },
        {
          args: [
            "192.0.2.1",
            "--src",
            "192.0.2.42",
            "-o",
            "uto=5m",
            "-o",
            "tfo",
            "-o",
            "tfo=61626364",
            "-o",
            "raw=99:7879",
            "-o",
            "eol",
          ],
          scapy:
            `${V4}/TCP(options=[(28,b'\\x80\\x05'),(34,b''),(34,b'abcd'),(99,b'xy'),('EOL',None)])`,
        },
      ];
      const theirs = await scapyHex(cases.map((c) => c.scapy));
      for (const [i, c] of cases.entries()) {
        assert.equal(
          await buildHex(c.args, c.stdin),
          theirs[i],
          c.args.join(" "),
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("build -o rawbytes writes the bytes verbatim, for malformed options", async () => {
  const hex = await buildHex([
    "192.0.2.1",
    "--src",
    "192.0.2.42",
    "-o",
    "rawbytes=0301",
  ]);
  const bytes = parseHex(hex);
  assert.equal(bytes.length, 44);
  assert.equal(bytes[32]! >> 4, 6);
  assert.deepEqual([...bytes.subarray(40)], [3, 1, 0, 0]);
});

// Every bad command line: exit 2, nothing on stdout, the first line of
// stderr names the flag or argument, the second is the hint.
const BAD: [string[], string][] = [
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--bogus"],
    "unknown option --bogus",
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--dprot", "1"],
    "unknown option --dprot (did you mean --dport?)",
  ],
  [["build", "192.0.2.1", "--src", "192.0.2.42", "-z"], "unknown option -z"],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-p", "x"],
    '--dport: "x" is not a port (0..65535)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-p", "70000"],
    '--dport: "70000" is not a port (0..65535)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--sport", "-1"],
    '--sport: "-1" is not a port (0..65535)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--ttl", "256"],
    '--ttl: "256" is out of range (0..255)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--window", "-1"],
    '--window: "-1" is out of range (0..65535)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--seq", "0x100000000"],
    '--seq: "0x100000000" is out of range (0..4294967295)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--data-offset", "16"],
    '--data-offset: "16" is out of range (0..15)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--reserved", "8"],
    '--reserved: "8" is out of range (0..7)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--checksum", "65536"],
    '--checksum: "65536" is out of range (0..65535)',
  ],
  [
    [
      "build",
      "2001:db8::1",
      "--src",
      "2001:db8::2",
      "--flow-label",
      "0x100000",
    ],
    '--flow-label: "0x100000" is out of range (0..1048575)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-f", "bogus"],
    '--flags: cannot parse flags "bogus"',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-f", "0x200"],
    '--flags: cannot parse flags "0x200": 512 is more than 9 bits',
  ],
  [
    ["build", "192.0.2.256", "--src", "192.0.2.42"],
    'TARGET: cannot parse IPv4 address "192.0.2.256"',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2"],
    '--src: cannot parse IPv4 address "192.0.2"',
  ],
  [
    ["build", "example.com", "--src", "192.0.2.42"],
    'TARGET: "example.com" is a host name; give an IPv4 or IPv6 address (this command resolves no names)',
  ],
  [
    ["build", "192.0.2.1", "--src", "2001:db8::1"],
    "--src: 2001:db8::1 is IPv6 but TARGET 192.0.2.1 is IPv4",
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--data-hex", "zz"],
    '--data-hex: cannot parse hex bytes "zz": "z" is not a hex digit',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--data-hex", "abc"],
    '--data-hex: cannot parse hex bytes "abc": odd number of hex digits (3)',
  ],
  [[
    "build",
    "192.0.2.1",
    "--src",
    "192.0.2.42",
    "--data",
    "a",
    "--data-hex",
    "00",
  ], "--data-hex: conflicts with --data; give one data source"],
  [
    ["build", "2001:db8::1", "--src", "2001:db8::2", "--df"],
    "--df: applies to IPv4 only, and TARGET 2001:db8::1 is IPv6",
  ],
  [
    ["build", "2001:db8::1", "--src", "2001:db8::2", "--ttl", "3"],
    "--ttl: applies to IPv4 only, and TARGET 2001:db8::1 is IPv6 (use --hop-limit)",
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--hop-limit", "3"],
    "--hop-limit: applies to IPv6 only, and TARGET 192.0.2.1 is IPv4 (use --ttl)",
  ],
  [
    ["build"],
    "missing TARGET (an IPv4 or IPv6 address, not a host name; TARGET:PORT or [IPv6]:PORT also sets the port)",
  ],
  [
    ["build", "192.0.2.1"],
    "--src: missing; the source address goes in the IP header and the TCP checksum (e.g. --src 192.0.2.42)",
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-o", "mss=abc"],
    '--option: "mss=abc": mss value "abc" is not an integer (0..65535)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-o", "sack=5"],
    '--option: "sack=5": sack block "5" is not LEFT-RIGHT (two 32-bit numbers joined by -)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-o", "md5=zz"],
    '--option: "md5=zz": md5 digest "zz" is not hex bytes ("z" is not a hex digit)',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-o", "md5=0011"],
    '--option: "md5=0011": md5 digest is 2 bytes, expected 16',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "--format", "xml"],
    '--format: "xml" is not one of text, hex, json',
  ],
  [
    [
      "build",
      "192.0.2.1",
      "--src",
      "192.0.2.42",
      "--data-file",
      "/nonexistent/payload",
    ],
    '--data-file: cannot read "/nonexistent/payload": no such file or directory',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-p"],
    "--dport: missing value (N)",
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-p", "1", "-p", "2"],
    '--dport: given twice ("1" and "2"); give it once',
  ],
  [
    ["build", "192.0.2.1:666", "--src", "192.0.2.42", "-p", "1"],
    "--dport: 1 disagrees with port 666 in TARGET 192.0.2.1:666; give one",
  ],
  [
    ["build", "192.0.2.1", "192.0.2.2", "--src", "192.0.2.42"],
    'unexpected argument "192.0.2.2"; only TARGET is expected',
  ],
  [
    ["build", "192.0.2.1", "--src", "192.0.2.42", "-p", "\u001b[31m"],
    '--dport: "\\x1b[31m" is not a port (0..65535)',
  ],
];

Deno.test("build refuses every bad command line with one line naming the flag, exit 2, nothing on stdout", async () => {
  for (const [args, message] of BAD) {
    const result = await cli(args);
    const label = args.join(" ");
    assert.equal(result.code, 2, label);
    assert.equal(result.stdout, "", label);
    const lines = result.stderr.split("\n");
    assert.equal(lines.length, 3, `${label}: ${result.stderr}`);
    assert.ok(
      lines[0]!.startsWith(`tcpcraft build: ${message}`),
      `${label}:\n  got ${lines[0]}\n  want tcpcraft build: ${message}`,
    );
    assert.equal(lines[1], "Try 'tcpcraft build --help'.", label);
    assert.equal(lines[2], "");
    assert.ok(
      [...result.stderr].every((c) => c === "\n" || c.charCodeAt(0) >= 0x20),
      "no control characters",
    );
  }
});

Deno.test("tcpcraft refuses a missing or unknown command and options before it, exit 2", async () => {
  const cases: [string[], string][] = [
    [
      [],
      "tcpcraft: missing command (one of build, send, explain, probe, scan, trace, listen, completions)",
    ],
    [["bild"], 'tcpcraft: unknown command "bild" (did you mean build?)'],
    [
      ["--bogus"],
      "tcpcraft: unknown option --bogus; options go after the command",
    ],
    [
      ["--build"],
      "tcpcraft: unknown option --build; options go after the command (did you mean build?)",
    ],
    [["help", "nope"], 'tcpcraft: unknown command "nope"'],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args);
    assert.deepEqual(result, {
      code: 2,
      stdout: "",
      stderr: `${message}\nTry 'tcpcraft --help'.\n`,
    }, args.join(" "));
  }
});

Deno.test("runCli() reports an unexpected error as one line without a stack, unless TCPCRAFT_DEBUG=1", async () => {
  const crashing = {
    name: "crash",
    summary: "throws a bug",
    help: () => "",
    run: () =>
      Promise.reject(new TypeError("cannot read properties of undefined")),
  };
  const quiet = createMemoryHost();
  const code = await runCommands(["crash"], quiet, {
    meta: { version: "0" },
    commands: [crashing],
  });
  assert.equal(code, 1);
  assert.equal(quiet.out, "");
  assert.equal(quiet.err, "error: cannot read properties of undefined\n");

  const debug = createMemoryHost({ env: { TCPCRAFT_DEBUG: "1" } });
  await runCommands(["crash"], debug, {
    meta: { version: "0" },
    commands: [crashing],
  });
  assert.match(
    debug.err,
    /^error: cannot read properties of undefined\nTypeError: .*\n +at /,
  );
});

Deno.test("runCli() prints a CliError as error: with its exit code, escaping control characters", async () => {
  const failing = {
    name: "fail",
    summary: "fails",
    help: () => "",
    run: () =>
      Promise.reject(
        new CliError("no route to \u001b[2J host\nsecond line", {
          exitCode: 3,
        }),
      ),
  };
  const host = createMemoryHost();
  const code = await runCommands(["fail"], host, {
    meta: { version: "0" },
    commands: [failing],
  });
  assert.equal(code, 3);
  assert.equal(host.err, "error: no route to \\x1b[2J host\n");
});

Deno.test("runCli() dispatches to the registered build command", async () => {
  assert.deepEqual(COMMANDS.map((command) => command.name), [
    "build",
    "send",
    "explain",
    "probe",
    "scan",
    "trace",
    "listen",
    "completions",
  ]);
  const host = createMemoryHost();
  const code = await runCli(
    [
      "build",
      "192.0.2.1:666",
      "--src",
      "192.0.2.42",
      "-f",
      "xmas",
      "--format",
      "hex",
    ],
    host,
    { version: "0" },
  );
  assert.equal(code, 0);
  assert.equal(
    host.out,
    "45000028000100004006f6a3c000022ac00002010014029a00000000000000005029200008e20000\n",
  );
});

Deno.test("tcpcraft stops with status 141 when the reader of its standard output goes away", async () => {
  // 2^24 addresses x 65535 ports: without stopping, this listing would run for days.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "cli.ts",
      "scan",
      "10.0.0.0/8",
      "-p",
      "-",
      "--dry-run",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.ok(!first.done && first.value.length > 0);
  await reader.cancel();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const status = await child.status;
  clearTimeout(timer);
  const stderr = new TextDecoder().decode(
    (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
  );
  assert.equal(status.code, 141, `stderr: ${stderr}`);
  assert.equal(stderr, "");
});
