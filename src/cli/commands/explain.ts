/**
 * `tcpcraft explain`: explain TCP packets field by field, offline and
 * without privileges. Input is hex on the command line or standard input,
 * or every packet of a pcap or pcapng file; output is the RFC 9293 header
 * diagram filled with the packet's values and bits, a field table, the
 * checksums worked out and the anomalies, as text or JSON (one object per
 * line, one line per packet).
 *
 * Decisions:
 * - Hex may hold spaces, colons, `0x` prefixes, `#` comments and the
 *   offsets of `tcpdump -x` (`0x0010:`); an IP datagram is expected, an
 *   Ethernet frame (first nibble neither 4 nor 6, EtherType IPv4 or IPv6)
 *   is stripped to its datagram with a note, and `--tcp` reads a bare
 *   segment (`--src`/`--dst` give its pseudo-header).
 * - Standard input is read when the argument is `-`, or when there is no
 *   argument and standard input is not a terminal; it may hold hex or a
 *   whole capture file (recognised by its magic number).
 * - Within a capture, connections are followed ({@linkcode ConnectionTracker}),
 *   so windows are scaled where a SYN and SYN-ACK negotiated it and
 *   sequence numbers are also shown relative to the ISN.
 * - Within a capture, IP fragments are put back together (RFC 815): after
 *   the fragment that completes a datagram, the datagram is explained as a
 *   packet of its own, "reassembled from packets …", with what a first-wins
 *   and a last-wins target would make of overlapping fragments. Not with
 *   `--index`, which explains one packet.
 * - `--html FILE` writes one self-contained page instead (see
 *   `src/cli/explain_html.ts`), only once every packet is explained: input
 *   refused above leaves no file.
 * - Bad hex is a usage error (exit 2); a file that cannot be read too, as
 *   for `build --data-file`, unless Deno withholds the permission (asked
 *   first: `error: Cannot explain: Deno needs --allow-read …`, exit 1); a
 *   capture that is damaged part way is explained up to the damage, then
 *   `error: Cannot decode pcap file: … at byte N`, exit 1.
 * - Nothing from a packet reaches the terminal unescaped: payload bytes are
 *   shown in hex, as `.` in the hex dump's text column, or as `\xNN`; JSON
 *   has the payload as hex and its escaped preview, and escapes every
 *   control and bidi character.
 *
 * @module
 */

import { linkPayload, LINKTYPE, openCapture } from "../../capture/mod.ts";
import type { CaptureSource } from "../../capture/mod.ts";
import { DecodeError } from "../../wire/errors.ts";
import {
  explainPacket,
  explainReassembled,
  explainTcpSegment,
  type Explanation,
} from "../../explain/mod.ts";
import {
  notIpReason,
  type PacketInput,
  PageTracker,
} from "../../explain/html/model.ts";
import { FragmentReassembler } from "../../wire/reassembly.ts";
import type { TcpSignature } from "../../wire/tcp_signature.ts";
import { CHECK_SIGNATURE_OPTIONS, signatureToCheck } from "../craft_options.ts";
import {
  type ExplainFilter,
  FILTER_TERMS,
  FilterError,
  parseExplainFilter,
} from "../../explain/filter.ts";
import { defineOptions, type OptionValues } from "../args.ts";
import { type ArgSpec, type Command, defineCommand } from "../command.ts";
import { CliError, quote, UsageError, ValueError } from "../errors.ts";
import { formatCapturedPacketText, formatPacketText } from "../format.ts";
import type { CliHost } from "../host.ts";
import { createFormatter, type OutputFormatter } from "../output.ts";
import { parseAddressValue } from "../target.ts";
import { parseFileName } from "../name_values.ts";
import { permissionsFor, requirePermissions } from "../permissions.ts";
import { hexOrUsage, isCapture, openCaptureFile } from "../explain_input.ts";
import {
  type CaptureEntry,
  type ExplainRecord,
  explainView,
  segmentSummary,
} from "../explain_output.ts";
import {
  checkHtmlOptions,
  HTML_OUTPUT_OPTIONS,
  PageOutput,
} from "../explain_html.ts";

/** The last part of a path, for the page's title. */
function basename(path: string): string {
  return path.replace(/[\\/]+$/, "").split(/[\\/]/).at(-1) || path;
}

/**
 * Read a `--filter` value (see `parseExplainFilter`), a bad one as the
 * reason the argument parser puts after `--filter: `.
 */
function parseFilter(text: string): ExplainFilter {
  try {
    return parseExplainFilter(text);
  } catch (error) {
    if (error instanceof FilterError) throw new ValueError(error.reason);
    throw error;
  }
}

/** The options of `explain`. */
export const EXPLAIN_OPTIONS = defineOptions({
  pcap: {
    kind: "string",
    valueName: "FILE",
    parse: parseFileName,
    help:
      "explain every packet of this pcap or pcapng file (- for standard input)",
    group: "Input",
  },
  tcp: {
    kind: "boolean",
    help: "the bytes are a bare TCP segment, without an IP header",
    group: "Input",
  },
  src: {
    kind: "string",
    valueName: "ADDR",
    parse: parseAddressValue,
    help: "with --tcp: the source address, for the checksum's pseudo-header",
    group: "Input",
  },
  dst: {
    kind: "string",
    valueName: "ADDR",
    parse: parseAddressValue,
    help:
      "with --tcp: the destination address, for the checksum's pseudo-header",
    group: "Input",
  },
  filter: {
    kind: "string",
    valueName: "EXPR",
    parse: parseFilter,
    help: `explain only packets that match, all terms holding: ${FILTER_TERMS}`,
    group: "Packets of a capture",
  },
  index: {
    kind: "number",
    min: 1,
    valueName: "N",
    help:
      "explain only packet N of the capture (the first is 1, as tshark counts)",
    group: "Packets of a capture",
  },
  count: {
    kind: "number",
    min: 1,
    valueName: "N",
    help: "stop after N packets explained",
    group: "Packets of a capture",
  },
  steps: {
    kind: "boolean",
    help:
      "work each checksum out word by word: every 16-bit word added, each carry folded, the final complement",
    group: "Output",
  },
  noDiagram: {
    kind: "boolean",
    help: "leave out the header diagrams",
    group: "Output",
  },
  brief: {
    kind: "boolean",
    help: "one line per packet: the summary, the checksums and the anomalies",
    group: "Output",
  },
  ...CHECK_SIGNATURE_OPTIONS,
  format: {
    kind: "string",
    choices: ["text", "json"],
    valueName: "FMT",
    help:
      "text: diagrams, tables and words | json: one object per packet per line, payload as hex (default text)",
    group: "Output",
  },
  ...HTML_OUTPUT_OPTIONS,
});

type ExplainValues = OptionValues<typeof EXPLAIN_OPTIONS>;

const ARGS: readonly ArgSpec[] = [{
  name: "HEX...",
  help:
    "the packet as hex, in one or many arguments (spaces, colons, 0x allowed); - or nothing for standard input",
  optional: true,
  variadic: true,
}];

/** The formatter of `explain`'s output, in the format the options ask for. */
function output(
  host: CliHost,
  values: ExplainValues,
  title: string,
): OutputFormatter<ExplainRecord, unknown> {
  if (values.html !== undefined) return new PageOutput(values.html, title);
  return createFormatter(
    values.format === "json" ? "ndjson" : "text",
    host,
    explainView({
      brief: values.brief === true,
      diagram: values.noDiagram !== true,
      steps: values.steps === true,
    }),
  );
}

/** With `--html`: write the page, now that every packet is explained. */
async function savePage(
  out: OutputFormatter<ExplainRecord, unknown>,
  host: CliHost,
): Promise<void> {
  if (out instanceof PageOutput) await out.save(host);
}

/** The key to check signatures with, as options of the explainer. */
function signing(values: ExplainValues): { signature?: TcpSignature } {
  const signature = signatureToCheck(values);
  return signature === undefined ? {} : { signature };
}

/** What one pass over a capture keeps from packet to packet. */
interface CapturePass {
  out: OutputFormatter<ExplainRecord, unknown>;
  tracker: PageTracker;
  reassembler: FragmentReassembler<number>;
  values: ExplainValues;
  shown: number;
}

/**
 * Explain one record of a capture, and the datagram it completes when it
 * is the last missing fragment of one; false once `--count` is reached.
 */
function explainEntry(pass: CapturePass, entry: CaptureEntry): boolean {
  const { out, tracker, values } = pass;
  const { index, record } = entry;
  const filter = values.filter;
  const quiet = values.index !== undefined && index !== values.index;
  const ip = linkPayload(record);
  if (ip === undefined) {
    if (!quiet && filter === undefined) {
      out.write([{ kind: "skipped", entry, reason: notIpReason(record) }]);
    }
    return true;
  }
  const linkHeader = ip.byteOffset - record.data.byteOffset;
  // An original length that cannot be right is not a length on the wire:
  // the bytes captured are taken as the whole datagram, and a note says so.
  const wireLength = record.originalLength > record.data.length &&
      record.lengthProblem === undefined
    ? record.originalLength - linkHeader
    : undefined;
  const steps = values.steps === true;
  const signed = signing(values);
  // A cut capture holds part of a fragment: it cannot fill its hole.
  const done = values.index === undefined && wireLength === undefined
    ? pass.reassembler.add(ip, index)
    : undefined;
  let explanation: Explanation | undefined;
  const input: PacketInput = {
    bytes: ip,
    ...(wireLength === undefined ? {} : { wireLength }),
  };
  try {
    const explained = tracker.explainWithContext(ip, {
      steps,
      ...signed,
      ...(wireLength === undefined ? {} : { wireLength }),
    });
    explanation = explained.explanation;
    if (record.lengthProblem !== undefined) {
      explanation.notes.unshift(
        `${record.lengthProblem}: the ${record.data.length} bytes captured are explained as the whole frame`,
      );
    }
    if (explained.connection !== undefined) {
      input.connection = explained.connection;
    }
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    if (!quiet && filter === undefined) {
      out.write([{ kind: "skipped", entry, reason: error.message }]);
    }
  }
  const shows = (e: Explanation) =>
    !quiet && (filter === undefined || filter.matches(e));
  if (explanation !== undefined && shows(explanation)) {
    out.write([{
      kind: "packet",
      explanation,
      summary: `${
        formatCapturedPacketText(
          ip,
          wireLength === undefined ? {} : { wireLength },
        )
      }${
        record.lengthProblem === undefined ? "" : ` [${record.lengthProblem}]`
      }`,
      entry,
      input,
    }]);
    if (++pass.shown === values.count) return false;
  }
  if (done === undefined) return true;
  const whole = explainReassembled(done, { steps, ...signed });
  if (!shows(whole)) return true;
  out.write([{
    kind: "packet",
    explanation: whole,
    summary: formatPacketText(done.first),
    entry,
    reassembledFrom: done.tags,
    input: { bytes: done.first },
  }]);
  return ++pass.shown !== values.count;
}

async function explainCapture(
  source: CaptureSource,
  values: ExplainValues,
  host: CliHost,
  title: string,
): Promise<number> {
  let file;
  try {
    file = await openCapture(source);
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new CliError(error.message, { cause: error });
    }
    throw error;
  }
  const pass: CapturePass = {
    out: output(host, values, title),
    tracker: new PageTracker(),
    reassembler: new FragmentReassembler<number>(),
    values,
    shown: 0,
  };
  let index = 0;
  try {
    for await (const record of file.records) {
      index++;
      if (values.index !== undefined && index > values.index) break;
      if (!explainEntry(pass, { index, record })) break;
    }
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new CliError(error.message, { cause: error });
    }
    throw error;
  }
  if (values.index !== undefined && index < values.index) {
    throw new CliError(
      `--index ${values.index}: the capture has only ${index} packet${
        index === 1 ? "" : "s"
      }`,
    );
  }
  await savePage(pass.out, host);
  const filter = values.filter;
  if (pass.shown === 0 && filter !== undefined && values.format !== "json") {
    host.stderr(
      `no packet of the ${index} read matches the filter ${
        quote(filter.text)
      }\n`,
    );
  }
  return 0;
}

async function explainBytes(
  bytes: Uint8Array,
  values: ExplainValues,
  host: CliHost,
  title: string,
): Promise<number> {
  const out = output(host, values, title);
  const steps = values.steps === true;
  if (values.tcp) {
    const src = values.src?.address;
    const dst = values.dst?.address;
    const explanation = explainTcpSegment(bytes, {
      steps,
      ...signing(values),
      ...(src === undefined ? {} : { src }),
      ...(dst === undefined ? {} : { dst }),
    });
    out.write([{
      kind: "packet",
      explanation,
      summary: segmentSummary(bytes, src, dst),
      input: {
        bytes,
        segment: {
          ...(src === undefined ? {} : { src }),
          ...(dst === undefined ? {} : { dst }),
        },
      },
    }]);
    await savePage(out, host);
    return 0;
  }
  let datagram = bytes;
  let note: string | undefined;
  const version = bytes.length === 0 ? -1 : bytes[0]! >> 4;
  if (version !== 4 && version !== 6) {
    const ip = linkPayload({ linkType: LINKTYPE.ETHERNET, data: bytes });
    if (ip !== undefined) {
      datagram = ip;
      note = `an Ethernet frame: the ${
        ip.byteOffset - bytes.byteOffset
      }-byte Ethernet header is left out, and offsets count from the IP header`;
    }
  }
  let explanation: Explanation;
  try {
    explanation = explainPacket(datagram, { steps, ...signing(values) });
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const hint = version !== 4 && version !== 6 && bytes.length > 0
      ? ` (byte 0 is 0x${
        bytes[0]!.toString(16).padStart(2, "0")
      }; give --tcp for a bare TCP segment)`
      : "";
    throw new CliError(`${error.message}${hint}`, { cause: error });
  }
  if (note !== undefined) explanation.notes.unshift(note);
  out.write([{
    kind: "packet",
    explanation,
    summary: formatPacketText(datagram),
    input: {
      bytes: datagram,
      ...(note === undefined ? {} : { notes: [note] }),
    },
  }]);
  await savePage(out, host);
  return 0;
}

function checkCombinations(values: ExplainValues, positionals: string[]): void {
  checkHtmlOptions(values);
  signatureToCheck(values);
  if (values.pcap !== undefined && positionals.length > 0) {
    throw new UsageError(
      `--pcap: conflicts with the HEX argument ${
        quote(positionals[0]!)
      }; give one input`,
    );
  }
  if (values.tcp && values.pcap !== undefined) {
    throw new UsageError(
      "--tcp: a capture holds whole packets; --tcp is for a bare segment given as hex",
    );
  }
  for (const key of ["src", "dst"] as const) {
    if (values[key] !== undefined && !values.tcp) {
      throw new UsageError(
        `--${key}: only with --tcp (an IP datagram carries its own addresses)`,
      );
    }
  }
  if ((values.src === undefined) !== (values.dst === undefined)) {
    throw new UsageError(
      `${
        values.src === undefined ? "--src" : "--dst"
      }: missing; the pseudo-header needs both --src and --dst`,
    );
  }
  if (
    values.src !== undefined && values.dst !== undefined &&
    values.src.family !== values.dst.family
  ) {
    throw new UsageError(
      `--dst: ${values.dst.address} is IPv${values.dst.family} but --src ${values.src.address} is IPv${values.src.family}`,
    );
  }
  const captureOnly = (["filter", "index", "count"] as const).find((key) =>
    values[key] !== undefined
  );
  if (
    captureOnly !== undefined && values.pcap === undefined &&
    positionals.length > 0 && positionals[0] !== "-"
  ) {
    throw new UsageError(
      `--${captureOnly}: only for the packets of a capture (--pcap FILE, or a capture on standard input)`,
    );
  }
}

async function runExplain(
  values: ExplainValues,
  positionals: string[],
  host: CliHost,
): Promise<number> {
  checkCombinations(values, positionals);
  // Deno's permissions for the capture read and the page written, first.
  requirePermissions(
    host,
    "Cannot explain",
    permissionsFor(values, { readKeys: ["pcap"] }),
  );
  if (values.pcap !== undefined && values.pcap !== "-") {
    const path = values.pcap;
    const source = await openCaptureFile(host, path);
    return await explainCapture(source, values, host, basename(path));
  }
  let bytes: Uint8Array;
  const fromStdin = values.pcap === "-" ||
    (positionals.length === 1 && positionals[0] === "-") ||
    positionals.length === 0;
  if (fromStdin) {
    if (
      positionals.length === 0 && values.pcap === undefined &&
      host.isTerminal.stdin
    ) {
      throw new UsageError(
        "missing HEX (the packet as hex), --pcap FILE, or - for standard input",
      );
    }
    const input = await host.readStdin();
    if (values.pcap === "-" || isCapture(input)) {
      return await explainCapture(input, values, host, "standard input");
    }
    bytes = hexOrUsage(new TextDecoder().decode(input), "standard input");
    const captureOnly = (["filter", "index", "count"] as const).find((key) =>
      values[key] !== undefined
    );
    if (captureOnly !== undefined) {
      throw new UsageError(
        `--${captureOnly}: only for the packets of a capture, and standard input holds hex`,
      );
    }
  } else {
    if (positionals.includes("-")) {
      throw new UsageError(
        "HEX: - (standard input) cannot be mixed with hex arguments",
      );
    }
    bytes = hexOrUsage(positionals.join(" "), "HEX");
  }
  if (bytes.length === 0) {
    throw new UsageError(
      fromStdin
        ? "standard input holds no hex bytes"
        : "HEX: no hex bytes given",
    );
  }
  return await explainBytes(
    bytes,
    values,
    host,
    fromStdin ? "hex from standard input" : "hex",
  );
}

/**
 * The `explain` command. The hex of a packet may come in any number of
 * arguments: its one argument, HEX..., is variadic.
 *
 * @example
 * ```ts
 * import { explainCommand } from "./explain.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * const hex = [
 *   "45000028", "00010000", "4006f6a3", "c000022a", "c0000201",
 *   "0014029a", "00000000", "00000000", "50292000", "08e20000",
 * ];
 * const code = await explainCommand.run([...hex, "--brief"], { host, meta: { version: "0" } });
 * assert.equal(code, 0);
 * assert.equal(
 *   host.out,
 *   "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0 | ip checksum correct, tcp checksum correct, anomalies: xmas, urg-without-pointer\n",
 * );
 * ```
 */
export const explainCommand: Command = defineCommand({
  name: "explain",
  summary:
    "explain a TCP packet field by field: header diagram, field table, checksums worked out, anomalies; offline",
  description: [
    "Reads an IP datagram (or with --tcp a bare TCP segment) as hex from the arguments or",
    "standard input, or every packet of a pcap or pcapng file. Prints each header as the",
    "RFC diagram filled with the packet's values and bits, a table of every field (offset,",
    "raw bits, value, meaning), both checksums worked out, and the anomalies: Christmas tree,",
    "NULL, SYN+FIN, SYN+RST, URG and urgent pointer disagreeing, an ACK number without ACK,",
    "reserved bits, a data offset outside the packet, option lengths, options after EOL,",
    "IPv4 lengths and checksums. Needs no privileges and sends nothing.",
    "",
    "Within a capture, IP fragments are put back together and the datagram explained",
    "after the fragment that completes it, with what a first-wins and a last-wins",
    "target make of overlapping fragments. --md5-key and --ao-key check the signatures",
    "of the segments that carry one.",
  ].join("\n"),
  usage: "[HEX... | - | --pcap FILE] [OPTIONS]",
  args: ARGS,
  options: EXPLAIN_OPTIONS,
  examples: [
    {
      comment: "The Christmas-tree packet",
      command:
        "tcpcraft explain 45000028 00010000 4006f6a3 c000022a c0000201 0014029a 00000000 00000000 50292000 08e20000",
    },
    {
      comment:
        "What build makes, with the TCP checksum worked out word by word",
      command:
        "tcpcraft build 192.0.2.1:80 --src 192.0.2.42 --format hex | tcpcraft explain --steps",
    },
    {
      comment: "A bare TCP segment, its checksum over a given pseudo-header",
      command:
        "tcpcraft explain --tcp --src 192.0.2.42 --dst 192.0.2.1 0014029a 00000000 00000000 50292000 08e20000",
    },
    {
      comment: "Only the SYNs to port 80 of a capture, one line each",
      command:
        "tcpcraft explain --pcap capture.pcapng --filter 'dst port 80 and flags S' --brief",
    },
    {
      comment:
        "A page to open in any browser: point at a field to light up its bytes",
      command:
        "tcpcraft explain --pcap capture.pcapng --filter 'port 80' --html port80.html",
    },
    {
      comment: "The packets of a live capture that have anomalies, as JSON",
      command:
        "tcpdump -w - -c 1000 -i eth0 tcp | tcpcraft explain - --filter anomaly --format json",
    },
  ],
  run({ values, positionals }, { host }) {
    return runExplain(values, positionals, host);
  },
});
