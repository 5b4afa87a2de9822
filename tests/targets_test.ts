import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  type AddressRange,
  addressRangeSize,
  addressToBigInt,
  bigIntToAddress,
  formatAddress,
  MAX_IPV6_ADDRESSES,
  mergeAddressRanges,
  parseAddress,
  ParseError,
  parsePorts,
  parseTargetList,
  parseTargetSpec,
  portCount,
  subtractAddressRanges,
  TargetSpace,
} from "../mod.ts";

const PYTHON = "/usr/bin/python3";

function rangeOf(text: string): AddressRange {
  const spec = parseTargetSpec(text);
  assert.equal(spec.kind, "addresses", text);
  return spec.kind === "addresses" ? spec.range : assert.fail();
}

function text(range: AddressRange): string {
  return `${formatAddress(bigIntToAddress(range.first, range.family))}-${
    formatAddress(bigIntToAddress(range.last, range.family))
  }`;
}

Deno.test("parseTargetSpec() reads addresses, blocks and ranges of both families", () => {
  assert.equal(text(rangeOf("192.0.2.1")), "192.0.2.1-192.0.2.1");
  assert.equal(text(rangeOf("192.0.2.77/24")), "192.0.2.0-192.0.2.255");
  assert.equal(text(rangeOf("192.0.2.77/32")), "192.0.2.77-192.0.2.77");
  assert.equal(addressRangeSize(rangeOf("0.0.0.0/0")), 1n << 32n);
  assert.equal(text(rangeOf("10.0.0.5-10.0.1.2")), "10.0.0.5-10.0.1.2");
  assert.equal(text(rangeOf("[2001:db8::1]")), "2001:db8::1-2001:db8::1");
  assert.equal(text(rangeOf("2001:DB8::77/120")), "2001:db8::-2001:db8::ff");
  assert.equal(text(rangeOf("[2001:db8::]/126")), "2001:db8::-2001:db8::3");
  assert.equal(text(rangeOf("fd00::a-fd00::f")), "fd00::a-fd00::f");
  assert.equal(rangeOf("2001:db8::/104").family, 6);
  assert.equal(
    addressRangeSize(rangeOf("2001:db8::/104")),
    BigInt(MAX_IPV6_ADDRESSES),
  );
});

Deno.test("parseTargetSpec() returns host names for the caller to resolve", () => {
  assert.deepEqual(parseTargetSpec("scanme.example"), {
    kind: "name",
    name: "scanme.example",
    text: "scanme.example",
  });
  assert.equal(parseTargetSpec("my-host").kind, "name");
  assert.equal(parseTargetSpec("db-1.lab.example").kind, "name");
});

Deno.test("parseTargetSpec() refuses what it cannot scan, saying why", () => {
  const cases: [string, RegExp][] = [
    ["", /it is empty/],
    [
      "2001:db8::/64",
      /2\^64 addresses, more than the 2\^24 .* too large to sweep/,
    ],
    ["2001:db8::-2001:db8::1:0:0", /4294967297 addresses, more than the 2\^24/],
    ["192.0.2.0/33", /prefix "33" is not a number in 0\.\.32/],
    ["2001:db8::/129", /0\.\.128/],
    ["192.0.2.0/x", /prefix "x"/],
    ["192.0.2.9-192.0.2.1", /ends before it starts/],
    [
      "192.0.2.1-2001:db8::1",
      /starts with an IPv4 address and ends with an IPv6 one/,
    ],
    ["192.0.2.256", /part 4 is 256/],
    ["scanme.example/24", /a host name cannot take a prefix/],
    ["1.2.3", /expected four decimal numbers/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(() => parseTargetSpec(input), ParseError, input);
    assert.throws(() => parseTargetSpec(input), pattern, input);
  }
  assert.throws(() => parseTargetSpec("192.0.2.0/33"), {
    message:
      'Cannot parse target "192.0.2.0/33": prefix "33" is not a number in 0..32',
  });
});

Deno.test("parseTargetSpec() blocks agree with Python's ipaddress module", async () => {
  const specs = fc.sample(
    fc.oneof(
      fc.tuple(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
      )
        .map(([v, p]) =>
          `${formatAddress(bigIntToAddress(BigInt(v), 4))}/${p}`
        ),
      fc.tuple(
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.integer({ min: 104, max: 128 }),
      )
        .map(([v, p]) => `${formatAddress(bigIntToAddress(v, 6))}/${p}`),
    ),
    { numRuns: 300, seed: 42 },
  );
  const script = [
    "import ipaddress, json, sys",
    "out = []",
    "for s in json.load(sys.stdin):",
    "    n = ipaddress.ip_network(s, strict=False)",
    "    out.append([str(n.network_address), str(n.broadcast_address), n.num_addresses])",
    "print(json.dumps(out))",
  ].join("\n");
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(specs)));
  await writer.close();
  const output = await child.output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const expected = JSON.parse(new TextDecoder().decode(output.stdout)) as [
    string,
    string,
    number,
  ][];
  specs.forEach((spec, i) => {
    const range = rangeOf(spec);
    const [first, last, count] = expected[i]!;
    assert.equal(
      formatAddress(bigIntToAddress(range.first, range.family)),
      first,
      spec,
    );
    assert.equal(
      formatAddress(bigIntToAddress(range.last, range.family)),
      last,
      spec,
    );
    assert.equal(addressRangeSize(range), BigInt(count), spec);
  });
});

Deno.test("parsePorts() reads lists, ranges, open ends and -, merged and sorted", () => {
  assert.deepEqual(parsePorts("22,80,443"), [
    { first: 22, last: 22 },
    { first: 80, last: 80 },
    { first: 443, last: 443 },
  ]);
  assert.deepEqual(parsePorts("1-1024"), [{ first: 1, last: 1024 }]);
  assert.deepEqual(parsePorts("-"), [{ first: 1, last: 65535 }]);
  assert.deepEqual(parsePorts("-100"), [{ first: 1, last: 100 }]);
  assert.deepEqual(parsePorts("60000-"), [{ first: 60000, last: 65535 }]);
  assert.deepEqual(parsePorts("0"), [{ first: 0, last: 0 }]);
  assert.deepEqual(parsePorts("90-100, 80-89,443,100-101"), [
    { first: 80, last: 101 },
    { first: 443, last: 443 },
  ]);
  assert.equal(portCount(parsePorts("1-1024,1000-2000,22")), 2000);
  assert.equal(portCount(parsePorts("-,0")), 65536);
});

Deno.test("parsePorts() refuses bad lists with the reason", () => {
  const cases: [string, RegExp][] = [
    ["", /the list is empty/],
    ["70000", /70000 is not a port \(0\.\.65535\)/],
    ["22,,80", /an empty item between commas/],
    ["100-90", /the range 100-90 ends before it starts/],
    ["http", /http is not a port/],
    ["1-2-3", /2-3 is not a port/],
    ["T:80", /is not a port/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(() => parsePorts(input), ParseError, input);
    assert.throws(() => parsePorts(input), pattern, input);
  }
});

Deno.test("parseTargetList() splits files on spaces, commas and lines, without comments", () => {
  assert.deepEqual(
    parseTargetList("a b,c\r\n# all of this\n\td # e\n,,\n"),
    ["a", "b", "c", "d"],
  );
  assert.deepEqual(parseTargetList(""), []);
});

/** Small IPv4 ranges inside 0..63, for comparing with sets. */
const smallRanges = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 10 }))
    .map(([first, length]): AddressRange => ({
      family: 4,
      first: BigInt(first),
      last: BigInt(Math.min(63, first + length)),
    })),
  { maxLength: 6 },
);

function members(ranges: readonly AddressRange[]): Set<number> {
  const set = new Set<number>();
  for (const r of ranges) {
    for (let v = r.first; v <= r.last; v++) set.add(Number(v));
  }
  return set;
}

Deno.test("mergeAddressRanges() and subtractAddressRanges() agree with sets", () => {
  fc.assert(
    fc.property(smallRanges, smallRanges, (include, exclude) => {
      const merged = mergeAddressRanges(include);
      assert.deepEqual(members(merged), members(include));
      for (let i = 1; i < merged.length; i++) {
        // Sorted, disjoint and not touching.
        assert.ok(merged[i]!.first > merged[i - 1]!.last + 1n);
      }
      const kept = members(subtractAddressRanges(include, exclude));
      const cut = members(exclude);
      assert.deepEqual(
        kept,
        new Set([...members(include)].filter((v) => !cut.has(v))),
      );
    }),
    { numRuns: 300 },
  );
});

Deno.test("subtractAddressRanges() leaves other families alone", () => {
  const v4 = rangeOf("192.0.2.0/30");
  const v6 = rangeOf("2001:db8::/126");
  assert.deepEqual(
    subtractAddressRanges([v4, v6], [rangeOf("192.0.2.1")]).map(text),
    [
      "192.0.2.0-192.0.2.0",
      "192.0.2.2-192.0.2.3",
      "2001:db8::-2001:db8::3",
    ],
  );
});

Deno.test("TargetSpace numbers every (address, port) pair exactly once", () => {
  fc.assert(
    fc.property(
      smallRanges.filter((r) => r.length > 0),
      fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 5 }),
      (ranges, portList) => {
        const ports = parsePorts(portList.join(","));
        const space = new TargetSpace(ranges, ports);
        const addresses = members(ranges);
        const portSet = new Set(portList);
        assert.equal(space.addressCount, addresses.size);
        assert.equal(space.portCount, portSet.size);
        assert.equal(space.count, addresses.size * portSet.size);
        const seen = new Set<string>();
        for (let i = 0; i < space.count; i++) {
          const point = space.at(i);
          const value = Number(
            addressToBigInt(parseAddress(point.address).bytes),
          );
          assert.ok(addresses.has(value) && portSet.has(point.port));
          assert.equal(point.addressIndex, i % space.addressCount);
          seen.add(`${point.address} ${point.port}`);
        }
        assert.equal(seen.size, space.count);
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("TargetSpace mixes families and puts consecutive indices on different hosts", () => {
  const space = new TargetSpace(
    [rangeOf("2001:db8::fe-2001:db8::101"), rangeOf("192.0.2.255-192.0.3.0")],
    parsePorts("22,80"),
  );
  assert.deepEqual(space.families, [4, 6]);
  assert.equal(space.count, 12);
  assert.deepEqual(
    Array.from({ length: 6 }, (_, i) => space.addressAt(i)),
    [
      "192.0.2.255",
      "192.0.3.0",
      "2001:db8::fe",
      "2001:db8::ff",
      "2001:db8::100",
      "2001:db8::101",
    ],
  );
  assert.deepEqual(space.at(7), {
    address: "192.0.3.0",
    family: 4,
    port: 80,
    addressIndex: 1,
  });
  assert.throws(() => space.at(12), /index 12 is not in 0\.\.11/);
  assert.throws(() => space.portAt(2), RangeError);
});

Deno.test("TargetSpace reaches the last address of the IPv4 space and refuses over 2^52 pairs", () => {
  const all = new TargetSpace([rangeOf("0.0.0.0/0")], parsePorts("-"));
  assert.equal(all.count, 2 ** 32 * 65535);
  assert.equal(all.addressAt(2 ** 32 - 1), "255.255.255.255");
  assert.equal(all.at(all.count - 1).port, 65535);
  assert.throws(
    () =>
      new TargetSpace(
        [{ family: 6, first: 0n, last: (1n << 40n) - 1n }],
        parsePorts("-"),
      ),
    /more than 2\^52/,
  );
});
