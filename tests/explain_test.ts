import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  ConnectionTracker,
  DecodeError,
  encodePacket,
  encodeTcp,
  explainPacket,
  explainTcpSegment,
  type Explanation,
  linkPayload,
  LINKTYPE,
  makeTcpPacket,
  parseHex,
  readCaptureBytes,
} from "../mod.ts";
import { ANOMALY_FIXTURES, cleanSyn, xmas } from "./_explain_fixtures.ts";
import {
  ipv6Routing,
  ipv6SegmentRouting,
  pshAckOdd,
  pythonHas,
  runPython,
} from "./_fixtures.ts";
import { fixture, fixturePath, have } from "./fixtures/_tools.ts";

const SCAPY = pythonHas("scapy.all");
const TSHARK = have("tshark");
if (!SCAPY) {
  console.log("scapy tests skipped: /usr/bin/python3 cannot import scapy");
}
if (!TSHARK) console.log("tshark tests skipped: tshark is not installed");

function field(e: Explanation, layer: number, key: string) {
  const found = e.layers[layer]?.fields.find((f) => f.key === key);
  assert.ok(found, `no field ${key} in layer ${layer}`);
  return found;
}

Deno.test("explainPacket() reports exactly the anomalies of each fixture, in plain words", () => {
  for (const f of ANOMALY_FIXTURES) {
    const e = explainPacket(f.bytes);
    assert.deepEqual(
      e.anomalies.map((a) => a.code),
      f.codes,
      `${f.description}: ${JSON.stringify(e.anomalies)}`,
    );
    if (f.words !== undefined) {
      assert.match(e.anomalies[0]!.message, f.words, f.description);
    }
    for (const a of e.anomalies) {
      assert.ok(a.byteOffset >= 0 && a.byteOffset <= f.bytes.length);
      assert.doesNotMatch(a.message, /\.$/, "no trailing period");
    }
  }
});

Deno.test("explainPacket() finds nothing wrong in a clean SYN and checks both checksums", () => {
  const e = explainPacket(cleanSyn.bytes);
  assert.deepEqual(e.anomalies, []);
  assert.deepEqual(e.checksums.map((c) => [c.kind, c.status]), [
    ["ipv4-header", "correct"],
    ["tcp", "correct"],
  ]);
  assert.deepEqual(e.tcp?.flagNames, ["syn"]);
  assert.equal(e.tcp?.announcedWindowShift, 7);
  assert.equal(e.payload?.length, 0);
});

Deno.test("explainPacket() places every option at its byte offset with kind and length decoded", () => {
  const e = explainPacket(cleanSyn.bytes);
  const options = e.layers[1]!.fields.filter((f) =>
    f.key.startsWith("option.")
  );
  assert.deepEqual(
    options.map((f) => [f.key, f.byteOffset - 20, f.bitLength / 8, f.value]),
    [
      ["option.mss", 20, 4, 1460],
      ["option.sackOk", 24, 2, 4],
      ["option.timestamp", 26, 10, "1 0"],
      ["option.nop", 36, 1, 1],
      ["option.wscale", 37, 3, 7],
    ],
  );
  assert.match(options[0]!.meaning, /^kind 2, length 4: maximum segment size/);
  assert.deepEqual(options[2]!.option, {
    kind: "timestamp",
    value: 1,
    echo: 0,
  });
});

Deno.test("explainPacket() gives each flag its own bit: byte 13, bit 0 (CWR) to 7 (FIN), AE in byte 12", () => {
  const e = explainPacket(xmas.bytes);
  const flags = e.layers[1]!.fields.filter((f) => f.key.startsWith("flags."));
  assert.deepEqual(
    flags.map((f) => [f.name, f.byteOffset - 20, f.bitOffset, f.bits]),
    [
      ["AE", 12, 7, "0"],
      ["CWR", 13, 0, "0"],
      ["ECE", 13, 1, "0"],
      ["URG", 13, 2, "1"],
      ["ACK", 13, 3, "0"],
      ["PSH", 13, 4, "1"],
      ["RST", 13, 5, "0"],
      ["SYN", 13, 6, "0"],
      ["FIN", 13, 7, "1"],
    ],
  );
});

Deno.test("explainPacket() covers each header bit for bit, fields in wire order", () => {
  const packets = [
    ...ANOMALY_FIXTURES.map((f) => f.bytes),
    ipv6Routing.bytes,
    ipv6SegmentRouting.bytes,
    pshAckOdd.bytes,
  ];
  for (const bytes of packets) {
    const e = explainPacket(bytes);
    for (const layer of e.layers) {
      let bit = layer.byteOffset * 8;
      for (const f of layer.fields) {
        assert.equal(
          f.byteOffset * 8 + f.bitOffset,
          bit,
          `${layer.name} ${f.key}`,
        );
        assert.equal(f.bits.length, f.bitLength);
        assert.ok(f.bitOffset >= 0 && f.bitOffset < 8);
        bit += f.bitLength;
      }
      assert.equal(bit, (layer.byteOffset + layer.length) * 8, layer.name);
    }
  }
});

Deno.test({
  name:
    "explainPacket() reads every field as scapy dissects it, bits and value",
  ignore: !SCAPY,
  async fn() {
    const packets = ANOMALY_FIXTURES.filter((f) =>
      !f.codes.some((c) =>
        ["tcp-truncated", "ipv4-ihl", "data-offset-too-small"].includes(c)
      )
    ).map((f) => f.bytes).concat([pshAckOdd.bytes, ipv6Routing.bytes]);
    const theirs = await runPython(
      `
import sys, json
from scapy.all import IP, IPv6, TCP
out = []
for h in json.load(sys.stdin):
    b = bytes.fromhex(h)
    p = IP(b) if b[0] >> 4 == 4 else IPv6(b)
    t = p[TCP]
    ip = {}
    if b[0] >> 4 == 4:
        ip = dict(version=p.version, ihl=p.ihl, dscp=p.tos >> 2, ecn=p.tos & 3, totalLength=p.len,
                  id=p.id, reservedBit=int(p.flags) >> 2 & 1, dontFragment=int(p.flags) >> 1 & 1,
                  moreFragments=int(p.flags) & 1, fragmentOffset=p.frag, ttl=p.ttl, protocol=p.proto,
                  checksum=p.chksum, src=p.src, dst=p.dst)
    else:
        ip = dict(version=p.version, dscp=p.tc >> 2, ecn=p.tc & 3, flowLabel=p.fl, payloadLength=p.plen,
                  nextHeader=p.nh, hopLimit=p.hlim, src=p.src, dst=p.dst)
    flags = int(t.flags)
    tcp = dict(srcPort=t.sport, dstPort=t.dport, seq=t.seq, ack=t.ack, dataOffset=t.dataofs,
               reserved=t.reserved, window=t.window, checksum=t.chksum, urgentPointer=t.urgptr)
    for i, name in enumerate(["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ae"]):
        tcp["flags." + name] = flags >> i & 1
    out.append({"ip": ip, "tcp": tcp})
print(json.dumps(out))
`,
      packets.map((b) =>
        Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")
      ),
    ) as { ip: Record<string, number | string>; tcp: Record<string, number> }[];
    packets.forEach((bytes, i) => {
      const e = explainPacket(bytes);
      const tcpLayer = e.layers.findIndex((l) => l.kind === "tcp");
      for (const [key, value] of Object.entries(theirs[i]!.ip)) {
        assert.equal(field(e, 0, key).value, value, `packet ${i} ip ${key}`);
      }
      for (const [key, value] of Object.entries(theirs[i]!.tcp)) {
        const f = field(e, tcpLayer, key);
        assert.equal(f.value, value, `packet ${i} tcp ${key}`);
        if (typeof value === "number") {
          assert.equal(
            parseInt(f.bits, 2),
            value,
            `packet ${i} tcp ${key} bits`,
          );
        }
      }
    });
  },
});

/** What Python makes of a checksum: the words, the running end-around sums, the result. */
interface PythonChecksum {
  words: number[];
  folded: number[];
  sum: number;
  checksum: number;
  scapy: number;
}

const PYTHON_CHECKSUM = `
import sys, json, ipaddress
from scapy.all import IP, IPv6, TCP
out = []
for item in json.load(sys.stdin):
    b = bytes.fromhex(item["hex"])
    start, end = item["start"], item["end"]
    seg = bytearray(b[start:end])
    if item["kind"] == "tcp":
        seg[16:18] = b"\\0\\0"
        src = ipaddress.ip_address(item["src"]).packed
        dst = ipaddress.ip_address(item["dst"]).packed
        if len(src) == 4:
            pseudo = src + dst + bytes([0, 6]) + len(seg).to_bytes(2, "big")
        else:
            pseudo = src + dst + len(seg).to_bytes(4, "big") + bytes([0, 0, 0, 6])
        data = pseudo + bytes(seg)
    else:
        seg[10:12] = b"\\0\\0"
        data = bytes(seg)
    if len(data) % 2:
        data += b"\\0"
    words = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    folded, s = [], 0
    for w in words:
        s += w
        if s > 0xffff:
            s = (s & 0xffff) + 1
        folded.append(s)
    p = IP(b) if b[0] >> 4 == 4 else IPv6(b)
    if item["kind"] == "tcp":
        del p[TCP].chksum
        scapy = (IP(bytes(p)) if b[0] >> 4 == 4 else IPv6(bytes(p)))[TCP].chksum
    else:
        del p.chksum
        scapy = IP(bytes(p)).chksum
    out.append(dict(words=words, folded=folded, sum=s, checksum=~s & 0xffff, scapy=scapy))
print(json.dumps(out))
`;

Deno.test({
  name:
    "checksum steps are the words Python sums, each carry folded, and the result is scapy's",
  ignore: !SCAPY,
  async fn() {
    const packets = [
      cleanSyn.bytes,
      xmas.bytes,
      pshAckOdd.bytes,
      ANOMALY_FIXTURES.find((f) => f.codes.includes("tcp-checksum"))!.bytes,
      ipv6Routing.bytes,
      ipv6SegmentRouting.bytes,
      encodePacket(makeTcpPacket({
        src: "2001:db8::1",
        dst: "2001:db8::2",
        flags: 0x18,
        payload: new TextEncoder().encode("odd length payload!"),
      })),
      encodePacket(makeTcpPacket({
        src: "203.0.113.250",
        dst: "198.51.100.255",
        srcPort: 65535,
        dstPort: 65535,
        seq: 0xffffffff,
        ack: 0xffffffff,
        flags: 0x1ff,
        window: 0xffff,
        urgentPointer: 0xffff,
        payload: new Uint8Array(301).fill(0xff),
      })),
    ];
    const explained = packets.map((b) => explainPacket(b, { steps: true }));
    const items = explained.flatMap((e, i) =>
      e.checksums.map((work) => ({
        kind: work.kind,
        hex: Array.from(packets[i]!, (x) => x.toString(16).padStart(2, "0"))
          .join(""),
        start: work.covered.byteOffset,
        end: work.covered.byteOffset + work.covered.length,
        src: work.pseudoHeader?.src ?? "",
        dst: work.pseudoHeader?.dst ?? "",
      }))
    );
    const theirs = await runPython(PYTHON_CHECKSUM, items) as PythonChecksum[];
    const works = explained.flatMap((e) => e.checksums);
    assert.equal(works.length, theirs.length);
    assert.ok(
      works.some((w) => w.steps!.some((s) => s.carry)),
      "some carry is folded",
    );
    works.forEach((work, i) => {
      const python = theirs[i]!;
      const steps = work.steps!;
      assert.deepEqual(
        steps.map((s) => s.word),
        python.words,
        `${work.name} ${i} words`,
      );
      assert.deepEqual(
        steps.map((s) => s.folded),
        python.folded,
        `${work.name} ${i} sums`,
      );
      for (const s of steps) {
        assert.equal(s.sum, s.before + s.word);
        assert.equal(s.carry, s.sum > 0xffff);
      }
      assert.equal(work.sum, python.sum);
      assert.equal(work.computed, python.checksum);
      assert.equal(work.computed, python.scapy, `${work.name} ${i}: scapy`);
      assert.equal(
        work.status,
        work.stored === python.scapy ? "correct" : "wrong",
      );
    });
  },
});

Deno.test("checksums without steps give the same sum and verdict as with them", () => {
  for (const f of ANOMALY_FIXTURES) {
    const quick = explainPacket(f.bytes).checksums;
    const slow = explainPacket(f.bytes, { steps: true }).checksums;
    assert.deepEqual(
      quick.map((w) => [w.sum, w.computed, w.status, w.verdict]),
      slow.map((w) => [w.sum, w.computed, w.status, w.verdict]),
    );
    for (const w of quick) assert.equal(w.steps, undefined);
  }
});

Deno.test("explainPacket() uses the last address of an IPv4 source route with addresses left in the pseudo-header", () => {
  // Loose source route via 198.51.100.7 to 203.0.113.9, pointer 4: the
  // kernel, tcpdump and scapy all sum the TCP checksum over 203.0.113.9.
  const bytes = encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "198.51.100.7",
    ipOptions: parseHex("830b04 c6336407 cb007109 00"),
  }));
  const e = explainPacket(bytes);
  const tcp = e.checksums.find((c) => c.kind === "tcp")!;
  assert.equal(tcp.pseudoHeader?.dst, "203.0.113.9");
  assert.match(tcp.pseudoHeader?.note ?? "", /IPv4 source route/);
  assert.equal(tcp.status, "correct");
});

Deno.test("explainPacket() uses the final destination of an IPv6 routing header in the pseudo-header", () => {
  const e = explainPacket(ipv6Routing.bytes);
  const tcp = e.checksums[0]!;
  assert.equal(tcp.pseudoHeader?.dst, "2001:db8::c");
  assert.match(
    tcp.pseudoHeader?.note ?? "",
    /final one of the routing header at byte 40/,
  );
  assert.equal(tcp.status, "correct");
  assert.deepEqual(e.layers.map((l) => l.kind), [
    "ipv6",
    "ipv6-extension",
    "tcp",
  ]);
});

Deno.test("explainTcpSegment() checks the checksum only with both addresses", () => {
  const segment = xmas.bytes.subarray(20);
  const bare = explainTcpSegment(segment);
  assert.equal(bare.kind, "segment");
  assert.equal(bare.checksums[0]?.status, "unchecked");
  assert.match(
    bare.checksums[0]!.verdict,
    /needs the source and destination addresses/,
  );
  const full = explainTcpSegment(segment, {
    src: "192.0.2.42",
    dst: "192.0.2.1",
  });
  assert.equal(full.checksums[0]?.status, "correct");
  assert.equal(full.tcp?.src, "192.0.2.42");
  const moved = explainTcpSegment(segment, {
    src: "192.0.2.43",
    dst: "192.0.2.1",
  });
  assert.equal(moved.checksums[0]?.status, "wrong");
  assert.throws(
    () => explainTcpSegment(segment, { src: "192.0.2.42" }),
    /needs both src and dst/,
  );
  assert.throws(
    () => explainTcpSegment(segment, { src: "192.0.2.42", dst: "2001:db8::1" }),
    /mixed address families/,
  );
});

Deno.test("explainPacket() explains a datagram that is not TCP, or a fragment, down to the IP layer with a note", () => {
  const udp = encodePacket(
    makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.2", protocol: 17 }),
  );
  const e = explainPacket(udp);
  assert.equal(e.tcp, undefined);
  assert.deepEqual(e.layers.map((l) => l.kind), ["ipv4"]);
  assert.match(e.notes[0]!, /protocol 17 \(UDP\) is not TCP/);

  const packet = makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.2" });
  if (packet.ip.version !== 4) throw new Error("unreachable");
  packet.ip.fragmentOffset = 3;
  const later = explainPacket(encodePacket(packet));
  assert.equal(later.tcp, undefined);
  assert.match(later.notes[0]!, /a fragment at byte 24 of the datagram/);

  packet.ip.fragmentOffset = 0;
  packet.ip.moreFragments = true;
  const first = explainPacket(encodePacket(packet));
  assert.equal(first.tcp?.dstPort, 80);
  assert.equal(first.checksums[1]?.status, "unchecked");
  assert.match(first.checksums[1]!.verdict, /one fragment of it/);
});

Deno.test("explainPacket() judges a capture cut at the snapshot length by its length on the wire", () => {
  const full = encodePacket(makeTcpPacket({
    src: "192.0.2.1",
    dst: "192.0.2.2",
    flags: 0x18,
    payload: new Uint8Array(100),
  }));
  const cut = full.subarray(0, 60);
  const e = explainPacket(cut, { wireLength: full.length });
  assert.deepEqual(e.anomalies, []);
  assert.equal(e.checksums[1]?.status, "unchecked");
  assert.match(
    e.notes.join("\n"),
    /the capture holds 60 of the datagram's 140 bytes/,
  );
  // Without the wire length, the same bytes are a datagram cut short.
  assert.deepEqual(explainPacket(cut).anomalies.map((a) => a.code), [
    "ipv4-total-length",
  ]);
});

Deno.test("explainPacket() reports what a strict decoder refuses when no other anomaly says it", () => {
  // IPv6 with a hop-by-hop header cut short: the walk stops, strict decoding throws.
  const bytes = new Uint8Array(41);
  bytes[0] = 0x60;
  bytes[5] = 1; // payload length 1
  bytes[6] = 0; // next header: hop-by-hop
  bytes[8] = 0x20;
  bytes[24] = 0x20;
  const e = explainPacket(bytes);
  assert.deepEqual(e.anomalies.map((a) => a.code), ["malformed"]);
  assert.match(
    e.anomalies[0]!.message,
    /^Cannot decode IPv6 extension header: hop-by-hop options header at byte 40 needs 2 bytes/,
  );
  assert.match(e.notes[0]!, /protocol 0 .* is not TCP/);
});

Deno.test("explainPacket() throws a DecodeError only when there is no IP header to read", () => {
  for (
    const [bytes, message] of [
      [new Uint8Array(), /buffer is 0 bytes/],
      [new Uint8Array([0x00, 0x01]), /version 0 at byte 0 is neither 4 nor 6/],
      [
        new Uint8Array(12).fill(0x45, 0, 1),
        /IPv4 header: buffer is 12 bytes, expected at least 20/,
      ],
      [
        new Uint8Array(30).fill(0x60, 0, 1),
        /IPv6 header: buffer is 30 bytes, expected at least 40/,
      ],
    ] as const
  ) {
    assert.throws(() => explainPacket(bytes), (error) => {
      assert.ok(error instanceof DecodeError);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("explainPacket() never throws anything but DecodeError, whatever the bytes (fast-check)", () => {
  const seeds = ANOMALY_FIXTURES.map((f) => f.bytes);
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
      fc.nat(80),
      fc.boolean(),
      (seed, edits, cut, steps) => {
        const bytes = seed.slice(0, Math.max(0, seed.length - (cut % 24)));
        for (const [at, value] of edits) {
          if (bytes.length > 0) bytes[at % bytes.length] = value;
        }
        try {
          const e = explainPacket(bytes, { steps });
          for (const layer of e.layers) {
            for (const f of layer.fields) {
              assert.equal(f.bits.length, f.bitLength);
            }
          }
          explainTcpSegment(bytes.subarray(20), { steps });
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
        }
      },
    ),
    { numRuns: 3000, seed: 9293 },
  );
});

Deno.test("the payload preview never holds a control character", () => {
  const payload = new TextEncoder().encode("ok\x1b[2J\x07\r\n\\end\u202e");
  const e = explainPacket(encodePacket(makeTcpPacket({
    src: "192.0.2.1",
    dst: "192.0.2.2",
    flags: 0x18,
    payload,
  })));
  assert.equal(
    e.payload?.preview,
    "ok\\x1b[2J\\x07\\x0d\\x0a\\\\end\\xe2\\x80\\xae",
  );
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(e.payload!.preview, /[\u0000-\u001f\u007f-\uffff]/);
  assert.deepEqual(e.payload?.bytes, payload);
});

Deno.test("the window of a SYN is never scaled; later windows are, once both SYNs had wscale", () => {
  const a = "192.0.2.1", b = "192.0.2.2";
  const syn = (shift?: number) =>
    encodePacket(makeTcpPacket({
      src: a,
      dst: b,
      srcPort: 40000,
      dstPort: 80,
      seq: 100,
      window: 64240,
      options: shift === undefined ? [] : [{ kind: "wscale", shift }],
    }));
  const synAck = (shift?: number) =>
    encodePacket(makeTcpPacket({
      src: b,
      dst: a,
      srcPort: 80,
      dstPort: 40000,
      seq: 7000,
      ack: 101,
      flags: 0x12,
      options: shift === undefined ? [] : [{ kind: "wscale", shift }],
    }));
  const ack = encodePacket(makeTcpPacket({
    src: a,
    dst: b,
    srcPort: 40000,
    dstPort: 80,
    seq: 101,
    ack: 7001,
    flags: 0x10,
    window: 501,
  }));
  const reply = encodePacket(makeTcpPacket({
    src: b,
    dst: a,
    srcPort: 80,
    dstPort: 40000,
    seq: 7001,
    ack: 101,
    flags: 0x10,
    window: 100,
  }));

  const both = new ConnectionTracker();
  const first = both.explain(syn(7));
  assert.equal(first.tcp?.scaledWindow, undefined);
  assert.match(field(first, 1, "window").meaning, /never scaled/);
  both.explain(synAck(20));
  const scaled = both.explain(ack);
  assert.equal(scaled.tcp?.windowShift, 7);
  assert.equal(scaled.tcp?.scaledWindow, 501 * 128);
  assert.equal(field(scaled, 1, "window").display, "501 (×128 = 64128)");
  const capped = both.explain(reply);
  assert.equal(capped.tcp?.windowShift, 14, "a shift over 14 counts as 14");

  const one = new ConnectionTracker();
  one.explain(syn(7));
  one.explain(synAck());
  const none = one.explain(ack);
  assert.equal(none.tcp?.windowShift, 0);
  assert.match(
    field(none, 1, "window").meaning,
    /negotiated no window scaling/,
  );

  const unseen = new ConnectionTracker().explain(ack);
  assert.equal(unseen.tcp?.windowShift, undefined);
  assert.match(field(unseen, 1, "window").meaning, /handshake not seen here/);
});

/** Our connection-following values for each packet of a capture, as tshark names them. */
function ourConnectionFields(name: string): string[][] {
  const { records, error } = readCaptureBytes(fixture(name));
  assert.equal(error, undefined);
  const tracker = new ConnectionTracker();
  return records.map((record) => {
    const ip = linkPayload(record)!;
    const e = tracker.explain(ip);
    const t = e.tcp!;
    const syn = (t.flags & 0x02) !== 0;
    return [
      String(t.window),
      String(t.scaledWindow ?? t.window),
      syn ? "0" : String(t.relativeSeq ?? ""),
      (t.flags & 0x10) !== 0 ? String(t.relativeAck ?? "") : "0",
      e.checksums.find((c) => c.kind === "tcp")!.status === "correct"
        ? "1"
        : "0",
    ];
  });
}

Deno.test({
  name:
    "connections in captures are followed as tshark follows them: scaled window, relative seq and ack",
  ignore: !TSHARK,
  async fn() {
    for (
      const name of ["lo_ethernet.pcap", "any_sll.pcap", "tshark_lo.pcapng"]
    ) {
      const out = await new Deno.Command("tshark", {
        args: [
          "-r",
          fixturePath(name),
          "-o",
          "tcp.check_checksum:TRUE",
          "-o",
          "tcp.relative_sequence_numbers:TRUE",
          "-T",
          "fields",
          "-e",
          "tcp.window_size_value",
          "-e",
          "tcp.window_size",
          "-e",
          "tcp.seq",
          "-e",
          "tcp.ack",
          "-e",
          "tcp.checksum.status",
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      const theirs = new TextDecoder().decode(out.stdout).trim().split("\n")
        .map((line) => line.split("\t"));
      const ours = ourConnectionFields(name);
      assert.equal(ours.length, theirs.length, name);
      assert.ok(
        ours.some((row) => row[0] !== row[1]),
        `${name}: some window is scaled`,
      );
      assert.deepEqual(ours, theirs, name);
    }
  },
});

Deno.test("a capture on the sending host is recognised as checksum offload, not just a wrong checksum", () => {
  const { records } = readCaptureBytes(fixture("lo_ethernet.pcap"));
  const ip = linkPayload(records[0]!)!;
  assert.equal(records[0]!.linkType, LINKTYPE.ETHERNET);
  const e = explainPacket(ip);
  const tcp = e.checksums[1]!;
  assert.equal(tcp.status, "wrong");
  assert.match(tcp.note ?? "", /pseudo-header sum alone/);
  assert.match(e.anomalies[0]!.message, /unless this is checksum offload/);
});

Deno.test("explainTcpSegment() explains a header cut short as far as its bytes go", () => {
  const segment = encodeTcp(
    {
      srcPort: 20,
      dstPort: 80,
      seq: 1,
      ack: 0,
      flags: 0x02,
      window: 1,
      urgentPointer: 0,
      options: [],
      payload: new Uint8Array(),
    },
    { src: "192.0.2.1", dst: "192.0.2.2" },
  );
  const e = explainTcpSegment(segment.subarray(0, 9));
  assert.deepEqual(e.layers[0]!.fields.map((f) => f.key), [
    "srcPort",
    "dstPort",
    "seq",
  ]);
  assert.deepEqual(e.anomalies.map((a) => a.code), ["tcp-truncated"]);
  assert.equal(e.tcp, undefined);
  assert.deepEqual(e.checksums, []);
  assert.equal(explainTcpSegment(new Uint8Array()).layers[0]!.fields.length, 0);
});

Deno.test("explainPacket() explains the Christmas-tree packet of the README", () => {
  const bytes = parseHex(
    "45000028 00010000 4006f6a3 c000022a c0000201 0014029a 00000000 00000000 50292000 08e20000",
  );
  assert.deepEqual(bytes, xmas.bytes, "scapy made the same bytes");
  const e = explainPacket(bytes);
  assert.deepEqual(e.anomalies.map((a) => a.code), [
    "xmas",
    "urg-without-pointer",
  ]);
  assert.equal(
    field(e, 1, "dataOffset").meaning,
    "5 words × 4 = 20 bytes: no options",
  );
  assert.equal(field(e, 1, "checksum").display, "0x08e2");
});
