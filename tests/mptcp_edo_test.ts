/**
 * Multipath TCP subtypes and EDO, typed: tcpdump (whose MPTCP dissector is
 * independent of tcpcraft) reads the options tcpcraft encodes field by
 * field; the typed forms round-trip through the registry's bytes; the `-o`
 * spellings make them; the explainer says what they hold.
 */

import assert from "node:assert/strict";
import { TCPDUMP } from "./_peers.ts";
import {
  decodeEdo,
  decodeMptcp,
  decodePacket,
  edoOption,
  encodeMptcp,
  encodePacket,
  encodeTcpOptions,
  explainPacket,
  formatHex,
  makeTcpPacket,
  type MptcpMessage,
  parseHex,
  TCP_FLAGS,
} from "../mod.ts";
import { parseTcpOptionSpec } from "../src/cli/option_spec.ts";

const { syn, ack } = TCP_FLAGS;

/** Each message, the flags of the segment it goes in, and what tcpdump 4.99 prints for it. */
const MESSAGES: [MptcpMessage, number, string][] = [
  [
    { subtype: "mpCapable", version: 1, flags: 0x81 },
    syn,
    "mptcp 4 capable v1 csum",
  ],
  [
    {
      subtype: "mpCapable",
      version: 1,
      flags: 0x01,
      senderKey: parseHex("0102030405060708"),
    },
    syn | ack,
    "mptcp 12 capable v1 {0x102030405060708}",
  ],
  [
    {
      subtype: "mpCapable",
      version: 1,
      flags: 0x01,
      senderKey: parseHex("0102030405060708"),
      receiverKey: parseHex("1112131415161718"),
      dataLength: 100,
    },
    ack,
    "mptcp 22 capable v1 {0x102030405060708,0x1112131415161718}",
  ],
  [
    {
      subtype: "mpJoin",
      stage: "syn",
      backup: true,
      addressId: 3,
      token: 0xdeadbeef,
      nonce: 12345,
    },
    syn,
    "mptcp 12 join backup id 3 token 0xdeadbeef nonce 0x3039",
  ],
  [
    {
      subtype: "mpJoin",
      stage: "synAck",
      backup: false,
      addressId: 3,
      hmac: parseHex("0102030405060708"),
      nonce: 999,
    },
    syn | ack,
    "mptcp 16 join id 3 hmac 0x102030405060708 nonce 0x3e7",
  ],
  [
    { subtype: "mpJoin", stage: "ack", hmac: new Uint8Array(20).fill(0xaa) },
    ack,
    `mptcp 24 join hmac 0x${"aa".repeat(20)}`,
  ],
  [
    {
      subtype: "dss",
      fin: true,
      dataAck: 100n,
      dataAck64: false,
      dsn: 200n,
      dsn64: false,
      subflowSeq: 1,
      dataLength: 10,
      checksum: 0x1234,
    },
    ack,
    "mptcp 20 dss fin ack 100 seq 200 subseq 1 len 10 csum 0x1234",
  ],
  [
    {
      subtype: "dss",
      fin: false,
      dataAck: 0x1_0000_0001n,
      dataAck64: true,
      dsn: 0x2_0000_0002n,
      dsn64: true,
      subflowSeq: 5,
      dataLength: 20,
    },
    ack,
    "mptcp 26 dss ack 4294967297 seq 8589934594 subseq 5 len 20",
  ],
  [
    {
      subtype: "addAddr",
      echo: false,
      addressId: 2,
      address: "192.0.2.7",
      port: 8080,
      hmac: parseHex("a1a2a3a4a5a6a7a8"),
    },
    ack,
    "mptcp 18 add-addr v1 id 2 192.0.2.7:8080 hmac 0xa1a2a3a4a5a6a7a8",
  ],
  [
    { subtype: "addAddr", echo: true, addressId: 4, address: "2001:db8::7" },
    ack,
    "mptcp 20 add-addr v1-echo id 4 2001:db8::7",
  ],
  [
    { subtype: "removeAddr", addressIds: [2, 4] },
    ack,
    "mptcp 5 rem-addr id 2 4",
  ],
  [{ subtype: "mpPrio", backup: true }, ack, "mptcp 3 prio backup"],
  [
    { subtype: "mpFail", dsn: 0x1234567890n },
    ack,
    "mptcp 12 fail seq 78187493520",
  ],
  [
    { subtype: "mpFastclose", receiverKey: parseHex("0102030405060708") },
    ack,
    "mptcp 12 fast-close key 0x102030405060708",
  ],
];

function packet(message: MptcpMessage, flags: number): Uint8Array {
  return encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    flags,
    options: [{ kind: "mptcp", data: encodeMptcp(message) }],
  }));
}

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
  for (const p of packets) {
    view.setUint32(at + 8, p.length, true);
    view.setUint32(at + 12, p.length, true);
    bytes.set(p, at + 16);
    at += 16 + p.length;
  }
  return bytes;
}

Deno.test({
  name: "tcpdump reads every MPTCP subtype tcpcraft encodes, field by field",
  ignore: !TCPDUMP,
  async fn() {
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    try {
      await Deno.writeFile(path, pcap(MESSAGES.map(([m, f]) => packet(m, f))));
      const out = await new Deno.Command("tcpdump", {
        args: ["-nn", "-r", path],
        stdout: "piped",
        stderr: "null",
      }).output();
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
      assert.equal(lines.length, MESSAGES.length);
      MESSAGES.forEach(([, , expected], i) => {
        const shown = /options \[(.*?)(,eol)?\]/.exec(lines[i]!)?.[1];
        assert.equal(shown, expected);
      });
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test("decodeMptcp() reads back every subtype encodeMptcp() writes", () => {
  const more: MptcpMessage[] = [
    {
      subtype: "mpCapable",
      version: 1,
      flags: 0x81,
      senderKey: new Uint8Array(8).fill(1),
      receiverKey: new Uint8Array(8).fill(2),
      dataLength: 1,
      checksum: 2,
    },
    { subtype: "mpPrio", backup: false, addressId: 9 },
    { subtype: "mpTcpRst", flags: 1, reason: 2 },
    { subtype: "dss", fin: false },
  ];
  for (const [message] of [...MESSAGES, ...more.map((m) => [m])]) {
    assert.deepEqual(decodeMptcp(encodeMptcp(message!)), message);
  }
  assert.deepEqual(decodeMptcp(parseHex("2f")), {
    subtype: "unknown",
    data: parseHex("2f"),
  });
  assert.throws(
    () =>
      encodeMptcp({ subtype: "mpFastclose", receiverKey: new Uint8Array(3) }),
    /receiverKey must be 8 bytes/,
  );
});

Deno.test("-o mptcp= spells each subtype", () => {
  const cases: [string, MptcpMessage][] = [
    ["mptcp=capable", { subtype: "mpCapable", version: 1, flags: 0x01 }],
    ["mptcp=capable,flags=ah,key=0102030405060708", {
      subtype: "mpCapable",
      version: 1,
      flags: 0x81,
      senderKey: parseHex("0102030405060708"),
    }],
    ["mptcp=join,backup,id=3,token=0xdeadbeef,nonce=7", {
      subtype: "mpJoin",
      stage: "syn",
      backup: true,
      addressId: 3,
      token: 0xdeadbeef,
      nonce: 7,
    }],
    ["mptcp=dss,ack=100,dsn=200,ssn=1,len=10,fin", {
      subtype: "dss",
      fin: true,
      dataAck: 100n,
      dataAck64: false,
      dsn: 200n,
      dsn64: false,
      subflowSeq: 1,
      dataLength: 10,
    }],
    ["mptcp=add-addr,id=2,addr=2001:db8::7,port=80,echo", {
      subtype: "addAddr",
      echo: true,
      addressId: 2,
      address: "2001:db8::7",
      port: 80,
    }],
    ["mptcp=remove-addr,id=2,id=4", {
      subtype: "removeAddr",
      addressIds: [2, 4],
    }],
    ["mptcp=prio,backup", { subtype: "mpPrio", backup: true }],
    ["mptcp=fail,dsn=5", { subtype: "mpFail", dsn: 5n }],
    ["mptcp=rst,reason=2,flags=1", {
      subtype: "mpTcpRst",
      flags: 1,
      reason: 2,
    }],
  ];
  for (const [spec, message] of cases) {
    const option = parseTcpOptionSpec(spec);
    assert.ok(option.kind === "mptcp", spec);
    assert.deepEqual(decodeMptcp(option.data), message, spec);
  }
  assert.deepEqual(parseTcpOptionSpec("mptcp=hex:0081"), {
    kind: "mptcp",
    data: parseHex("0081"),
  });
  assert.throws(
    () => parseTcpOptionSpec("mptcp=bogus"),
    /unknown MPTCP subtype "bogus"/,
  );
  assert.throws(
    () => parseTcpOptionSpec("mptcp=join,hmac=01"),
    /mptcp hmac is 8 bytes/,
  );
});

Deno.test("EDO is an experimental option with ExID 0x0ED0, spelled -o edo, explained as EDO", () => {
  assert.equal(
    formatHex(encodeTcpOptions([edoOption({ form: "supported" })])),
    "fe040ed0",
  );
  assert.equal(
    formatHex(
      encodeTcpOptions([
        edoOption({ form: "extension", headerLength: 20, segmentLength: 1000 }),
      ]),
    ),
    "fe080ed0001403e8",
  );
  assert.deepEqual(parseTcpOptionSpec("edo"), edoOption({ form: "supported" }));
  assert.deepEqual(
    parseTcpOptionSpec("edo=20"),
    edoOption({ form: "extension", headerLength: 20 }),
  );
  assert.deepEqual(parseTcpOptionSpec("exp=253:0x1234:ab"), {
    kind: "experimental",
    type: 253,
    exid: 0x1234,
    data: parseHex("ab"),
  });
  const bytes = encodePacket(makeTcpPacket({
    src: "192.0.2.42",
    dst: "192.0.2.1",
    options: [edoOption({ form: "extension", headerLength: 20 })],
  }));
  const option = decodePacket(bytes).tcp.options[0]!;
  assert.ok(option.kind === "experimental");
  assert.deepEqual(decodeEdo(option), { form: "extension", headerLength: 20 });
  const field = explainPacket(bytes).layers[1]!.fields.find((f) =>
    f.option !== undefined
  )!;
  assert.equal(field.display, "EDO 20");
  assert.match(field.meaning, /the header is 20 words = 80 bytes/);
});

Deno.test("explainPacket() names an MPTCP option's subtype and fields", () => {
  const bytes = packet(MESSAGES[6]![0], ack);
  const field = explainPacket(bytes).layers[1]!.fields.find((f) =>
    f.option !== undefined
  )!;
  assert.equal(field.display, "DSS");
  assert.match(
    field.meaning,
    /multipath TCP \(RFC 8684\) DSS: Data ACK 100 \(32-bit\); DSN 200 \(32-bit\) maps subflow seq 1 for 10 bytes, checksum 0x1234; DATA_FIN$/,
  );
});
