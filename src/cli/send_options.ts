/**
 * The options of `send`, apart from the command so that its file holds the
 * run.
 *
 * @module
 */

import { CAPTURE_OUTPUT_OPTIONS } from "./capture_output.ts";
import { CRAFT_OPTIONS } from "./craft_options.ts";
import { FORMAT_OPTIONS } from "./format.ts";
import { parseInterval, parseRate } from "./numbers.ts";
import { parseInterfaceName } from "./name_values.ts";
import { defineOptions } from "./args.ts";
import { PACKET_OPTIONS } from "./packet_options.ts";
import { portValueParser, RANDOM_OPTIONS } from "./random_options.ts";

/**
 * The options of `send`: the packet options, the random and stepped fields
 * (drawn per packet), the crafting options (fragments, typed IP options and
 * extension headers, signatures), the sending options and `--format`.
 */
export const SEND_OPTIONS = defineOptions({
  ...PACKET_OPTIONS,
  ...RANDOM_OPTIONS,
  dport: {
    ...RANDOM_OPTIONS.dport,
    parse: portValueParser("send does not wait for"),
  },
  randSource: {
    ...RANDOM_OPTIONS.randSource,
    help:
      "a random source address per packet, from CIDR (default: anywhere in TARGET's family); tcpcraft writes the IP header",
  },
  randDest: {
    ...RANDOM_OPTIONS.randDest,
    help:
      "a random destination per packet from CIDR, instead of TARGET's; tcpcraft writes the IP header and sends each packet to its own (not with -I)",
  },
  randSport: {
    ...RANDOM_OPTIONS.randSport,
    help: "a random source port per packet, 1024..65535",
  },
  randDport: {
    ...RANDOM_OPTIONS.randDport,
    help: "a random destination port per packet, 1..65535",
  },
  randSeq: {
    ...RANDOM_OPTIONS.randSeq,
    help: "a random sequence number per packet",
  },
  randAck: {
    ...RANDOM_OPTIONS.randAck,
    help: "a random acknowledgment number per packet",
  },
  randId: {
    ...RANDOM_OPTIONS.randId,
    help:
      "IPv4: a random identification per packet; tcpcraft writes the IP header",
  },
  seed: {
    ...RANDOM_OPTIONS.seed,
    help:
      "seed every random choice (drawn fields, default port and seq, fragment IDs and order): the same seed sends the same packets",
  },
  ...CRAFT_OPTIONS,
  sport: {
    ...PACKET_OPTIONS.sport,
    help: "source port (default: random in 49152..65535)",
  },
  seq: {
    ...PACKET_OPTIONS.seq,
    help: "sequence number (default: random)",
  },
  count: {
    kind: "number",
    short: "c",
    min: 1,
    valueName: "N",
    help: "packets to send (default 1)",
    group: "Sending",
  },
  interval: {
    kind: "string",
    short: "i",
    valueName: "DUR",
    parse: parseInterval,
    help: "time between packets: 1s, 10ms, 500us (default 1s)",
    group: "Sending",
  },
  rate: {
    kind: "string",
    valueName: "PPS",
    // Beyond the fastest rate, send has one faster way.
    parse: (text: string) => parseRate(text, { hint: "faster: --flood" }),
    help: "packets per second, instead of --interval",
    group: "Sending",
  },
  flood: {
    kind: "boolean",
    help:
      "send as fast as possible, in batches of up to 1024 per system call; needs --count",
    group: "Sending",
  },
  sportStep: {
    kind: "number",
    min: -0xffff,
    max: 0xffff,
    valueName: "N",
    help: "add N to the source port for each packet, modulo 65536 (default 0)",
    group: "Sending",
  },
  seqStep: {
    kind: "number",
    min: -0xffffffff,
    max: 0xffffffff,
    valueName: "N",
    help:
      "add N to the sequence number for each packet, modulo 2^32 (default 0)",
    group: "Sending",
  },
  interface: {
    kind: "string",
    short: "I",
    valueName: "NAME",
    parse: parseInterfaceName,
    help:
      "send Ethernet frames on this interface (Linux AF_PACKET, past the kernel's IP path; the next hop's MAC from the neighbour table); tcpcraft writes the IP header",
    group: "Sending",
  },
  ipv4: {
    kind: "boolean",
    short: "4",
    help: "resolve TARGET to an IPv4 address",
    group: "Sending",
  },
  ipv6: {
    kind: "boolean",
    short: "6",
    help: "resolve TARGET to an IPv6 address",
    group: "Sending",
  },
  dryRun: {
    kind: "boolean",
    help:
      "print the packets that would be sent and send nothing (no socket, no privileges)",
    group: "Sending",
  },
  allowBroadcast: {
    kind: "boolean",
    help:
      "let TARGET be, or --rand-dest hold, a broadcast, multicast or unspecified address (255.255.255.255, this host's subnets' broadcast addresses, 224.0.0.0/4, 0.0.0.0/8, ff00::/8, ::), refused without it, dry runs too; the socket gets SO_BROADCAST",
    group: "Sending",
  },
  ...FORMAT_OPTIONS,
  ...CAPTURE_OUTPUT_OPTIONS,
  quiet: {
    kind: "boolean",
    short: "q",
    help: "print only the summary, not a line per packet",
    group: "Output",
  },
});
