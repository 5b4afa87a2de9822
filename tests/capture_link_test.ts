/**
 * Tests for the link layers of src/capture/link.ts that real captures use
 * beyond Ethernet and Linux's cooked headers: PPP, PPP in HDLC framing,
 * Cisco HDLC, SLIP, Frame Relay, Apple's PKTAP and MPLS over Ethernet.
 * tshark decides where the IP datagram is (tcpdump for SLIP, which tshark
 * does not dissect): the addresses and ports it reads from each frame are
 * the ones `linkPayload` and `decodePacket` read.
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  linkPayload,
  LINKTYPE,
  makeTcpPacket,
  PcapWriter,
} from "../mod.ts";
import { commandExists } from "./_netns.ts";

const SKIP = commandExists("tshark") && commandExists("tcpdump")
  ? undefined
  : "tshark or tcpdump is missing (apt-get install tshark tcpdump)";

const V4 = encodePacket(makeTcpPacket({
  src: "192.0.2.1",
  dst: "198.51.100.2",
  srcPort: 1234,
  dstPort: 80,
  payload: new Uint8Array([1, 2, 3]),
}));
const V6 = encodePacket(makeTcpPacket({
  src: "2001:db8::1",
  dst: "2001:db8::2",
  srcPort: 4321,
  dstPort: 443,
}));

const bytes = (...parts: (number[] | Uint8Array)[]) =>
  new Uint8Array(parts.flatMap((part) => [...part]));

const MAC = [0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa];

/** A little-endian PKTAP header of 108 bytes naming the inner link type. */
function pktapHeader(dlt: number): number[] {
  const header = new Uint8Array(108);
  const view = new DataView(header.buffer);
  view.setUint32(0, 108, true); // pth_length
  view.setUint32(4, 1, true); // pth_type_next: a packet
  view.setUint32(8, dlt, true); // pth_dlt
  header.set(new TextEncoder().encode("en0"), 12);
  return [...header];
}

const CASES: { name: string; linkType: number; frame: Uint8Array }[] = [
  {
    name: "PPP, HDLC-like framing",
    linkType: LINKTYPE.PPP,
    frame: bytes([0xff, 0x03, 0x00, 0x21], V4),
  },
  {
    name: "PPP, no framing, IPv6",
    linkType: LINKTYPE.PPP,
    frame: bytes([0x00, 0x57], V6),
  },
  {
    name: "PPP, compressed protocol field",
    linkType: LINKTYPE.PPP,
    frame: bytes([0x21], V4),
  },
  {
    name: "PPP serial",
    linkType: LINKTYPE.PPP_SERIAL,
    frame: bytes([0xff, 0x03, 0x00, 0x57], V6),
  },
  {
    name: "PPP serial carrying Cisco HDLC",
    linkType: LINKTYPE.PPP_SERIAL,
    frame: bytes([0x0f, 0x00, 0x08, 0x00], V4),
  },
  {
    name: "Cisco HDLC",
    linkType: LINKTYPE.C_HDLC,
    frame: bytes([0x0f, 0x00, 0x08, 0x00], V4),
  },
  {
    name: "Cisco HDLC multicast, IPv6",
    linkType: LINKTYPE.C_HDLC,
    frame: bytes([0x8f, 0x00, 0x86, 0xdd], V6),
  },
  {
    name: "SLIP",
    linkType: LINKTYPE.SLIP,
    frame: bytes(new Uint8Array(16), V4),
  },
  {
    name: "Frame Relay, NLPID IPv4",
    linkType: LINKTYPE.FRELAY,
    frame: bytes([0x18, 0x41, 0x03, 0xcc], V4),
  },
  {
    name: "Frame Relay, NLPID IPv6",
    linkType: LINKTYPE.FRELAY,
    frame: bytes([0x18, 0x41, 0x03, 0x8e], V6),
  },
  {
    name: "Frame Relay, SNAP",
    linkType: LINKTYPE.FRELAY,
    frame: bytes([0x18, 0x41, 0x03, 0x00, 0x80, 0, 0, 0, 0x08, 0x00], V4),
  },
  {
    name: "PKTAP around Ethernet",
    linkType: LINKTYPE.PKTAP,
    frame: bytes(pktapHeader(1), MAC, [0x08, 0x00], V4),
  },
  {
    name: "PKTAP around raw IP",
    linkType: LINKTYPE.PKTAP,
    frame: bytes(pktapHeader(12), V6),
  },
  {
    name: "MPLS, one label",
    linkType: LINKTYPE.ETHERNET,
    frame: bytes(MAC, [0x88, 0x47, 0x00, 0x01, 0x01, 0x40], V4),
  },
  {
    name: "MPLS, two labels, IPv6",
    linkType: LINKTYPE.ETHERNET,
    frame: bytes(MAC, [
      0x88,
      0x47,
      0x00,
      0x02,
      0x00,
      0x40,
      0x00,
      0x03,
      0x01,
      0x40,
    ], V6),
  },
];

function run(command: string, args: string[]): string {
  const out = new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

/** What tshark (or, for SLIP, tcpdump) reads from a frame: addresses and ports. */
function theirFields(linkType: number, frame: Uint8Array): string {
  const dir = Deno.makeTempDirSync();
  try {
    const writer = new PcapWriter({ linkType });
    const file = bytes(writer.header(), writer.packet(frame, { timestamp: 0 }));
    Deno.writeFileSync(`${dir}/f.pcap`, file);
    if (linkType === LINKTYPE.SLIP) {
      const line = run("tcpdump", ["-r", `${dir}/f.pcap`, "-nn"]);
      const m = /^\S+ IP (\S+)\.(\d+) > (\S+)\.(\d+):/.exec(line);
      return m === null ? ",,,,," : `${m[1]},${m[3]},,,${m[2]},${m[4]}`;
    }
    return run("tshark", [
      "-r",
      `${dir}/f.pcap`,
      "-T",
      "fields",
      "-E",
      "separator=,",
      "-e",
      "ip.src",
      "-e",
      "ip.dst",
      "-e",
      "ipv6.src",
      "-e",
      "ipv6.dst",
      "-e",
      "tcp.srcport",
      "-e",
      "tcp.dstport",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

function ourFields(linkType: number, frame: Uint8Array): string {
  const ip = linkPayload({ linkType, data: frame });
  assert.ok(ip !== undefined, "no IP datagram found");
  const { ip: header, tcp } = decodePacket(ip);
  const [v4src, v4dst, v6src, v6dst] = header.version === 4
    ? [header.src, header.dst, "", ""]
    : ["", "", header.src, header.dst];
  return [v4src, v4dst, v6src, v6dst, tcp.srcPort, tcp.dstPort].join(",");
}

Deno.test({
  name:
    "linkPayload() finds the datagram tshark finds in PPP, HDLC, SLIP, Frame Relay, PKTAP and MPLS frames",
  ignore: SKIP !== undefined,
  fn() {
    for (const { name, linkType, frame } of CASES) {
      const theirs = theirFields(linkType, frame);
      assert.notEqual(theirs, ",,,,,", `${name}: the oracle found no IP`);
      assert.equal(ourFields(linkType, frame), theirs, name);
    }
  },
});

Deno.test("linkPayload() returns undefined for frames of these link types that carry no IP", () => {
  const cases: [number, Uint8Array][] = [
    [LINKTYPE.PPP, bytes([0xff, 0x03, 0xc0, 0x21, 1, 2])], // LCP
    [LINKTYPE.PPP, bytes([0xff])],
    [LINKTYPE.C_HDLC, bytes([0x0f, 0x00, 0x80, 0x35])], // Cisco SLARP
    [LINKTYPE.C_HDLC, bytes([0x42, 0x00, 0x08, 0x00], V4)], // not an HDLC address
    [LINKTYPE.SLIP, bytes(new Uint8Array(16))],
    [LINKTYPE.FRELAY, bytes([0x18, 0x41, 0x03, 0x81])], // NLPID of CLNP
    [LINKTYPE.FRELAY, bytes([0x18, 0x40, 0x40, 0x40, 0x40])], // no EA bit
    [LINKTYPE.PKTAP, bytes(new Uint8Array(8))],
    [LINKTYPE.PKTAP, bytes(pktapHeader(LINKTYPE.PKTAP), V4)], // a PKTAP in a PKTAP
    [LINKTYPE.ETHERNET, bytes(MAC, [0x88, 0x47, 0x00, 0x01, 0x00, 0x40])], // no bottom label
  ];
  for (const [linkType, frame] of cases) {
    assert.equal(
      linkPayload({ linkType, data: frame }),
      undefined,
      `${linkType} ${frame}`,
    );
  }
});
