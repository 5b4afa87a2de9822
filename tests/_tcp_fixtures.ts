/**
 * Golden TCP segments for tests/tcp_test.ts and tests/tcp_options_test.ts.
 *
 * The bytes and checksums come from scapy 2.5 (`/usr/bin/python3`), which
 * built each packet as IP or IPv6 / TCP; each segment's model below is
 * written from the fields given to scapy, not from our decoder. Above each
 * fixture is what tcpdump prints for the pcap scapy wrote with `wrpcap`
 * (every checksum reads "correct"). The script that made them is in the
 * comment at the end of this file.
 *
 * @module
 */

import type { DecodedTcpSegment } from "../src/wire/tcp.ts";

/** One golden segment with the addresses of its pseudo-header. */
export interface TcpFixture {
  /** A name for test output. */
  name: string;
  /** Source address of the IP header. */
  src: string;
  /** Destination address of the IP header. */
  dst: string;
  /** The TCP segment, header and payload, as scapy built it. */
  bytes: Uint8Array;
  /** The segment as a model; `checksum` is the one scapy computed. */
  segment: DecodedTcpSegment;
}

/**
 * Bytes from a template literal of hex pairs separated by white space.
 *
 * @param strings The template literal (no substitutions).
 * @returns The bytes.
 */
export function hex(strings: TemplateStringsArray): Uint8Array {
  const text = strings.join("").trim();
  if (text === "") return new Uint8Array();
  const pairs = text.split(/\s+/);
  return new Uint8Array(pairs.map((pair) => {
    if (!/^[0-9a-f]{2}$/i.test(pair)) throw new Error(`bad hex pair ${pair}`);
    return parseInt(pair, 16);
  }));
}

const empty = new Uint8Array();

/** A Linux SYN: mss, sackOK, timestamps, nop, wscale. */
export const linuxSyn: TcpFixture = {
  name: "Linux SYN",
  src: "192.0.2.42",
  dst: "192.0.2.1",
  // tcpdump -r linuxSyn.pcap -nn -vv
  // IP (tos 0x0, ttl 64, id 1234, offset 0, flags [DF], proto TCP (6), length 60)
  //     192.0.2.42.45678 > 192.0.2.1.80: Flags [S], cksum 0x5951 (correct), seq 1804289383, win 64240, options [mss 1460,sackOK,TS val 2887147466 ecr 0,nop,wscale 7], length 0
  bytes: hex`
    b2 6e 00 50
    6b 8b 45 67
    00 00 00 00
    a0 02 fa f0
    59 51 00 00
    02 04 05 b4
    04 02 08 0a
    ac 16 5f ca
    00 00 00 00
    01 03 03 07
  `,
  segment: {
    srcPort: 45678,
    dstPort: 80,
    seq: 1804289383,
    ack: 0,
    dataOffset: 10,
    reserved: 0,
    flags: 0x002,
    window: 64240,
    checksum: 0x5951,
    urgentPointer: 0,
    options: [
      { kind: "mss", value: 1460 },
      { kind: "sackOk" },
      { kind: "timestamp", value: 2887147466, echo: 0 },
      { kind: "nop" },
      { kind: "wscale", shift: 7 },
    ],
    payload: empty,
  },
};

/** The SYN-ACK answering it, over IPv6. */
export const synAckV6: TcpFixture = {
  name: "IPv6 SYN-ACK",
  src: "2001:db8::1",
  dst: "2001:db8::2",
  // tcpdump -r synAckV6.pcap -nn -vv
  // IP6 (hlim 64, next-header TCP (6) payload length: 40) 2001:db8::1.80 > 2001:db8::2.45678: Flags [S.], cksum 0x53c1 (correct), seq 846930886, ack 1804289384, win 65160, options [mss 1440,sackOK,TS val 123456789 ecr 2887147466,nop,wscale 7], length 0
  bytes: hex`
    00 50 b2 6e
    32 7b 23 c6
    6b 8b 45 68
    a0 12 fe 88
    53 c1 00 00
    02 04 05 a0
    04 02 08 0a
    07 5b cd 15
    ac 16 5f ca
    01 03 03 07
  `,
  segment: {
    srcPort: 80,
    dstPort: 45678,
    seq: 846930886,
    ack: 1804289384,
    dataOffset: 10,
    reserved: 0,
    flags: 0x012,
    window: 65160,
    checksum: 0x53c1,
    urgentPointer: 0,
    options: [
      { kind: "mss", value: 1440 },
      { kind: "sackOk" },
      { kind: "timestamp", value: 123456789, echo: 2887147466 },
      { kind: "nop" },
      { kind: "wscale", shift: 7 },
    ],
    payload: empty,
  },
};

/** A Christmas-tree probe: FIN, PSH and URG from port 20 to 666. */
export const xmas: TcpFixture = {
  name: "Xmas FIN+PSH+URG",
  src: "192.0.2.42",
  dst: "192.0.2.1",
  // tcpdump -r xmas.pcap -nn -vv
  // IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto TCP (6), length 40)
  //     192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], cksum 0x08e2 (correct), seq 0, win 8192, urg 0, length 0
  bytes: hex`
    00 14 02 9a
    00 00 00 00
    00 00 00 00
    50 29 20 00
    08 e2 00 00
  `,
  segment: {
    srcPort: 20,
    dstPort: 666,
    seq: 0,
    ack: 0,
    dataOffset: 5,
    reserved: 0,
    flags: 0x029,
    window: 8192,
    checksum: 0x08e2,
    urgentPointer: 0,
    options: [],
    payload: empty,
  },
};

/** A NULL probe: no flag set. */
export const nullScan: TcpFixture = {
  name: "NULL",
  src: "192.0.2.42",
  dst: "192.0.2.1",
  // tcpdump -r null.pcap -nn -vv
  // IP (tos 0x0, ttl 64, id 2, offset 0, flags [none], proto TCP (6), length 40)
  //     192.0.2.42.40000 > 192.0.2.1.22: Flags [none], cksum 0x8b61 (correct), seq 1, win 1024, length 0
  bytes: hex`
    9c 40 00 16
    00 00 00 01
    00 00 00 00
    50 00 04 00
    8b 61 00 00
  `,
  segment: {
    srcPort: 40000,
    dstPort: 22,
    seq: 1,
    ack: 0,
    dataOffset: 5,
    reserved: 0,
    flags: 0x000,
    window: 1024,
    checksum: 0x8b61,
    urgentPointer: 0,
    options: [],
    payload: empty,
  },
};

/** PSH+ACK carrying 17 bytes (an odd length), with timestamps and SACK. */
export const pshAck: TcpFixture = {
  name: "PSH+ACK with odd-length payload",
  src: "192.0.2.42",
  dst: "192.0.2.1",
  // tcpdump -r pshAck.pcap -nn -vv
  // IP (tos 0x0, ttl 64, id 3, offset 0, flags [DF], proto TCP (6), length 89)
  //     192.0.2.42.45678 > 192.0.2.1.80: Flags [P.], cksum 0x6c0c (correct), seq 1804289384:1804289401, ack 846930887, win 502, options [nop,nop,TS val 2887147500 ecr 123456789,nop,nop,sack 2 {1025:2049}{4097:5121}], length 17: HTTP
  bytes: hex`
    b2 6e 00 50
    6b 8b 45 68
    32 7b 23 c7
    d0 18 01 f6
    6c 0c 00 00
    01 01 08 0a
    ac 16 5f ec
    07 5b cd 15
    01 01 05 12
    32 7b 27 c7
    32 7b 2b c7
    32 7b 33 c7
    32 7b 37 c7
    68 65 6c 6c
    6f 2c 20 74
    63 70 63 72
    61 66 74 21
    0a
  `,
  segment: {
    srcPort: 45678,
    dstPort: 80,
    seq: 1804289384,
    ack: 846930887,
    dataOffset: 13,
    reserved: 0,
    flags: 0x018,
    window: 502,
    checksum: 0x6c0c,
    urgentPointer: 0,
    options: [
      { kind: "nop" },
      { kind: "nop" },
      { kind: "timestamp", value: 2887147500, echo: 123456789 },
      { kind: "nop" },
      { kind: "nop" },
      {
        kind: "sack",
        blocks: [[846931911, 846932935], [846934983, 846936007]],
      },
    ],
    payload: new TextEncoder().encode("hello, tcpcraft!\n"),
  },
};

/** A bare RST. */
export const rst: TcpFixture = {
  name: "RST",
  src: "192.0.2.1",
  dst: "192.0.2.42",
  // tcpdump -r rst.pcap -nn -vv
  // IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 40)
  //     192.0.2.1.80 > 192.0.2.42.45678: Flags [R], cksum 0x22b4 (correct), seq 846930887, win 0, length 0
  bytes: hex`
    00 50 b2 6e
    32 7b 23 c7
    00 00 00 00
    50 04 00 00
    22 b4 00 00
  `,
  segment: {
    srcPort: 80,
    dstPort: 45678,
    seq: 846930887,
    ack: 0,
    dataOffset: 5,
    reserved: 0,
    flags: 0x004,
    window: 0,
    checksum: 0x22b4,
    urgentPointer: 0,
    options: [],
    payload: empty,
  },
};

/**
 * A BGP SYN filling all 40 option bytes: md5, user timeout (G set, 5
 * minutes), TCP-AO, MPTCP (MP_CAPABLE v1), a Fast Open cookie request, an
 * unknown kind 99, two nops.
 *
 * tcpdump reads the user timeout with the G bit low (an old draft), so it
 * prints 983160; RFC 5482 puts G in the high bit: 0x8005 is 5 minutes.
 */
export const allOptionsA: TcpFixture = {
  name: "SYN with md5, uto, tcpAo, mptcp, fastOpen, unknown",
  src: "198.51.100.7",
  dst: "203.0.113.9",
  // tcpdump -r allOptionsA.pcap -nn -vv
  // IP (tos 0x0, ttl 255, id 4, offset 0, flags [none], proto TCP (6), length 80)
  //     198.51.100.7.179 > 203.0.113.9.179: Flags [S], cksum 0x81e3 (correct), seq 3735928559, win 16384, options [md5 shared secret not supplied with -M, can't check - 000102030405060708090a0b0c0d0e0f,uto 0x8005 983160,tcp-ao keyid 1 rnextkeyid 2 mac 0xdeadbeef,mptcp 4 capable v1 csum,tfo  cookiereq,unknown-99,nop,nop], length 0
  bytes: hex`
    00 b3 00 b3
    de ad be ef
    00 00 00 00
    f0 02 40 00
    81 e3 00 00
    13 12 00 01
    02 03 04 05
    06 07 08 09
    0a 0b 0c 0d
    0e 0f 1c 04
    80 05 1d 08
    01 02 de ad
    be ef 1e 04
    01 81 22 02
    63 02 01 01
  `,
  segment: {
    srcPort: 179,
    dstPort: 179,
    seq: 0xdeadbeef,
    ack: 0,
    dataOffset: 15,
    reserved: 0,
    flags: 0x002,
    window: 16384,
    checksum: 0x81e3,
    urgentPointer: 0,
    options: [
      {
        kind: "md5",
        digest: hex`00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f`,
      },
      { kind: "userTimeout", granularity: "minutes", timeout: 5 },
      {
        kind: "tcpAo",
        keyId: 1,
        rNextKeyId: 2,
        mac: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      },
      { kind: "mptcp", data: new Uint8Array([0x01, 0x81]) },
      { kind: "fastOpen", cookie: new Uint8Array() },
      { kind: "unknown", type: 99, data: new Uint8Array() },
      { kind: "nop" },
      { kind: "nop" },
    ],
    payload: empty,
  },
};

/**
 * An IPv6 ACK with a SACK block, an experimental option (kind 253, ExID
 * 0xf989), a Fast Open cookie, an unknown kind 76, a user timeout of 30
 * seconds, then EOL at option byte 34 followed by a byte 0xee where the
 * encoder would put zero padding (so the EOL and the byte are kept).
 * scapy built it with zero padding; the script then set that byte and had
 * scapy's `in6_chksum` compute the checksum again.
 */
export const allOptionsB: TcpFixture = {
  name:
    "ACK with sack, experimental, fastOpen cookie, unknown, uto, EOL+padding",
  src: "2001:db8::2",
  dst: "2001:db8::1",
  // tcpdump -r allOptionsB.pcap -nn -vv
  // IP6 (hlim 64, next-header TCP (6) payload length: 56) 2001:db8::2.45678 > 2001:db8::1.80: Flags [.], cksum 0x0aee (correct), seq 1804289385, ack 846930887, win 501, options [sack 1 {1025:2049},unknown-253 0xf989abcd,tfo  cookie 1122334455667788,unknown-76 0x0102,uto 0x1e 15,eol], length 0
  bytes: hex`
    b2 6e 00 50
    6b 8b 45 69
    32 7b 23 c7
    e0 10 01 f5
    0a ee 00 00
    05 0a 32 7b
    27 c7 32 7b
    2b c7 fd 06
    f9 89 ab cd
    22 0a 11 22
    33 44 55 66
    77 88 4c 04
    01 02 1c 04
    00 1e 00 ee
  `,
  segment: {
    srcPort: 45678,
    dstPort: 80,
    seq: 1804289385,
    ack: 846930887,
    dataOffset: 14,
    reserved: 0,
    flags: 0x010,
    window: 501,
    checksum: 0x0aee,
    urgentPointer: 0,
    options: [
      { kind: "sack", blocks: [[846931911, 846932935]] },
      {
        kind: "experimental",
        type: 253,
        exid: 0xf989,
        data: new Uint8Array([0xab, 0xcd]),
      },
      {
        kind: "fastOpen",
        cookie: hex`11 22 33 44 55 66 77 88`,
      },
      { kind: "unknown", type: 76, data: new Uint8Array([0x01, 0x02]) },
      { kind: "userTimeout", granularity: "seconds", timeout: 30 },
      { kind: "eol" },
    ],
    padding: new Uint8Array([0xee]),
    payload: empty,
  },
};

/** A SYN with reserved bits 0b101 and AE, CWR, ECE set. */
export const ecnReserved: TcpFixture = {
  name: "SYN with reserved bits, AE, CWR and ECE",
  src: "192.0.2.42",
  dst: "192.0.2.1",
  // tcpdump -r ecnReserved.pcap -nn -vv
  // IP (tos 0x0, ttl 64, id 5, offset 0, flags [none], proto TCP (6), length 44)
  //     192.0.2.42.45679 > 192.0.2.1.80: Flags [SEW], cksum 0x83de (correct), seq 195939070, win 64240, options [mss 1460], length 0
  bytes: hex`
    b2 6f 00 50
    0b ad ca fe
    00 00 00 00
    6b c2 fa f0
    83 de 00 00
    02 04 05 b4
  `,
  segment: {
    srcPort: 45679,
    dstPort: 80,
    seq: 0x0badcafe,
    ack: 0,
    dataOffset: 6,
    reserved: 5,
    flags: 0x1c2,
    window: 64240,
    checksum: 0x83de,
    urgentPointer: 0,
    options: [{ kind: "mss", value: 1460 }],
    payload: empty,
  },
};

/**
 * A SYN whose 7 option bytes the encoder pads with one zero byte. tcpdump
 * (and scapy) show that byte as an EOL; under the padding rule of
 * `decodeTcpOptions` it is the encoder's own padding, so the model has no
 * EOL and encoding it writes the zero byte itself.
 */
export const synPadded: TcpFixture = {
  name: "SYN with options padded by the encoder",
  src: "192.0.2.42",
  dst: "192.0.2.1",
  // tcpdump -r synPadded.pcap -nn -vv
  // IP (tos 0x0, ttl 64, id 6, offset 0, flags [none], proto TCP (6), length 48)
  //     192.0.2.42.40001 > 192.0.2.1.443: Flags [S], cksum 0xe5e0 (correct), seq 16909060, win 29200, options [mss 1460,wscale 7,eol], length 0
  bytes: hex`
    9c 41 01 bb
    01 02 03 04
    00 00 00 00
    70 02 72 10
    e5 e0 00 00
    02 04 05 b4
    03 03 07 00
  `,
  segment: {
    srcPort: 40001,
    dstPort: 443,
    seq: 0x01020304,
    ack: 0,
    dataOffset: 7,
    reserved: 0,
    flags: 0x002,
    window: 29200,
    checksum: 0xe5e0,
    urgentPointer: 0,
    options: [{ kind: "mss", value: 1460 }, { kind: "wscale", shift: 7 }],
    payload: empty,
  },
};

/** Every golden segment. */
export const TCP_FIXTURES: readonly TcpFixture[] = [
  linuxSyn,
  synAckV6,
  xmas,
  nullScan,
  pshAck,
  rst,
  allOptionsA,
  allOptionsB,
  ecnReserved,
  synPadded,
];

/** An option area with one malformed option, and what the decoder says. */
export interface MalformedOptions {
  /** What is wrong. */
  what: string;
  /** An option area (it starts at header byte 20). */
  bytes: Uint8Array;
  /** The message after "Cannot decode TCP options: ". */
  reason: string;
  /** Header offset of the bad option. */
  offset: number;
}

/** One option area per way an option can be malformed. */
export const MALFORMED_OPTIONS: readonly MalformedOptions[] = [
  {
    what: "length 0",
    bytes: hex`01 02 00 00`,
    reason: "option mss (kind 2) at offset 21 has length 0, less than 2",
    offset: 21,
  },
  {
    what: "length 1",
    bytes: hex`01 01 63 01`,
    reason: "option kind 99 at offset 22 has length 1, less than 2",
    offset: 22,
  },
  {
    what: "option past the end",
    bytes: hex`02 04 05 b4 01 08 0a 00`,
    reason:
      "option timestamp (kind 8) at offset 25 has length 10, past the end of the options at offset 28",
    offset: 25,
  },
  {
    what: "unknown option past the end",
    bytes: hex`01 01 4c 09 00 00 00 00`,
    reason:
      "option kind 76 at offset 22 has length 9, past the end of the options at offset 28",
    offset: 22,
  },
  {
    what: "no length byte",
    bytes: hex`01 01 01 22`,
    reason:
      "option fastOpen (kind 34) at offset 23 has no length byte: the options end at offset 24",
    offset: 23,
  },
  {
    what: "mss of length 3",
    bytes: hex`02 03 05 01`,
    reason: "option mss (kind 2) at offset 20 has length 3, expected 4",
    offset: 20,
  },
  {
    what: "mss of length 5",
    bytes: hex`02 05 05 b4 00 00 00 00`,
    reason: "option mss (kind 2) at offset 20 has length 5, expected 4",
    offset: 20,
  },
  {
    what: "wscale of length 4",
    bytes: hex`03 04 07 00`,
    reason: "option wscale (kind 3) at offset 20 has length 4, expected 3",
    offset: 20,
  },
  {
    what: "wscale of length 2",
    bytes: hex`01 01 03 02`,
    reason: "option wscale (kind 3) at offset 22 has length 2, expected 3",
    offset: 22,
  },
  {
    what: "sackOk of length 3",
    bytes: hex`04 03 00 01`,
    reason: "option sackOk (kind 4) at offset 20 has length 3, expected 2",
    offset: 20,
  },
  {
    what: "sack of length 11",
    bytes: hex`05 0b 00 00 00 01 00 00 00 02 00 00`,
    reason:
      "option sack (kind 5) at offset 20 has length 11, expected 2 + 8n (n SACK blocks)",
    offset: 20,
  },
  {
    what: "sack of length 6",
    bytes: hex`05 06 00 00 00 01 01 01`,
    reason:
      "option sack (kind 5) at offset 20 has length 6, expected 2 + 8n (n SACK blocks)",
    offset: 20,
  },
  {
    what: "timestamp of length 8",
    bytes: hex`08 08 00 00 00 01 00 00`,
    reason: "option timestamp (kind 8) at offset 20 has length 8, expected 10",
    offset: 20,
  },
  {
    what: "md5 of length 17",
    bytes: hex`13 11 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 00 00 00`,
    reason: "option md5 (kind 19) at offset 20 has length 17, expected 18",
    offset: 20,
  },
  {
    what: "userTimeout of length 3",
    bytes: hex`01 1c 03 05`,
    reason:
      "option userTimeout (kind 28) at offset 21 has length 3, expected 4",
    offset: 21,
  },
  {
    what: "tcpAo of length 3",
    bytes: hex`1d 03 01 00`,
    reason:
      "option tcpAo (kind 29) at offset 20 has length 3, expected at least 4",
    offset: 20,
  },
  {
    what: "experimental 253 of length 3",
    bytes: hex`fd 03 f9 00`,
    reason:
      "option experimental (kind 253) at offset 20 has length 3, expected at least 4",
    offset: 20,
  },
  {
    what: "experimental 254 of length 2",
    bytes: hex`fe 02 01 01`,
    reason:
      "option experimental (kind 254) at offset 20 has length 2, expected at least 4",
    offset: 20,
  },
];

/*
The script (scapy 2.5, /usr/bin/python3), abridged to its calls:

  add("linuxSyn", IP(src="192.0.2.42", dst="192.0.2.1", id=0x4d2, flags="DF", ttl=64) /
      TCP(sport=45678, dport=80, seq=0x6b8b4567, ack=0, flags="S", window=64240,
          options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (2887147466, 0)),
                   ("NOP", None), ("WScale", 7)]))
  add("synAckV6", IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64) /
      TCP(sport=80, dport=45678, seq=0x327b23c6, ack=0x6b8b4568, flags="SA", window=65160,
          options=[("MSS", 1440), ("SAckOK", b""), ("Timestamp", (123456789, 2887147466)),
                   ("NOP", None), ("WScale", 7)]))
  add("xmas", IP(src="192.0.2.42", dst="192.0.2.1", id=1, ttl=64) /
      TCP(sport=20, dport=666, seq=0, ack=0, flags="FPU", window=8192, urgptr=0))
  add("null", IP(src="192.0.2.42", dst="192.0.2.1", id=2, ttl=64) /
      TCP(sport=40000, dport=22, seq=1, ack=0, flags="", window=1024))
  add("pshAck", IP(src="192.0.2.42", dst="192.0.2.1", id=3, flags="DF", ttl=64) /
      TCP(sport=45678, dport=80, seq=0x6b8b4568, ack=0x327b23c7, flags="PA", window=502,
          options=[("NOP", None), ("NOP", None), ("Timestamp", (2887147500, 123456789)),
                   ("NOP", None), ("NOP", None),
                   ("SAck", (0x327b27c7, 0x327b2bc7, 0x327b33c7, 0x327b37c7))]) /
      Raw(b"hello, tcpcraft!\n"))
  add("rst", IP(src="192.0.2.1", dst="192.0.2.42", id=0, flags="DF", ttl=64) /
      TCP(sport=80, dport=45678, seq=0x327b23c7, ack=0, flags="R", window=0))
  add("allOptionsA", IP(src="198.51.100.7", dst="203.0.113.9", id=4, ttl=255) /
      TCP(sport=179, dport=179, seq=0xdeadbeef, ack=0, flags="S", window=16384,
          options=[("MD5", bytes(range(16))), ("UTO", 0x8005),
                   ("AO", TCPAOValue(keyid=1, rnextkeyid=2, mac=b"\xde\xad\xbe\xef")),
                   (30, b"\x01\x81"), ("TFO", b""), (99, b""), ("NOP", None), ("NOP", None)]))
  add("allOptionsB", IPv6(src="2001:db8::2", dst="2001:db8::1", hlim=64) /
      TCP(sport=45678, dport=80, seq=0x6b8b4569, ack=0x327b23c7, flags="A", window=501,
          options=[("SAck", (0x327b27c7, 0x327b2bc7)), (253, b"\xf9\x89\xab\xcd"),
                   ("TFO", bytes.fromhex("1122334455667788")), (76, b"\x01\x02"),
                   ("UTO", 30), ("EOL", None)]),
      patch=lambda raw, iplen: raw.__setitem__(iplen + 20 + 35, 0xee))  # then in6_chksum
  add("ecnReserved", IP(src="192.0.2.42", dst="192.0.2.1", id=5, ttl=64) /
      TCP(sport=45679, dport=80, seq=0x0badcafe, ack=0, flags="SECN", reserved=5,
          window=64240, options=[("MSS", 1460)]))
  add("synPadded", IP(src="192.0.2.42", dst="192.0.2.1", id=6, ttl=64) /
      TCP(sport=40001, dport=443, seq=0x01020304, ack=0, flags="S", window=29200,
          options=[("MSS", 1460), ("WScale", 7)]))

`add` wrote bytes(IP(bytes(pkt))[TCP]) and wrpcap(name + ".pcap", [pkt]).
*/
