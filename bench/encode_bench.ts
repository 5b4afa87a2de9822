/**
 * Benchmarks of the packet core: encoding and decoding a SYN with the
 * options Linux sends, and the in-place rewrite a scanner does per probe
 * (destination port and sequence number, checksum updated incrementally).
 *
 * Before the `Deno.bench` cases run, the same SYN is built N times by
 * tcpcraft and by scapy (`bench/_scapy_bench.py`, timed with
 * `time.perf_counter` in its own process), and the rates are printed:
 * `tcpcraft X pkt/s, scapy Y pkt/s, ratio X/Y`. Nothing here asserts on time.
 *
 * Run: `deno bench -A bench/encode_bench.ts`.
 *
 * @module
 */

import {
  decodePacket,
  encodePacket,
  encodePacketInto,
  makeTcpPacket,
  PacketSeries,
  parseCidr,
  RING_BATCH,
  SeededRandom,
  TcpHeaderView,
  type TcpPacket,
} from "../mod.ts";

/** An IPv4 SYN as Linux sends it: MSS, SACK permitted, timestamps, NOP, window scale. */
function syn(seq: number): TcpPacket {
  return {
    ip: {
      version: 4,
      tos: 0,
      id: 1,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: 6,
      src: "192.0.2.42",
      dst: "192.0.2.1",
      options: new Uint8Array(),
    },
    tcp: {
      srcPort: 40000,
      dstPort: 80,
      seq,
      ack: 0,
      flags: 0x02,
      window: 64240,
      urgentPointer: 0,
      options: [
        { kind: "mss", value: 1460 },
        { kind: "sackOk" },
        { kind: "timestamp", value: 1, echo: 0 },
        { kind: "nop" },
        { kind: "wscale", shift: 7 },
      ],
      payload: new Uint8Array(),
    },
  };
}

const SYN = syn(0);
const SYN_BYTES = encodePacket(SYN);
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// ------------------------------------------------------------------ versus scapy

const N = 20_000;

function rate(run: (i: number) => void, n: number): number {
  for (let i = 0; i < 2_000; i++) run(i); // warm up
  const start = performance.now();
  for (let i = 0; i < n; i++) run(i);
  return n / ((performance.now() - start) / 1000);
}

async function compareWithScapy(): Promise<void> {
  let sink = 0;
  const encodeRate = rate((i) => {
    sink ^= encodePacket(syn(i)).length;
  }, N);
  const decodeRate = rate(() => {
    sink ^= decodePacket(SYN_BYTES).tcp.options.length;
  }, N);
  const script = new URL("./_scapy_bench.py", import.meta.url).pathname;
  const scapyN = 5_000;
  const result = await new Deno.Command("/usr/bin/python3", {
    args: [script, String(scapyN)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    console.log(
      `scapy comparison skipped: _scapy_bench.py failed: ${
        new TextDecoder().decode(result.stderr).trim()
      }`,
    );
    return;
  }
  const scapy = JSON.parse(new TextDecoder().decode(result.stdout)) as {
    buildPerSecond: number;
    dissectPerSecond: number;
    hex: string;
  };
  // Same packet on both sides (scapy's last build had seq scapyN - 1).
  const same = hex(encodePacket(syn(scapyN - 1))) === scapy.hex;
  const line = (what: string, ours: number, theirs: number) =>
    `${what}: tcpcraft ${Math.round(ours)} pkt/s, scapy ${
      Math.round(theirs)
    } pkt/s, ratio ${(ours / theirs).toFixed(1)}`;
  console.log(
    [
      `SYN with MSS, SACK permitted, timestamps, NOP, window scale (${SYN_BYTES.length} bytes); tcpcraft ${N} packets, scapy ${scapyN}`,
      `same bytes as scapy: ${same ? "yes" : "NO"}`,
      line("encode", encodeRate, scapy.buildPerSecond),
      line("decode", decodeRate, scapy.dissectPerSecond),
    ].join("\n"),
  );
  if (sink === -1) console.log(sink);
}

await compareWithScapy();

// ------------------------------------------------------------------ Deno.bench

Deno.bench("encodePacket(): IPv4 SYN with typical options", {
  group: "encode",
  baseline: true,
}, () => {
  encodePacket(SYN);
});

const buffer = new Uint8Array(1500);
Deno.bench("encodePacketInto(): the same SYN into a reused buffer", {
  group: "encode",
}, () => {
  encodePacketInto(SYN, buffer);
});

Deno.bench("decodePacket(): the same SYN", { group: "decode" }, () => {
  decodePacket(SYN_BYTES);
});

const probe = SYN_BYTES.slice();
const view = new TcpHeaderView(probe, 20);
let port = 0;
Deno.bench(
  "TcpHeaderView.setDstPortAndSeq(): in-place rewrite with incremental checksum",
  { group: "rewrite", baseline: true },
  () => {
    port = (port + 1) & 0xffff;
    view.setDstPortAndSeq(port, (port * 2654435761) >>> 0);
  },
);

Deno.bench(
  "TcpHeaderView.patch(): flags, window and seq, incremental checksum",
  { group: "rewrite" },
  () => {
    port = (port + 1) & 0xffff;
    view.patch({ seq: port, window: port, flags: 0x12 });
  },
);

// The flood's per-batch work on its send slots: RING_BATCH slots moved on
// in place, stepped or drawn (a random source, source port and sequence
// number, as `send --rand-source CIDR --rand-sport --rand-seq`).
function seriesSlots(
  options: ConstructorParameters<typeof PacketSeries>[1],
): [PacketSeries, Uint8Array[]] {
  const series = new PacketSeries(
    makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 9 }),
    options,
  );
  const slots = Array.from(
    { length: RING_BATCH },
    () => new Uint8Array(series.length),
  );
  series.fill(slots);
  return [series, slots];
}
const [stepped, steppedSlots] = seriesSlots({ sportStep: 1, seqStep: 1 });
const [drawn, drawnSlots] = seriesSlots({
  randomSource: parseCidr("10.201.0.0/16"),
  randomSourcePort: true,
  randomSeq: true,
  random: new SeededRandom(1),
});
Deno.bench(
  `PacketSeries.advance(): ${RING_BATCH} send slots stepped (--sport-step, --seq-step)`,
  { group: "series", baseline: true },
  () => stepped.advance(steppedSlots, RING_BATCH, RING_BATCH),
);
Deno.bench(
  `PacketSeries.advance(): ${RING_BATCH} send slots drawn (--rand-source CIDR --rand-sport --rand-seq)`,
  { group: "series" },
  () => drawn.advance(drawnSlots, RING_BATCH, RING_BATCH),
);
