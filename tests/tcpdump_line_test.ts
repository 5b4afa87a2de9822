/**
 * Real captures read right (issue #15): a packet captured shorter than it
 * was on the wire reports its lengths from the IP header, as tcpdump does;
 * a first fragment holding the TCP header is decoded as TCP; records whose
 * lengths cannot be right are named; the explainer's pseudo-header uses
 * the IP length. tcpdump and editcap, where present, judge the lines.
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  explainPacket,
  fragment,
  makeTcpPacket,
  MAX_ORIGINAL_LENGTH,
  PcapngWriter,
  PcapWriter,
  readCaptureBytes,
} from "../mod.ts";
import {
  describePacket,
  formatCapturedPacketText,
  formatPacketText,
} from "../src/cli/format.ts";
import { explainCommand } from "../src/cli/commands/explain.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { commandExists } from "./_netns.ts";
import { compareCapture } from "./_tcpdump_corpus.ts";

const TOOLS = commandExists("tcpdump") && commandExists("editcap");

/** An ordinary BGP UPDATE-sized segment: 55 bytes of data, timestamps. */
const BGP = encodePacket(makeTcpPacket({
  src: "192.0.2.1",
  dst: "192.0.2.2",
  srcPort: 179,
  dstPort: 40000,
  flags: 0x18,
  seq: 2331667507,
  ack: 1,
  window: 502,
  options: [{ kind: "nop" }, { kind: "nop" }, {
    kind: "timestamp",
    value: 7,
    echo: 9,
  }],
  payload: new Uint8Array(55).fill(0xff),
}));
const BGP_LINE =
  "IP 192.0.2.1.179 > 192.0.2.2.40000: Flags [P.], seq 2331667507:2331667562, ack 1, win 502, options [nop,nop,TS val 7 ecr 9], length 55";

Deno.test("a segment cut at the snapshot length keeps its length and sequence range from the IP header", () => {
  // editcap -s 100 on an Ethernet capture keeps 86 bytes of the datagram.
  const cut = BGP.subarray(0, 86);
  const packet = decodePacket(cut, { lenient: true });
  assert.deepEqual(packet.truncated, {
    segmentLength: 87,
    payloadLength: 55,
    capturedLength: 66,
  });
  assert.equal(packet.tcp.payload.length, 34);
  assert.equal(describePacket(packet), BGP_LINE);
  assert.equal(
    formatCapturedPacketText(cut, { wireLength: BGP.length }),
    BGP_LINE,
  );
  // The whole datagram says the same, without the marker.
  assert.equal(decodePacket(BGP).truncated, undefined);
  assert.equal(formatPacketText(BGP), BGP_LINE);
});

Deno.test("a TCP header cut in its options is written as far as it goes, then [|tcp]", () => {
  const syn = encodePacket(makeTcpPacket({
    src: "192.0.2.1",
    dst: "192.0.2.2",
    flags: 0x02,
    options: [
      { kind: "mss", value: 1460 },
      { kind: "sackOk" },
      { kind: "timestamp", value: 1, echo: 0 },
      { kind: "nop" },
      { kind: "wscale", shift: 7 },
    ],
  }));
  const at = (n: number) =>
    formatCapturedPacketText(syn.subarray(0, n), { wireLength: syn.length });
  assert.equal(
    at(46),
    "IP 192.0.2.1.20 > 192.0.2.2.80: Flags [S], seq 0, win 8192, options [mss 1460,sackOK, [|tcp]",
  );
  assert.equal(
    at(50),
    "IP 192.0.2.1.20 > 192.0.2.2.80: Flags [S], seq 0, win 8192, options [mss 1460,sackOK,TS [|tcp]>",
  );
  assert.equal(at(30), "IP 192.0.2.1.20 > 192.0.2.2.80:  [|tcp]");
  assert.equal(at(22), "IP 192.0.2.1 > 192.0.2.2: [|tcp]");
});

Deno.test("an IP length past the length on the wire starts the line as tcpdump's does", () => {
  const lying = BGP.slice();
  lying[3] = lying[3]! + 5; // total length 5 more than sent
  assert.match(
    formatPacketText(lying),
    /^IP truncated-ip - 5 bytes missing! 192\.0\.2\.1\.179 > 192\.0\.2\.2\.40000: Flags \[P\.\], seq 2331667507:2331667567, .*, length 60$/,
  );
  const short = BGP.slice();
  short[2] = 0;
  short[3] = 10;
  assert.equal(formatPacketText(short), "IP bad-len 10");
});

Deno.test({
  name: "tcpdump reads editcap's cut copy of a capture as tcpcraft does" +
    (TOOLS ? "" : " (skipped: needs tcpdump and editcap)"),
  ignore: !TOOLS,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const frame = new Uint8Array([...new Uint8Array(12), 0x08, 0x00, ...BGP]);
      const writer = new PcapWriter({ linkType: 1 });
      await Deno.writeFile(
        `${dir}/full.pcap`,
        new Uint8Array([
          ...writer.header(),
          ...writer.packet(frame, { timestamp: 0 }),
        ]),
      );
      for (const snaplen of [60, 80, 100]) {
        const cut = `${dir}/cut${snaplen}.pcap`;
        const edit = await new Deno.Command("editcap", {
          args: ["-s", String(snaplen), `${dir}/full.pcap`, cut],
        }).output();
        assert.ok(edit.success);
        const dump = await new Deno.Command("tcpdump", {
          args: ["-nn", "-S", "-t", "-r", cut],
          stdout: "piped",
          stderr: "null",
        }).output();
        const theirs = new TextDecoder().decode(dump.stdout).trim()
          .replace(/: BGP.*$/, "");
        const [record] = readCaptureBytes(await Deno.readFile(cut)).records;
        const ours = formatCapturedPacketText(record!.data.subarray(14), {
          wireLength: record!.originalLength - 14,
        });
        assert.equal(ours, theirs, `editcap -s ${snaplen}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a first fragment holding the TCP header is decoded as TCP, leniently", () => {
  const packet = makeTcpPacket({
    src: "2001:db8::1",
    dst: "2001:db8::2",
    flags: 0x18,
    seq: 5,
    payload: new Uint8Array(64),
  });
  const [first, second] = fragment(packet, { size: 48 });
  const decoded = decodePacket(first!, { lenient: true });
  assert.equal(decoded.firstFragment, true);
  assert.equal(decoded.tcp.seq, 5);
  assert.equal(decoded.extensionHeaders?.at(-1)?.type, 44);
  assert.throws(() => decodePacket(first!), /fragments are not reassembled/);
  assert.equal(
    formatPacketText(first!),
    "IP6 2001:db8::1 > 2001:db8::2: frag (0|48) 20 > 80: Flags [P.], seq 5:33, ack 0, win 8192, length 28",
  );
  assert.equal(
    formatPacketText(second!),
    "IP6 2001:db8::1 > 2001:db8::2: frag (48|36)",
  );
  // The explainer explains its TCP header too, and cannot check the checksum.
  const explanation = explainPacket(first!);
  assert.equal(explanation.tcp?.seq, 5);
  assert.match(explanation.checksums[0]!.verdict, /one fragment of it/);
});

Deno.test("the explainer's pseudo-header of a cut segment carries the IP length", () => {
  const cut = BGP.subarray(0, 86);
  const explanation = explainPacket(cut, { wireLength: BGP.length });
  const tcp = explanation.checksums.find((c) => c.kind === "tcp")!;
  assert.equal(tcp.status, "unchecked");
  assert.equal(tcp.pseudoHeader?.length, 87);
  assert.match(tcp.verdict, /the capture holds 86 of the datagram's 107 bytes/);
  assert.equal(explanation.tcp?.payloadLength, 34);
  assert.equal(explanation.tcp?.wirePayloadLength, 55);
});

/** A classic pcap of one Ethernet record with these lengths. */
function pcapRecord(captured: Uint8Array, original: number): Uint8Array {
  const header = new PcapWriter({ linkType: 1 }).header();
  const record = new Uint8Array(16 + captured.length);
  const view = new DataView(record.buffer);
  view.setUint32(8, captured.length, true);
  view.setUint32(12, original, true);
  record.set(captured, 16);
  return new Uint8Array([...header, ...record]);
}

Deno.test("the capture readers flag an original length below the captured length or past any link's frame", () => {
  const frame = new Uint8Array([...new Uint8Array(12), 0x08, 0x00, ...BGP]);
  const huge = readCaptureBytes(pcapRecord(frame, 0xffff_ffff)).records[0]!;
  assert.equal(
    huge.lengthProblem,
    `original length 4294967295 at byte 36 is impossible: no link carries a frame of more than ${MAX_ORIGINAL_LENGTH} bytes`,
  );
  const less = readCaptureBytes(pcapRecord(frame, 60)).records[0]!;
  assert.equal(
    less.lengthProblem,
    "original length 60 at byte 36 is less than the 121 bytes captured",
  );
  assert.equal(
    readCaptureBytes(pcapRecord(frame, frame.length)).records[0]!
      .lengthProblem,
    undefined,
  );
  // pcapng: the enhanced packet block's original length.
  const writer = new PcapngWriter({ linkType: 1 });
  const file = new Uint8Array([
    ...writer.header(),
    ...writer.packet(frame, { timestamp: 0 }),
  ]);
  const block = file.length - (32 + Math.ceil(frame.length / 4) * 4);
  new DataView(file.buffer).setUint32(block + 24, 0xffff_ffff, true);
  assert.match(
    readCaptureBytes(file).records[0]!.lengthProblem ?? "",
    /^original length 4294967295 at byte \d+ is impossible/,
  );
});

Deno.test("explain --pcap names an empty record and an impossible length instead of 'not an IP datagram'", async () => {
  const frame = new Uint8Array([...new Uint8Array(12), 0x08, 0x00, ...BGP]);
  const empty = pcapRecord(new Uint8Array(), 0);
  const huge = pcapRecord(frame, 0xffff_ffff).subarray(24);
  const host = createMemoryHost({
    files: { "x.pcap": new Uint8Array([...empty, ...huge]) },
  });
  const code = await explainCommand.run(["--pcap", "x.pcap", "--brief"], {
    host,
    meta: { version: "0" },
  });
  assert.equal(code, 0);
  const [first, second] = host.out.trimEnd().split("\n");
  assert.equal(first, "1 [an empty record (0 bytes): skipped]");
  assert.ok(second!.startsWith(`2 ${BGP_LINE} [original length 4294967295`));
  assert.match(second!, /tcp checksum correct/);
});

Deno.test({
  name:
    "the kernel's TCP-MD5 and Multipath TCP captures, cut at 200 bytes, read as tcpdump reads them" +
    (commandExists("tcpdump") ? "" : " (skipped: needs tcpdump)"),
  ignore: !commandExists("tcpdump"),
  async fn() {
    const fixture = (name: string) =>
      new URL(`./fixtures/kernel/${name}`, import.meta.url).pathname;
    for (const name of ["kernel_md5_cut200.pcap", "kernel_mptcp_cut200.pcap"]) {
      const results = await compareCapture(fixture(name));
      assert.ok(results.length > 40, name);
      for (const r of results) {
        assert.ok(
          r.verdict === "equal" || r.verdict === "payload",
          `${name}#${r.index}\n  tcpdump:  ${r.theirs}\n  tcpcraft: ${r.ours}`,
        );
      }
    }
    const mptcp = await compareCapture(fixture("kernel_mptcp_cut200.pcap"));
    for (const subtype of ["capable", "join", "dss"]) {
      assert.ok(
        mptcp.some((r) =>
          r.ours?.includes(`mptcp 12 ${subtype}`) ||
          r.ours?.includes(`mptcp 24 ${subtype}`) ||
          r.ours?.includes(`mptcp 26 ${subtype}`)
        ),
        subtype,
      );
    }
    const crafted = await compareCapture(fixture("scapy_ipv6_ext_frag.pcap"));
    assert.deepEqual(
      crafted.filter((r) => r.verdict === "different").map((r) => r.theirs),
      [],
    );
  },
});
