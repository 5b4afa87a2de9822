/**
 * The options that describe one TCP/IP packet on the command line, shared
 * by every command that makes packets (`build`, `send`, `probe`, `scan`):
 * the option table {@linkcode PACKET_OPTIONS} (the TARGET argument is read
 * by `target.ts`), the `-o` option specs
 * ({@linkcode parseTcpOptionSpec}) and {@linkcode packetFromOptions}, which
 * turns parsed values into a packet model with every cross-check a single
 * value cannot make (address families, one data source, option space).
 *
 * Decisions:
 * - `--tos` sets the IPv4 TOS byte or the IPv6 traffic class (the same
 *   DSCP+ECN byte); `--traffic-class` is an alias.
 * - `--ttl`, `--id`, `--df`, `--ip-checksum` and `--ip-options` are IPv4
 *   only; `--hop-limit` and `--flow-label` IPv6 only. The other family's
 *   option is a usage error that names the flag.
 * - A TARGET port (`192.0.2.1:666`) and `--dport` may both be given only
 *   when they agree.
 * - `--data-file PATH` reads the file (`-` for standard input); a file that
 *   cannot be read is a usage error (exit 2) naming `--data-file`, since the
 *   value given is what is wrong and nothing has been done yet.
 *
 * @module
 */

import { parseFlags } from "../wire/flags.ts";
import { parseHex } from "../wire/hex.ts";
import { makeTcpPacket, packetLength, type TcpPacket } from "../wire/packet.ts";
import { OS_OPTION, withOsPreset } from "./os_option.ts";
import { tcpOptionsLength } from "../wire/tcp_options.ts";
import {
  defineOptions,
  longName,
  type OptionTable,
  type OptionValues,
} from "./args.ts";
import { plural, quote, UsageError } from "./errors.ts";
import { parseTcpOptionSpec, TCP_OPTION_SPEC_EXAMPLES } from "./option_spec.ts";
import type { CliHost } from "./host.ts";
import { type PacketTarget, parseAddressValue } from "./target.ts";
import { parseFileName } from "./name_values.ts";

export { parseTcpOptionSpec } from "./option_spec.ts";

/** The longest option area a TCP header can hold (60 - 20 bytes). */
const MAX_OPTION_BYTES = 40;

/**
 * The packet options shared by every command that makes packets. A command
 * takes them by spreading: `defineOptions({ ...PACKET_OPTIONS, …its own })`.
 * Defaults (applied by `makeTcpPacket`) are scapy's: ports 20 -> 80, SYN,
 * seq 0, window 8192, TTL 64, IPv4 id 1.
 */
export const PACKET_OPTIONS = defineOptions({
  ...OS_OPTION,
  src: {
    kind: "string",
    valueName: "ADDR",
    parse: parseAddressValue,
    help:
      "source address (IPv4 or IPv6, as TARGET); the TCP checksum covers it",
    group: "Addresses and ports",
  },
  dport: {
    kind: "number",
    short: "p",
    max: 0xffff,
    noun: "a port",
    valueName: "N",
    help: "destination port (default 80, or the port in TARGET)",
    group: "Addresses and ports",
  },
  sport: {
    kind: "number",
    short: "s",
    max: 0xffff,
    noun: "a port",
    valueName: "N",
    help: "source port (default 20)",
    group: "Addresses and ports",
  },
  flags: {
    kind: "string",
    short: "f",
    valueName: "F",
    parse: parseFlags,
    help:
      "flags: syn,ack | SA (letters FSRPAUECN, N = AE) | 0x12 | xmas, null, synack, full… (default syn)",
    group: "TCP",
  },
  seq: {
    kind: "number",
    max: 0xffffffff,
    valueName: "N",
    help: "sequence number (default 0)",
    group: "TCP",
  },
  ack: {
    kind: "number",
    max: 0xffffffff,
    valueName: "N",
    help: "acknowledgment number (default 0)",
    group: "TCP",
  },
  window: {
    kind: "number",
    short: "w",
    max: 0xffff,
    valueName: "N",
    help: "window (default 8192)",
    group: "TCP",
  },
  urgent: {
    kind: "number",
    max: 0xffff,
    valueName: "N",
    help: "urgent pointer (default 0)",
    group: "TCP",
  },
  option: {
    kind: "repeatable",
    short: "o",
    valueName: "SPEC",
    parse: parseTcpOptionSpec,
    help:
      `add a TCP option, in order (repeatable): ${TCP_OPTION_SPEC_EXAMPLES}`,
    group: "TCP",
  },
  checksum: {
    kind: "number",
    max: 0xffff,
    valueName: "N",
    help: "write this TCP checksum instead of the computed one",
    group: "TCP",
  },
  dataOffset: {
    kind: "number",
    max: 15,
    valueName: "N",
    help: "write this data offset (32-bit words) instead of the computed one",
    group: "TCP",
  },
  reserved: {
    kind: "number",
    max: 7,
    valueName: "N",
    help: "the three reserved bits (default 0)",
    group: "TCP",
  },
  data: {
    kind: "string",
    valueName: "TEXT",
    help: "payload: this text, UTF-8",
    group: "Payload (one of)",
  },
  dataHex: {
    kind: "string",
    valueName: "HEX",
    parse: parseHex,
    help: "payload: these bytes (spaces, colons and 0x allowed)",
    group: "Payload (one of)",
  },
  dataFile: {
    kind: "string",
    valueName: "PATH",
    parse: parseFileName,
    help: "payload: the contents of this file (- for standard input)",
    group: "Payload (one of)",
  },
  tos: {
    kind: "number",
    max: 0xff,
    valueName: "N",
    aliases: ["traffic-class"],
    help: "IPv4 TOS / IPv6 traffic class byte (default 0)",
    group: "IP",
  },
  ttl: {
    kind: "number",
    max: 0xff,
    valueName: "N",
    help: "IPv4 time to live (default 64)",
    group: "IP",
  },
  id: {
    kind: "number",
    max: 0xffff,
    valueName: "N",
    help: "IPv4 identification (default 1)",
    group: "IP",
  },
  df: {
    kind: "boolean",
    help: "IPv4: set don't fragment",
    group: "IP",
  },
  ipChecksum: {
    kind: "number",
    max: 0xffff,
    valueName: "N",
    help: "IPv4: write this header checksum instead of the computed one",
    group: "IP",
  },
  ipOptions: {
    kind: "string",
    valueName: "HEX",
    parse: parseHex,
    help:
      "IPv4: these option bytes (zero-padded to a multiple of 4, at most 40)",
    group: "IP",
  },
  hopLimit: {
    kind: "number",
    max: 0xff,
    valueName: "N",
    help: "IPv6 hop limit (default 64)",
    group: "IP",
  },
  flowLabel: {
    kind: "number",
    max: 0xfffff,
    valueName: "N",
    help: "IPv6 flow label, 20 bits (default 0)",
    group: "IP",
  },
});

/** The values of {@linkcode PACKET_OPTIONS} after parsing. */
export type PacketOptionValues = OptionValues<typeof PACKET_OPTIONS>;

/** Options for {@linkcode packetFromOptions}. */
export interface PacketFromOptionsOptions {
  /** Reads `--data-file`. */
  host: CliHost;
  /**
   * The source address to use without `--src` (a command that sends picks
   * one from the routing table). Without it, `--src` is required.
   */
  defaultSrc?: string;
}

const IPV4_ONLY = ["ttl", "id", "df", "ipChecksum", "ipOptions"] as const;
const IPV6_ONLY = ["hopLimit", "flowLabel"] as const;

function flag(key: keyof typeof PACKET_OPTIONS): string {
  return `--${longName(key, PACKET_OPTIONS[key])}`;
}

/**
 * Turn parsed packet options and a target into a packet model, checking
 * what no single value can: the families of TARGET and `--src`, options of
 * the other family, TARGET's port against `--dport`, one data source, the
 * space options take, and the size of the datagram. `--data-file` is read
 * through the host.
 *
 * @param values The parsed values (a command's values may hold more keys).
 * @param target The destination.
 * @param options The host, and a default source address.
 * @returns The packet model, ready for `encodePacket`.
 * @throws {UsageError} Naming the flag at fault.
 *
 * @example
 * ```ts
 * import { packetFromOptions, PACKET_OPTIONS } from "./packet_options.ts";
 * import { parseTarget, targetAddress } from "./target.ts";
 * import { parseArgs } from "./args.ts";
 * import { createMemoryHost } from "./host.ts";
 * import { encodePacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { values } = parseArgs(["--src", "192.0.2.42", "-f", "xmas"], PACKET_OPTIONS);
 * const target = targetAddress(parseTarget("192.0.2.1:666"));
 * const packet = await packetFromOptions(values, target, { host: createMemoryHost() });
 * assert.equal(packet.tcp.dstPort, 666);
 * assert.equal(packet.tcp.flags, 0x29);
 * assert.equal(encodePacket(packet).length, 40);
 * ```
 */
export async function packetFromOptions(
  values: PacketOptionValues,
  target: PacketTarget,
  options: PacketFromOptionsOptions,
): Promise<TcpPacket> {
  checkFamilyOptions(values, target);
  const src = sourceAddress(values, target, options.defaultSrc);
  if (
    target.port !== undefined && values.dport !== undefined &&
    target.port !== values.dport
  ) {
    throw new UsageError(
      `${
        flag("dport")
      }: ${values.dport} disagrees with port ${target.port} in TARGET ${target.text}; give one`,
    );
  }
  const sources = (["data", "dataHex", "dataFile"] as const).filter((key) =>
    values[key] !== undefined
  );
  if (sources.length > 1) {
    throw new UsageError(
      `${flag(sources[1]!)}: conflicts with ${
        flag(sources[0]!)
      }; give one data source`,
    );
  }
  const payload = await readPayload(values, options.host);
  const tcpOptions = values.option ?? [];
  checkOptionSpace(values);
  const packet = makeTcpPacket(withOsPreset({
    src,
    dst: target.address,
    srcPort: values.sport,
    dstPort: values.dport ?? target.port,
    seq: values.seq,
    ack: values.ack,
    flags: values.flags,
    window: values.window,
    urgentPointer: values.urgent,
    options: tcpOptions,
    payload,
    ttl: values.ttl,
    hopLimit: values.hopLimit,
    id: values.id,
    tos: values.tos,
    dontFragment: values.df,
    flowLabel: values.flowLabel,
    ipOptions: values.ipOptions,
    checksum: values.checksum,
    dataOffset: values.dataOffset,
    reserved: values.reserved,
    ipChecksum: values.ipChecksum,
  }, values.os));
  const length = packetLength(packet);
  const family = target.family;
  const limit = family === 4 ? 0xffff : 0xffff + 40;
  if (length > limit) {
    const source = sources[0];
    throw new UsageError(
      `${
        source === undefined ? flag("option") : flag(source)
      }: ${packet.tcp.payload.length} bytes of data make a ${
        family === 4
          ? `${length}-byte IPv4 datagram`
          : `${length - 40}-byte IPv6 payload`
      }, more than 65535`,
    );
  }
  return packet;
}

/** Refuse the options of the other family than TARGET's. */
function checkFamilyOptions(
  values: PacketOptionValues,
  target: PacketTarget,
): void {
  const family = target.family;
  const other = family === 4 ? 6 : 4;
  for (const key of family === 4 ? IPV6_ONLY : IPV4_ONLY) {
    if (values[key] !== undefined) {
      const hint = key === "ttl"
        ? " (use --hop-limit)"
        : key === "hopLimit"
        ? " (use --ttl)"
        : "";
      throw new UsageError(
        `${
          flag(key)
        }: applies to IPv${other} only, and TARGET ${target.address} is IPv${family}${hint}`,
      );
    }
  }
}

/** `--src`, checked against TARGET's family, else the default source. */
function sourceAddress(
  values: PacketOptionValues,
  target: PacketTarget,
  defaultSrc: string | undefined,
): string {
  const family = target.family;
  if (values.src !== undefined) {
    if (values.src.family !== family) {
      throw new UsageError(
        `${
          flag("src")
        }: ${values.src.address} is IPv${values.src.family} but TARGET ${target.address} is IPv${family}`,
      );
    }
    return values.src.address;
  }
  if (defaultSrc !== undefined) return defaultSrc;
  throw new UsageError(
    `${
      flag("src")
    }: missing; the source address goes in the IP header and the TCP checksum (e.g. --src ${
      family === 4 ? "192.0.2.42" : "2001:db8::42"
    })`,
  );
}

/** The payload of `--data`, `--data-hex` or `--data-file` (at most one is given). */
async function readPayload(
  values: PacketOptionValues,
  host: CliHost,
): Promise<Uint8Array | undefined> {
  if (values.data !== undefined) return new TextEncoder().encode(values.data);
  if (values.dataHex !== undefined) return values.dataHex;
  if (values.dataFile === undefined) return undefined;
  const path = values.dataFile;
  try {
    return path === "-" ? await host.readStdin() : await host.readFile(path);
  } catch (error) {
    throw new UsageError(
      `${flag("dataFile")}: cannot read ${quote(path)}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

/** Refuse TCP and IP options that do not fit their headers. */
function checkOptionSpace(values: PacketOptionValues): void {
  const optionBytes = tcpOptionsLength(values.option ?? []);
  if (optionBytes > MAX_OPTION_BYTES && values.dataOffset === undefined) {
    throw new UsageError(
      `${
        flag("option")
      }: the options take ${optionBytes} bytes, more than the ${MAX_OPTION_BYTES} a TCP header holds (give --data-offset to write them anyway)`,
    );
  }
  if (values.ipOptions !== undefined && values.ipOptions.length > 40) {
    throw new UsageError(
      `${flag("ipOptions")}: ${
        plural(values.ipOptions.length, "byte")
      }, more than the 40 an IPv4 header holds`,
    );
  }
}

/**
 * A table made of {@linkcode PACKET_OPTIONS} and a command's own options.
 *
 * @param own The command's options.
 * @returns One table.
 *
 * @example
 * ```ts
 * import { withPacketOptions } from "./packet_options.ts";
 * import assert from "node:assert/strict";
 *
 * const table = withPacketOptions({ count: { kind: "number", help: "how many" } });
 * assert.ok("dport" in table && "count" in table);
 * ```
 */
export function withPacketOptions<const T extends OptionTable>(
  own: T,
): typeof PACKET_OPTIONS & T {
  return defineOptions({ ...PACKET_OPTIONS, ...own });
}
