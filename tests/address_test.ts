import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  addressBytes,
  formatAddress,
  formatIPv4,
  formatIPv6,
  parseAddress,
  ParseError,
  parseIPv4,
  parseIPv6,
} from "../mod.ts";
import { hex, pythonHas, runPython, seededRandom } from "./_fixtures.ts";

Deno.test("parseIPv4() reads dotted quads", () => {
  assert.deepEqual(parseIPv4("192.0.2.1"), hex`c0 00 02 01`);
  assert.deepEqual(parseIPv4("0.0.0.0"), hex`00 00 00 00`);
  assert.deepEqual(parseIPv4("255.255.255.255"), hex`ff ff ff ff`);
  assert.deepEqual(parseIPv4("10.0.100.9"), hex`0a 00 64 09`);
});

Deno.test("parseIPv4() refuses leading zeros, parts over 255, wrong part counts and empty text", () => {
  const cases: [string, string][] = [
    ["01.2.3.4", 'part 1 "01" is not a decimal number without leading zeros'],
    ["1.2.3.010", 'part 4 "010" is not a decimal number without leading zeros'],
    ["256.1.1.1", "part 1 is 256, must be 0..255"],
    ["1.2.3.999", "part 4 is 999, must be 0..255"],
    ["1.2.3", "expected four decimal numbers separated by dots"],
    ["1.2.3.4.5", "expected four decimal numbers separated by dots"],
    ["", "expected four decimal numbers separated by dots"],
    ["1..2.3", 'part 2 "" is not a decimal number without leading zeros'],
    ["1.2.3.-4", 'part 4 "-4" is not a decimal number without leading zeros'],
    ["0x1.2.3.4", 'part 1 "0x1" is not a decimal number without leading zeros'],
    [" 1.2.3.4", 'part 1 " 1" is not a decimal number without leading zeros'],
    [
      "1.2.3.1000",
      'part 4 "1000" is not a decimal number without leading zeros',
    ],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseIPv4(text), {
      name: "ParseError",
      message: `Cannot parse IPv4 address "${text}": ${reason}`,
    });
  }
});

Deno.test("parseIPv6() reads every textual form of RFC 4291 §2.2", () => {
  const cases: [string, string][] = [
    [
      "2001:0db8:0000:0000:0000:0000:0000:0001",
      "20010db8000000000000000000000001",
    ],
    ["2001:db8:0:0:0:0:0:1", "20010db8000000000000000000000001"],
    ["2001:db8::1", "20010db8000000000000000000000001"],
    ["::1", "00000000000000000000000000000001"],
    ["::", "00000000000000000000000000000000"],
    ["2001:db8::", "20010db8000000000000000000000000"],
    ["::2:3:4:5:6:7:8", "00000002000300040005000600070008"],
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
    ["1::8", "00010000000000000000000000000008"],
    ["2001:DB8::ABCD:eF01", "20010db80000000000000000abcdef01"],
    ["::ffff:192.0.2.1", "00000000000000000000ffffc0000201"],
    ["::192.0.2.1", "000000000000000000000000c0000201"],
    ["64:ff9b::198.51.100.7", "0064ff9b0000000000000000c6336407"],
    ["0:0:0:0:0:ffff:192.0.2.1", "00000000000000000000ffffc0000201"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
    ["fe80::1", "fe800000000000000000000000000001"],
  ];
  for (const [text, expected] of cases) {
    const bytes = parseIPv6(text);
    assert.equal(
      Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""),
      expected,
      text,
    );
  }
});

Deno.test("parseIPv6() refuses zone ids, two '::', wrong group counts, long groups and bad embedded IPv4", () => {
  const cases: [string, string][] = [
    [
      "fe80::1%eth0",
      "zone identifiers (the part after %) cannot be sent in a packet",
    ],
    ["1::2::3", '"::" may appear only once'],
    ["1:2:3:4:5:6:7:8:9", "expected 8 groups of hexadecimal digits, found 9"],
    ["1:2:3:4:5:6:7", "expected 8 groups of hexadecimal digits, found 7"],
    ["1:2:3:4:5:6:7:8::", '"::" must stand for at least one zero group'],
    ["::1:2:3:4:5:6:7:8", '"::" must stand for at least one zero group'],
    ["12345::", 'group "12345" is not 1 to 4 hexadecimal digits'],
    ["g::1", 'group "g" is not 1 to 4 hexadecimal digits'],
    [
      "::ffff:192.0.2.256",
      'embedded IPv4 address "192.0.2.256" is not a dotted quad',
    ],
    ["::ffff:192.0.2", 'embedded IPv4 address "192.0.2" is not a dotted quad'],
    ["::1.2.3.4:5", 'group "1.2.3.4" is not 1 to 4 hexadecimal digits'],
    ["1.2.3.4::", 'group "1.2.3.4" is not 1 to 4 hexadecimal digits'],
    [":1::2", "empty group (a single ':' where a number was expected)"],
    ["1::2:", "empty group (a single ':' where a number was expected)"],
    [":::", "empty group (a single ':' where a number was expected)"],
    ["", "expected 8 groups of hexadecimal digits, found 0"],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseIPv6(text), {
      name: "ParseError",
      message: `Cannot parse IPv6 address "${text}": ${reason}`,
    });
  }
});

Deno.test("parseAddress() tells the family, and takes IPv6 in brackets", () => {
  assert.deepEqual(parseAddress("192.0.2.1"), {
    family: 4,
    bytes: hex`c0 00 02 01`,
  });
  assert.equal(parseAddress("2001:db8::1").family, 6);
  assert.deepEqual(parseAddress("[2001:db8::1]"), parseAddress("2001:db8::1"));
  assert.throws(() => parseAddress("example.com"), {
    name: "ParseError",
    message:
      'Cannot parse address "example.com": expected an IPv4 address (192.0.2.1) or an IPv6 address (2001:db8::1)',
  });
  assert.throws(() => parseAddress(""), ParseError);
  assert.throws(
    () => parseAddress("1.2.3"),
    /Cannot parse IPv4 address "1.2.3"/,
  );
  assert.throws(() => parseAddress("[fe80::1%lo]"), /zone identifiers/);
});

Deno.test("formatIPv6() writes RFC 5952 text", () => {
  const cases: [string, string][] = [
    // §4.2.3: the longest run of zero groups is compressed ...
    ["2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    // ... the first one on a tie ...
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    // §4.2.2: ... and never a single zero group.
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"],
    // §4.1 and §4.3: no leading zeros, lowercase.
    ["2001:0DB8:0000:0000:0000:0000:0000:00AB", "2001:db8::ab"],
    [
      "ABCD:EF01:2345:6789:ABCD:EF01:2345:6789",
      "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
    ],
    // Runs at the edges, and everything.
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["0:0:1:0:0:0:1:0", "0:0:1::1:0"],
    // §5: IPv4-mapped addresses end with a dotted quad.
    ["::ffff:c000:201", "::ffff:192.0.2.1"],
    ["0:0:0:0:0:ffff:0:0", "::ffff:0.0.0.0"],
    // Not mapped: hexadecimal.
    ["::1:ffff:c000:201", "::1:ffff:c000:201"],
    ["::c000:201", "::c000:201"],
  ];
  for (const [text, canonical] of cases) {
    assert.equal(formatIPv6(parseIPv6(text)), canonical, text);
  }
});

Deno.test("formatIPv4(), formatAddress() and addressBytes() pick and check the family", () => {
  assert.equal(formatIPv4(hex`c6 33 64 07`), "198.51.100.7");
  assert.equal(formatAddress(hex`c6 33 64 07`), "198.51.100.7");
  assert.equal(formatAddress(parseIPv6("2001:db8::1")), "2001:db8::1");
  assert.throws(() => formatIPv4(new Uint8Array(5)), {
    name: "RangeError",
    message: "Cannot format IPv4 address: 5 bytes, expected 4",
  });
  assert.throws(() => formatIPv6(new Uint8Array(4)), {
    name: "RangeError",
    message: "Cannot format IPv6 address: 4 bytes, expected 16",
  });
  const v4 = hex`c0 00 02 01`;
  assert.equal(addressBytes(v4), v4);
  assert.equal(addressBytes(v4, 4), v4);
  assert.deepEqual(addressBytes("192.0.2.1", 4), v4);
  assert.equal(addressBytes("::1", 6).length, 16);
  assert.throws(() => addressBytes("::1", 4), {
    name: "ParseError",
    message: 'Cannot parse IPv4 address "::1": this is an IPv6 address',
  });
  assert.throws(() => addressBytes(v4, 6), {
    name: "RangeError",
    message: "Cannot use address: 4 bytes is not an IPv6 address",
  });
  assert.throws(() => addressBytes(new Uint8Array(5)), {
    name: "RangeError",
    message: "Cannot use address: 5 bytes, expected 4 or 16",
  });
});

Deno.test("parseIPv6() reads back what formatIPv6() writes, for any address", () => {
  const groups = fc.array(
    fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
    {
      minLength: 8,
      maxLength: 8,
    },
  );
  fc.assert(
    fc.property(groups, (words) => {
      const bytes = new Uint8Array(16);
      words.forEach((w, i) => {
        bytes[2 * i] = w >> 8;
        bytes[2 * i + 1] = w & 0xff;
      });
      assert.deepEqual(parseIPv6(formatIPv6(bytes)), bytes);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
      assert.deepEqual(parseIPv4(formatIPv4(bytes)), bytes);
    }),
  );
});

const PYTHON_IPADDRESS = `
import ipaddress, json, sys
out = []
for h in json.load(sys.stdin):
    a = ipaddress.IPv6Address(bytes.fromhex(h))
    out.append([a.compressed, a.exploded])
print(json.dumps(out))
`;

Deno.test({
  name:
    "formatIPv6() agrees with Python's ipaddress on 2000 random addresses with zero runs" +
    (pythonHas("ipaddress") ? "" : " (skipped: no /usr/bin/python3)"),
  ignore: !pythonHas("ipaddress"),
  fn: async () => {
    const random = seededRandom(5952);
    const addresses: Uint8Array[] = [];
    while (addresses.length < 2000) {
      const zeroChance = random(4) + 2; // 1 in 2 .. 1 in 5 groups are zero
      const bytes = new Uint8Array(16);
      for (let i = 0; i < 8; i++) {
        const word = random(zeroChance) === 0
          ? 0
          : [random(0x10), random(0x100), random(0x10000)][random(3)]!;
        bytes[2 * i] = word >> 8;
        bytes[2 * i + 1] = word & 0xff;
      }
      // IPv4-mapped addresses (::ffff:0:0/96) are written differently across Python versions.
      const mapped = bytes.subarray(0, 10).every((b) => b === 0) &&
        bytes[10] === 0xff && bytes[11] === 0xff;
      if (!mapped) addresses.push(bytes);
    }
    const toHex = (b: Uint8Array) =>
      Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    const python = await runPython(PYTHON_IPADDRESS, addresses.map(toHex)) as [
      string,
      string,
    ][];
    let compressedRuns = 0;
    for (let i = 0; i < addresses.length; i++) {
      const bytes = addresses[i]!;
      const [compressed, exploded] = python[i]!;
      assert.equal(formatIPv6(bytes), compressed, exploded);
      assert.deepEqual(parseIPv6(exploded!), bytes);
      assert.deepEqual(parseIPv6(compressed!.toUpperCase()), bytes);
      if (compressed!.includes("::")) compressedRuns++;
    }
    assert.ok(
      compressedRuns > 800,
      `only ${compressedRuns} addresses had a zero run`,
    );
  },
});
