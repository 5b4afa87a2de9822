/**
 * Golden packets for the IP and packet tests.
 *
 * Every packet was built by scapy (python3-scapy 2.5.0, `/usr/bin/python3`);
 * the expected fields are scapy's own dissection of the bytes, and the
 * comment above the bytes is what `tcpdump -t -nn -vv -r` (4.99.3) printed
 * for them. Regenerate with the script at the end of this file.
 *
 * Also here: the helpers that run the Python oracles (scapy, `ipaddress`)
 * and a seeded random generator.
 *
 * @module
 */

import type { DecodedTcpPacket, TcpPacketInit } from "../mod.ts";

/**
 * Bytes from a template literal of hex pairs separated by white space.
 *
 * @param strings The template literal (no substitutions).
 * @returns The bytes.
 */
export function hex(strings: TemplateStringsArray): Uint8Array {
  const text = strings.join("").trim();
  if (text === "") return new Uint8Array();
  return new Uint8Array(
    text.split(/\s+/).map((pair) => {
      if (!/^[0-9a-f]{2}$/i.test(pair)) throw new Error(`bad hex pair ${pair}`);
      return parseInt(pair, 16);
    }),
  );
}

const empty = new Uint8Array();

/** The Python that has scapy (the `python3` on PATH may not). */
export const PYTHON = "/usr/bin/python3";

function pythonCan(module: string): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", `import ${module}`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

const available = new Map<string, boolean>();

/**
 * Whether /usr/bin/python3 can import a module (`ipaddress` for the Python
 * oracles, `scapy.all` for scapy), asked once per module.
 *
 * @param module The module to import.
 * @returns Whether the import works.
 */
export function pythonHas(module: string): boolean {
  let result = available.get(module);
  if (result === undefined) {
    result = pythonCan(module);
    available.set(module, result);
  }
  return result;
}

/**
 * Run a Python program once, feeding it `input` (JSON) on stdin, and parse
 * the JSON it prints.
 *
 * @param code The program.
 * @param input Any JSON value.
 * @returns What the program printed, parsed.
 */
export async function runPython(
  code: string,
  input: unknown,
): Promise<unknown> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  if (!success) {
    throw new Error(`python failed: ${new TextDecoder().decode(stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(stdout));
}

/**
 * A small seeded generator (mulberry32), so random tests repeat.
 *
 * @param seed Any 32-bit integer.
 * @returns A function giving integers in 0..max-1.
 */
export function seededRandom(seed: number): (max: number) => number {
  let state = seed >>> 0;
  return (max: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  };
}

/** One golden packet. */
export interface PacketFixture {
  /** Short name, used in test names. */
  name: string;
  /** The scapy expression that built the bytes. */
  scapy: string;
  /** A makeTcpPacket() init that should give the same bytes (scapy's defaults line up). */
  init?: TcpPacketInit;
  /** The packet bytes, IP header first. */
  bytes: Uint8Array;
  /** The packet as decoded, every field present. */
  packet: DecodedTcpPacket;
}

/** The Christmas-tree packet: FIN+PSH+URG with scapy's defaults. */
export const xmas: PacketFixture = {
  name: "xmas",
  scapy:
    'IP(src="192.0.2.42", dst="192.0.2.1")/TCP(sport=20, dport=666, flags="FPU")',
  init: { src: "192.0.2.42", dst: "192.0.2.1", dstPort: 666, flags: 0x29 },
  // tcpdump -t -nn -vv -r:
  // IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto TCP (6), length 40)
  //     192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], cksum 0x08e2 (correct), seq 0, win 8192, urg 0, length 0
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
  packet: {
    ip: {
      version: 4,
      tos: 0x00,
      id: 1,
      dontFragment: false,
      moreFragments: false,
      reservedBit: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: "192.0.2.42",
      dst: "192.0.2.1",
      options: empty,
      ihl: 5,
      totalLength: 40,
      checksum: 0xf6a3,
    },
    tcp: {
      srcPort: 20,
      dstPort: 666,
      seq: 0,
      ack: 0,
      flags: 0x029,
      window: 8192,
      urgentPointer: 0,
      options: [],
      payload: empty,
      dataOffset: 5,
      reserved: 0,
      checksum: 0x08e2,
    },
  },
};

/** A Linux-like SYN: DF, MSS, SACK permitted, timestamps, NOP, window scale. */
export const linuxSyn: PacketFixture = {
  name: "linuxSyn",
  scapy:
    "IP(src=\"10.0.0.1\", dst=\"10.0.0.2\", id=0x1c46, flags=\"DF\", ttl=64)/TCP(sport=43210, dport=80, seq=1105024978, flags=\"S\", window=64240, options=[('MSS', 1460), ('SAckOK', b''), ('Timestamp', (2874213190, 0)), ('NOP', None), ('WScale', 7)])",
  init: {
    src: "10.0.0.1",
    dst: "10.0.0.2",
    id: 0x1c46,
    dontFragment: true,
    srcPort: 43210,
    dstPort: 80,
    seq: 1105024978,
    window: 64240,
    options: [
      { kind: "mss", value: 1460 },
      { kind: "sackOk" },
      { kind: "timestamp", value: 2874213190, echo: 0 },
      { kind: "nop" },
      { kind: "wscale", shift: 7 },
    ],
  },
  // tcpdump -t -nn -vv -r:
  // IP (tos 0x0, ttl 64, id 7238, offset 0, flags [DF], proto TCP (6), length 60)
  //     10.0.0.1.43210 > 10.0.0.2.80: Flags [S], cksum 0x47ab (correct), seq 1105024978, win 64240, options [mss 1460,sackOK,TS val 2874213190 ecr 0,nop,wscale 7], length 0
  bytes: hex`
    45 00 00 3c
    1c 46 40 00
    40 06 0a 74
    0a 00 00 01
    0a 00 00 02
    a8 ca 00 50
    41 dd 57 d2
    00 00 00 00
    a0 02 fa f0
    47 ab 00 00
    02 04 05 b4
    04 02 08 0a
    ab 51 03 46
    00 00 00 00
    01 03 03 07
  `,
  packet: {
    ip: {
      version: 4,
      tos: 0x00,
      id: 7238,
      dontFragment: true,
      moreFragments: false,
      reservedBit: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: "10.0.0.1",
      dst: "10.0.0.2",
      options: empty,
      ihl: 5,
      totalLength: 60,
      checksum: 0x0a74,
    },
    tcp: {
      srcPort: 43210,
      dstPort: 80,
      seq: 1105024978,
      ack: 0,
      flags: 0x002,
      window: 64240,
      urgentPointer: 0,
      options: [
        { kind: "mss", value: 1460 },
        { kind: "sackOk" },
        { kind: "timestamp", value: 2874213190, echo: 0 },
        { kind: "nop" },
        { kind: "wscale", shift: 7 },
      ],
      payload: empty,
      dataOffset: 10,
      reserved: 0,
      checksum: 0x47ab,
    },
  },
};

/** The SYN-ACK answering it. */
export const synAck: PacketFixture = {
  name: "synAck",
  scapy:
    'IP(src="10.0.0.2", dst="10.0.0.1", id=0, flags="DF", ttl=64)/TCP(sport=80, dport=43210, seq=3384566512, ack=1105024979, flags="SA", window=65160, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1234567, 2874213190)), ("NOP", None), ("WScale", 7)])',
  // tcpdump -t -nn -vv -r:
  // IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 60)
  //     10.0.0.2.80 > 10.0.0.1.43210: Flags [S.], cksum 0x40bb (correct), seq 3384566512, ack 1105024979, win 65160, options [mss 1460,sackOK,TS val 1234567 ecr 2874213190,nop,wscale 7], length 0
  bytes: hex`
    45 00 00 3c
    00 00 40 00
    40 06 26 ba
    0a 00 00 02
    0a 00 00 01
    00 50 a8 ca
    c9 bc 62 f0
    41 dd 57 d3
    a0 12 fe 88
    40 bb 00 00
    02 04 05 b4
    04 02 08 0a
    00 12 d6 87
    ab 51 03 46
    01 03 03 07
  `,
  packet: {
    ip: {
      version: 4,
      tos: 0x00,
      id: 0,
      dontFragment: true,
      moreFragments: false,
      reservedBit: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: "10.0.0.2",
      dst: "10.0.0.1",
      options: empty,
      ihl: 5,
      totalLength: 60,
      checksum: 0x26ba,
    },
    tcp: {
      srcPort: 80,
      dstPort: 43210,
      seq: 3384566512,
      ack: 1105024979,
      flags: 0x012,
      window: 65160,
      urgentPointer: 0,
      options: [
        { kind: "mss", value: 1460 },
        { kind: "sackOk" },
        { kind: "timestamp", value: 1234567, echo: 2874213190 },
        { kind: "nop" },
        { kind: "wscale", shift: 7 },
      ],
      payload: empty,
      dataOffset: 10,
      reserved: 0,
      checksum: 0x40bb,
    },
  },
};

/** RST+ACK from a closed port, window 0. */
export const rstAck: PacketFixture = {
  name: "rstAck",
  scapy:
    'IP(src="198.51.100.7", dst="203.0.113.9", id=0, flags="DF", ttl=64)/TCP(sport=443, dport=51000, seq=0, ack=2000000001, flags="RA", window=0)',
  init: {
    src: "198.51.100.7",
    dst: "203.0.113.9",
    id: 0,
    dontFragment: true,
    srcPort: 443,
    dstPort: 51000,
    ack: 2000000001,
    flags: 0x14,
    window: 0,
  },
  // tcpdump -t -nn -vv -r:
  // IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 40)
  //     198.51.100.7.443 > 203.0.113.9.51000: Flags [R.], cksum 0x7561 (correct), seq 0, ack 2000000001, win 0, length 0
  bytes: hex`
    45 00 00 28
    00 00 40 00
    40 06 d4 8b
    c6 33 64 07
    cb 00 71 09
    01 bb c7 38
    00 00 00 00
    77 35 94 01
    50 14 00 00
    75 61 00 00
  `,
  packet: {
    ip: {
      version: 4,
      tos: 0x00,
      id: 0,
      dontFragment: true,
      moreFragments: false,
      reservedBit: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: "198.51.100.7",
      dst: "203.0.113.9",
      options: empty,
      ihl: 5,
      totalLength: 40,
      checksum: 0xd48b,
    },
    tcp: {
      srcPort: 443,
      dstPort: 51000,
      seq: 0,
      ack: 2000000001,
      flags: 0x014,
      window: 0,
      urgentPointer: 0,
      options: [],
      payload: empty,
      dataOffset: 5,
      reserved: 0,
      checksum: 0x7561,
    },
  },
};

/** PSH+ACK with timestamps and a 17-byte payload (odd: the checksum pads it). */
export const pshAckOdd: PacketFixture = {
  name: "pshAckOdd",
  scapy:
    'IP(src="192.0.2.10", dst="198.51.100.20", id=4242, flags="DF", ttl=63, tos=0x10)/TCP(sport=51000, dport=8080, seq=1000, ack=5000, flags="PA", window=502, options=[("NOP", None), ("NOP", None), ("Timestamp", (100, 200))])/b"GET / HTTP/1.0\\r\\n\\r"',
  // tcpdump -t -nn -vv -r:
  // IP (tos 0x10, ttl 63, id 4242, offset 0, flags [DF], proto TCP (6), length 69)
  //     192.0.2.10.51000 > 198.51.100.20.8080: Flags [P.], cksum 0xaa61 (correct), seq 1000:1017, ack 5000, win 502, options [nop,nop,TS val 100 ecr 200], length 17: HTTP, length: 17
  //     GET / HTTP/1.0
  bytes: hex`
    45 10 00 45
    10 92 40 00
    3f 06 3e bf
    c0 00 02 0a
    c6 33 64 14
    c7 38 1f 90
    00 00 03 e8
    00 00 13 88
    80 18 01 f6
    aa 61 00 00
    01 01 08 0a
    00 00 00 64
    00 00 00 c8
    47 45 54 20
    2f 20 48 54
    54 50 2f 31
    2e 30 0d 0a
    0d
  `,
  packet: {
    ip: {
      version: 4,
      tos: 0x10,
      id: 4242,
      dontFragment: true,
      moreFragments: false,
      reservedBit: false,
      fragmentOffset: 0,
      ttl: 63,
      protocol: 6,
      src: "192.0.2.10",
      dst: "198.51.100.20",
      options: empty,
      ihl: 5,
      totalLength: 69,
      checksum: 0x3ebf,
    },
    tcp: {
      srcPort: 51000,
      dstPort: 8080,
      seq: 1000,
      ack: 5000,
      flags: 0x018,
      window: 502,
      urgentPointer: 0,
      options: [{ kind: "nop" }, { kind: "nop" }, {
        kind: "timestamp",
        value: 100,
        echo: 200,
      }],
      payload: hex`
        47 45 54 20
        2f 20 48 54
        54 50 2f 31
        2e 30 0d 0a
        0d
      `,
      dataOffset: 8,
      reserved: 0,
      checksum: 0xaa61,
    },
  },
};

/** IPv4 with DF and 40 option bytes (IHL 15): NOP, then record route with 9 slots, 2 filled. */
export const ipv4Options: PacketFixture = {
  name: "ipv4Options",
  scapy:
    'IP(src="192.0.2.1", dst="192.0.2.2", id=77, flags="DF", options=[IPOption_NOP(), IPOption_RR(pointer=12, routers=["192.0.2.1", "198.51.100.1"] + ["0.0.0.0"] * 7)])/TCP(sport=1024, dport=80, seq=1, flags="S")',
  // tcpdump -t -nn -vv -r:
  // IP (tos 0x0, ttl 64, id 77, offset 0, flags [DF], proto TCP (6), length 80, options (NOP,RR 192.0.2.1, 198.51.100.1, 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0))
  //     192.0.2.1.1024 > 192.0.2.2.80: Flags [S], cksum 0x078e (correct), seq 1, win 8192, length 0
  bytes: hex`
    4f 00 00 50
    00 4d 40 00
    40 06 98 0d
    c0 00 02 01
    c0 00 02 02
    01 07 27 0c
    c0 00 02 01
    c6 33 64 01
    00 00 00 00
    00 00 00 00
    00 00 00 00
    00 00 00 00
    00 00 00 00
    00 00 00 00
    00 00 00 00
    04 00 00 50
    00 00 00 01
    00 00 00 00
    50 02 20 00
    07 8e 00 00
  `,
  packet: {
    ip: {
      version: 4,
      tos: 0x00,
      id: 77,
      dontFragment: true,
      moreFragments: false,
      reservedBit: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: "192.0.2.1",
      dst: "192.0.2.2",
      options: hex`
        01 07 27 0c
        c0 00 02 01
        c6 33 64 01
        00 00 00 00
        00 00 00 00
        00 00 00 00
        00 00 00 00
        00 00 00 00
        00 00 00 00
        00 00 00 00
      `,
      ihl: 15,
      totalLength: 80,
      checksum: 0x980d,
    },
    tcp: {
      srcPort: 1024,
      dstPort: 80,
      seq: 1,
      ack: 0,
      flags: 0x002,
      window: 8192,
      urgentPointer: 0,
      options: [],
      payload: empty,
      dataOffset: 5,
      reserved: 0,
      checksum: 0x078e,
    },
  },
};

/** IPv6 SYN with traffic class 0xb8 (EF) and flow label 0xabcde. */
export const ipv6FlowLabel: PacketFixture = {
  name: "ipv6FlowLabel",
  scapy:
    'IPv6(src="2001:db8::1", dst="2001:db8:0:1::2", tc=0xb8, fl=0xabcde, hlim=64)/TCP(sport=12345, dport=22, seq=305419896, flags="S", window=64800, options=[("MSS", 1440), ("SAckOK", b""), ("Timestamp", (42, 0)), ("NOP", None), ("WScale", 7)])',
  init: {
    src: "2001:db8::1",
    dst: "2001:db8:0:1::2",
    trafficClass: 0xb8,
    flowLabel: 0xabcde,
    srcPort: 12345,
    dstPort: 22,
    seq: 305419896,
    window: 64800,
    options: [
      { kind: "mss", value: 1440 },
      { kind: "sackOk" },
      { kind: "timestamp", value: 42, echo: 0 },
      { kind: "nop" },
      { kind: "wscale", shift: 7 },
    ],
  },
  // tcpdump -t -nn -vv -r:
  // IP6 (class 0xb8, flowlabel 0xabcde, hlim 64, next-header TCP (6) payload length: 40) 2001:db8::1.12345 > 2001:db8:0:1::2.22: Flags [S], cksum 0x5658 (correct), seq 305419896, win 64800, options [mss 1440,sackOK,TS val 42 ecr 0,nop,wscale 7], length 0
  bytes: hex`
    6b 8a bc de
    00 28 06 40
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 01
    20 01 0d b8
    00 00 00 01
    00 00 00 00
    00 00 00 02
    30 39 00 16
    12 34 56 78
    00 00 00 00
    a0 02 fd 20
    56 58 00 00
    02 04 05 a0
    04 02 08 0a
    00 00 00 2a
    00 00 00 00
    01 03 03 07
  `,
  packet: {
    ip: {
      version: 6,
      trafficClass: 0xb8,
      flowLabel: 0xabcde,
      nextHeader: 6,
      hopLimit: 64,
      src: "2001:db8::1",
      dst: "2001:db8:0:1::2",
      payloadLength: 40,
    },
    tcp: {
      srcPort: 12345,
      dstPort: 22,
      seq: 305419896,
      ack: 0,
      flags: 0x002,
      window: 64800,
      urgentPointer: 0,
      options: [
        { kind: "mss", value: 1440 },
        { kind: "sackOk" },
        { kind: "timestamp", value: 42, echo: 0 },
        { kind: "nop" },
        { kind: "wscale", shift: 7 },
      ],
      payload: empty,
      dataOffset: 10,
      reserved: 0,
      checksum: 0x5658,
    },
    extensionHeaders: [],
  },
};

/** IPv6 ACK behind a hop-by-hop options header (router alert, PadN). */
export const ipv6HopByHop: PacketFixture = {
  name: "ipv6HopByHop",
  scapy:
    'IPv6(src="fe80::1", dst="ff02::16", hlim=1)/IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])/TCP(sport=5000, dport=5001, seq=7, ack=9, flags="A", window=1024)',
  // tcpdump -t -nn -vv -r:
  // IP6 (hlim 1, next-header Options (0) payload length: 28) fe80::1 > ff02::16: HBH (rtalert: 0x0000) (padn) 5000 > 5001: Flags [.], cksum 0x8719 (correct), seq 7, ack 9, win 1024, length 0
  bytes: hex`
    60 00 00 00
    00 1c 00 01
    fe 80 00 00
    00 00 00 00
    00 00 00 00
    00 00 00 01
    ff 02 00 00
    00 00 00 00
    00 00 00 00
    00 00 00 16
    06 00 05 02
    00 00 01 00
    13 88 13 89
    00 00 00 07
    00 00 00 09
    50 10 04 00
    87 19 00 00
  `,
  packet: {
    ip: {
      version: 6,
      trafficClass: 0x00,
      flowLabel: 0x00000,
      nextHeader: 0,
      hopLimit: 1,
      src: "fe80::1",
      dst: "ff02::16",
      payloadLength: 28,
    },
    tcp: {
      srcPort: 5000,
      dstPort: 5001,
      seq: 7,
      ack: 9,
      flags: 0x010,
      window: 1024,
      urgentPointer: 0,
      options: [],
      payload: empty,
      dataOffset: 5,
      reserved: 0,
      checksum: 0x8719,
    },
    extensionHeaders: [
      {
        type: 0,
        offset: 40,
        nextHeader: 6,
        data: hex`05 02 00 00 01 00`,
      },
    ],
  },
};

/** IPv6 through a type 0 routing header with 2 segments left: the TCP checksum uses the last address. */
export const ipv6Routing: PacketFixture = {
  name: "ipv6Routing",
  scapy:
    'IPv6(src="2001:db8::1", dst="2001:db8::a")/IPv6ExtHdrRouting(addresses=["2001:db8::b", "2001:db8::c"])/TCP(sport=1234, dport=80, flags="S")',
  // tcpdump -t -nn -vv -r:
  // IP6 (hlim 64, next-header Routing (43) payload length: 60) 2001:db8::1 > 2001:db8::a: RT6 (len=4, type=0 [Deprecated], segleft=2, rsv=0x0, [0]2001:db8::b, [1]2001:db8::c) 1234 > 80: Flags [S], cksum 0x2f42 (correct), seq 0, win 8192, length 0
  bytes: hex`
    60 00 00 00
    00 3c 2b 40
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 01
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 0a
    06 04 00 02
    00 00 00 00
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 0b
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 0c
    04 d2 00 50
    00 00 00 00
    00 00 00 00
    50 02 20 00
    2f 42 00 00
  `,
  packet: {
    ip: {
      version: 6,
      trafficClass: 0x00,
      flowLabel: 0x00000,
      nextHeader: 43,
      hopLimit: 64,
      src: "2001:db8::1",
      dst: "2001:db8::a",
      payloadLength: 60,
    },
    tcp: {
      srcPort: 1234,
      dstPort: 80,
      seq: 0,
      ack: 0,
      flags: 0x002,
      window: 8192,
      urgentPointer: 0,
      options: [],
      payload: empty,
      dataOffset: 5,
      reserved: 0,
      checksum: 0x2f42,
    },
    extensionHeaders: [
      {
        type: 43,
        offset: 40,
        nextHeader: 6,
        data: hex`
          00 02 00 00
          00 00 20 01
          0d b8 00 00
          00 00 00 00
          00 00 00 00
          00 0b 20 01
          0d b8 00 00
          00 00 00 00
          00 00 00 00
          00 0c
        `,
      },
    ],
  },
};

/** IPv6 through a segment routing header (type 4): the TCP checksum uses Segment List[0]. */
export const ipv6SegmentRouting: PacketFixture = {
  name: "ipv6SegmentRouting",
  scapy:
    'IPv6(src="2001:db8::1", dst="2001:db8::a")/IPv6ExtHdrSegmentRouting(addresses=["2001:db8::c", "2001:db8::b"], segleft=1)/IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\\x00" * 4)])/TCP(sport=1234, dport=443, flags="S")',
  // tcpdump -t -nn -vv -r:
  // IP6 (hlim 64, next-header Routing (43) payload length: 68) 2001:db8::1 > 2001:db8::a: RT6 (len=4, type=4, segleft=1, last-entry=1, flags=0x0, tag=0, [0]2001:db8::c, [1]2001:db8::b) DSTOPT (padn) 1234 > 443: Flags [S], cksum 0x2dd7 (correct), seq 0, win 8192, length 0
  bytes: hex`
    60 00 00 00
    00 44 2b 40
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 01
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 0a
    3c 04 04 01
    01 00 00 00
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 0c
    20 01 0d b8
    00 00 00 00
    00 00 00 00
    00 00 00 0b
    06 00 01 04
    00 00 00 00
    04 d2 01 bb
    00 00 00 00
    00 00 00 00
    50 02 20 00
    2d d7 00 00
  `,
  packet: {
    ip: {
      version: 6,
      trafficClass: 0x00,
      flowLabel: 0x00000,
      nextHeader: 43,
      hopLimit: 64,
      src: "2001:db8::1",
      dst: "2001:db8::a",
      payloadLength: 68,
    },
    tcp: {
      srcPort: 1234,
      dstPort: 443,
      seq: 0,
      ack: 0,
      flags: 0x002,
      window: 8192,
      urgentPointer: 0,
      options: [],
      payload: empty,
      dataOffset: 5,
      reserved: 0,
      checksum: 0x2dd7,
    },
    extensionHeaders: [
      {
        type: 43,
        offset: 40,
        nextHeader: 60,
        data: hex`
          04 01 01 00
          00 00 20 01
          0d b8 00 00
          00 00 00 00
          00 00 00 00
          00 0c 20 01
          0d b8 00 00
          00 00 00 00
          00 00 00 00
          00 0b
        `,
      },
      {
        type: 60,
        offset: 80,
        nextHeader: 6,
        data: hex`01 04 00 00 00 00`,
      },
    ],
  },
};

/** Every fixture, in the order above. */
export const PACKET_FIXTURES: readonly PacketFixture[] = [
  xmas,
  linuxSyn,
  synAck,
  rstAck,
  pshAckOdd,
  ipv4Options,
  ipv6FlowLabel,
  ipv6HopByHop,
  ipv6Routing,
  ipv6SegmentRouting,
];

/*
 * The generator (run with /usr/bin/python3, write to tests/_fixtures.ts, then deno fmt):
 *
 * #!/usr/bin/python3
 * """Generate tests/_fixtures.ts from scapy (bytes and decoded fields) and tcpdump (the comment line)."""
 * import subprocess, tempfile, os, json, struct
 * from scapy.all import (IP, IPv6, TCP, IPOption_NOP, IPOption_RR, IPv6ExtHdrHopByHop, RouterAlert,
 *                        IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, IPv6ExtHdrDestOpt, PadN, raw)
 *
 * LINUX_SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (2874213190, 0)), ("NOP", None), ("WScale", 7)]
 *
 * FIXTURES = [
 *     ("xmas", "The Christmas-tree packet: FIN+PSH+URG with scapy's defaults",
 *      'IP(src="192.0.2.42", dst="192.0.2.1")/TCP(sport=20, dport=666, flags="FPU")',
 *      'src: "192.0.2.42", dst: "192.0.2.1", dstPort: 666, flags: 0x29'),
 *     ("linuxSyn", "A Linux-like SYN: DF, MSS, SACK permitted, timestamps, NOP, window scale",
 *      'IP(src="10.0.0.1", dst="10.0.0.2", id=0x1c46, flags="DF", ttl=64)/TCP(sport=43210, dport=80, seq=1105024978, flags="S", window=64240, options=%r)' % (LINUX_SYN_OPTS,),
 *      'src: "10.0.0.1", dst: "10.0.0.2", id: 0x1c46, dontFragment: true, srcPort: 43210, dstPort: 80, '
 *      'seq: 1105024978, window: 64240, options: [{ kind: "mss", value: 1460 }, { kind: "sackOk" }, '
 *      '{ kind: "timestamp", value: 2874213190, echo: 0 }, { kind: "nop" }, { kind: "wscale", shift: 7 }]'),
 *     ("synAck", "The SYN-ACK answering it",
 *      'IP(src="10.0.0.2", dst="10.0.0.1", id=0, flags="DF", ttl=64)/TCP(sport=80, dport=43210, seq=3384566512, ack=1105024979, flags="SA", window=65160, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1234567, 2874213190)), ("NOP", None), ("WScale", 7)])',
 *      None),
 *     ("rstAck", "RST+ACK from a closed port, window 0",
 *      'IP(src="198.51.100.7", dst="203.0.113.9", id=0, flags="DF", ttl=64)/TCP(sport=443, dport=51000, seq=0, ack=2000000001, flags="RA", window=0)',
 *      'src: "198.51.100.7", dst: "203.0.113.9", id: 0, dontFragment: true, srcPort: 443, dstPort: 51000, '
 *      'ack: 2000000001, flags: 0x14, window: 0'),
 *     ("pshAckOdd", "PSH+ACK with timestamps and a 17-byte payload (odd: the checksum pads it)",
 *      'IP(src="192.0.2.10", dst="198.51.100.20", id=4242, flags="DF", ttl=63, tos=0x10)/TCP(sport=51000, dport=8080, seq=1000, ack=5000, flags="PA", window=502, options=[("NOP", None), ("NOP", None), ("Timestamp", (100, 200))])/b"GET / HTTP/1.0\\r\\n\\r"',
 *      None),
 *     ("ipv4Options", "IPv4 with DF and 40 option bytes (IHL 15): NOP, then record route with 9 slots, 2 filled",
 *      'IP(src="192.0.2.1", dst="192.0.2.2", id=77, flags="DF", options=[IPOption_NOP(), IPOption_RR(pointer=12, routers=["192.0.2.1", "198.51.100.1"] + ["0.0.0.0"] * 7)])/TCP(sport=1024, dport=80, seq=1, flags="S")',
 *      None),
 *     ("ipv6FlowLabel", "IPv6 SYN with traffic class 0xb8 (EF) and flow label 0xabcde",
 *      'IPv6(src="2001:db8::1", dst="2001:db8:0:1::2", tc=0xb8, fl=0xabcde, hlim=64)/TCP(sport=12345, dport=22, seq=305419896, flags="S", window=64800, options=[("MSS", 1440), ("SAckOK", b""), ("Timestamp", (42, 0)), ("NOP", None), ("WScale", 7)])',
 *      'src: "2001:db8::1", dst: "2001:db8:0:1::2", trafficClass: 0xb8, flowLabel: 0xabcde, srcPort: 12345, dstPort: 22, '
 *      'seq: 305419896, window: 64800, options: [{ kind: "mss", value: 1440 }, { kind: "sackOk" }, '
 *      '{ kind: "timestamp", value: 42, echo: 0 }, { kind: "nop" }, { kind: "wscale", shift: 7 }]'),
 *     ("ipv6HopByHop", "IPv6 ACK behind a hop-by-hop options header (router alert, PadN)",
 *      'IPv6(src="fe80::1", dst="ff02::16", hlim=1)/IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])/TCP(sport=5000, dport=5001, seq=7, ack=9, flags="A", window=1024)',
 *      None),
 *     ("ipv6Routing", "IPv6 through a type 0 routing header with 2 segments left: the TCP checksum uses the last address",
 *      'IPv6(src="2001:db8::1", dst="2001:db8::a")/IPv6ExtHdrRouting(addresses=["2001:db8::b", "2001:db8::c"])/TCP(sport=1234, dport=80, flags="S")',
 *      None),
 *     ("ipv6SegmentRouting", "IPv6 through a segment routing header (type 4): the TCP checksum uses Segment List[0]",
 *      'IPv6(src="2001:db8::1", dst="2001:db8::a")/IPv6ExtHdrSegmentRouting(addresses=["2001:db8::c", "2001:db8::b"], segleft=1)/IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\\x00" * 4)])/TCP(sport=1234, dport=443, flags="S")',
 *      None),
 * ]
 *
 * def tcpdump_line(data, v6):
 *     with tempfile.TemporaryDirectory() as d:
 *         path = os.path.join(d, "p.pcap")
 *         with open(path, "wb") as f:  # pcap, LINKTYPE_RAW (101): the packet starts with the IP header
 *             f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
 *             f.write(struct.pack("<IIII", 0, 0, len(data), len(data)) + data)
 *         out = subprocess.run(["tcpdump", "-t", "-nn", "-vv", "-r", path], capture_output=True, text=True, check=True).stdout
 *     return [l.rstrip().expandtabs(4) for l in out.splitlines() if l.strip()]
 *
 * def ts_bytes(data, indent):
 *     """A hex`` literal, 4 bytes to a line."""
 *     lines = [indent + " ".join("%02x" % b for b in data[i:i + 4]) for i in range(0, len(data), 4)]
 *     return "hex`\n" + "\n".join(lines) + "\n" + indent[:-2] + "`"
 *
 * def hex_u8(b, indent="      "):
 *     if len(b) == 0:
 *         return "empty"
 *     if len(b) <= 8:
 *         return "hex`" + " ".join("%02x" % x for x in b) + "`"
 *     return ts_bytes(b, indent + "  ")
 *
 * def tcp_options(opts):
 *     out = []
 *     for name, value in opts:
 *         if name == "MSS":
 *             out.append('{ kind: "mss", value: %d }' % value)
 *         elif name == "SAckOK":
 *             out.append('{ kind: "sackOk" }')
 *         elif name == "Timestamp":
 *             out.append('{ kind: "timestamp", value: %d, echo: %d }' % value)
 *         elif name == "NOP":
 *             out.append('{ kind: "nop" }')
 *         elif name == "WScale":
 *             out.append('{ kind: "wscale", shift: %d }' % value)
 *         elif name == "EOL":
 *             out.append('{ kind: "eol" }')
 *         else:
 *             raise ValueError(name)
 *     return "[" + ", ".join(out) + "]"
 *
 * def tcp_model(t, ind):
 *     payload = bytes(t.payload)
 *     return "\n".join([
 *         "{",
 *         f"{ind}  srcPort: {t.sport},",
 *         f"{ind}  dstPort: {t.dport},",
 *         f"{ind}  seq: {t.seq},",
 *         f"{ind}  ack: {t.ack},",
 *         f"{ind}  flags: 0x{int(t.flags):03x},",
 *         f"{ind}  window: {t.window},",
 *         f"{ind}  urgentPointer: {t.urgptr},",
 *         f"{ind}  options: {tcp_options(t.options)},",
 *         f"{ind}  payload: {hex_u8(payload)},",
 *         f"{ind}  dataOffset: {t.dataofs},",
 *         f"{ind}  reserved: {t.reserved},",
 *         f"{ind}  checksum: 0x{t.chksum:04x},",
 *         f"{ind}}}",
 *     ])
 *
 * def ext_headers(p):
 *     """Walk scapy's layers between IPv6 and TCP; return TS array text."""
 *     out = []
 *     layer = p.payload
 *     offset = 40
 *     prev_type = p.nh
 *     while not isinstance(layer, TCP):
 *         b = raw(layer)[: (raw(layer)[1] + 1) * 8]
 *         out.append('{\n        type: %d,\n        offset: %d,\n        nextHeader: %d,\n        data: %s,\n      }' % (prev_type, offset, b[0], hex_u8(b[2:], "        ")))
 *         prev_type = b[0]
 *         offset += len(b)
 *         layer = layer.payload
 *     return out
 *
 * def main():
 *     parts = []
 *     for name, desc, expr, init in FIXTURES:
 *         pkt = eval(expr)
 *         data = raw(pkt)
 *         v6 = data[0] >> 4 == 6
 *         dec = (IPv6 if v6 else IP)(data)  # scapy's own dissection decides the expected fields
 *         t = dec[TCP]
 *         lines = tcpdump_line(data, v6)
 *         comment = "\n".join("  // " + l for l in lines)
 *         if v6:
 *             exts = ext_headers(dec)
 *             ip = "\n".join([
 *                 "{",
 *                 "      version: 6,",
 *                 f"      trafficClass: 0x{dec.tc:02x},",
 *                 f"      flowLabel: 0x{dec.fl:05x},",
 *                 f"      nextHeader: {dec.nh},",
 *                 f"      hopLimit: {dec.hlim},",
 *                 f'      src: "{dec.src}",',
 *                 f'      dst: "{dec.dst}",',
 *                 f"      payloadLength: {dec.plen},",
 *                 "    }",
 *             ])
 *             extra = "    extensionHeaders: [%s],\n" % ("".join("\n      " + e + "," for e in exts) + ("\n    " if exts else ""))
 *         else:
 *             fl = int(dec.flags)
 *             ip = "\n".join([
 *                 "{",
 *                 "      version: 4,",
 *                 f"      tos: 0x{dec.tos:02x},",
 *                 f"      id: {dec.id},",
 *                 f"      dontFragment: {'true' if fl & 2 else 'false'},",
 *                 f"      moreFragments: {'true' if fl & 1 else 'false'},",
 *                 f"      reservedBit: {'true' if fl & 4 else 'false'},",
 *                 f"      fragmentOffset: {dec.frag},",
 *                 f"      ttl: {dec.ttl},",
 *                 f"      protocol: {dec.proto},",
 *                 f'      src: "{dec.src}",',
 *                 f'      dst: "{dec.dst}",',
 *                 f"      options: {hex_u8(data[20:dec.ihl * 4])},",
 *                 f"      ihl: {dec.ihl},",
 *                 f"      totalLength: {dec.len},",
 *                 f"      checksum: 0x{dec.chksum:04x},",
 *                 "    }",
 *             ])
 *             extra = ""
 *         init_text = "  init: { %s },\n" % init if init is not None else ""
 *         parts.append(f"""/** {desc}. *\/
 * export const {name}: PacketFixture = {{
 *   name: "{name}",
 *   scapy: {json.dumps(expr)},
 * {init_text}  // tcpdump -t -nn -vv -r:
 * {comment}
 *   bytes: {ts_bytes(data, "    ")},
 *   packet: {{
 *     ip: {ip},
 *     tcp: {tcp_model(t, "    ")},
 * {extra}  }},
 * }};
 * """)
 *     names = [f[0] for f in FIXTURES]
 *     header = '''/**
 *  * Golden packets for the IP and packet tests.
 *  *
 *  * Every packet was built by scapy (python3-scapy 2.5.0, `/usr/bin/python3`);
 *  * the expected fields are scapy's own dissection of the bytes, and the
 *  * comment above the bytes is what `tcpdump -t -nn -vv -r` (4.99.3) printed
 *  * for them. Regenerate with the script at the end of this file.
 *  *
 *  * Also here: the helpers that run the Python oracles (scapy, `ipaddress`)
 *  * and a seeded random generator.
 *  *
 *  * @module
 *  *\/
 *
 * import type { DecodedTcpPacket, TcpPacketInit } from "../mod.ts";
 *
 * /**
 *  * Bytes from a template literal of hex pairs separated by white space.
 *  *
 *  * @param strings The template literal (no substitutions).
 *  * @returns The bytes.
 *  *\/
 * export function hex(strings: TemplateStringsArray): Uint8Array {
 *   const text = strings.join("").trim();
 *   if (text === "") return new Uint8Array();
 *   return new Uint8Array(text.split(/\s+/).map((pair) => {
 *     if (!/^[0-9a-f]{2}$/i.test(pair)) throw new Error(`bad hex pair ${pair}`);
 *     return parseInt(pair, 16);
 *   }));
 * }
 *
 * const empty = new Uint8Array();
 *
 * /** The Python that has scapy (the `python3` on PATH may not). *\/
 * export const PYTHON = "/usr/bin/python3";
 *
 * function pythonCan(module: string): boolean {
 *   try {
 *     return new Deno.Command(PYTHON, {
 *       args: ["-c", `import ${module}`],
 *       stdout: "null",
 *       stderr: "null",
 *     }).outputSync().success;
 *   } catch {
 *     return false;
 *   }
 * }
 *
 * const available = new Map<string, boolean>();
 *
 * /**
 *  * Whether /usr/bin/python3 can import a module (`ipaddress` for the Python
 *  * oracles, `scapy.all` for scapy), asked once per module.
 *  *
 *  * @param module The module to import.
 *  * @returns Whether the import works.
 *  *\/
 * export function pythonHas(module: string): boolean {
 *   let result = available.get(module);
 *   if (result === undefined) {
 *     result = pythonCan(module);
 *     available.set(module, result);
 *   }
 *   return result;
 * }
 *
 * /**
 *  * Run a Python program once, feeding it `input` (JSON) on stdin, and parse
 *  * the JSON it prints.
 *  *
 *  * @param code The program.
 *  * @param input Any JSON value.
 *  * @returns What the program printed, parsed.
 *  *\/
 * export async function runPython(code: string, input: unknown): Promise<unknown> {
 *   const child = new Deno.Command(PYTHON, {
 *     args: ["-c", code],
 *     stdin: "piped",
 *     stdout: "piped",
 *     stderr: "piped",
 *   }).spawn();
 *   const writer = child.stdin.getWriter();
 *   await writer.write(new TextEncoder().encode(JSON.stringify(input)));
 *   await writer.close();
 *   const { success, stdout, stderr } = await child.output();
 *   if (!success) {
 *     throw new Error(`python failed: ${new TextDecoder().decode(stderr)}`);
 *   }
 *   return JSON.parse(new TextDecoder().decode(stdout));
 * }
 *
 * /**
 *  * A small seeded generator (mulberry32), so random tests repeat.
 *  *
 *  * @param seed Any 32-bit integer.
 *  * @returns A function giving integers in 0..max-1.
 *  *\/
 * export function seededRandom(seed: number): (max: number) => number {
 *   let state = seed >>> 0;
 *   return (max: number) => {
 *     state = (state + 0x6d2b79f5) >>> 0;
 *     let t = state;
 *     t = Math.imul(t ^ (t >>> 15), t | 1);
 *     t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
 *     return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
 *   };
 * }
 *
 * /** One golden packet. *\/
 * export interface PacketFixture {
 *   /** Short name, used in test names. *\/
 *   name: string;
 *   /** The scapy expression that built the bytes. *\/
 *   scapy: string;
 *   /** A makeTcpPacket() init that should give the same bytes (scapy's defaults line up). *\/
 *   init?: TcpPacketInit;
 *   /** The packet bytes, IP header first. *\/
 *   bytes: Uint8Array;
 *   /** The packet as decoded, every field present. *\/
 *   packet: DecodedTcpPacket;
 * }
 *
 * '''
 *     footer = "\n/** Every fixture, in the order above. *\/\nexport const PACKET_FIXTURES: readonly PacketFixture[] = [\n" + \
 *         "".join(f"  {n},\n" for n in names) + "];\n"
 *     with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen_fixtures.py")) as f:
 *         script = f.read()
 *     footer += "\n/*\n * The generator (run with /usr/bin/python3, write to tests/_fixtures.ts, then deno fmt):\n *\n" + \
 *         "\n".join((" * " + l).rstrip() for l in script.replace("*\/", "*\\/").splitlines()) + "\n *\/\n"
 *     print(header + "\n".join(parts) + footer, end="")
 *
 * if __name__ == "__main__":
 *     main()
 */
