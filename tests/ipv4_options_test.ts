/**
 * Typed IPv4 options: byte-identical with the packets scapy builds from its
 * own option classes (`IPOption_RR`, `IPOption_LSRR`, `IPOption_SSRR`,
 * `IPOption_Timestamp`, `IPOption_Router_Alert`, `IPOption_Security`), read
 * back to the same models, and refused or kept raw when malformed.
 */

import assert from "node:assert/strict";
import { python, SCAPY } from "./_peers.ts";
import {
  DecodeError,
  decodeIpv4,
  decodeIpv4Options,
  encodeIpv4Options,
  encodePacket,
  formatHex,
  type Ipv4Option,
  ipv4OptionCopied,
  makeTcpPacket,
  parseHex,
} from "../mod.ts";

interface Case {
  /** scapy's options list. */
  scapy: string;
  /** The same options as tcpcraft models them. */
  options: Ipv4Option[];
}

const CASES: Case[] = [
  {
    scapy: "[IPOption_RR(routers=['0.0.0.0'] * 9)]",
    options: [{
      kind: "recordRoute",
      pointer: 4,
      addresses: Array(9).fill("0.0.0.0"),
    }],
  },
  {
    scapy:
      "[IPOption_LSRR(routers=['198.51.100.7', '203.0.113.9']), IPOption_NOP()]",
    options: [
      {
        kind: "looseSourceRoute",
        pointer: 4,
        addresses: ["198.51.100.7", "203.0.113.9"],
      },
      { kind: "nop" },
    ],
  },
  {
    scapy:
      "[IPOption_SSRR(pointer=8, routers=['192.0.2.7', '198.51.100.7', '203.0.113.9'])]",
    options: [{
      kind: "strictSourceRoute",
      pointer: 8,
      addresses: ["192.0.2.7", "198.51.100.7", "203.0.113.9"],
    }],
  },
  {
    scapy: "[IPOption_Timestamp(pointer=5, flg=0, timestamp=0)]",
    options: [{
      kind: "timestamp",
      pointer: 5,
      overflow: 0,
      flag: 0,
      entries: [{ timestamp: 0 }],
    }],
  },
  {
    scapy:
      "[IPOption_Timestamp(pointer=13, oflw=2, flg=1, internet_address='192.0.2.9', timestamp=86399999)]",
    options: [{
      kind: "timestamp",
      pointer: 13,
      overflow: 2,
      flag: 1,
      entries: [{ address: "192.0.2.9", timestamp: 86399999 }],
    }],
  },
  {
    scapy:
      "[IPOption_Timestamp(pointer=5, flg=3, internet_address='203.0.113.9', timestamp=0), IPOption_NOP()]",
    options: [
      {
        kind: "timestamp",
        pointer: 5,
        overflow: 0,
        flag: 3,
        entries: [{ address: "203.0.113.9", timestamp: 0 }],
      },
      { kind: "nop" },
    ],
  },
  {
    // An end-of-list option at byte 4: the three zero bytes after it are padding.
    scapy: "[IPOption_Router_Alert(), IPOption_EOL()]",
    options: [{ kind: "routerAlert", value: 0 }, { kind: "eol" }],
  },
  {
    scapy:
      "[IPOption_Security(security=0xd788, compartment=1, handling_restrictions=2, transmission_control_code=b'TCC')]",
    options: [{
      kind: "security",
      level: 0xd788,
      compartments: 1,
      handling: 2,
      tcc: 0x544343,
    }],
  },
  {
    scapy:
      "[IPOption_Router_Alert(alert=1), IPOption_RR(routers=['10.0.0.1', '0.0.0.0'])]",
    options: [{ kind: "routerAlert", value: 1 }, {
      kind: "recordRoute",
      pointer: 4,
      addresses: ["10.0.0.1", "0.0.0.0"],
    }],
  },
];

Deno.test({
  name:
    "typed IPv4 options build the bytes scapy builds from its option classes, and decode back",
  ignore: !SCAPY,
  async fn() {
    const out = await python(
      `import sys, json
from scapy.all import *
for options in json.load(sys.stdin):
    p = IP(src="192.0.2.42", dst="192.0.2.1", id=1, options=eval(options)) / TCP(sport=20, dport=80, flags="S")
    print(bytes(p).hex())`,
      CASES.map((c) => c.scapy),
    );
    const lines = out.trim().split("\n");
    CASES.forEach((c, i) => {
      const ours = encodePacket(makeTcpPacket({
        src: "192.0.2.42",
        dst: "192.0.2.1",
        ipOptions: c.options,
      }));
      assert.equal(formatHex(ours), lines[i], c.scapy);
      const area = decodeIpv4(parseHex(lines[i]!)).header.options;
      assert.deepEqual(decodeIpv4Options(area).options, c.options, c.scapy);
    });
  },
});

Deno.test("decodeIpv4Options() refuses a malformed option, and a lenient decode keeps its bytes raw", () => {
  const bad = parseHex("01 0708 04 00000000 00");
  assert.throws(
    () => decodeIpv4Options(bad),
    (error) =>
      error instanceof DecodeError &&
      error.message ===
        "Cannot decode IPv4 options: option recordRoute (type 7) at offset 21 has length 8, expected 3 + 4n (n slots)",
  );
  assert.deepEqual(decodeIpv4Options(bad, { lenient: true }).options, [
    { kind: "nop" },
    { kind: "raw", bytes: parseHex("0708 04 00000000 00") },
  ]);
  const ts = parseHex("440a 0501 00000000 0000"); // flag 1 needs 8-byte entries
  assert.throws(() => decodeIpv4Options(ts), /not whole 8-byte entries/);
});

Deno.test("encodeIpv4Options() refuses more than 40 bytes and values out of range", () => {
  assert.throws(
    () =>
      encodeIpv4Options([
        { kind: "recordRoute", addresses: Array(9).fill("0.0.0.0") },
        { kind: "nop" },
        { kind: "routerAlert", value: 0 },
      ]),
    /the options take 44 bytes, more than the 40 an IPv4 header holds/,
  );
  assert.throws(
    () => encodeIpv4Options([{ kind: "routerAlert", value: 0x10000 }]),
    /value 65536 is not in 0..65535/,
  );
  assert.throws(
    () =>
      encodeIpv4Options([{
        kind: "looseSourceRoute",
        addresses: ["2001:db8::1"],
      }]),
    /IPv4 address/,
  );
});

Deno.test("unknown IPv4 options keep their type and data, and the copied flag is the top bit", () => {
  const bytes = encodeIpv4Options([{
    kind: "unknown",
    type: 136,
    data: parseHex("1234"),
  }]);
  assert.equal(formatHex(bytes), "88041234");
  assert.deepEqual(decodeIpv4Options(bytes).options, [{
    kind: "unknown",
    type: 136,
    data: parseHex("1234"),
  }]);
  assert.equal(ipv4OptionCopied(136), true);
  assert.equal(ipv4OptionCopied(68), false);
});
