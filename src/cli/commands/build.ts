/**
 * `tcpcraft build`: make one TCP/IP packet from the command line and print
 * it as text, hex or JSON (its IP fragments, one per line, with `--frag`).
 * Sends nothing, needs no permission but reading a `--data-file` and
 * writing a `--pcap` file, and resolves no names.
 *
 * Random fields (`--rand-*`) take one draw, reproducible with `--seed`;
 * `-p ++PORT` and `--dport-step` give the first packet's port.
 *
 * @module
 */

import { defineOptions } from "../args.ts";
import {
  CAPTURE_OUTPUT_OPTIONS,
  openCaptureOutput,
} from "../capture_output.ts";
import { defineCommand } from "../command.ts";
import { CRAFT_OPTIONS, craftPacket } from "../craft_options.ts";
import { craftDatagrams } from "../fragment_options.ts";
import { CliError, reasonOf } from "../errors.ts";
import { HTML_OUTPUT_OPTIONS, writePage } from "../explain_html.ts";
import { FORMAT_OPTIONS, formatPacket } from "../format.ts";
import { permissionsFor, requirePermissions } from "../permissions.ts";
import {
  PACKET_OPTIONS,
  packetFromOptions,
  type PacketOptionValues,
} from "../packet_options.ts";
import {
  RANDOM_OPTIONS,
  type RandomFields,
  randomFields,
} from "../random_options.ts";
import { parseTarget, targetAddress } from "../target.ts";

/**
 * The options of `build`: the packet options, the random fields, the
 * crafting options, `--format`, `--pcap` and `--html`.
 */
export const BUILD_OPTIONS = defineOptions({
  ...PACKET_OPTIONS,
  ...RANDOM_OPTIONS,
  ...CRAFT_OPTIONS,
  ...FORMAT_OPTIONS,
  ...CAPTURE_OUTPUT_OPTIONS,
  ...HTML_OUTPUT_OPTIONS,
});

/** The packet options with the random draws in place of the fields they stand for. */
function drawnValues(
  values: object,
  drawn: RandomFields["values"],
): PacketOptionValues {
  const out: Record<string, unknown> = { ...values };
  for (const key of ["src", "sport", "dport", "seq", "ack", "id"] as const) {
    if (drawn[key] === undefined) delete out[key];
    else out[key] = drawn[key];
  }
  return out as PacketOptionValues;
}

/**
 * The `build` command.
 *
 * @example
 * ```ts
 * import { buildCommand } from "./build.ts";
 * import { createMemoryHost } from "../host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * const code = await buildCommand.run(
 *   ["192.0.2.1", "-p", "666", "--src", "192.0.2.42", "-f", "xmas"],
 *   { host, meta: { version: "0" } },
 * );
 * assert.equal(code, 0);
 * assert.equal(
 *   host.out,
 *   "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0\n",
 * );
 * ```
 */
export const buildCommand = defineCommand({
  name: "build",
  summary:
    "build one TCP packet and print it as text, hex or JSON; sends nothing",
  description: [
    "Every field can be set; those not given take scapy's defaults (ports 20 -> 80,",
    "SYN, seq 0, window 8192, TTL 64, IPv4 id 1), and the lengths and checksums are",
    "computed unless overridden. The packet is printed, never sent: with --frag or",
    "--mtu, each IP fragment on a line of its own. --md5-key and --ao-key sign it;",
    "--rand-* fields take one draw, the same one again with --seed.",
  ].join("\n"),
  usage: "TARGET [OPTIONS]",
  args: [{
    name: "TARGET",
    help:
      "an IPv4 or IPv6 address, not a host name; TARGET:PORT or [IPv6]:PORT also sets the port (optional with --rand-dest)",
    optional: true,
  }],
  options: BUILD_OPTIONS,
  examples: [
    {
      comment: "A Christmas-tree packet (FIN, PSH, URG) as hex",
      command:
        "tcpcraft build 192.0.2.1 -p 666 -s 20 --src 192.0.2.42 -f xmas --format hex",
    },
    {
      comment: "A SYN with the options Linux sends",
      command:
        "tcpcraft build 192.0.2.1:80 --src 192.0.2.42 -o mss=1460 -o sackok -o ts=1:0 -o nop -o wscale=7",
    },
    {
      comment: 'A SYN written to a pcapng file for Wireshark (comment "built")',
      command:
        "tcpcraft build 192.0.2.1:443 --src 192.0.2.42 --pcap syn.pcapng",
    },
    {
      comment:
        "A page to open in a browser: the flags and options it became, bit by bit",
      command:
        "tcpcraft build 192.0.2.1:80 --src 192.0.2.42 -f xmas -o mss=1460 --html xmas.html",
    },
    {
      comment: "An IPv6 data segment with a bad checksum, every field as JSON",
      command:
        "tcpcraft build [2001:db8::1]:80 --src 2001:db8::2 -f PA --data 'GET /' --checksum 0 --format json",
    },
    {
      comment:
        "A SYN in 8-byte fragments, the TCP header split, in reverse order",
      command:
        "tcpcraft build 192.0.2.1:80 --src 192.0.2.42 --frag 8 --frag-order reverse",
    },
    {
      comment: "A BGP SYN signed with TCP-MD5, from a random source in 10/8",
      command:
        "tcpcraft build 192.0.2.1:179 --rand-source 10.0.0.0/8 --seed 1 --md5-key s3cret",
    },
    {
      comment: "A record-route option, and an IPv6 segment-routing header",
      command:
        "tcpcraft build 192.0.2.1 --src 192.0.2.42 --ip-opt rr=9; tcpcraft build 2001:db8::a --src 2001:db8::1 --ext srh=2001:db8::a,2001:db8::c",
    },
  ],
  async run({ values, positionals }, { host }) {
    // Deno's permissions for the files named, before any is touched.
    requirePermissions(host, "Cannot build", permissionsFor(values));
    const given = positionals[0];
    const drawn = randomFields(
      values,
      given === undefined ? undefined : targetAddress(parseTarget(given)),
    );
    const packet = craftPacket(
      await packetFromOptions(
        drawnValues(values, drawn.values),
        drawn.target,
        { host },
      ),
      values,
    );
    let datagrams: Uint8Array[];
    try {
      datagrams = craftDatagrams(packet, values, drawn.random);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new CliError(reasonOf(error), { cause: error });
      }
      throw error;
    }
    if (values.pcap !== undefined) {
      const capture = await openCaptureOutput(host, values.pcap);
      try {
        for (const [i, bytes] of datagrams.entries()) {
          await capture.record(
            bytes,
            "built",
            datagrams.length === 1
              ? {}
              : { note: `fragment ${i + 1} of ${datagrams.length}` },
          );
        }
      } finally {
        await capture.close();
      }
    }
    if (values.html !== undefined) {
      await writePage(host, values.html, {
        title: "built packet",
        entries: datagrams.map((bytes) => ({
          kind: "packet" as const,
          input: { bytes },
        })),
      });
      if (values.html === "-") return 0;
    }
    const format = values.format ?? "text";
    host.stdout(
      `${datagrams.map((bytes) => formatPacket(bytes, format)).join("\n")}\n`,
    );
    return 0;
  },
});
