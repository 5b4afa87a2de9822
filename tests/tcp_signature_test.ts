/**
 * TCP-MD5 and TCP-AO signatures, decided by others: the TCP-AO test vectors
 * of RFC 9235 (traffic keys and MACs of captured BGP segments, both
 * algorithms, IPv4 and IPv6, options covered and excluded), scapy's TCP-AO
 * module (`scapy.contrib.tcpao`, with Python's hmac and `cryptography`) on
 * packets tcpcraft signs, and RFC 2385's digest computed in Python with
 * hashlib. The kernel's verdict is in `signature_kernel_test.ts`.
 */

import assert from "node:assert/strict";
import { python, SCAPY } from "./_peers.ts";
import {
  ConnectionTracker,
  decodePacket,
  encodePacket,
  explainPacket,
  formatHex,
  makeTcpPacket,
  parseHex,
  signTcpSegment,
  type TcpAoAlgorithm,
  tcpAoMac,
  tcpAoTrafficKey,
  type TcpPacket,
  type TcpSignature,
  verifyTcpSignature,
  withTcpSignature,
} from "../mod.ts";

const MASTER = new TextEncoder().encode("testvector");

interface Vector {
  name: string;
  packet: string;
  trafficKey: string;
  mac: string;
  srcIsn: number;
  dstIsn: number;
  algorithm: TcpAoAlgorithm;
  excludeOptions: boolean;
}

const SHA1: TcpAoAlgorithm = "hmac-sha-1-96";
const CMAC: TcpAoAlgorithm = "aes-128-cmac-96";
const BGP_OPEN_V4 = `
  ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff 00 43 01 04`;

/** RFC 9235's vectors: the whole IP packet, its traffic key and its MAC. */
const VECTORS: Vector[] = [
  {
    name: "4.1.1 HMAC-SHA-1-96 client SYN",
    packet: `45 e0 00 4c dd 0f 40 00 ff 06 bf 6b 0a 0b 0c 0d
      ac 1b 1c 1d e9 d7 00 b3 fb fb ab 5a 00 00 00 00
      e0 02 ff ff ca c4 00 00 02 04 05 b4 01 03 03 08
      04 02 08 0a 00 15 5a b7 00 00 00 00 1d 10 3d 54
      2e e4 37 c6 f8 ed e6 d7 c4 d6 02 e7`,
    trafficKey: "6d63ef1b02fe1509d4b1402707fd7b0416abb74f",
    mac: "2ee437c6f8ede6d7c4d602e7",
    srcIsn: 0xfbfbab5a,
    dstIsn: 0,
    algorithm: SHA1,
    excludeOptions: false,
  },
  {
    name: "4.1.2 HMAC-SHA-1-96 server SYN-ACK",
    packet: `45 e0 00 4c 65 06 40 00 ff 06 37 75 ac 1b 1c 1d
      0a 0b 0c 0d 00 b3 e9 d7 11 c1 42 61 fb fb ab 5b
      e0 12 ff ff 37 76 00 00 02 04 05 b4 01 03 03 08
      04 02 08 0a 84 a5 0b eb 00 15 5a b7 1d 10 54 3d
      ee ab 0f e2 4c 30 10 81 51 16 b3 be`,
    trafficKey: "d9e217e4834a80ca2f3fd8de2e41b8e6797fea96",
    mac: "eeab0fe24c3010815116b3be",
    srcIsn: 0x11c14261,
    dstIsn: 0xfbfbab5a,
    algorithm: SHA1,
    excludeOptions: false,
  },
  {
    name: "4.1.3 HMAC-SHA-1-96 client data (BGP OPEN)",
    packet: `45 e0 00 87 36 a1 40 00 ff 06 65 9f 0a 0b 0c 0d
      ac 1b 1c 1d e9 d7 00 b3 fb fb ab 5b 11 c1 42 62
      c0 18 01 04 a1 62 00 00 01 01 08 0a 00 15 5a c1
      84 a5 0b eb 1d 10 3d 54 70 64 cf 99 8c c6 c3 15
      c2 c2 e2 bf ${BGP_OPEN_V4} da bf 00 b4 0a 0b 0c 0d
      26 02 06 01 04 00 01 00 01 02 02 80 00 02 02 02
      00 02 02 42 00 02 06 41 04 00 00 da bf 02 08 40
      06 00 64 00 01 01 00`,
    trafficKey: "d2e59c65ffc7b1a39347656463b70edc24a13d71",
    mac: "7064cf998cc6c315c2c2e2bf",
    srcIsn: 0xfbfbab5a,
    dstIsn: 0x11c14261,
    algorithm: SHA1,
    excludeOptions: false,
  },
  {
    name: "4.2.1 HMAC-SHA-1-96 client SYN, options excluded",
    packet: `45 e0 00 4c 53 99 40 00 ff 06 48 e2 0a 0b 0c 0d
      ac 1b 1c 1d ff 12 00 b3 cb 0e fb ee 00 00 00 00
      e0 02 ff ff 54 1f 00 00 02 04 05 b4 01 03 03 08
      04 02 08 0a 00 02 4c ce 00 00 00 00 1d 10 3d 54
      80 af 3c fe b8 53 68 93 7b 8f 9e c2`,
    trafficKey: "30eaa1560cf0be57dab5c045229fb10a423cd7ea",
    mac: "80af3cfeb85368937b8f9ec2",
    srcIsn: 0xcb0efbee,
    dstIsn: 0,
    algorithm: SHA1,
    excludeOptions: true,
  },
  {
    name: "4.2.4 HMAC-SHA-1-96 server data, options excluded",
    packet: `45 e0 00 87 54 37 40 00 ff 06 48 09 ac 1b 1c 1d
      0a 0b 0c 0d 00 b3 ff 12 ac d5 b5 e2 cb 0e fc 32
      c0 18 01 00 46 b6 00 00 01 01 08 0a 57 67 72 f3
      00 02 4c ce 1d 10 54 3d 97 76 6e 48 ac 26 2d e9
      ae 61 b4 f9 ${BGP_OPEN_V4} da c0 00 b4 ac 1b 1c 1d
      26 02 06 01 04 00 01 00 01 02 02 80 00 02 02 02
      00 02 02 42 00 02 06 41 04 00 00 da c0 02 08 40
      06 00 64 00 01 01 00`,
    trafficKey: "b5b2896bb3664e8176b0edc6e799524101a8307f",
    mac: "97766e48ac262de9ae61b4f9",
    srcIsn: 0xacd5b5e1,
    dstIsn: 0xcb0efbee,
    algorithm: SHA1,
    excludeOptions: true,
  },
  {
    name: "5.1.1 AES-128-CMAC-96 client SYN",
    packet: `45 e0 00 4c 7b 9f 40 00 ff 06 20 dc 0a 0b 0c 0d
      ac 1b 1c 1d c4 fa 00 b3 78 7a 1d df 00 00 00 00
      e0 02 ff ff 5a 0f 00 00 02 04 05 b4 01 03 03 08
      04 02 08 0a 00 01 7e d0 00 00 00 00 1d 10 3d 54
      e4 77 e9 9c 80 40 76 54 98 e5 50 91`,
    trafficKey: "f5b8b3d5f34fdbb6eb8d4ab9660e60e3",
    mac: "e477e99c8040765498e55091",
    srcIsn: 0x787a1ddf,
    dstIsn: 0,
    algorithm: CMAC,
    excludeOptions: false,
  },
  {
    name: "6.1.1 HMAC-SHA-1-96 IPv6 client SYN",
    packet: `6e 08 91 dc 00 38 06 40 fd 00 00 00 00 00 00 00
      00 00 00 00 00 00 00 01 fd 00 00 00 00 00 00 00
      00 00 00 00 00 00 00 02 f7 e4 00 b3 17 6a 83 3f
      00 00 00 00 e0 02 ff ff 47 21 00 00 02 04 05 a0
      01 03 03 08 04 02 08 0a 00 41 d0 87 00 00 00 00
      1d 10 3d 54 90 33 ec 3d 73 34 b6 4c 5e dd 03 9f`,
    trafficKey: "625ec09d575836edc9b6428418bbf06989a361bb",
    mac: "9033ec3d7334b64c5edd039f",
    srcIsn: 0x176a833f,
    dstIsn: 0,
    algorithm: SHA1,
    excludeOptions: false,
  },
  {
    name: "6.2.2 HMAC-SHA-1-96 IPv6 server SYN-ACK, options excluded",
    packet: `6e 0a 7e 1f 00 38 06 40 fd 00 00 00 00 00 00 00
      00 00 00 00 00 00 00 02 fd 00 00 00 00 00 00 00
      00 00 00 00 00 00 00 01 00 b3 c6 cd eb a3 73 4d
      02 0c 1e 6a e0 12 ff ff 77 4d 00 00 02 04 05 a0
      01 03 03 08 04 02 08 0a 5e c9 9b 70 00 9d b9 5b
      1d 10 54 3d 3c 54 6b ad 97 43 f1 2d f8 b8 01 0d`,
    trafficKey: "405108947f996575e7bdbc26d40216a2c7fa91bd",
    mac: "3c546bad9743f12df8b8010d",
    srcIsn: 0xeba3734d,
    dstIsn: 0x020c1e69,
    algorithm: SHA1,
    excludeOptions: true,
  },
  {
    name: "7.1.2 AES-128-CMAC-96 IPv6 server SYN-ACK",
    packet: `6e 06 15 20 00 38 06 40 fd 00 00 00 00 00 00 00
      00 00 00 00 00 00 00 02 fd 00 00 00 00 00 00 00
      00 00 00 00 00 00 00 01 00 b3 f8 5a a6 74 4e cb
      19 3c cc ed e0 12 ff ff ea bb 00 00 02 04 05 a0
      01 03 03 08 04 02 08 0a 71 da ab c8 13 e4 ab 99
      1d 10 54 3d dc 28 43 a8 4e 78 a6 bc fd c5 ed 80`,
    trafficKey: "cf1b1e225e06a63616764a067b46f4b1",
    mac: "dc2843a84e78a6bcfdc5ed80",
    srcIsn: 0xa6744ecb,
    dstIsn: 0x193cccec,
    algorithm: CMAC,
    excludeOptions: false,
  },
];

/** The segment of a vector, and its addresses. */
function open(vector: Vector) {
  const bytes = parseHex(vector.packet);
  const packet = decodePacket(bytes);
  const segment = bytes.subarray(packet.ip.version === 4 ? 20 : 40);
  return { packet, segment, src: packet.ip.src, dst: packet.ip.dst };
}

Deno.test("tcpAoTrafficKey() and tcpAoMac() give RFC 9235's traffic keys and MACs", () => {
  for (const vector of VECTORS) {
    const { packet, segment, src, dst } = open(vector);
    const key = tcpAoTrafficKey(vector.algorithm, MASTER, {
      src,
      dst,
      srcPort: packet.tcp.srcPort,
      dstPort: packet.tcp.dstPort,
      srcIsn: vector.srcIsn,
      dstIsn: vector.dstIsn,
    });
    assert.equal(formatHex(key), vector.trafficKey, vector.name);
    const mac = tcpAoMac(vector.algorithm, key, segment, {
      src,
      dst,
      excludeOptions: vector.excludeOptions,
    });
    assert.equal(formatHex(mac), vector.mac, vector.name);
  }
});

Deno.test("signTcpSegment() writes RFC 9235's MAC into the segment, and the ISNs of a SYN or SYN-ACK follow from it", () => {
  for (const vector of VECTORS) {
    const { packet, segment, src, dst } = open(vector);
    const blank = segment.slice();
    const ao = packet.tcp.options.find((o) => o.kind === "tcpAo");
    assert.ok(ao?.kind === "tcpAo");
    const at = formatHex(blank).indexOf(formatHex(ao.mac)) / 2;
    blank.fill(0, at, at + 12);
    const isSyn = (packet.tcp.flags & 0x02) !== 0;
    const signature: TcpSignature = {
      kind: "tcpAo",
      key: MASTER,
      algorithm: vector.algorithm,
      excludeOptions: vector.excludeOptions,
      // A SYN's and a SYN-ACK's ISNs come from the segment itself.
      ...(isSyn
        ? {}
        : { isn: { local: vector.srcIsn, remote: vector.dstIsn } }),
    };
    signTcpSegment(blank, signature, { src, dst, checksum: false });
    assert.equal(formatHex(blank), formatHex(segment), vector.name);
    assert.ok(verifyTcpSignature(segment, signature, { src, dst }));
  }
});

Deno.test("signing refuses what cannot be signed, with one line each", () => {
  const packet = makeTcpPacket({ src: "192.0.2.1", dst: "192.0.2.2" });
  const key = new TextEncoder().encode("k");
  const cases: [TcpPacket, RegExp][] = [
    [
      { ...packet, signature: { kind: "md5", key } },
      /the segment has no MD5 option \(kind 19\)/,
    ],
    [
      { ...packet, signature: { kind: "md5", key: new Uint8Array(81) } },
      /the MD5 key is 81 bytes, more than the 80 Linux takes/,
    ],
    [
      {
        ...packet,
        signature: {
          kind: "tcpAo",
          key,
          algorithm: "hmac-md5" as TcpAoAlgorithm,
        },
      },
      /unknown TCP-AO algorithm "hmac-md5"/,
    ],
    [
      withTcpSignature(
        { ...packet, tcp: { ...packet.tcp, flags: 0x10 } },
        { kind: "tcpAo", key, algorithm: "hmac-sha-1-96" },
      ),
      /without SYN needs the connection's ISNs/,
    ],
  ];
  for (const [candidate, message] of cases) {
    assert.throws(() => encodePacket(candidate), message);
  }
  // The same packet with its option added signs.
  assert.equal(
    encodePacket(withTcpSignature(packet, { kind: "md5", key })).length,
    60,
  );
});

/** Packets to sign: each family, with and without options and data. */
function samples(): TcpPacket[] {
  const payload = new TextEncoder().encode("BGP OPEN, or close enough");
  const list: TcpPacket[] = [];
  for (
    const [src, dst] of [["192.0.2.1", "192.0.2.2"], [
      "2001:db8::1",
      "2001:db8::2",
    ]]
  ) {
    list.push(
      makeTcpPacket({
        src: src!,
        dst: dst!,
        srcPort: 40000,
        dstPort: 179,
        seq: 0xdeadbeef,
      }),
    );
    list.push(makeTcpPacket({
      src: src!,
      dst: dst!,
      srcPort: 179,
      dstPort: 40000,
      seq: 17,
      ack: 0xdeadbef0,
      flags: 0x12,
      options: [{ kind: "mss", value: 1460 }, { kind: "sackOk" }, {
        kind: "timestamp",
        value: 1,
        echo: 2,
      }],
    }));
    list.push(makeTcpPacket({
      src: src!,
      dst: dst!,
      srcPort: 40000,
      dstPort: 179,
      seq: 100,
      ack: 200,
      flags: 0x18,
      payload,
    }));
  }
  return list;
}

Deno.test({
  name:
    "TCP-AO MACs tcpcraft writes are the ones scapy's TCP-AO module computes",
  ignore: !SCAPY,
  async fn() {
    const cases: {
      hex: string;
      algorithm: string;
      key: string;
      sisn: number;
      disn: number;
      exclude: boolean;
    }[] = [];
    const keys = [
      "bgp",
      "a key that is not sixteen bytes long",
      "0123456789abcdef",
    ];
    let n = 0;
    for (const algorithm of [SHA1, CMAC]) {
      for (const base of samples()) {
        const key = new TextEncoder().encode(keys[n++ % keys.length]!);
        const exclude = n % 2 === 0;
        const syn = (base.tcp.flags & 0x02) !== 0;
        const isn = syn ? undefined : { local: 99, remote: 199 };
        const signed = withTcpSignature(base, {
          kind: "tcpAo",
          key,
          algorithm,
          excludeOptions: exclude,
          ...(isn === undefined ? {} : { isn }),
        }, { keyId: 7, rNextKeyId: 9 });
        const sisn = isn?.local ?? base.tcp.seq;
        const disn = isn?.remote ??
          ((base.tcp.flags & 0x10) !== 0 ? base.tcp.ack - 1 : 0);
        cases.push({
          hex: formatHex(encodePacket(signed)),
          algorithm: algorithm === SHA1 ? "HMAC-SHA-1-96" : "AES-128-CMAC-96",
          key: formatHex(key),
          sisn,
          disn,
          exclude,
        });
      }
    }
    const out = await python(
      `import sys, json
from scapy.all import IP, IPv6, TCP
from scapy.contrib import tcpao
for c in json.load(sys.stdin):
    raw = bytes.fromhex(c["hex"])
    p = IP(raw) if raw[0] >> 4 == 4 else IPv6(raw)
    alg = tcpao.get_alg(c["algorithm"])
    key = tcpao.calc_tcpao_traffic_key(p, alg, bytes.fromhex(c["key"]), c["sisn"], c["disn"])
    mac = tcpao.calc_tcpao_mac(p, alg, key, include_options=not c["exclude"])
    stored = [o for o in p[TCP].options if o[0] == "AO"][0][1]
    print(mac.hex(), stored.mac.hex(), stored.keyid, stored.rnextkeyid)`,
      cases,
    );
    const lines = out.trim().split("\n");
    assert.equal(lines.length, cases.length);
    for (const line of lines) {
      const [expected, stored, keyId, rNext] = line.split(" ");
      assert.equal(stored, expected);
      assert.deepEqual([keyId, rNext], ["7", "9"]);
    }
  },
});

Deno.test({
  name:
    "MD5 signatures tcpcraft writes are RFC 2385's digest, computed by Python's hashlib",
  ignore: !SCAPY,
  async fn() {
    const cases = samples().map((base, i) => {
      const key = new TextEncoder().encode(`key ${i}`.repeat(i + 1));
      return {
        hex: formatHex(
          encodePacket(withTcpSignature(base, { kind: "md5", key })),
        ),
        key: formatHex(key),
      };
    });
    // RFC 2385 §2.0, in the order it lists; IPv6's pseudo-header as RFC 8200 §8.1.
    const out = await python(
      `import sys, json, hashlib, struct, socket
from scapy.all import IP, IPv6, TCP, raw
for c in json.load(sys.stdin):
    b = bytes.fromhex(c["hex"])
    p = IP(b) if b[0] >> 4 == 4 else IPv6(b)
    seg = raw(p[TCP])
    if b[0] >> 4 == 4:
        pseudo = socket.inet_aton(p.src) + socket.inet_aton(p.dst) + struct.pack("!BBH", 0, 6, len(seg))
    else:
        pseudo = socket.inet_pton(socket.AF_INET6, p.src) + socket.inet_pton(socket.AF_INET6, p.dst) + struct.pack("!I3xB", len(seg), 6)
    header = seg[:16] + b"\\0\\0" + seg[18:20]
    data = seg[p[TCP].dataofs * 4:]
    digest = hashlib.md5(pseudo + header + data + bytes.fromhex(c["key"])).hexdigest()
    stored = [o for o in p[TCP].options if o[0] == "MD5"][0][1].hex()
    check = p[TCP].chksum
    del p[TCP].chksum
    print(digest, stored, check == (IP(raw(p)) if b[0] >> 4 == 4 else IPv6(raw(p)))[TCP].chksum)`,
      cases,
    );
    const lines = out.trim().split("\n");
    assert.equal(lines.length, cases.length);
    for (const line of lines) {
      const [digest, stored, checksumRight] = line.split(" ");
      assert.equal(stored, digest);
      assert.equal(checksumRight, "True");
    }
  },
});

Deno.test("explain checks a signature with the key given, TCP-AO's ISNs taken from the connection's SYNs", () => {
  const key = new TextEncoder().encode("bgp-ao");
  const signature: TcpSignature = {
    kind: "tcpAo",
    key,
    algorithm: "hmac-sha-1-96",
  };
  const client = {
    src: "192.0.2.1",
    dst: "192.0.2.2",
    srcPort: 40000,
    dstPort: 179,
  };
  const server = {
    src: "192.0.2.2",
    dst: "192.0.2.1",
    srcPort: 179,
    dstPort: 40000,
  };
  const ids = { keyId: 1, rNextKeyId: 1 };
  const packets = [
    withTcpSignature(makeTcpPacket({ ...client, seq: 1000 }), signature, ids),
    withTcpSignature(
      makeTcpPacket({ ...server, seq: 5000, ack: 1001, flags: 0x12 }),
      signature,
      ids,
    ),
    withTcpSignature(
      makeTcpPacket({
        ...client,
        seq: 1001,
        ack: 5001,
        flags: 0x18,
        payload: new TextEncoder().encode("OPEN"),
      }),
      { ...signature, isn: { local: 1000, remote: 5000 } },
      ids,
    ),
  ].map(encodePacket);
  const tracker = new ConnectionTracker();
  for (const bytes of packets) {
    const explanation = tracker.explain(bytes, { signature });
    assert.ok(
      explanation.notes.includes(
        "the TCP-AO MAC (RFC 5925) is right for the key given",
      ),
      explanation.notes.join("; "),
    );
    assert.ok(!explanation.anomalies.some((a) => a.code === "tcp-signature"));
  }
  const wrong = explainPacket(packets[0]!, {
    signature: {
      kind: "tcpAo",
      key: new TextEncoder().encode("bgp-ab"),
      algorithm: "hmac-sha-1-96",
    },
  });
  assert.deepEqual(
    wrong.anomalies.map((a) => a.code),
    ["tcp-signature"],
  );
  // Without a key, nothing is said about the signature.
  assert.deepEqual(explainPacket(packets[0]!).anomalies, []);
});
