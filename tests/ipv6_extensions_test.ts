/**
 * Typed IPv6 extension headers: byte-identical with the packets scapy
 * builds from `IPv6ExtHdrHopByHop`, `IPv6ExtHdrDestOpt`, `IPv6ExtHdrRouting`,
 * `IPv6ExtHdrSegmentRouting` and `IPv6ExtHdrFragment` (options padded and
 * aligned as scapy pads them, the TCP checksum over the final destination),
 * and read back to the same types.
 */

import assert from "node:assert/strict";
import { python, SCAPY } from "./_peers.ts";
import {
  decodeIpv6Extension,
  decodePacket,
  encodePacket,
  formatHex,
  type Ipv6Extension,
  makeTcpPacket,
  parseHex,
  verifyPacketChecksums,
} from "../mod.ts";

interface Case {
  scapy: string;
  extensions: Ipv6Extension[];
}

const A = "2001:db8::a";
const B = "2001:db8::b";
const C = "2001:db8::c";

const CASES: Case[] = [
  {
    scapy: "IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])",
    extensions: [{
      kind: "hopByHop",
      options: [{ kind: "routerAlert", value: 0 }, { kind: "padN", size: 0 }],
    }],
  },
  {
    scapy:
      "IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x1e, optdata=b'\\x01\\x02')])",
    extensions: [{
      kind: "destinationOptions",
      options: [
        { kind: "unknown", type: 0x1e, data: parseHex("0102") },
        { kind: "padN", size: 0 },
      ],
    }],
  },
  {
    scapy:
      "IPv6ExtHdrDestOpt(options=[Pad1(), HBHOptUnknown(otype=0xc2, optdata=b'abcdefgh'), RouterAlert(value=1)])",
    extensions: [{
      kind: "destinationOptions",
      options: [
        { kind: "pad1" },
        { kind: "unknown", type: 0xc2, data: parseHex("6162636465666768") },
        { kind: "pad1" },
        { kind: "routerAlert", value: 1 },
        { kind: "padN", size: 4 },
      ],
    }],
  },
  {
    scapy: `IPv6ExtHdrRouting(addresses=['${B}', '${C}'])`,
    extensions: [{ kind: "routing", addresses: [B, C], segmentsLeft: 2 }],
  },
  {
    scapy: `IPv6ExtHdrSegmentRouting(addresses=['${C}', '${B}', '${A}'])`,
    extensions: [{
      kind: "segmentRouting",
      segmentList: [C, B, A],
      segmentsLeft: 2,
      lastEntry: 2,
      flags: 0,
      tag: 0,
    }],
  },
  {
    scapy: "IPv6ExtHdrFragment(id=0x1234, offset=0, m=0)",
    extensions: [{ kind: "fragment", offset: 0, more: false, id: 0x1234 }],
  },
  {
    scapy:
      `IPv6ExtHdrHopByHop(options=[RouterAlert()]) / IPv6ExtHdrRouting(addresses=['${C}'], segleft=1) / IPv6ExtHdrDestOpt()`,
    extensions: [
      {
        kind: "hopByHop",
        options: [{ kind: "routerAlert", value: 0 }, {
          kind: "padN",
          size: 0,
        }],
      },
      { kind: "routing", addresses: [C], segmentsLeft: 1 },
      { kind: "destinationOptions", options: [{ kind: "padN", size: 4 }] },
    ],
  },
];

/** The packet of a case, as tcpcraft builds it; padding it adds itself is left out. */
function ours(c: Case): Uint8Array {
  const withoutPadding = c.extensions.map((e): Ipv6Extension =>
    e.kind === "hopByHop" || e.kind === "destinationOptions"
      ? {
        ...e,
        options: e.options.filter((o, i) =>
          // scapy pads before an aligned option and at the end; so does tcpcraft.
          !(o.kind === "padN" && i === e.options.length - 1) &&
          !(o.kind === "pad1" && e.options[i + 1]?.kind === "routerAlert")
        ),
      }
      : e
  );
  return encodePacket(makeTcpPacket({
    src: "2001:db8::1",
    dst: A,
    ipv6Extensions: withoutPadding,
  }));
}

Deno.test({
  name:
    "typed IPv6 extension headers build the bytes scapy builds, with the checksum over the final destination",
  ignore: !SCAPY,
  async fn() {
    const out = await python(
      `import sys, json
from scapy.all import *
for ext in json.load(sys.stdin):
    p = IPv6(src="2001:db8::1", dst="${A}") / eval(ext) / TCP(sport=20, dport=80, flags="S")
    print(bytes(p).hex())`,
      CASES.map((c) => c.scapy),
    );
    const lines = out.trim().split("\n");
    CASES.forEach((c, i) => {
      const bytes = ours(c);
      assert.equal(formatHex(bytes), lines[i], c.scapy);
      assert.deepEqual(verifyPacketChecksums(bytes), { ip: null, tcp: true });
      const walked = decodePacket(parseHex(lines[i]!)).extensionHeaders ?? [];
      assert.deepEqual(
        walked.map((h) => decodeIpv6Extension(h.type, h.data)),
        c.extensions,
        c.scapy,
      );
    });
  },
});

Deno.test("ipv6ExtensionChain() refuses values out of range and addresses of the other family", () => {
  const build = (extensions: Ipv6Extension[]) =>
    encodePacket(makeTcpPacket({
      src: "2001:db8::1",
      dst: A,
      ipv6Extensions: extensions,
    }));
  assert.throws(
    () => build([{ kind: "routing", addresses: ["192.0.2.1"] }]),
    /IPv6 address/,
  );
  assert.throws(
    () => build([{ kind: "fragment", offset: 8192, more: false, id: 1 }]),
    /fragment offset 8192 is not in 0..8191/,
  );
  assert.throws(
    () =>
      makeTcpPacket({
        src: "192.0.2.1",
        dst: "192.0.2.2",
        ipv6Extensions: [],
      }),
    /ipv6Extensions applies only to IPv6/,
  );
});
