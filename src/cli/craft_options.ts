/**
 * The crafting options of `build`, `send` and `probe`, apart from the
 * packet options every packet command takes: IP fragmentation and its
 * evasion variants (`--frag`, `--mtu`, `--frag-*`), typed IPv4 options
 * (`--ip-opt`) and IPv6 extension headers (`--ext`), and signatures
 * (`--md5-key`, `--ao-*`). {@linkcode craftPacket} applies the header and
 * signature options to the packet model; `craftDatagrams`
 * (`fragment_options.ts`) turns it into the datagrams to print or send.
 *
 * Decisions:
 * - A key is its text's UTF-8 bytes, as router configurations write
 *   passwords, or `hex:…` for any bytes; 1..80 bytes (Linux's limit).
 * - With `--md5-key`, the signature goes into a `-o md5=…` option when one
 *   is given, else into one added first with two NOPs, as Linux sends it;
 *   with `--ao-key` likewise into `-o ao=…` or a TCP-AO option added first.
 * - `--frag` and `--mtu` with DF set, a size that is not a multiple of 8
 *   (unless `--frag-raw`), or a `--frag-*` without either, are usage
 *   errors: nothing is sent.
 *
 * @module
 */

import { parseHex } from "../wire/hex.ts";
import type { TcpPacket } from "../wire/packet.ts";
import { encodeIpv4Options } from "../wire/ipv4_options.ts";
import type { Ipv4Option } from "../wire/ipv4_option_entry.ts";
import {
  type Ipv6Extension,
  ipv6ExtensionChain,
} from "../wire/ipv6_extension_kinds.ts";
import { tcpOptionsLength } from "../wire/tcp_options.ts";
import {
  TCP_AO_ALGORITHMS,
  TCP_SIGNATURE_MAX_KEY,
  type TcpAoAlgorithm,
  type TcpSignature,
  withTcpSignature,
} from "../wire/tcp_signature.ts";
import {
  defineOptions,
  longName,
  type OptionSpec,
  type OptionValues,
} from "./args.ts";
import { quote, reasonOf, UsageError, ValueError } from "./errors.ts";
import { parseInteger } from "./numbers.ts";
import {
  FRAGMENT_OPTIONS,
  type FragmentOptionValues,
} from "./fragment_options.ts";
import {
  IPV4_OPTION_SPEC_EXAMPLES,
  IPV6_EXTENSION_FORMS,
  parseIpv4OptionSpec,
  parseIpv6ExtensionSpec,
} from "./option_spec.ts";

/** A key: its text's UTF-8 bytes, or `hex:` and any bytes; 1..80 bytes. */
function parseKey(text: string): Uint8Array {
  const key = text.startsWith("hex:")
    ? parseHex(text.slice(4))
    : new TextEncoder().encode(text);
  if (key.length === 0) throw new ValueError("the key is empty");
  if (key.length > TCP_SIGNATURE_MAX_KEY) {
    throw new ValueError(
      `the key is ${key.length} bytes, more than the ${TCP_SIGNATURE_MAX_KEY} Linux takes (TCP_MD5SIG_MAXKEYLEN, TCP_AO_MAXKEYLEN)`,
    );
  }
  return key;
}

/** `LOCAL:REMOTE`, two 32-bit numbers. */
function parseIsns(text: string): { local: number; remote: number } {
  const parts = text.split(":");
  if (parts.length !== 2) {
    throw new ValueError(
      `${
        quote(text)
      } is not LOCAL:REMOTE (the two initial sequence numbers, ours first)`,
    );
  }
  return {
    local: parseInteger(parts[0]!, { max: 0xffffffff }),
    remote: parseInteger(parts[1]!, { max: 0xffffffff }),
  };
}

/** The typed IP-level header options. */
export const HEADER_OPTIONS = defineOptions({
  ipOpt: {
    kind: "repeatable",
    valueName: "SPEC",
    parse: parseIpv4OptionSpec,
    help:
      `IPv4: add an option, in order (repeatable): ${IPV4_OPTION_SPEC_EXAMPLES}`,
    group: "IP",
  },
  ext: {
    kind: "repeatable",
    valueName: "SPEC",
    parse: parseIpv6ExtensionSpec,
    help:
      `IPv6: add an extension header, in order (repeatable): ${IPV6_EXTENSION_FORMS}`,
    group: "IP",
  },
});

/** The signature options. */
export const SIGNATURE_OPTIONS = defineOptions({
  md5Key: {
    kind: "string",
    valueName: "KEY",
    parse: parseKey,
    help:
      "sign with the TCP MD5 signature (RFC 2385, BGP) under this key: text, or hex:BYTES",
    group: "Signatures",
  },
  aoKey: {
    kind: "string",
    valueName: "KEY",
    parse: parseKey,
    help:
      "sign with TCP-AO (RFC 5925) under this master key: text, or hex:BYTES",
    group: "Signatures",
  },
  aoKeyId: {
    kind: "number",
    max: 0xff,
    valueName: "N",
    help: "TCP-AO: the KeyID sent (default 0)",
    group: "Signatures",
  },
  aoRnextId: {
    kind: "number",
    max: 0xff,
    valueName: "N",
    help: "TCP-AO: the RNextKeyID sent (default the KeyID)",
    group: "Signatures",
  },
  aoAlg: {
    kind: "string",
    choices: TCP_AO_ALGORITHMS,
    valueName: "ALG",
    help: `TCP-AO: the MAC algorithm, ${
      TCP_AO_ALGORITHMS.join(" | ")
    } (default hmac-sha-1-96)`,
    group: "Signatures",
  },
  aoIsn: {
    kind: "string",
    valueName: "LOCAL:REMOTE",
    parse: parseIsns,
    help:
      "TCP-AO: the connection's initial sequence numbers, for a segment without SYN",
    group: "Signatures",
  },
  aoSne: {
    kind: "number",
    max: 0xffffffff,
    valueName: "N",
    help: "TCP-AO: the sequence number extension (default 0)",
    group: "Signatures",
  },
  aoExcludeOptions: {
    kind: "boolean",
    help: "TCP-AO: leave the other TCP options out of the MAC",
    group: "Signatures",
  },
});

/** Every crafting option. */
export const CRAFT_OPTIONS = defineOptions({
  ...HEADER_OPTIONS,
  ...FRAGMENT_OPTIONS,
  ...SIGNATURE_OPTIONS,
});

/** The values of {@linkcode CRAFT_OPTIONS}, and the packet options they meet. */
export type CraftOptionValues = OptionValues<typeof CRAFT_OPTIONS> & {
  ipOptions?: Uint8Array | undefined;
  dataOffset?: number | undefined;
};

function flag(key: keyof typeof CRAFT_OPTIONS): string {
  return `--${longName(key, CRAFT_OPTIONS[key] as OptionSpec)}`;
}

/** The longest option area a TCP header can hold. */
const MAX_TCP_OPTIONS = 40;

function ipv4Options(
  packet: TcpPacket,
  options: Ipv4Option[],
  values: CraftOptionValues,
): TcpPacket {
  if (packet.ip.version !== 4) {
    throw new UsageError(
      `${
        flag("ipOpt")
      }: applies to IPv4 only, and TARGET ${packet.ip.dst} is IPv6 (use --ext)`,
    );
  }
  if (values.ipOptions !== undefined) {
    throw new UsageError(
      `${flag("ipOpt")}: conflicts with --ip-options; give one`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = encodeIpv4Options(options);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new UsageError(
      `${flag("ipOpt")}: ${
        error.message.replace(/^Cannot encode IPv4 options: /, "")
          .replace(/^Cannot encode IPv4 option (\w+): /, "$1 ")
      }`,
      { cause: error },
    );
  }
  return { ...packet, ip: { ...packet.ip, options: bytes } };
}

function ipv6Extensions(
  packet: TcpPacket,
  extensions: Ipv6Extension[],
): TcpPacket {
  if (packet.ip.version !== 6) {
    throw new UsageError(
      `${
        flag("ext")
      }: applies to IPv6 only, and TARGET ${packet.ip.dst} is IPv4 (use --ip-opt)`,
    );
  }
  try {
    const chain = ipv6ExtensionChain(extensions, packet.ip.nextHeader);
    return {
      ...packet,
      ip: { ...packet.ip, nextHeader: chain.nextHeader },
      extensionHeaders: chain.headers,
    };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new UsageError(`${flag("ext")}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

/** The signature the options ask for, checked, or undefined. */
function signatureOf(
  values: CraftOptionValues,
  packet: TcpPacket | undefined,
): TcpSignature | undefined {
  const aoOnly = (["aoKeyId", "aoRnextId", "aoAlg", "aoIsn", "aoSne"] as const)
    .find((key) => values[key] !== undefined) ??
    (values.aoExcludeOptions ? "aoExcludeOptions" : undefined);
  if (values.md5Key !== undefined && values.aoKey !== undefined) {
    throw new UsageError(
      `${flag("aoKey")}: conflicts with ${
        flag("md5Key")
      }; a segment carries one signature`,
    );
  }
  if (values.aoKey === undefined) {
    if (aoOnly !== undefined) {
      throw new UsageError(`${flag(aoOnly)}: needs ${flag("aoKey")} KEY`);
    }
    return values.md5Key === undefined
      ? undefined
      : { kind: "md5", key: values.md5Key };
  }
  const syn = packet === undefined || (packet.tcp.flags & 0x02) !== 0;
  if (!syn && values.aoIsn === undefined) {
    throw new UsageError(
      `${flag("aoKey")}: a segment without SYN needs ${
        flag("aoIsn")
      } LOCAL:REMOTE (the connection's initial sequence numbers, for the traffic key)`,
    );
  }
  const signature: TcpSignature = {
    kind: "tcpAo",
    key: values.aoKey,
    algorithm: (values.aoAlg ?? "hmac-sha-1-96") as TcpAoAlgorithm,
  };
  if (values.aoIsn !== undefined) signature.isn = values.aoIsn;
  if (values.aoSne !== undefined) signature.sne = values.aoSne;
  if (values.aoExcludeOptions) signature.excludeOptions = true;
  return signature;
}

/** The signature options `explain` takes: a key to check signatures with. */
export const CHECK_SIGNATURE_OPTIONS = defineOptions({
  md5Key: {
    ...SIGNATURE_OPTIONS.md5Key,
    help:
      "check the TCP MD5 signature of segments that carry one with this key: text, or hex:BYTES",
  },
  aoKey: {
    ...SIGNATURE_OPTIONS.aoKey,
    help:
      "check the TCP-AO MAC of segments that carry one with this master key: text, or hex:BYTES",
  },
  aoAlg: SIGNATURE_OPTIONS.aoAlg,
  aoIsn: {
    ...SIGNATURE_OPTIONS.aoIsn,
    help:
      "TCP-AO: the initial sequence numbers of the sender and the receiver (a capture's SYNs give them)",
  },
  aoSne: SIGNATURE_OPTIONS.aoSne,
  aoExcludeOptions: SIGNATURE_OPTIONS.aoExcludeOptions,
});

/**
 * The key the signature-checking options give, or undefined.
 *
 * @param values The parsed options of {@linkcode CHECK_SIGNATURE_OPTIONS}.
 * @returns The signature to check with.
 * @throws {UsageError} For TCP-AO options without `--ao-key`, or both keys.
 *
 * @example
 * ```ts
 * import { signatureToCheck } from "./craft_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(signatureToCheck({}), undefined);
 * assert.equal(signatureToCheck({ md5Key: new Uint8Array([1]) })?.kind, "md5");
 * ```
 */
export function signatureToCheck(
  values: OptionValues<typeof CHECK_SIGNATURE_OPTIONS>,
): TcpSignature | undefined {
  return signatureOf(values, undefined);
}

/**
 * Apply the header and signature options to a packet model: typed IPv4
 * options, IPv6 extension headers (linked in front of what the model's
 * Next Header named), and a signature with its option.
 *
 * @param packet The packet the packet options made.
 * @param values The parsed crafting options (and `--ip-options`, `--data-offset`).
 * @returns The packet to encode.
 * @throws {UsageError} Naming the option at fault.
 *
 * @example
 * ```ts
 * import { craftPacket } from "./craft_options.ts";
 * import { decodePacket, encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = craftPacket(
 *   makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 179 }),
 *   { md5Key: new TextEncoder().encode("bgp"), ipOpt: [{ kind: "routerAlert", value: 0 }] },
 * );
 * const decoded = decodePacket(encodePacket(packet));
 * assert.deepEqual(decoded.tcp.options.map((o) => o.kind), ["nop", "nop", "md5"]);
 * assert.equal(decoded.ip.version === 4 && decoded.ip.options.length, 4);
 * ```
 */
export function craftPacket(
  packet: TcpPacket,
  values: CraftOptionValues,
): TcpPacket {
  let crafted = packet;
  if (values.ipOpt !== undefined) {
    crafted = ipv4Options(crafted, values.ipOpt, values);
  }
  if (values.ext !== undefined) {
    crafted = ipv6Extensions(crafted, values.ext);
  }
  const signature = signatureOf(values, crafted);
  if (signature === undefined) return crafted;
  const ids: { keyId?: number; rNextKeyId?: number } = {};
  if (values.aoKeyId !== undefined) ids.keyId = values.aoKeyId;
  if (values.aoRnextId !== undefined) ids.rNextKeyId = values.aoRnextId;
  crafted = withTcpSignature(crafted, signature, ids);
  const length = tcpOptionsLength(crafted.tcp.options);
  if (length > MAX_TCP_OPTIONS && values.dataOffset === undefined) {
    const key = signature.kind === "md5" ? "md5Key" : "aoKey";
    throw new UsageError(
      `${
        flag(key)
      }: the signature's option and the -o options take ${length} bytes, more than the ${MAX_TCP_OPTIONS} a TCP header holds`,
    );
  }
  return crafted;
}

/**
 * Whether the options need tcpcraft to write the IP header (typed IP
 * options, extension headers, fragments).
 *
 * @param values The parsed crafting options.
 * @returns True when the kernel must not write the IP header.
 *
 * @example
 * ```ts
 * import { needsOwnIpHeader } from "./craft_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(needsOwnIpHeader({ frag: 8 }), true);
 * assert.equal(needsOwnIpHeader({}), false);
 * ```
 */
export function needsOwnIpHeader(
  values: CraftOptionValues | FragmentOptionValues,
): boolean {
  return ("ipOpt" in values && values.ipOpt !== undefined) ||
    ("ext" in values && values.ext !== undefined) ||
    values.frag !== undefined || values.mtu !== undefined;
}
