/**
 * Golden packets for the `explain` tests: one clean SYN and one packet per
 * anomaly `explainPacket` reports.
 *
 * Every packet was built by scapy (python3-scapy 2.5.0, `/usr/bin/python3`)
 * from the expression in its `scapy` field; the comment above the bytes is
 * what `tcpdump -nn -S -t -r` (4.99) printed for it. The expected anomaly
 * codes and words are what a reader of RFC 9293/791/8200 expects of those
 * bytes; see each description.
 *
 * @module
 */

import type { AnomalyCode } from "../mod.ts";
import { hex } from "./_fixtures.ts";

/** A packet and the anomalies it must be explained with. */
export interface AnomalyFixture {
  /** What is special about it. */
  description: string;
  /** The scapy expression that built it. */
  scapy: string;
  /** The anomaly codes, in the order `explainPacket` reports them (by byte offset). */
  codes: AnomalyCode[];
  /** Words the message of the first listed anomaly must contain. */
  words?: RegExp;
  /** The IP datagram. */
  bytes: Uint8Array;
}

/** A SYN with the options Linux sends: nothing to report. */
export const cleanSyn: AnomalyFixture = {
  description: "A SYN with the options Linux sends: nothing to report",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=40000, dport=80, flags="S", seq=1, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)])',
  codes: [],
  // IP 192.0.2.42.40000 > 192.0.2.1.80: Flags [S], seq 1, win 8192, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
  bytes: hex`
    45 00 00 3c
    00 01 00 00
    40 06 f6 8f
    c0 00 02 2a
    c0 00 02 01
    9c 40 00 50
    00 00 00 01
    00 00 00 00
    a0 02 20 00
    07 42 00 00
    02 04 05 b4
    04 02 08 0a
    00 00 00 01
    00 00 00 00
    01 03 03 07
  `,
};

/** Christmas tree (nmap -sX): FIN, PSH, URG, and an urgent pointer of 0. */
export const xmas: AnomalyFixture = {
  description:
    "Christmas tree (nmap -sX): FIN, PSH, URG, and an urgent pointer of 0",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=666, flags="FPU")',
  codes: ["xmas", "urg-without-pointer"],
  words: /Christmas tree packet: FIN, PSH and URG are all set/,
  // IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 02 9a
    00 00 00 00
    00 00 00 00
    50 29 20 00
    08 e2 00 00
  `,
};

/** Christmas tree with an urgent pointer. */
export const xmasWithPointer: AnomalyFixture = {
  description: "Christmas tree with an urgent pointer",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=666, flags="FPU", urgptr=1)',
  codes: ["xmas"],
  words: /Christmas tree packet: FIN, PSH and URG are all set/,
  // IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 1, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 02 9a
    00 00 00 00
    00 00 00 00
    50 29 20 00
    08 e1 00 01
  `,
};

/** NULL scan (nmap -sN): no flag. */
export const nullScan: AnomalyFixture = {
  description: "NULL scan (nmap -sN): no flag",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=666, flags=0)',
  codes: ["null-flags"],
  words: /NULL packet: no flag is set/,
  // IP 192.0.2.42.20 > 192.0.2.1.666: Flags [none], win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 02 9a
    00 00 00 00
    00 00 00 00
    50 00 20 00
    09 0b 00 00
  `,
};

/** SYN and FIN together. */
export const synFin: AnomalyFixture = {
  description: "SYN and FIN together",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="SF")',
  codes: ["syn-fin"],
  words: /SYN and FIN are both set/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [FS], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 03 20 00
    0b 52 00 00
  `,
};

/** SYN and RST together. */
export const synRst: AnomalyFixture = {
  description: "SYN and RST together",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="SR")',
  codes: ["syn-rst"],
  words: /SYN and RST are both set/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [SR], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 06 20 00
    0b 4f 00 00
  `,
};

/** FIN scan (nmap -sF). */
export const finScan: AnomalyFixture = {
  description: "FIN scan (nmap -sF)",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="F")',
  codes: ["fin-without-ack"],
  words: /FIN without ACK/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [F], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 01 20 00
    0b 54 00 00
  `,
};

/** URG set, urgent pointer 0. */
export const urgWithoutPointer: AnomalyFixture = {
  description: "URG set, urgent pointer 0",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="PAU", urgptr=0) / Raw(b"!")',
  codes: ["urg-without-pointer"],
  words: /URG is set but the urgent pointer is 0/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [P.U], seq 0:1, ack 0, win 8192, urg 0, length 1: HTTP
  bytes: hex`
    45 00 00 29
    00 01 00 00
    40 06 f6 a2
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 38 20 00
    ea 1b 00 00
    21
  `,
};

/** urgent pointer 5, URG clear. */
export const pointerWithoutUrg: AnomalyFixture = {
  description: "urgent pointer 5, URG clear",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="A", urgptr=5)',
  codes: ["pointer-without-urg"],
  words: /the urgent pointer is 5 but URG is clear/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [.], ack 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 10 20 00
    0b 40 00 05
  `,
};

/** acknowledgment number 12345, ACK clear. */
export const ackNumberWithoutAck: AnomalyFixture = {
  description: "acknowledgment number 12345, ACK clear",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", ack=12345)',
  codes: ["ack-number-without-ack"],
  words: /the acknowledgment number is 12345 but ACK is clear/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 30 39
    50 02 20 00
    db 19 00 00
  `,
};

/** reserved bits 0b101. */
export const reservedBits: AnomalyFixture = {
  description: "reserved bits 0b101",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", reserved=5)',
  codes: ["reserved-bits"],
  words: /reserved bits are set \(0b101\)/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    5a 02 20 00
    01 53 00 00
  `,
};

/** destination port 0. */
export const portZero: AnomalyFixture = {
  description: "destination port 0",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=0, flags="S")',
  codes: ["port-zero"],
  words: /the destination port is 0/,
  // IP 192.0.2.42.20 > 192.0.2.1.0: Flags [S], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 00
    00 00 00 00
    00 00 00 00
    50 02 20 00
    0b a3 00 00
  `,
};

/** data offset 3. */
export const dataOffsetTooSmall: AnomalyFixture = {
  description: "data offset 3",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", dataofs=3)',
  codes: ["data-offset-too-small"],
  words: /data offset 3 is under 5/,
  // IP 192.0.2.42.20 > 192.0.2.1.80:  tcp 8 [bad hdr length 12 - too short, < 20]
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    30 02 20 00
    2b 53 00 00
  `,
};

/** data offset 15 in a 20-byte segment. */
export const dataOffsetPastEnd: AnomalyFixture = {
  description: "data offset 15 in a 20-byte segment",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", dataofs=15)',
  codes: ["data-offset-past-end"],
  words:
    /data offset 15 says the header is 60 bytes, but the segment is only 20 bytes/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S] [bad hdr length 60 - too long, > 20]
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    f0 02 20 00
    6b 52 00 00
  `,
};

/** an MSS option of length 5. */
export const optionLengthWrongForKind: AnomalyFixture = {
  description: "an MSS option of length 5",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", options=[(2, b"\\x05\\xb4\\x00")])',
  codes: ["option-length"],
  words:
    /option MSS \(kind 2\) at byte 20 has length 5, but its length is always 4/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, options [mss 1460[len 5],eol], length 0
  bytes: hex`
    45 00 00 30
    00 01 00 00
    40 06 f6 9b
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    70 02 20 00
    e3 91 00 00
    02 05 05 b4
    00 00 00 00
  `,
};

/** a timestamps option of length 1. */
export const optionLengthUnderTwo: AnomalyFixture = {
  description: "a timestamps option of length 1",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", dataofs=6) / Raw(b"\\x08\\x01\\x00\\x00")',
  codes: ["option-length"],
  words:
    /option Timestamps \(kind 8\) at byte 20 has length 1: a length counts the kind and length bytes/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, options [[bad opt]
  bytes: hex`
    45 00 00 2c
    00 01 00 00
    40 06 f6 9f
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    60 02 20 00
    f3 4d 00 00
    08 01 00 00
  `,
};

/** a timestamps option running past the option area. */
export const optionPastEnd: AnomalyFixture = {
  description: "a timestamps option running past the option area",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", dataofs=6) / Raw(b"\\x08\\x0a\\x00\\x00")',
  codes: ["option-length"],
  words:
    /option Timestamps \(kind 8\) at byte 20 has length 10, past the end of the option area at byte 24/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, options [[bad opt]
  bytes: hex`
    45 00 00 2c
    00 01 00 00
    40 06 f6 9f
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    60 02 20 00
    f3 44 00 00
    08 0a 00 00
  `,
};

/** an MSS kind byte with no length byte. */
export const optionWithoutLength: AnomalyFixture = {
  description: "an MSS kind byte with no length byte",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", dataofs=6) / Raw(b"\\x01\\x01\\x01\\x02")',
  codes: ["option-length"],
  words: /option MSS \(kind 2\) at byte 23 has no length byte/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, options [nop,nop,nop, [|tcp]
  bytes: hex`
    45 00 00 2c
    00 01 00 00
    40 06 f6 9f
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    60 02 20 00
    f9 4b 00 00
    01 01 01 02
  `,
};

/** an MSS option after EOL. */
export const optionsAfterEol: AnomalyFixture = {
  description: "an MSS option after EOL",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", dataofs=7) / Raw(b"\\x00\\x02\\x04\\x05\\xb4\\x00\\x00\\x00")',
  codes: ["options-after-eol"],
  words: /7 bytes after the end-of-list option at byte 20 are not zero/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, options [eol], length 0
  bytes: hex`
    45 00 00 30
    00 01 00 00
    40 06 f6 9b
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    70 02 20 00
    33 43 00 00
    00 02 04 05
    b4 00 00 00
  `,
};

/** window scale 15. */
export const wscaleTooLarge: AnomalyFixture = {
  description: "window scale 15",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", options=[("WScale", 15)])',
  codes: ["wscale-too-large"],
  words: /window scale shift 15 at byte 20 is more than 14/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, options [wscale 15,eol], length 0
  bytes: hex`
    45 00 00 2c
    00 01 00 00
    40 06 f6 9f
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    60 02 20 00
    e9 4b 00 00
    03 03 0f 00
  `,
};

/** TCP checksum 0x1234. */
export const tcpChecksumWrong: AnomalyFixture = {
  description: "TCP checksum 0x1234",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1) / TCP(sport=20, dport=80, flags="S", chksum=0x1234)',
  codes: ["tcp-checksum"],
  words: /TCP checksum 0x1234 is wrong: it should be 0x/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 02 20 00
    12 34 00 00
  `,
};

/** IPv4 IHL 4. */
export const ipv4IhlTooSmall: AnomalyFixture = {
  description: "IPv4 IHL 4",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1, ihl=4) / TCP(sport=20, dport=80, flags="S")',
  codes: ["ipv4-ihl"],
  words: /IPv4 IHL 4 is under 5/,
  // IP bad-hlen 16
  bytes: hex`
    44 00 00 28
    00 01 00 00
    40 06 f7 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 02 20 00
    0b 53 00 00
  `,
};

/** IPv4 IHL 15 in a 40-byte datagram. */
export const ipv4IhlPastEnd: AnomalyFixture = {
  description: "IPv4 IHL 15 in a 40-byte datagram",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1, ihl=15) / TCP(sport=20, dport=80, flags="S")',
  codes: ["ipv4-ihl", "tcp-truncated"],
  words:
    /IPv4 IHL 15 says the header is 60 bytes, but the datagram is only 40 bytes/,
  // IP bad-len 40
  bytes: hex`
    4f 00 00 28
    00 01 00 00
    40 06 ec a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 02 20 00
    0b 53 00 00
  `,
};

/** IPv4 total length 60 for 40 bytes. */
export const ipv4TotalLengthTooLong: AnomalyFixture = {
  description: "IPv4 total length 60 for 40 bytes",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1, len=60) / TCP(sport=20, dport=80, flags="S")',
  codes: ["ipv4-total-length"],
  words:
    /IPv4 total length 60 is more than the 40 bytes of the datagram: 20 bytes are missing/,
  // IP truncated-ip - 20 bytes missing! 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0:20, win 8192, length 20: HTTP
  bytes: hex`
    45 00 00 3c
    00 01 00 00
    40 06 f6 8f
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 02 20 00
    0b 3f 00 00
  `,
};

/** IPv4 total length 40 for 44 bytes. */
export const ipv4TotalLengthTooShort: AnomalyFixture = {
  description: "IPv4 total length 40 for 44 bytes",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1, len=40) / TCP(sport=20, dport=80, flags="PA") / Raw(b"data")',
  codes: ["ipv4-total-length", "tcp-checksum"],
  words: /IPv4 total length 40 is less than the 44 bytes given/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [P.], ack 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 f6 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 18 20 00
    32 7a 00 00
    64 61 74 61
  `,
};

/** IPv4 header checksum 0. */
export const ipv4HeaderChecksumWrong: AnomalyFixture = {
  description: "IPv4 header checksum 0",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1, chksum=0) / TCP(sport=20, dport=80, flags="S")',
  codes: ["ipv4-header-checksum"],
  words: /IPv4 header checksum 0x0000 is wrong: it should be 0x/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 00 00
    40 06 00 00
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 02 20 00
    0b 53 00 00
  `,
};

/** the IPv4 evil bit. */
export const ipv4EvilBit: AnomalyFixture = {
  description: "the IPv4 evil bit",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1, flags="evil") / TCP(sport=20, dport=80, flags="S")',
  codes: ["ipv4-reserved-bit"],
  words: /the IPv4 reserved flag bit \(the \"evil bit\" of RFC 3514\) is set/,
  // IP 192.0.2.42.20 > 192.0.2.1.80: Flags [S], seq 0, win 8192, length 0
  bytes: hex`
    45 00 00 28
    00 01 80 00
    40 06 76 a3
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 02 20 00
    0b 53 00 00
  `,
};

/** IPv6 payload length 100 for 20 bytes. */
export const ipv6PayloadLengthTooLong: AnomalyFixture = {
  description: "IPv6 payload length 100 for 20 bytes",
  scapy:
    'IPv6(src="2001:db8::1", dst="2001:db8::2", plen=100) / TCP(sport=20, dport=80, flags="S")',
  codes: ["ipv6-payload-length"],
  words:
    /IPv6 payload length 100 is more than the 20 bytes after the header: 80 bytes are missing/,
  // IP6 truncated-ip6 - 80 bytes missing!2001:db8::1.20 > 2001:db8::2.80: Flags [S], seq 0:80, win 8192, length 80: HTTP
  bytes: hex`
    60 00 00 00
    00 64 06 40
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 01
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 02
    00 14 00 50
    00 00 00 00
    00 00 00 00
    50 02 20 00
    34 0a 00 00
  `,
};

/** 10 bytes of TCP header. */
export const tcpTruncated: AnomalyFixture = {
  description: "10 bytes of TCP header",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1", id=1, len=30, proto=6) / Raw(bytes(TCP(sport=20, dport=80, flags="S"))[:10])',
  codes: ["tcp-truncated"],
  words: /only 10 bytes of TCP header: a TCP header is at least 20 bytes/,
  // IP 192.0.2.42.20 > 192.0.2.1.80:  [|tcp]
  bytes: hex`
    45 00 00 1e
    00 01 00 00
    40 06 f6 ad
    c0 00 02 2a
    c0 00 02 01
    00 14 00 50
    00 00 00 00
    00 00
  `,
};

/** Every fixture, in the order above. */
export const ANOMALY_FIXTURES: readonly AnomalyFixture[] = [
  cleanSyn,
  xmas,
  xmasWithPointer,
  nullScan,
  synFin,
  synRst,
  finScan,
  urgWithoutPointer,
  pointerWithoutUrg,
  ackNumberWithoutAck,
  reservedBits,
  portZero,
  dataOffsetTooSmall,
  dataOffsetPastEnd,
  optionLengthWrongForKind,
  optionLengthUnderTwo,
  optionPastEnd,
  optionWithoutLength,
  optionsAfterEol,
  wscaleTooLarge,
  tcpChecksumWrong,
  ipv4IhlTooSmall,
  ipv4IhlPastEnd,
  ipv4TotalLengthTooLong,
  ipv4TotalLengthTooShort,
  ipv4HeaderChecksumWrong,
  ipv4EvilBit,
  ipv6PayloadLengthTooLong,
  tcpTruncated,
];
