import assert from "node:assert/strict";
import { encodePacket, formatHex } from "../mod.ts";
import { parseArgs } from "../src/cli/args.ts";
import { UsageError, ValueError } from "../src/cli/errors.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import {
  PACKET_OPTIONS,
  packetFromOptions,
  parseTcpOptionSpec,
  withPacketOptions,
} from "../src/cli/packet_options.ts";
import { parseTarget, targetAddress } from "../src/cli/target.ts";

const PYTHON = "/usr/bin/python3";

function hasScapy(): boolean {
  try {
    const { success } = new Deno.Command(PYTHON, {
      args: ["-c", "import scapy.all"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success;
  } catch {
    return false;
  }
}

const SCAPY = hasScapy();
if (!SCAPY) {
  console.log("scapy tests skipped: /usr/bin/python3 cannot import scapy");
}

/** Evaluate scapy expressions (one per line of output) and return bytes(...).hex() of each. */
async function scapyHex(expressions: string[]): Promise<string[]> {
  const script = [
    "import sys, json",
    "from scapy.all import *",
    "for e in json.load(sys.stdin): print(bytes(eval(e)).hex())",
  ].join("\n");
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(expressions)));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  assert.ok(success, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).trim().split("\n");
}

async function build(args: string[], target: string, files = {}) {
  const { values } = parseArgs(args, PACKET_OPTIONS);
  const host = createMemoryHost({ files, stdin: "from stdin" });
  return await packetFromOptions(values, targetAddress(parseTarget(target)), {
    host,
  });
}

async function usageMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UsageError, `not a UsageError: ${error}`);
    return error.message;
  }
  assert.fail("expected a UsageError");
}

Deno.test("parseTcpOptionSpec() reads every spec into its option", () => {
  const digest = "00112233445566778899aabbccddeeff";
  const cases: [string, unknown][] = [
    ["mss=1460", { kind: "mss", value: 1460 }],
    ["MSS=0x5b4", { kind: "mss", value: 1460 }],
    ["wscale=7", { kind: "wscale", shift: 7 }],
    ["ws=14", { kind: "wscale", shift: 14 }],
    ["sackok", { kind: "sackOk" }],
    ["sackOK", { kind: "sackOk" }],
    ["sack=100-200", { kind: "sack", blocks: [[100, 200]] }],
    ["sack=100-200,300-400", {
      kind: "sack",
      blocks: [[100, 200], [300, 400]],
    }],
    ["sack=0-4294967295", { kind: "sack", blocks: [[0, 4294967295]] }],
    ["ts=1:0", { kind: "timestamp", value: 1, echo: 0 }],
    ["ts=4294967295:7", { kind: "timestamp", value: 4294967295, echo: 7 }],
    ["ts=5", { kind: "timestamp", value: 5, echo: 0 }],
    ["nop", { kind: "nop" }],
    ["eol", { kind: "eol" }],
    [`md5=${digest}`, {
      kind: "md5",
      digest: new Uint8Array([
        0x00,
        0x11,
        0x22,
        0x33,
        0x44,
        0x55,
        0x66,
        0x77,
        0x88,
        0x99,
        0xaa,
        0xbb,
        0xcc,
        0xdd,
        0xee,
        0xff,
      ]),
    }],
    ["uto=30", { kind: "userTimeout", granularity: "seconds", timeout: 30 }],
    ["uto=90s", { kind: "userTimeout", granularity: "seconds", timeout: 90 }],
    ["uto=5m", { kind: "userTimeout", granularity: "minutes", timeout: 5 }],
    ["uto=32767", {
      kind: "userTimeout",
      granularity: "seconds",
      timeout: 32767,
    }],
    ["tfo", { kind: "fastOpen", cookie: new Uint8Array() }],
    ["tfo=61626364", {
      kind: "fastOpen",
      cookie: new Uint8Array([0x61, 0x62, 0x63, 0x64]),
    }],
    ["raw=99:7879", {
      kind: "unknown",
      type: 99,
      data: new Uint8Array([0x78, 0x79]),
    }],
    ["raw=0xfe:", { kind: "unknown", type: 254, data: new Uint8Array() }],
    ["rawbytes=03:05", { kind: "raw", bytes: new Uint8Array([3, 5]) }],
  ];
  for (const [spec, option] of cases) {
    assert.deepEqual(parseTcpOptionSpec(spec), option, spec);
  }
});

Deno.test("parseTcpOptionSpec() says what is wrong with a bad spec", () => {
  const cases: [string, string][] = [
    ["mss=abc", '"mss=abc": mss value "abc" is not an integer (0..65535)'],
    ["mss=70000", '"mss=70000": mss value "70000" is out of range (0..65535)'],
    ["mss", '"mss": mss needs a value: mss=N'],
    ["mss=", '"mss=": mss needs a value: mss=N'],
    ["wscale=256", '"wscale=256": wscale shift "256" is out of range (0..255)'],
    ["sackok=1", '"sackok=1": sackok takes no value'],
    ["nop=", '"nop=": nop takes no value'],
    [
      "sack=5",
      '"sack=5": sack block "5" is not LEFT-RIGHT (two 32-bit numbers joined by -)',
    ],
    [
      "sack=1-2,3",
      '"sack=1-2,3": sack block "3" is not LEFT-RIGHT (two 32-bit numbers joined by -)',
    ],
    [
      "sack=1-4294967296",
      '"sack=1-4294967296": sack right edge "4294967296" is out of range (0..4294967295)',
    ],
    ["ts=1:2:3", '"ts=1:2:3": ts is VAL:ECHO (two 32-bit numbers)'],
    ["ts=a:1", '"ts=a:1": ts value "a" is not an integer (0..4294967295)'],
    [
      "md5=zz",
      '"md5=zz": md5 digest "zz" is not hex bytes ("z" is not a hex digit)',
    ],
    ["md5=00", '"md5=00": md5 digest is 1 byte, expected 16'],
    [
      "uto=32768",
      '"uto=32768": uto seconds "32768" is out of range (0..32767)',
    ],
    ["uto=5h", '"uto=5h": uto seconds "5h" is not an integer (0..32767)'],
    [
      "tfo=abc",
      '"tfo=abc": tfo cookie "abc" is not hex bytes (odd number of hex digits (3))',
    ],
    ["raw=99", '"raw=99": raw is KIND:HEX (a kind number, a colon, the data)'],
    ["raw=256:00", '"raw=256:00": raw kind "256" is out of range (0..255)'],
    ["rawbytes=", '"rawbytes=": rawbytes needs a value: rawbytes=HEX'],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => parseTcpOptionSpec(spec), {
      name: "ValueError",
      message,
    }, spec);
  }
  assert.throws(
    () => parseTcpOptionSpec("foo"),
    /^ValueError: "foo": unknown TCP option; use mss=N/,
  );
  assert.throws(
    () => parseTcpOptionSpec("wscal=7"),
    (error: unknown) =>
      error instanceof ValueError &&
      error.message.startsWith(
        '"wscal=7": unknown TCP option (did you mean wscale?)',
      ),
  );
});

Deno.test("parseTcpOptionSpec() treats names of Object.prototype as unknown options, not aliases", () => {
  for (
    const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]
  ) {
    assert.throws(
      () => parseTcpOptionSpec(name),
      (error) =>
        error instanceof ValueError &&
        error.message.includes(": unknown TCP option"),
      name,
    );
  }
});

Deno.test("parseTarget() reads addresses with and without ports", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["192.0.2.1", { host: "192.0.2.1", family: 4 }],
    ["192.0.2.1:666", { host: "192.0.2.1", family: 4, port: 666 }],
    ["192.0.2.1:0x50", { host: "192.0.2.1", family: 4, port: 80 }],
    ["2001:db8::1", { host: "2001:db8::1", family: 6 }],
    ["2001:DB8:0::1", { host: "2001:db8::1", family: 6 }],
    ["[2001:db8::1]", { host: "2001:db8::1", family: 6 }],
    ["[2001:db8::1]:80", { host: "2001:db8::1", family: 6, port: 80 }],
    ["::ffff:192.0.2.1", { host: "::ffff:192.0.2.1", family: 6 }],
    ["::1", { host: "::1", family: 6 }],
  ];
  for (const [text, expected] of cases) {
    assert.deepEqual(parseTarget(text), { ...expected, text }, text);
  }
  assert.deepEqual(parseTarget("example.com:443", { names: true }), {
    host: "example.com",
    port: 443,
    text: "example.com:443",
  });
  assert.throws(
    () => parseTarget("", { names: true }),
    {
      message: "TARGET: empty; give an IPv4 or IPv6 address or a host name",
    },
  );
});

Deno.test("parseTarget() refuses bad targets and host names with a TARGET: message", () => {
  const cases: [string, string][] = [
    ["", "TARGET: empty; give an IPv4 or IPv6 address"],
    [
      "example.com",
      'TARGET: "example.com" is a host name; give an IPv4 or IPv6 address (this command resolves no names)',
    ],
    [
      "localhost:80",
      'TARGET: "localhost" is a host name; give an IPv4 or IPv6 address (this command resolves no names)',
    ],
    [
      "192.0.2.300",
      'TARGET: cannot parse IPv4 address "192.0.2.300": part 4 is 300, must be 0..255',
    ],
    [
      "192.0.2",
      'TARGET: cannot parse IPv4 address "192.0.2": expected four decimal numbers separated by dots',
    ],
    [
      "192.0.2.1:99999",
      'TARGET: "192.0.2.1:99999": "99999" is not a port (0..65535)',
    ],
    ["192.0.2.1:", 'TARGET: "192.0.2.1:": "" is not a port (0..65535)'],
    ["[2001:db8::1", 'TARGET: "[2001:db8::1" has "[" without "]"'],
    [
      "[2001:db8::1]80",
      'TARGET: "[2001:db8::1]80": expected ":PORT" after "]"',
    ],
    [
      "[192.0.2.1]:80",
      'TARGET: "[192.0.2.1]:80": brackets are for IPv6 addresses',
    ],
    [
      "2001:db8::g",
      'TARGET: cannot parse IPv6 address "2001:db8::g": group "g" is not 1 to 4 hexadecimal digits',
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseTarget(text),
      { name: "UsageError", message },
      text,
    );
  }
  assert.throws(
    () => targetAddress(parseTarget("example.com", { names: true })),
    /TARGET: "example.com" is a host name/,
  );
});

Deno.test("packetFromOptions() applies scapy's defaults", async () => {
  const packet = await build(["--src", "192.0.2.42"], "192.0.2.1");
  assert.equal(packet.ip.version, 4);
  assert.equal(packet.tcp.srcPort, 20);
  assert.equal(packet.tcp.dstPort, 80);
  assert.equal(packet.tcp.flags, 0x02);
  assert.equal(packet.tcp.window, 8192);
  if (packet.ip.version === 4) {
    assert.equal(packet.ip.ttl, 64);
    assert.equal(packet.ip.id, 1);
  }
});

Deno.test("packetFromOptions() takes the port from TARGET, or from --dport when they agree", async () => {
  assert.equal(
    (await build(["--src", "192.0.2.42"], "192.0.2.1:666")).tcp.dstPort,
    666,
  );
  assert.equal(
    (await build(["--src", "192.0.2.42", "-p", "666"], "192.0.2.1:666")).tcp
      .dstPort,
    666,
  );
  assert.equal(
    await usageMessage(
      build(["--src", "192.0.2.42", "-p", "80"], "192.0.2.1:666"),
    ),
    "--dport: 80 disagrees with port 666 in TARGET 192.0.2.1:666; give one",
  );
});

Deno.test("packetFromOptions() reads the payload from each data source", async () => {
  const text = await build(
    ["--src", "192.0.2.42", "--data", "héllo"],
    "192.0.2.1",
  );
  assert.equal(formatHex(text.tcp.payload), "68c3a96c6c6f");
  const hex = await build(
    ["--src", "192.0.2.42", "--data-hex", "de:ad 0xbeef"],
    "192.0.2.1",
  );
  assert.equal(formatHex(hex.tcp.payload), "deadbeef");
  const file = await build(
    ["--src", "192.0.2.42", "--data-file", "payload.bin"],
    "192.0.2.1",
    { "payload.bin": new Uint8Array([0, 1, 2, 255]) },
  );
  assert.equal(formatHex(file.tcp.payload), "000102ff");
  const stdin = await build(
    ["--src", "192.0.2.42", "--data-file", "-"],
    "192.0.2.1",
  );
  assert.equal(new TextDecoder().decode(stdin.tcp.payload), "from stdin");
});

Deno.test("packetFromOptions() refuses two data sources and an unreadable file, naming the flag", async () => {
  assert.equal(
    await usageMessage(
      build(
        ["--src", "192.0.2.42", "--data", "a", "--data-hex", "00"],
        "192.0.2.1",
      ),
    ),
    "--data-hex: conflicts with --data; give one data source",
  );
  assert.equal(
    await usageMessage(
      build(
        ["--src", "192.0.2.42", "--data-file", "x", "--data-hex", "00"],
        "192.0.2.1",
      ),
    ),
    "--data-file: conflicts with --data-hex; give one data source",
  );
  assert.equal(
    await usageMessage(
      build(["--src", "192.0.2.42", "--data-file", "missing"], "192.0.2.1"),
    ),
    '--data-file: cannot read "missing": no such file or directory',
  );
});

Deno.test("packetFromOptions() refuses mixed families and options of the other family", async () => {
  const cases: [string[], string, string][] = [
    [
      ["--src", "2001:db8::1"],
      "192.0.2.1",
      "--src: 2001:db8::1 is IPv6 but TARGET 192.0.2.1 is IPv4",
    ],
    [
      ["--src", "192.0.2.42"],
      "2001:db8::1",
      "--src: 192.0.2.42 is IPv4 but TARGET 2001:db8::1 is IPv6",
    ],
    [
      ["--src", "2001:db8::2", "--ttl", "5"],
      "2001:db8::1",
      "--ttl: applies to IPv4 only, and TARGET 2001:db8::1 is IPv6 (use --hop-limit)",
    ],
    [
      ["--src", "2001:db8::2", "--df"],
      "2001:db8::1",
      "--df: applies to IPv4 only, and TARGET 2001:db8::1 is IPv6",
    ],
    [
      ["--src", "2001:db8::2", "--id", "7"],
      "2001:db8::1",
      "--id: applies to IPv4 only, and TARGET 2001:db8::1 is IPv6",
    ],
    [
      ["--src", "2001:db8::2", "--ip-checksum", "7"],
      "2001:db8::1",
      "--ip-checksum: applies to IPv4 only, and TARGET 2001:db8::1 is IPv6",
    ],
    [
      ["--src", "192.0.2.42", "--hop-limit", "5"],
      "192.0.2.1",
      "--hop-limit: applies to IPv6 only, and TARGET 192.0.2.1 is IPv4 (use --ttl)",
    ],
    [
      ["--src", "192.0.2.42", "--flow-label", "5"],
      "192.0.2.1",
      "--flow-label: applies to IPv6 only, and TARGET 192.0.2.1 is IPv4",
    ],
    [
      [],
      "192.0.2.1",
      "--src: missing; the source address goes in the IP header and the TCP checksum (e.g. --src 192.0.2.42)",
    ],
  ];
  for (const [args, target, message] of cases) {
    assert.equal(
      await usageMessage(build(args, target)),
      message,
      args.join(" "),
    );
  }
});

Deno.test("packetFromOptions() uses --tos as the IPv6 traffic class", async () => {
  const packet = await build(
    ["--src", "2001:db8::2", "--tos", "0xb8"],
    "2001:db8::1",
  );
  assert.equal(packet.ip.version === 6 && packet.ip.trafficClass, 0xb8);
  const alias = await build(
    ["--src", "192.0.2.42", "--traffic-class", "4"],
    "192.0.2.1",
  );
  assert.equal(alias.ip.version === 4 && alias.ip.tos, 4);
});

Deno.test("packetFromOptions() refuses options that do not fit unless --data-offset is given", async () => {
  const eleven = Array.from({ length: 11 }, () => ["-o", "mss=1"]).flat();
  assert.equal(
    await usageMessage(build(["--src", "192.0.2.42", ...eleven], "192.0.2.1")),
    "--option: the options take 44 bytes, more than the 40 a TCP header holds (give --data-offset to write them anyway)",
  );
  const forced = await build(
    ["--src", "192.0.2.42", ...eleven, "--data-offset", "15"],
    "192.0.2.1",
  );
  const bytes = encodePacket(forced);
  assert.equal(bytes.length, 20 + 20 + 44);
  assert.equal(bytes[32]! >> 4, 15);
});

Deno.test("packetFromOptions() refuses a payload too large for the datagram", async () => {
  const big = new Uint8Array(65_496);
  assert.equal(
    await usageMessage(
      build(["--src", "192.0.2.42", "--data-file", "big"], "192.0.2.1", {
        big,
      }),
    ),
    "--data-file: 65496 bytes of data make a 65536-byte IPv4 datagram, more than 65535",
  );
  const fits = await build(
    ["--src", "192.0.2.42", "--data-file", "big"],
    "192.0.2.1",
    { big: big.subarray(1) },
  );
  assert.equal(encodePacket(fits).length, 65535);
  const v6 = await build(
    ["--src", "2001:db8::2", "--data-file", "big"],
    "2001:db8::1",
    { big: new Uint8Array(65_515) },
  );
  assert.equal(encodePacket(v6).length, 40 + 65_535);
});

Deno.test("withPacketOptions() lets a command add its options to the packet options", () => {
  const table = withPacketOptions({
    count: { kind: "number", short: "c", min: 1, max: 10, help: "how many" },
  });
  const { values } = parseArgs(["-c", "3", "-p", "22"], table);
  assert.equal(values.count, 3);
  assert.equal(values.dport, 22);
  assert.throws(
    () =>
      withPacketOptions({ other: { kind: "boolean", short: "p", help: "" } }),
    /-p is taken/,
  );
});

Deno.test({
  name: "packetFromOptions() with each -o spec encodes the bytes scapy builds",
  ignore: !SCAPY,
  async fn() {
    const md5 = "00112233445566778899aabbccddeeff";
    const cases: [string[], string][] = [
      [["mss=1460"], "[('MSS',1460)]"],
      [["wscale=7"], "[('WScale',7)]"],
      [["sackok"], "[('SAckOK',b'')]"],
      [["sack=100-200,300-400"], "[('SAck',(100,200,300,400))]"],
      [["ts=1:0"], "[('Timestamp',(1,0))]"],
      [["nop", "eol"], "[('NOP',None),('EOL',None)]"],
      [[`md5=${md5}`], `[(19,bytes.fromhex('${md5}'))]`],
      [["uto=30"], "[(28,b'\\x00\\x1e')]"],
      [["uto=5m"], "[(28,b'\\x80\\x05')]"],
      [["tfo"], "[(34,b'')]"],
      [["tfo=61626364"], "[(34,b'abcd')]"],
      [["raw=99:7879"], "[(99,b'xy')]"],
      [
        ["mss=1460", "sackok", "ts=1:0", "nop", "wscale=7"],
        "[('MSS',1460),('SAckOK',b''),('Timestamp',(1,0)),('NOP',None),('WScale',7)]",
      ],
    ];
    const ours: string[] = [];
    for (const [specs] of cases) {
      const packet = await build(
        [
          "--src",
          "192.0.2.42",
          "-p",
          "666",
          ...specs.flatMap((s) => ["-o", s]),
        ],
        "192.0.2.1",
      );
      ours.push(formatHex(encodePacket(packet)));
    }
    const theirs = await scapyHex(
      cases.map(([, options]) =>
        `IP(src='192.0.2.42',dst='192.0.2.1')/TCP(sport=20,dport=666,options=${options})`
      ),
    );
    cases.forEach(([specs], i) =>
      assert.equal(ours[i], theirs[i], specs.join(" "))
    );
  },
});
