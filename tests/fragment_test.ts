/**
 * IP fragmentation and reassembly against scapy: scapy's `defragment` and
 * `defragment6` put tcpcraft's fragments (in order, reversed, shuffled,
 * with a tiny first fragment) back into the original datagram byte for
 * byte; tcpcraft's plain fragments are the ones scapy's `fragment` and
 * `fragment6` make; tcpcraft's reassembler gives back what scapy built and
 * fragmented. The overlap variants are judged by a Linux peer in
 * `fragment_peer_test.ts`.
 */

import assert from "node:assert/strict";
import { python, SCAPY } from "./_peers.ts";
import {
  decodeIp,
  decodeIpv4Options,
  encodePacket,
  formatHex,
  fragment,
  type FragmentOptions,
  FragmentReassembler,
  type Ipv6Extension,
  makeTcpPacket,
  parseHex,
  type TcpPacket,
} from "../mod.ts";

/** mulberry32, so that every run fragments the same packets. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** Packets of both families, with options, extension headers and data of many lengths. */
function packets(): TcpPacket[] {
  const random = rng(13);
  const list: TcpPacket[] = [];
  const extensions: Ipv6Extension[][] = [
    [],
    [{ kind: "hopByHop", options: [{ kind: "routerAlert", value: 0 }] }],
    [
      { kind: "routing", addresses: ["2001:db8::c"], segmentsLeft: 1 },
      { kind: "destinationOptions", options: [] },
    ],
  ];
  for (let i = 0; i < 12; i++) {
    const payload = new Uint8Array(Math.floor(random() * 300) + 1).map(() =>
      Math.floor(random() * 256)
    );
    const v6 = i % 2 === 1;
    list.push(makeTcpPacket({
      src: v6 ? "2001:db8::1" : "192.0.2.42",
      dst: v6 ? "2001:db8::2" : "192.0.2.1",
      srcPort: 1024 + i,
      dstPort: 80,
      seq: Math.floor(random() * 2 ** 32),
      flags: 0x18,
      payload,
      options: i % 3 === 0 ? [{ kind: "mss", value: 1460 }] : [],
      ...(v6 ? { ipv6Extensions: extensions[i % 3]! } : i % 4 === 0
        ? {
          id: 4242 + i,
          ipOptions: [
            { kind: "recordRoute", addresses: ["0.0.0.0", "0.0.0.0"] },
            { kind: "routerAlert", value: 0 },
          ],
        }
        : { id: 4242 + i }),
    }));
  }
  return list;
}

const VARIANTS: (Omit<FragmentOptions, "random"> & { name: string })[] = [
  { name: "in order", size: 16 },
  { name: "reversed", size: 24, order: "reverse" },
  { name: "shuffled", size: 8, order: "random" },
  { name: "tiny first", size: 64, firstSize: 8 },
];

Deno.test({
  name:
    "scapy reassembles tcpcraft's fragments into the original datagram, byte for byte",
  ignore: !SCAPY,
  async fn() {
    const cases: { original: string; fragments: string[]; name: string }[] = [];
    packets().forEach((packet, i) => {
      for (const variant of VARIANTS) {
        const fragments = fragment(packet, {
          ...variant,
          random: rng(i),
          id: 0x1000 + i,
        });
        assert.ok(fragments.length > 1 || variant.size >= 64);
        cases.push({
          name: `packet ${i} ${variant.name}`,
          original: formatHex(encodePacket(packet)),
          fragments: fragments.map((bytes) => formatHex(bytes)),
        });
      }
    });
    const out = await python(
      `import sys, json
from scapy.all import IP, IPv6, IPv6ExtHdrFragment, raw, defragment, defragment6
for c in json.load(sys.stdin):
    frags = [bytes.fromhex(f) for f in c["fragments"]]
    if frags[0][0] >> 4 == 4:
        whole = defragment([IP(f) for f in frags])
        print(raw(whole[0]).hex() if len(whole) == 1 else "incomplete")
    else:
        # scapy's defragment6 reads the fragments in the order given: sorted
        # by offset first, as a receiver places them.
        frags = sorted((IPv6(f) for f in frags), key=lambda p: p[IPv6ExtHdrFragment].offset)
        print(raw(defragment6(frags)).hex())`,
      cases,
    );
    const lines = out.trim().split("\n");
    assert.equal(lines.length, cases.length);
    cases.forEach((c, i) => assert.equal(lines[i], c.original, c.name));
  },
});

Deno.test({
  name:
    "tcpcraft's plain fragments are the ones scapy's fragment() and fragment6() make",
  ignore: !SCAPY,
  async fn() {
    const plain = packets().filter((p) =>
      p.ip.version === 6
        ? (p.extensionHeaders ?? []).length === 0
        : p.ip.options.length === 0
    );
    const cases = plain.map((packet) => ({
      hex: formatHex(encodePacket(packet)),
      size: 32,
    }));
    const out = await python(
      `import sys, json
from scapy.all import IP, IPv6, IPv6ExtHdrFragment, raw, fragment, fragment6
for c in json.load(sys.stdin):
    b = bytes.fromhex(c["hex"])
    if b[0] >> 4 == 4:
        print(" ".join(raw(f).hex() for f in fragment(IP(b), fragsize=c["size"])))
    else:
        p = IPv6(b)
        inner = p.payload
        p.remove_payload()
        del p.nh, p.plen
        p = p / IPv6ExtHdrFragment(id=7) / inner
        print(" ".join(raw(f).hex() for f in fragment6(p, 40 + 8 + c["size"])))`,
      cases,
    );
    const lines = out.trim().split("\n");
    plain.forEach((packet, i) => {
      const ours = fragment(packet, { size: 32, id: 7 }).map((b) =>
        formatHex(b)
      );
      assert.deepEqual(ours, lines[i]!.split(" "), `packet ${i}`);
    });
  },
});

Deno.test({
  name:
    "FragmentReassembler puts back what scapy fragmented, whatever the order",
  ignore: !SCAPY,
  async fn() {
    const out = await python(
      `import random
from scapy.all import *
random.seed(5)
for i in range(6):
    if i % 2 == 0:
        p = IP(src="198.51.100.1", dst="198.51.100.2", id=100 + i) / TCP(sport=1000 + i, dport=22, flags="PA") / Raw(bytes(range(256)) * (i + 1))
        frags = fragment(p, fragsize=8 * (i + 3))
    else:
        p = IPv6(src="2001:db8::5", dst="2001:db8::6") / IPv6ExtHdrFragment(id=i) / TCP(sport=1000 + i, dport=22, flags="PA") / Raw(bytes(range(200)) * i)
        frags = fragment6(p, 40 + 8 + 8 * (i + 3))
        p = IPv6(src="2001:db8::5", dst="2001:db8::6") / TCP(sport=1000 + i, dport=22, flags="PA") / Raw(bytes(range(200)) * i)
    frags = [raw(f) for f in frags]
    random.shuffle(frags)
    print(raw(p).hex(), " ".join(f.hex() for f in frags))`,
      null,
    );
    for (const line of out.trim().split("\n")) {
      const [original, ...fragments] = line.split(" ");
      const reassembler = new FragmentReassembler();
      const results = fragments.map((hex, i) =>
        reassembler.add(parseHex(hex), i + 1)
      );
      const done = results.filter((r) => r !== undefined);
      assert.equal(done.length, 1);
      assert.equal(results.at(-1), done[0]);
      assert.equal(formatHex(done[0]!.first), original);
      assert.deepEqual(done[0]!.overlaps, []);
      assert.equal(reassembler.pending, 0);
    }
  },
});

Deno.test("fragment() keeps only copied IPv4 options after the first fragment", () => {
  const packet = makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    payload: new Uint8Array(40),
    ipOptions: [
      { kind: "recordRoute", addresses: ["0.0.0.0"] }, // not copied
      { kind: "looseSourceRoute", addresses: ["192.0.2.1"] }, // copied
    ],
  });
  const [first, second] = fragment(packet, { size: 32 });
  const a = decodeIp(first!).ip;
  const b = decodeIp(second!).ip;
  assert.ok(a.version === 4 && b.version === 4);
  assert.deepEqual(decodeIpv4Options(a.options).options.map((o) => o.kind), [
    "recordRoute",
    "looseSourceRoute",
  ]);
  assert.deepEqual(decodeIpv4Options(b.options).options.map((o) => o.kind), [
    "looseSourceRoute",
  ]);
});

Deno.test("fragment() makes the evasion variants: duplicate, missing last, decoys before or after", () => {
  const packet = makeTcpPacket({
    src: "2001:db8::1",
    dst: "2001:db8::2",
    payload: new Uint8Array(40).fill(7),
  });
  const offsets = (list: Uint8Array[]) =>
    list.map((bytes) => {
      const word = (bytes[42]! << 8) | bytes[43]!;
      return `${word >> 3}${word & 1 ? "+" : ""}`;
    });
  assert.deepEqual(offsets(fragment(packet, { size: 16 })), [
    "0+",
    "2+",
    "4+",
    "6",
  ]);
  assert.deepEqual(
    offsets(fragment(packet, { size: 16, duplicate: 1 })),
    ["0+", "2+", "2+", "4+", "6"],
  );
  assert.deepEqual(
    offsets(fragment(packet, { size: 16, dropLast: true })),
    ["0+", "2+", "4+"],
  );
  const first = fragment(packet, { size: 16, overlap: "first" });
  const last = fragment(packet, { size: 16, overlap: "last" });
  // The last fragment's decoy would complete the datagram, or come after.
  assert.deepEqual(offsets(first), ["0+", "2+", "2+", "4+", "4+", "6"]);
  assert.deepEqual(offsets(last), ["0+", "2+", "2+", "4+", "4+", "6"]);
  const reassembled = (list: Uint8Array[]) => {
    const r = new FragmentReassembler();
    return list.map((b, i) => r.add(b, i)).find((x) => x !== undefined)!;
  };
  const whole = encodePacket(packet);
  assert.deepEqual(reassembled(first).first, whole);
  assert.notDeepEqual(reassembled(first).last, whole);
  assert.deepEqual(reassembled(last).last, whole);
  assert.notDeepEqual(reassembled(last).first, whole);
  assert.deepEqual(
    reassembled(first).overlaps.map((o) => [o.start, o.end, o.differs]),
    [[16, 32, true], [32, 48, true]],
  );
});

Deno.test("fragment() refuses bad sizes, DF, and fragments of fragments, with one line each", () => {
  const v4 = makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    payload: new Uint8Array(40),
  });
  assert.throws(
    () => fragment(v4, { size: 4 }),
    /size 4 is not a multiple of 8 bytes of at least 8/,
  );
  assert.throws(
    () => fragment(v4, { size: 12 }),
    /size 12 is not a multiple of 8/,
  );
  assert.equal(fragment(v4, { size: 12, raw: true }).length, 5);
  assert.throws(
    () =>
      fragment(
        makeTcpPacket({
          src: "192.0.2.42",
          dst: "192.0.2.1",
          dontFragment: true,
          payload: new Uint8Array(40),
        }),
        { size: 8 },
      ),
    /DF \(don't fragment\) is set/,
  );
  const [piece] = fragment(v4, { size: 8 });
  assert.throws(() => fragment(piece!, { size: 8 }), /already a fragment/);
  assert.throws(
    () => fragment(v4, { size: 8, order: [0, 9] }),
    /fragment 9 of the order does not exist/,
  );
  assert.throws(
    () => fragment(v4, { size: 40, overlap: "first" }),
    /no decoy would arrive before the datagram is complete/,
  );
});
