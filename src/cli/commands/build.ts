/**
 * `tcpcraft build`: make one TCP/IP packet from the command line and print
 * it as text, hex or JSON. Sends nothing, needs no permission but reading a
 * `--data-file` and writing a `--pcap` file, and resolves no names.
 *
 * @module
 */

import { encodePacket } from "../../wire/packet.ts";
import { defineOptions } from "../args.ts";
import {
  CAPTURE_OUTPUT_OPTIONS,
  openCaptureOutput,
} from "../capture_output.ts";
import { defineCommand } from "../command.ts";
import { CliError, reasonOf } from "../errors.ts";
import { HTML_OUTPUT_OPTIONS, writePage } from "../explain_html.ts";
import { FORMAT_OPTIONS, formatPacket } from "../format.ts";
import { PACKET_OPTIONS, packetFromOptions } from "../packet_options.ts";
import { parseTarget, targetAddress } from "../target.ts";

/** The options of `build`: the packet options, `--format`, `--pcap` and `--html`. */
export const BUILD_OPTIONS = defineOptions({
  ...PACKET_OPTIONS,
  ...FORMAT_OPTIONS,
  ...CAPTURE_OUTPUT_OPTIONS,
  ...HTML_OUTPUT_OPTIONS,
});

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
    "computed unless overridden. The packet is printed, never sent.",
  ].join("\n"),
  usage: "TARGET [OPTIONS]",
  args: [{
    name: "TARGET",
    help:
      "an IPv4 or IPv6 address, not a host name; TARGET:PORT or [IPv6]:PORT also sets the port",
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
  ],
  async run({ values, positionals }, { host }) {
    const target = targetAddress(parseTarget(positionals[0]!));
    const packet = await packetFromOptions(values, target, { host });
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(packet);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new CliError(reasonOf(error), { cause: error });
      }
      throw error;
    }
    if (values.pcap !== undefined) {
      const capture = await openCaptureOutput(host, values.pcap);
      try {
        await capture.record(bytes, "built");
      } finally {
        await capture.close();
      }
    }
    if (values.html !== undefined) {
      await writePage(host, values.html, {
        title: "built packet",
        entries: [{ kind: "packet", input: { bytes } }],
      });
      if (values.html === "-") return 0;
    }
    host.stdout(`${formatPacket(bytes, values.format ?? "text")}\n`);
    return 0;
  },
});
