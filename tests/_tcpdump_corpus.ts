/**
 * tcpcraft's text line against tcpdump's, packet by packet, on a corpus of
 * captures made by others: TCP conversations the kernel makes between two
 * namespaces (plain, with TCP-MD5 signatures on port 179, Multipath TCP
 * with a second subflow), captured by tcpdump; packets scapy crafts (every
 * option kind, IPv6 extension headers, fragments, ten link types); each
 * also cut by `editcap -s` at several snapshot lengths, and fuzzed by
 * `editcap -E` (random bytes changed).
 *
 * Each packet's line is compared with `tcpdump -nn -S -t` (4.99) after
 * the deliberate differences of `src/cli/format.ts` are named: a line is
 * `equal`, one of {@linkcode DELIBERATE}, or `different`, which is a bug.
 *
 * @module
 */

import { linkPayload, readCaptureBytes } from "../mod.ts";
import { formatCapturedPacketText } from "../src/cli/format.ts";
import { commandExists, type Host, type TestNetwork } from "./_netns.ts";

/** The differences tcpcraft makes on purpose, and why (see `src/cli/format.ts`). */
export const DELIBERATE = {
  uto:
    "the user timeout read with RFC 5482's G bit (tcpdump reads the G bit as the low bit)",
  tfo: "Fast Open with one space before cookie (tcpdump writes two)",
  ae:
    "AE (byte 12's low bit) shown as the flag e, as tcpdump 4.99.5 shows it (4.99.3 does not)",
  payload:
    "payloads are not dissected (tcpdump writes ': HTTP', ': BGP' … after the length)",
  "bad option":
    "an option tcpdump cannot parse ends its line at [bad opt]; tcpcraft writes the bytes (bad opt 0x…) and goes on",
  "bad header length":
    "a data offset that does not fit: tcpdump stops after the flags, tcpcraft writes every field and the same note",
  "not decodable":
    "not an IP datagram carrying TCP (another protocol, a broken version, an IP header itself cut): tcpcraft gives the reason in brackets",
  "link and version disagree":
    "the link header names one IP version and the datagram's version nibble another (or tcpdump's MPLS guess finds none): tcpdump goes by the link header, tcpcraft by the nibble",
  "authentication header":
    "an IPv6 authentication header (51) before TCP: tcpdump walks it, tcpcraft's decoder stops there (see src/wire/packet.ts) and says the protocol is not TCP",
  "link header":
    "a link header whose fixed bytes are wrong (a Cisco HDLC address other than 0x0f or 0x8f, a Frame Relay control byte other than UI): tcpdump reads on, tcpcraft skips the frame",
} as const;

/** How one packet's lines compare. */
export type Verdict = "equal" | keyof typeof DELIBERATE | "different";

/** One packet compared. */
export interface Compared {
  file: string;
  /** 1-based, as tcpdump's -# counts. */
  index: number;
  theirs: string;
  ours: string | undefined;
  verdict: Verdict;
}

const decoder = new TextDecoder();

/** `tcpdump -# -nn -S -t -r FILE`: the first line of each packet, by its number. */
async function tcpdumpLines(path: string): Promise<Map<number, string>> {
  const { stdout } = await new Deno.Command("tcpdump", {
    args: ["-#", "-nn", "-S", "-t", "-r", path],
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines = new Map<number, string>();
  for (const line of decoder.decode(stdout).split("\n")) {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (match !== null) lines.set(Number(match[1]), match[2]!);
  }
  return lines;
}

/** tcpdump's line from the IP layer on (without -e, a link header prints nothing, but SLL2's direction does). */
function ipPart(line: string): string {
  const at = line.search(/(^| )(IP6?|IP6?,) /);
  return at <= 0 ? line : line.slice(at + 1);
}

/** The deliberate differences normalized away, those that applied named. */
function normalize(
  theirs: string,
  ours: string,
): { theirs: string; ours: string; applied: Verdict[] } {
  const applied: Verdict[] = [];
  let t = theirs;
  let o = ours;
  const uto = t.replace(
    /uto 0x([0-9a-f]+) \d+/g,
    (_, hex: string) => {
      const word = parseInt(hex, 16);
      return `uto 0x${hex} ${word & 0x7fff}${word & 0x8000 ? "m" : "s"}`;
    },
  );
  if (uto !== t) {
    applied.push("uto");
    t = uto;
  }
  if (t.includes("tfo  ")) {
    applied.push("tfo");
    t = t.replaceAll("tfo  ", "tfo ");
  }
  const flags = /Flags \[([^\]]*)\]/.exec(o);
  if (flags !== null && flags[1] !== "none" && flags[1]!.includes("e")) {
    applied.push("ae");
    const letters = flags[1]!.replace("e", "") || "none";
    o = o.replace(`Flags [${flags[1]}]`, `Flags [${letters}]`);
  }
  return { theirs: t, ours: o, applied };
}

/**
 * Compare one packet's lines: equal, a deliberate difference (the first
 * that explains it), or different.
 *
 * @param theirs tcpdump's line (from the IP layer on).
 * @param ours tcpcraft's line, or undefined when tcpcraft found no IP datagram in the frame.
 * @returns The verdict.
 */
export function compareLines(
  theirs: string,
  ours: string | undefined,
): Verdict {
  const tcpdumpSaysTcp =
    /^IP6? .*(: Flags \[|: +\[\|tcp\]|\[\|mptcp\]|: +tcp \d+ \[bad hdr)/
      .test(theirs);
  if (ours === undefined) return tcpdumpSaysTcp ? "different" : "not decodable";
  if (ours.startsWith("[")) {
    if (/protocol 51 is not TCP/.test(ours) && /: AH\(/.test(theirs)) {
      return "authentication header";
    }
    return tcpdumpSaysTcp ? "different" : "not decodable";
  }
  if (ours === theirs) return "equal";
  if (
    /^(IP6?, wrong link-layer|IP6 version error|IP\d* \(invalid\))/.test(
      theirs,
    ) || (!/^IP6? /.test(theirs) && !theirs.startsWith(" [|"))
  ) return "link and version disagree";
  const { theirs: t, ours: o, applied } = normalize(theirs, ours);
  if (o === t) return applied[0]!;
  // tcpdump dissects the payload after ", length N".
  if (/, length \d+$/.test(o) && t.startsWith(o) && t !== o) {
    return applied[0] ?? "payload";
  }
  const head = (line: string) => line.slice(0, line.indexOf(", options ["));
  // tcpdump stops at an option it cannot parse ([bad opt]; [|tcp] when
  // the option runs to the end of the bytes), or misreads one of a wrong
  // length ([len N], "invalid"); tcpcraft shows the bytes.
  if (
    /\[bad opt\]|\[len \d+\]|invalid|\[\|m?p?tcp\]>?$/.test(t) &&
    /bad opt|unknown-/.test(o) && head(t) === head(o) && head(o) !== ""
  ) return "bad option";
  const note = /\[bad hdr length \d+ - too (long|short), [<>] \d+\]/.exec(t);
  if (note !== null && o.endsWith(note[0])) {
    const ports = (line: string) => line.slice(0, line.indexOf(": ") + 2);
    if (ports(t) === ports(o)) return "bad header length";
  }
  return "different";
}

/**
 * Whether a frame's link header has fixed bytes tcpcraft checks and
 * tcpdump reads past: Cisco HDLC's address (0x0f or 0x8f), Frame Relay's
 * UI control byte (0x03, which tcpdump only remarks on: "UI 76!").
 */
function wrongFixedLinkBytes(linkType: number, data: Uint8Array): boolean {
  if (linkType === 104) return data[0] !== 0x0f && data[0] !== 0x8f;
  if (linkType !== 107) return false;
  let at = 0;
  while (at < 4 && at < data.length && (data[at]! & 1) === 0) at++;
  return data[at + 1] !== 0x03;
}

/**
 * Compare every packet of a capture.
 *
 * @param path The capture file.
 * @returns Each packet's lines and verdict.
 */
export async function compareCapture(path: string): Promise<Compared[]> {
  const theirs = await tcpdumpLines(path);
  const { records } = readCaptureBytes(await Deno.readFile(path));
  return records.map((record, i) => {
    const line = ipPart(theirs.get(i + 1) ?? "");
    const ip = linkPayload(record);
    const badLink = wrongFixedLinkBytes(record.linkType, record.data);
    let ours: string | undefined;
    if (ip !== undefined) {
      const linkHeader = ip.byteOffset - record.data.byteOffset;
      ours = formatCapturedPacketText(
        ip,
        record.originalLength > record.data.length
          ? { wireLength: record.originalLength - linkHeader }
          : {},
      );
    }
    return {
      file: path,
      index: i + 1,
      theirs: line,
      ours,
      verdict: badLink && ours === undefined
        ? "link header"
        : compareLines(line, ours),
    };
  });
}

/** Whether the tools the corpus needs are here, or why not. */
export function corpusSkipReason(): string | undefined {
  for (const tool of ["tcpdump", "editcap", "/usr/bin/python3"]) {
    if (!commandExists(tool)) return `${tool} is not installed`;
  }
  const scapy = new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import scapy"],
    stdout: "null",
    stderr: "null",
  }).outputSync();
  return scapy.success ? undefined : "scapy is not installed";
}

async function run(args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`${args.join(" ")} failed: ${decoder.decode(stderr)}`);
  }
}

const TRAFFIC = new URL("./_corpus_traffic.py", import.meta.url).pathname;
const SCAPY = new URL("./_corpus_scapy.py", import.meta.url).pathname;

/** Whether this kernel does Multipath TCP. */
function mptcpEnabled(): boolean {
  try {
    return Deno.readTextFileSync("/proc/sys/net/mptcp/enabled").trim() === "1";
  } catch {
    return false;
  }
}

/**
 * Capture kernel conversations between the two hosts of a network:
 * plain, TCP-MD5 (port 179) and, when the kernel has it, Multipath TCP with
 * a second subflow, each over IPv4 and IPv6.
 *
 * @param network A two-host test network.
 * @param dir Where to write `kernel_KIND_FAMILY.pcap`.
 * @returns The files written.
 */
export async function captureKernelTraffic(
  network: TestNetwork,
  dir: string,
): Promise<string[]> {
  const [a, b] = network.hosts as [Host, Host];
  const kinds = ["plain", "md5", ...(mptcpEnabled() ? ["mptcp"] : [])];
  if (kinds.includes("mptcp")) {
    // A second address each, so that a second subflow joins (MP_JOIN) and
    // the server signals its other address (ADD_ADDR).
    const second = [[a, "10.201.0.1"], [b, "10.201.0.2"]] as const;
    for (const [host, address] of second) {
      await network.run(host, [
        "ip",
        "addr",
        "add",
        `${address}/24`,
        "dev",
        host.ifaces[0]!,
      ]);
      await network.run(host, [
        "ip",
        "mptcp",
        "limits",
        "set",
        "subflow",
        "2",
        "add_addr_accepted",
        "2",
      ]);
    }
    await network.run(a, [
      "ip",
      "mptcp",
      "endpoint",
      "add",
      "10.201.0.1",
      "dev",
      a.ifaces[0]!,
      "subflow",
    ]);
    await network.run(b, [
      "ip",
      "mptcp",
      "endpoint",
      "add",
      "10.201.0.2",
      "dev",
      b.ifaces[0]!,
      "signal",
    ]);
  }
  const files: string[] = [];
  let port = 40100;
  for (const kind of kinds) {
    for (const family of [4, 6]) {
      const file = `${dir}/kernel_${kind}_${family}.pcap`;
      const dump = network.start(b, [
        "tcpdump",
        "-i",
        b.ifaces[0]!,
        "-Z",
        "root",
        "-s",
        "0",
        "-U",
        "--immediate-mode",
        "-w",
        file,
        "tcp",
      ]);
      for (let i = 0; i < 20; i++) {
        const line = await dump.stderr(5000);
        if (line === undefined || line.includes("listening on")) break;
      }
      const server = family === 4 ? b.ipv4 : b.ipv6;
      const client = family === 4 ? a.ipv4 : a.ipv6;
      const p = String(kind === "md5" ? 179 : port++);
      const serving = network.start(b, [
        "/usr/bin/python3",
        "-u",
        TRAFFIC,
        "server",
        kind,
        server,
        client,
        p,
      ]);
      await serving.stdout(10000);
      await network.run(a, [
        "/usr/bin/python3",
        TRAFFIC,
        "client",
        kind,
        server,
        client,
        p,
      ], { timeoutMs: 30000 });
      await serving.status;
      await new Promise((resolve) => setTimeout(resolve, 500));
      dump.kill("SIGINT");
      await dump.status;
      files.push(file);
    }
  }
  return files;
}

/**
 * Packets scapy crafts, in ten link types (see `_corpus_scapy.py`).
 *
 * @param dir Where to write them.
 * @param seed scapy's random seed.
 * @param count Packets in the Ethernet capture (a third of them in the others).
 * @returns The files written.
 */
export async function craftCaptures(
  dir: string,
  seed: number,
  count: number,
): Promise<string[]> {
  const prefix = `${dir}/scapy_${seed}`;
  await run(["/usr/bin/python3", SCAPY, prefix, String(seed), String(count)]);
  return [
    "eth",
    "mpls",
    ...[9, 50, 104, 8, 107, 101, 0, 113].map((t) => `lt${t}`),
  ]
    .map((name) => `${prefix}_${name}.pcap`);
}

/**
 * Each capture cut at several snapshot lengths (`editcap -s`) and fuzzed
 * (`editcap -E` with a seed): the files written.
 *
 * @param files The captures.
 * @param options The snapshot lengths, the error probabilities, the seed.
 * @returns The files written.
 */
export async function derivedCaptures(
  files: readonly string[],
  options: { snaplens: number[]; errors: number[]; seed: number },
): Promise<string[]> {
  const out: string[] = [];
  for (const file of files) {
    const base = file.replace(/\.pcap$/, "");
    for (const snaplen of options.snaplens) {
      const cut = `${base}_s${snaplen}.pcap`;
      await run(["editcap", "-s", String(snaplen), file, cut]);
      out.push(cut);
    }
    for (const [i, error] of options.errors.entries()) {
      const fuzzed = `${base}_e${i}.pcap`;
      await run([
        "editcap",
        "-E",
        String(error),
        "--seed",
        String(options.seed + i),
        file,
        fuzzed,
      ]);
      out.push(fuzzed);
    }
  }
  return out;
}

/** What {@linkcode buildCorpus} makes. */
export interface CorpusOptions {
  /** The seed of scapy's packets and of editcap's errors. */
  seed: number;
  /** Packets scapy crafts (in the Ethernet capture). */
  count: number;
  /** Snapshot lengths each capture is also cut at. */
  snaplens: number[];
  /** editcap -E error probabilities each capture is also fuzzed with. */
  errors: number[];
}

/**
 * Make the whole corpus in a directory: kernel traffic (when a network is
 * given), scapy's packets, and their cut and fuzzed copies.
 *
 * @param dir Where.
 * @param network A two-host test network, or undefined to leave the kernel out.
 * @param options What to make.
 * @returns Every capture file.
 */
export async function buildCorpus(
  dir: string,
  network: TestNetwork | undefined,
  options: CorpusOptions,
): Promise<string[]> {
  const made = [
    ...(network === undefined ? [] : await captureKernelTraffic(network, dir)),
    ...await craftCaptures(dir, options.seed, options.count),
  ];
  return [...made, ...await derivedCaptures(made, options)];
}

/** Verdict counts of a comparison. */
export function tally(results: readonly Compared[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
  return counts;
}
