import assert from "node:assert/strict";
import { python, SCAPY, TCPDUMP } from "./_peers.ts";
import {
  decodePacket,
  encodePacket,
  formatHex,
  makeTcpPacket,
  parseHex,
} from "../mod.ts";
import {
  describePacket,
  formatPacket,
  formatPacketText,
  packetJson,
  tcpdumpFlags,
  tcpdumpOption,
  toJsonValue,
} from "../src/cli/format.ts";

/** Whether text holds a C0 control character or DEL. */
function hasControl(text: string): boolean {
  return [...text].some((c) =>
    c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f
  );
}

/** bytes(eval(expression)) for each scapy expression. */
async function scapyBytes(expressions: string[]): Promise<Uint8Array[]> {
  const out = await python(
    "import sys, json\nfrom scapy.all import *\n" +
      "for e in json.load(sys.stdin): print(bytes(eval(e)).hex())",
    expressions,
  );
  return out.trim().split("\n").map(parseHex);
}

/** A classic pcap (microsecond, linktype 101 raw IP) holding the packets. */
function pcap(packets: readonly Uint8Array[]): Uint8Array {
  const size = 24 + packets.reduce((n, p) => n + 16 + p.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 65535, true);
  view.setUint32(20, 101, true);
  let at = 24;
  for (const packet of packets) {
    view.setUint32(at + 8, packet.length, true);
    view.setUint32(at + 12, packet.length, true);
    bytes.set(packet, at + 16);
    at += 16 + packet.length;
  }
  return bytes;
}

/** What `tcpdump -nn -S -t` prints for each packet. */
async function tcpdumpLines(packets: readonly Uint8Array[]): Promise<string[]> {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await Deno.writeFile(path, pcap(packets));
    const { success, stdout, stderr } = await new Deno.Command("tcpdump", {
      args: ["-nn", "-S", "-t", "-r", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(success, new TextDecoder().decode(stderr));
    return new TextDecoder().decode(stdout).trimEnd().split("\n");
  } finally {
    await Deno.remove(path);
  }
}

const V4 = "IP(src='192.0.2.42',dst='192.0.2.1')";
const V6 = "IPv6(src='2001:db8::1',dst='2001:db8::2',fl=5,hlim=3)";

// Packets on which tcpcraft's text line must be exactly tcpdump's.
const SAME_AS_TCPDUMP = [
  `${V4}/TCP(sport=20,dport=666,flags='FPU')`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[('MSS',1460),('SAckOK',b''),('Timestamp',(1,0)),('NOP',None),('WScale',7)])`,
  `${V4}/TCP(sport=20,dport=666,flags='SA',seq=5,ack=7)/b'hello'`,
  `${V4}/TCP(sport=20,dport=666,flags=0)`,
  `${V4}/TCP(sport=20,dport=666,flags=0xff,urgptr=5)`,
  `${V4}/TCP(sport=20,dport=666,flags='A',ack=9,options=[('SAck',(100,200,300,400)),('EOL',None)])`,
  `${V4}/TCP(sport=20,dport=666,flags='A',options=[('SAck',(100,200))])`,
  `${V6}/TCP(sport=20,dport=666,flags='S')`,
  `${V6}/TCP(sport=1,dport=2,flags='PA',seq=1,ack=2)/b'abc'`,
  `${V4}/TCP(sport=20,dport=666,flags='R')`,
  `${V4}/TCP(sport=20,dport=666,flags='RA',ack=1)`,
  `${V4}/TCP(sport=20,dport=666,flags='FA',seq=4294967295,ack=1)/b'ab'`,
  `${V4}/TCP(sport=20,dport=666,flags='PA',seq=1,ack=1)/b'ab'`,
  `${V4}/TCP(sport=20,dport=666,flags='A',chksum=0x1234)`,
  `${V4}/TCP(sport=20,dport=666,flags='SEC')`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(29,b'\\x01\\x02abcd'),(254,b'\\x12\\x34'),(253,b'\\xf9\\x89ab')])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(6,b'\\x00\\x00\\x00\\x05'),(7,b'\\x00\\x00\\x00\\x01'),(11,b'\\x00\\x00\\x00\\x02'),(12,b'\\x00\\x00\\x00\\x07'),(20,b'\\x01\\x02')])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(99,b'xy'),(100,b'')])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[('EOL',None),('NOP',None)])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[('NOP',None),('NOP',None),('NOP',None),('NOP',None)])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(5,b'')])`,
  // MD5, MPTCP and kind 254 as tcpdump prints them (issue #15).
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(19,b'a'*16)])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(30,b'\\x00\\x81')])`,
  `${V4}/TCP(sport=20,dport=666,flags='A',options=[(30,b'\\x20\\x05' + bytes(range(14)))])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(254,b'\\x12\\x34\\xab')])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(254,b'\\xf9\\x89abcd'),(254,b'\\xf9\\x89')])`,
  `${V4}/TCP(sport=20,dport=666,flags='S',options=[(13,b'\\x00\\x00\\x00\\x05')])`,
];

Deno.test({
  name:
    "formatPacket() text is the line tcpdump -nn -S prints, for packets scapy builds",
  ignore: !SCAPY || !TCPDUMP,
  async fn() {
    const packets = await scapyBytes(SAME_AS_TCPDUMP);
    const expected = await tcpdumpLines(packets);
    assert.equal(expected.length, packets.length);
    packets.forEach((packet, i) => {
      assert.equal(
        formatPacket(packet, "text"),
        expected[i],
        SAME_AS_TCPDUMP[i],
      );
    });
  },
});

Deno.test({
  name:
    "formatPacket() text says right what tcpdump 4.99 gets wrong or cannot check",
  ignore: !SCAPY,
  async fn() {
    const cases: [string, string][] = [
      // tcpdump: "uto 0x8005 983160", reading the G bit as the low bit.
      [`(28,b'\\x80\\x05')`, "uto 0x8005 5m"],
      // tcpdump: "uto 0x1e 15".
      [`(28,b'\\x00\\x1e')`, "uto 0x1e 30s"],
      // tcpdump: "tfo  cookiereq", two spaces.
      [`(34,b'')`, "tfo cookiereq,eol"],
      [`(34,b'abcd')`, "tfo cookie 61626364,eol"],
    ];
    const packets = await scapyBytes(
      cases.map(([option]) =>
        `${V4}/TCP(sport=20,dport=666,flags='S',options=[${option}])`
      ),
    );
    packets.forEach((packet, i) => {
      assert.equal(
        formatPacket(packet, "text"),
        `IP 192.0.2.42.20 > 192.0.2.1.666: Flags [S], seq 0, win 8192, options [${
          cases[i]![1]
        }], length 0`,
      );
    });
  },
});

Deno.test("formatPacket() text shows a malformed option as bad opt with its bytes", () => {
  // tcpdump: "options [[bad opt]" and the line ends there.
  // IP 192.0.2.42.20 > 192.0.2.1.666: Flags [S], seq 0, win 8192, options [[bad opt]
  const bytes = parseHex(
    "4500002c 00010000 4006f69f c000022a c0000201" +
      "0014029a 00000000 00000000 60022000 00000000" +
      "03050000",
  );
  assert.equal(
    formatPacket(bytes, "text"),
    "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [S], seq 0, win 8192, options [bad opt 0x03050000], length 0",
  );
});

Deno.test("formatPacket() text marks a data offset that does not fit, and keeps the fields", () => {
  const short = encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    dstPort: 666,
    dataOffset: 3,
  }));
  // tcpdump: "IP 192.0.2.42.20 > 192.0.2.1.666:  tcp 8 [bad hdr length 12 - too short, < 20]"
  assert.equal(
    formatPacket(short, "text"),
    "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [S], seq 0, win 8192, length 0 [bad hdr length 12 - too short, < 20]",
  );
  const long = encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    dstPort: 666,
    dataOffset: 15,
  }));
  // tcpdump: "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [S] [bad hdr length 60 - too long, > 20]"
  assert.equal(
    formatPacket(long, "text"),
    "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [S], seq 0, win 8192, length 0 [bad hdr length 60 - too long, > 20]",
  );
});

Deno.test("tcpdumpFlags() writes AE as e, as tcpdump 4.99.5 and later do", () => {
  assert.equal(tcpdumpFlags(0x100), "e");
  assert.equal(tcpdumpFlags(0x1ff), "FSRP.UEWe");
  assert.equal(tcpdumpFlags(0x10), ".");
  assert.equal(tcpdumpFlags(0xc2), "SEW");
});

Deno.test("tcpdumpOption() writes a zero-block SACK as tcpdump does, with the trailing space", () => {
  assert.equal(tcpdumpOption({ kind: "sack", blocks: [] }), "sack 0 ");
  assert.equal(
    tcpdumpOption({
      kind: "tcpAo",
      keyId: 1,
      rNextKeyId: 2,
      mac: new Uint8Array(),
    }),
    "tcp-ao keyid 1 rnextkeyid 2",
  );
  assert.equal(
    tcpdumpOption({
      kind: "unknown",
      type: 13,
      data: new Uint8Array([0, 0, 0, 3]),
    }),
    // tcpdump's table names kind 13 with an empty string.
    " 3",
  );
});

Deno.test("formatPacket() text reports bytes that are not TCP/IP instead of throwing", () => {
  assert.equal(
    formatPacketText(new Uint8Array()),
    "[Cannot decode IP header: buffer is 0 bytes, expected at least 20] length 0",
  );
  const udp = parseHex(
    "4500001c 00010000 4011f6a0 c000022a c0000201 00140035 00080000",
  );
  assert.match(
    formatPacketText(udp),
    /^\[Cannot decode packet: protocol 17 is not TCP/,
  );
  assert.match(
    JSON.stringify(packetJson(udp)),
    /"error":"Cannot decode packet: protocol 17/,
  );
});

Deno.test("formatPacket() hex is the whole datagram as one lowercase line", () => {
  const bytes = encodePacket(makeTcpPacket({
    src: "2001:db8::1",
    dst: "2001:db8::2",
    payload: new Uint8Array([0xab, 0xcd]),
  }));
  const hex = formatPacket(bytes, "hex");
  assert.match(hex, /^[0-9a-f]+$/);
  assert.equal(hex.length, bytes.length * 2);
  assert.deepEqual(parseHex(hex), bytes);
});

Deno.test({
  name: "formatPacket() json holds every field with the values scapy dissects",
  ignore: !SCAPY,
  async fn() {
    const packets = await scapyBytes([
      `IP(src='192.0.2.42',dst='192.0.2.1',tos=0xb8,id=77,ttl=9,flags='DF')/TCP(sport=1234,dport=666,flags='PA',seq=3000000000,ack=42,window=1000,urgptr=3,reserved=5,options=[('MSS',1460),('Timestamp',(7,8)),(19,b'\\x01'*16),(34,b'')])/b'\\x00\\x1b[31mhi'`,
      `IPv6(src='2001:db8::1',dst='2001:db8::2',tc=4,fl=0xabcde,hlim=3)/TCP(sport=1,dport=2,flags=0x1ff,chksum=0xbeef)`,
    ]);
    const dissected = JSON.parse(
      await python(
        [
          "import sys, json",
          "from scapy.all import *",
          "out = []",
          "for h in json.load(sys.stdin):",
          "    b = bytes.fromhex(h)",
          "    p = IP(b) if b[0] >> 4 == 4 else IPv6(b)",
          "    t = p[TCP]",
          "    fresh = p.__class__(b)",
          "    del fresh[TCP].chksum",
          "    if fresh.version == 4: del fresh.chksum",
          "    fresh = p.__class__(bytes(fresh))",
          "    ip = {'version': p.version, 'src': p.src, 'dst': p.dst}",
          "    if p.version == 4:",
          "        ip.update(ihl=p.ihl, tos=p.tos, totalLength=p.len, id=p.id,",
          "                  dontFragment=bool(p.flags.DF), moreFragments=bool(p.flags.MF),",
          "                  reservedBit=bool(p.flags.evil), fragmentOffset=p.frag, ttl=p.ttl,",
          "                  protocol=p.proto, checksum=p.chksum, checksumValid=p.chksum == fresh.chksum)",
          "    else:",
          "        ip.update(trafficClass=p.tc, flowLabel=p.fl, payloadLength=p.plen,",
          "                  nextHeader=p.nh, hopLimit=p.hlim)",
          "    tcp = dict(srcPort=t.sport, dstPort=t.dport, seq=t.seq, ack=t.ack,",
          "               dataOffset=t.dataofs, reserved=t.reserved, flags=int(t.flags),",
          "               window=t.window, checksum=t.chksum, urgentPointer=t.urgptr,",
          "               checksumValid=t.chksum == fresh[TCP].chksum,",
          "               payload=bytes(t.payload).hex(), payloadLength=len(bytes(t.payload)),",
          "               optionKinds=[o[0] for o in t.options])",
          "    out.append({'length': len(b), 'ip': ip, 'tcp': tcp})",
          "print(json.dumps(out))",
        ].join("\n"),
        packets.map((p) => formatHex(p)),
      ),
    );
    const kindNames: Record<string, string> = {
      MSS: "mss",
      SAck: "sack",
      Timestamp: "timestamp",
      "19": "md5",
      MD5: "md5",
      TFO: "fastOpen",
      "34": "fastOpen",
    };
    packets.forEach((packet, i) => {
      const line = formatPacket(packet, "json");
      assert.ok(!line.includes("\n"));
      assert.ok(!hasControl(line), "no control characters");
      const ours = JSON.parse(line);
      const theirs = dissected[i];
      assert.equal(ours.length, theirs.length);
      for (const [key, value] of Object.entries(theirs.ip)) {
        assert.deepEqual(ours.ip[key], value, `ip.${key}`);
      }
      const { optionKinds, ...tcp } = theirs.tcp;
      for (const [key, value] of Object.entries(tcp)) {
        assert.deepEqual(ours.tcp[key], value, `tcp.${key}`);
      }
      // scapy lists the zero padding as EOL options; the model leaves out
      // the padding an encoder adds itself (dataOffset still counts it).
      const kinds = optionKinds.map((k: string | number) =>
        kindNames[String(k)] ?? String(k)
      );
      while (kinds.at(-1) === "EOL") kinds.pop();
      assert.deepEqual(
        ours.tcp.options.map((o: { kind: string }) => o.kind),
        kinds,
      );
    });
    const first = JSON.parse(formatPacket(packets[0]!, "json"));
    assert.deepEqual(first.tcp.flagNames, ["psh", "ack"]);
    assert.deepEqual(first.tcp.options, [
      { kind: "mss", value: 1460 },
      { kind: "timestamp", value: 7, echo: 8 },
      { kind: "md5", digest: "01".repeat(16) },
      { kind: "fastOpen", cookie: "" },
    ]);
    assert.equal(first.ip.options, "");
    const second = JSON.parse(formatPacket(packets[1]!, "json"));
    assert.equal(second.tcp.checksumValid, false);
    assert.equal(second.ip.checksumValid, undefined);
    assert.deepEqual(second.extensionHeaders, []);
    assert.deepEqual(second.tcp.flagNames, [
      "fin",
      "syn",
      "rst",
      "psh",
      "ack",
      "urg",
      "ece",
      "cwr",
      "ae",
    ]);
  },
});

Deno.test("describePacket() never lets control characters through", () => {
  const packet = decodePacket(encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    payload: new TextEncoder().encode("\u001b[2J\u0007"),
  })));
  assert.ok(!hasControl(describePacket(packet)));
  assert.ok(!hasControl(JSON.stringify(packetJson(encodePacket(packet)))));
});

Deno.test("toJsonValue() turns bytes into hex and leaves out undefined", () => {
  assert.deepEqual(
    toJsonValue({
      a: new Uint8Array([1, 255]),
      b: undefined,
      c: [1, "x", true],
      d: null,
    }),
    { a: "01ff", c: [1, "x", true], d: null },
  );
});
