import assert from "node:assert/strict";
import {
  finishChecksum,
  foldSum,
  internetChecksum,
  IPPROTO_TCP,
  parseIPv4,
  parseIPv6,
  pseudoHeaderSumV4,
  pseudoHeaderSumV6,
  sumWords,
  updateChecksum,
  updateChecksumBytes,
  verifyChecksum,
} from "../mod.ts";
import {
  hex,
  PACKET_FIXTURES,
  pythonHas,
  runPython,
  seededRandom,
} from "./_fixtures.ts";
import { commandExists } from "./_netns.ts";
import { SIMD_CHECKSUM_WASM, simdSum } from "../src/wire/_checksum_simd.ts";
import { sumAligned } from "../src/wire/_checksum_words.ts";

function randomBytes(
  random: (max: number) => number,
  length: number,
): Uint8Array {
  return Uint8Array.from({ length }, () => random(256));
}

Deno.test("internetChecksum() gives the worked example of RFC 1071 §3", () => {
  const bytes = hex`00 01 f2 03 f4 f5 f6 f7`;
  assert.equal(sumWords(bytes), 0xddf2);
  assert.equal(internetChecksum(bytes), 0x220d);
});

Deno.test("sumWords() pads an odd trailing byte with a zero on the right", () => {
  assert.equal(sumWords(hex`12 34 56`), 0x1234 + 0x5600);
  assert.equal(sumWords(hex`ab`), 0xab00);
  assert.equal(internetChecksum(hex`12 34 56`), 0x97cb);
  assert.equal(sumWords(hex`12 34 56`), sumWords(hex`12 34 56 00`));
  assert.equal(sumWords(new Uint8Array()), 0);
  assert.equal(internetChecksum(new Uint8Array()), 0xffff);
});

Deno.test("sumWords() continues from an initial sum across even splits", () => {
  const random = seededRandom(1);
  for (let i = 0; i < 200; i++) {
    const data = randomBytes(random, random(300));
    const split = random(data.length + 1) & ~1;
    assert.equal(
      sumWords(data.subarray(split), sumWords(data.subarray(0, split))),
      sumWords(data),
    );
  }
});

Deno.test("foldSum() adds the carries back in until 16 bits remain", () => {
  assert.equal(foldSum(0), 0);
  assert.equal(foldSum(0xffff), 0xffff);
  assert.equal(foldSum(0x10000), 0x0001);
  assert.equal(foldSum(0x1fffe), 0xffff);
  assert.equal(foldSum(0x2_0001), 0x0003);
  assert.equal(foldSum(0xffff_ffff), 0xffff);
  assert.equal(foldSum(0x1_0000_fffe), 0xffff); // needs three rounds
  assert.equal(foldSum(2 ** 53 - 1), foldSum(foldSum(2 ** 53 - 1)));
  assert.equal(finishChecksum(0x1_0000), 0xfffe);
  assert.equal(finishChecksum(0x1234), 0xedcb);
});

Deno.test("verifyChecksum() accepts data holding its checksum and rejects one flipped bit", () => {
  const random = seededRandom(2);
  for (let i = 0; i < 100; i++) {
    const data = randomBytes(random, 2 * (random(50) + 2));
    data[2] = 0;
    data[3] = 0;
    const sum = internetChecksum(data);
    data[2] = sum >> 8;
    data[3] = sum & 0xff;
    assert.ok(verifyChecksum(data));
    const bit = random(data.length * 8);
    data[bit >> 3] = data[bit >> 3]! ^ (1 << (bit & 7));
    assert.equal(verifyChecksum(data), false);
  }
});

/** The pseudo-headers built as bytes, the way the RFCs draw them. */
function pseudoHeaderV4(
  src: Uint8Array,
  dst: Uint8Array,
  protocol: number,
  length: number,
) {
  return new Uint8Array([
    ...src,
    ...dst,
    0,
    protocol,
    length >> 8,
    length & 0xff,
  ]);
}
function pseudoHeaderV6(
  src: Uint8Array,
  dst: Uint8Array,
  next: number,
  length: number,
) {
  const bytes = new Uint8Array(40);
  bytes.set(src, 0);
  bytes.set(dst, 16);
  new DataView(bytes.buffer).setUint32(32, length);
  bytes[39] = next;
  return bytes;
}

Deno.test("pseudoHeaderSumV4() sums the 12-byte pseudo-header of RFC 9293 §3.1", () => {
  const src = parseIPv4("192.0.2.42");
  const dst = parseIPv4("192.0.2.1");
  assert.equal(pseudoHeaderSumV4(src, dst, IPPROTO_TCP, 20), 0x8446);
  const random = seededRandom(3);
  for (let i = 0; i < 300; i++) {
    const a = randomBytes(random, 4);
    const b = randomBytes(random, 4);
    const protocol = random(256);
    const length = random(65536);
    assert.equal(
      pseudoHeaderSumV4(a, b, protocol, length),
      sumWords(pseudoHeaderV4(a, b, protocol, length)),
    );
  }
});

Deno.test("pseudoHeaderSumV6() sums the 40-byte pseudo-header of RFC 8200 §8.1, with a 32-bit length", () => {
  const src = parseIPv6("2001:db8::1");
  const dst = parseIPv6("2001:db8::2");
  assert.equal(pseudoHeaderSumV6(src, dst, 6, 20), 0x5b8f);
  // Over 65535: the high half of the length counts too.
  assert.equal(
    pseudoHeaderSumV6(src, dst, 6, 0x12345),
    foldSum(0x5b8f - 20 + 0x0001 + 0x2345),
  );
  assert.notEqual(
    pseudoHeaderSumV6(src, dst, 6, 0x12345),
    pseudoHeaderSumV6(src, dst, 6, 0x2345),
  );
  const random = seededRandom(5);
  for (let i = 0; i < 300; i++) {
    const a = randomBytes(random, 16);
    const b = randomBytes(random, 16);
    const next = random(256);
    const length = random(2 ** 32);
    assert.equal(
      pseudoHeaderSumV6(a, b, next, length),
      sumWords(pseudoHeaderV6(a, b, next, length)),
    );
  }
  assert.equal(
    pseudoHeaderSumV6(src, dst, 6, 0xffffffff),
    sumWords(pseudoHeaderV6(src, dst, 6, 0xffffffff)),
  );
});

const FINAL_DESTINATION: Record<string, string> = {
  ipv6Routing: "2001:db8::c", // last address of the type 0 header
  ipv6SegmentRouting: "2001:db8::c", // Segment List[0]
};

Deno.test("pseudo-header sums give the TCP checksums scapy computed for the golden packets", () => {
  for (const fixture of PACKET_FIXTURES) {
    const ip = fixture.packet.ip;
    const tcp = fixture.bytes.slice(
      fixture.bytes.length -
        (fixture.packet.tcp.dataOffset * 4 + fixture.packet.tcp.payload.length),
    );
    tcp[16] = 0;
    tcp[17] = 0;
    if (ip.version === 4) {
      const sum = pseudoHeaderSumV4(
        parseIPv4(ip.src),
        parseIPv4(ip.dst),
        6,
        tcp.length,
      );
      assert.equal(
        internetChecksum(tcp, sum),
        fixture.packet.tcp.checksum,
        fixture.name,
      );
    } else {
      // With a routing header, the final destination (RFC 8200 §8.1), read from the scapy call.
      const dst = FINAL_DESTINATION[fixture.name] ?? ip.dst;
      const sum = pseudoHeaderSumV6(
        parseIPv6(ip.src),
        parseIPv6(dst),
        6,
        tcp.length,
      );
      assert.equal(
        internetChecksum(tcp, sum),
        fixture.packet.tcp.checksum,
        fixture.name,
      );
    }
  }
});

Deno.test("pseudo-header sums refuse wrong address sizes and lengths out of range", () => {
  const v4 = new Uint8Array(4);
  const v6 = new Uint8Array(16);
  assert.throws(() => pseudoHeaderSumV4(v6, v4, 6, 0), {
    name: "RangeError",
    message: "Cannot sum IPv4 pseudo-header: address is 16 bytes, expected 4",
  });
  assert.throws(() => pseudoHeaderSumV4(v4, v4, 6, 65536), {
    name: "RangeError",
    message: "Cannot sum IPv4 pseudo-header: length 65536 is not in 0..65535",
  });
  assert.throws(() => pseudoHeaderSumV6(v6, v4, 6, 0), {
    name: "RangeError",
    message: "Cannot sum IPv6 pseudo-header: address is 4 bytes, expected 16",
  });
  assert.throws(() => pseudoHeaderSumV6(v6, v6, 6, 2 ** 32), {
    name: "RangeError",
    message:
      "Cannot sum IPv6 pseudo-header: length 4294967296 is not in 0..4294967295",
  });
  assert.throws(() => pseudoHeaderSumV6(v6, v6, 6, -1), RangeError);
});

Deno.test("updateChecksum() and updateChecksumBytes() equal a full recomputation (seeded random)", () => {
  const random = seededRandom(1624);
  for (let i = 0; i < 2000; i++) {
    const data = randomBytes(random, 2 * (random(40) + 1));
    const before = internetChecksum(data);
    const word = random(data.length / 2);
    const oldWord = (data[2 * word]! << 8) | data[2 * word + 1]!;
    const newWord = random(4) === 0
      ? [0, 0xffff, oldWord][random(3)]!
      : random(65536);
    const changed = data.slice();
    changed[2 * word] = newWord >> 8;
    changed[2 * word + 1] = newWord & 0xff;
    // All-zero data is the one case where RFC 1624's eqn. 3 gives 0x0000 and
    // a full computation 0xffff (+0 and -0); it never happens under TCP/IP,
    // whose pseudo-header is never zero.
    if (changed.every((b) => b === 0)) continue;
    assert.equal(
      updateChecksum(before, oldWord, newWord),
      internetChecksum(changed),
    );

    const start = 2 * random(data.length / 2);
    const end = start + 2 * random((data.length - start) / 2 + 1);
    const replacement = randomBytes(random, end - start);
    const replaced = data.slice();
    replaced.set(replacement, start);
    if (replaced.every((b) => b === 0)) continue;
    assert.equal(
      updateChecksumBytes(before, data.subarray(start, end), replacement),
      internetChecksum(replaced),
    );
  }
});

Deno.test("updateChecksum() gives RFC 1624's TTL example and a checksum that verifies", () => {
  assert.equal(updateChecksum(0xb1e6, 0x4006, 0x3f06), 0xb2e6);
  const header = PACKET_FIXTURES[0]!.bytes.slice(0, 20);
  const stored = (header[10]! << 8) | header[11]!;
  const updated = updateChecksum(
    stored,
    (header[8]! << 8) | header[9]!,
    (63 << 8) | header[9]!,
  );
  header[8] = 63;
  header[10] = updated >> 8;
  header[11] = updated & 0xff;
  assert.ok(verifyChecksum(header));
});

Deno.test("updateChecksumBytes() refuses old and new bytes of different or odd lengths", () => {
  assert.throws(
    () => updateChecksumBytes(0, new Uint8Array(2), new Uint8Array(4)),
    {
      name: "RangeError",
      message:
        "Cannot update checksum: old and new bytes must be the same even length, got 2 and 4",
    },
  );
  assert.throws(
    () => updateChecksumBytes(0, new Uint8Array(3), new Uint8Array(3)),
    RangeError,
  );
});

const PYTHON_CHECKSUM = `
import json, sys
def checksum(b):
    if len(b) % 2:
        b += b"\\0"
    s = sum((b[i] << 8) | b[i + 1] for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
print(json.dumps([checksum(bytes.fromhex(h)) for h in json.load(sys.stdin)]))
`;

Deno.test({
  name:
    "internetChecksum() agrees with a plain Python RFC 1071 checksum on 500 random buffers" +
    (pythonHas("json") ? "" : " (skipped: no /usr/bin/python3)"),
  ignore: !pythonHas("json"),
  fn: async () => {
    const random = seededRandom(1071);
    const buffers: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) {
      const length = i < 10 ? i : random(i % 5 === 0 ? 9000 : 200);
      const fill = random(8);
      // Some all-0xff and all-zero buffers: the sums that fold the most.
      buffers.push(
        fill === 0
          ? new Uint8Array(length).fill(0xff)
          : fill === 1
          ? new Uint8Array(length)
          : randomBytes(random, length),
      );
    }
    const toHex = (b: Uint8Array) =>
      Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    const expected = await runPython(
      PYTHON_CHECKSUM,
      buffers.map(toHex),
    ) as number[];
    assert.equal(expected.length, buffers.length);
    for (let i = 0; i < buffers.length; i++) {
      assert.equal(
        internetChecksum(buffers[i]!),
        expected[i],
        `buffer ${i} (${buffers[i]!.length} bytes)`,
      );
    }
  },
});

/** The sum RFC 1071 defines, one big-endian word at a time. */
function referenceSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < data.length; i += 2) {
    sum += (data[i]! << 8) | (data[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Buffers of every kind of content the folding can get wrong. */
function contents(length: number, seed: number): Uint8Array[] {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  };
  return [
    new Uint8Array(length),
    new Uint8Array(length).fill(0xff),
    Uint8Array.from({ length }, random),
  ];
}

Deno.test("sumWords(), its 32-bit word path and its SIMD kernel equal the RFC 1071 sum for every length to 1100 and every alignment", () => {
  let checked = 0;
  for (let length = 0; length <= 1100; length++) {
    for (let offset = 0; offset < 8; offset++) {
      for (const content of contents(length + offset, length * 8 + offset)) {
        const data = content.subarray(offset);
        const expected = referenceSum(data);
        assert.equal(
          sumWords(data),
          expected,
          `length ${length}, offset ${offset}`,
        );
        assert.equal(sumWords(data, 0xfffe), referenceSum(data, 0xfffe));
        if (length >= 4) assert.equal(sumAligned(data), expected);
        const simd = simdSum(data);
        if (simd !== undefined) assert.equal(simd, expected);
        checked++;
      }
    }
  }
  assert.equal(checked, 1101 * 8 * 3);
});

Deno.test("sumWords() and its fast paths stay exact past their chunk sizes (256 KiB SIMD chunks, 8 MiB word passes)", () => {
  for (const length of [262_143, 262_144, 262_145, 9_000_001]) {
    for (const content of contents(length + 1, length)) {
      for (const data of [content.subarray(0, length), content.subarray(1)]) {
        const expected = referenceSum(data);
        assert.equal(sumWords(data), expected, `length ${length}`);
        assert.equal(sumAligned(data), expected, `length ${length}`);
        const simd = simdSum(data);
        if (simd !== undefined) assert.equal(simd, expected);
      }
    }
  }
});

Deno.test("the SIMD kernel runs here (Deno has WebAssembly SIMD), so its test above is not vacuous", () => {
  assert.notEqual(simdSum(new Uint8Array([1, 2, 3])), undefined);
});

Deno.test({
  name:
    "the inlined SIMD module is exactly what wat2wasm makes of the text in its documentation",
  ignore: !commandExists("wat2wasm"),
  fn() {
    const source = Deno.readTextFileSync(
      new URL("../src/wire/_checksum_simd.ts", import.meta.url),
    );
    const wat = /```wat\n([\s\S]*?)\n \* ```/.exec(source)?.[1]
      ?.split("\n").map((line) => line.replace(/^ \*( |$)/, "")).join("\n");
    assert.ok(wat !== undefined && wat.startsWith("(module"));
    const dir = Deno.makeTempDirSync();
    try {
      Deno.writeTextFileSync(`${dir}/sum.wat`, wat);
      const run = new Deno.Command("wat2wasm", {
        args: [`${dir}/sum.wat`, "-o", `${dir}/sum.wasm`],
      }).outputSync();
      assert.ok(run.success, new TextDecoder().decode(run.stderr));
      const bytes = Deno.readFileSync(`${dir}/sum.wasm`);
      assert.equal(
        btoa(String.fromCharCode(...bytes)),
        SIMD_CHECKSUM_WASM,
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
