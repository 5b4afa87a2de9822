/**
 * The fragmentation options of `build`, `send` and `probe`: `--frag` and
 * `--mtu`, and the deliberate variants `--frag-order`, `--frag-overlap`,
 * `--frag-tiny`, `--frag-dup`, `--frag-drop-last`, `--frag-raw`, and
 * `--frag-id` for IPv6. {@linkcode datagramFragments} cuts a datagram as
 * they ask, after checking everything: a size that is not a multiple of 8
 * (unless `--frag-raw`), DF set, a `--frag-*` without `--frag` or `--mtu`,
 * a fragment number that does not exist are usage errors.
 *
 * @module
 */

import { decodeIp } from "../wire/packet_decode.ts";
import { encodePacket, type TcpPacket } from "../wire/packet.ts";
import {
  fragment,
  FRAGMENT_ORDERS,
  type FragmentOptions,
  type FragmentOrder,
} from "../wire/fragment.ts";
import type { RandomSource } from "../wire/random_fields.ts";
import {
  defineOptions,
  longName,
  type OptionSpec,
  type OptionValues,
} from "./args.ts";
import { plural, quote, UsageError, ValueError } from "./errors.ts";
import { parseInteger } from "./numbers.ts";

/** A fragment order as `--frag-order` takes it: a name, or fragment numbers from 1. */
function parseFragmentOrder(text: string): FragmentOrder {
  if ((FRAGMENT_ORDERS as readonly unknown[]).includes(text)) {
    return text as FragmentOrder;
  }
  if (!/^[0-9]+(,[0-9]+)*$/.test(text)) {
    throw new ValueError(
      `${
        quote(text)
      } is not in-order, reverse, random or a list of fragment numbers from 1 (3,1,2)`,
    );
  }
  return text.split(",").map((n) => {
    const number = parseInteger(n, { min: 1, max: 8192 });
    return number - 1;
  });
}

/** The fragmentation options. */
export const FRAGMENT_OPTIONS = defineOptions({
  frag: {
    kind: "number",
    min: 1,
    max: 0xffff,
    valueName: "SIZE",
    help:
      "send the datagram as IP fragments of SIZE data bytes (a multiple of 8)",
    group: "Fragments",
  },
  mtu: {
    kind: "number",
    min: 1,
    max: 0xffff,
    valueName: "BYTES",
    help:
      "send it as fragments of at most BYTES each, IP headers included (instead of --frag)",
    group: "Fragments",
  },
  fragOrder: {
    kind: "string",
    valueName: "ORDER",
    parse: parseFragmentOrder,
    help:
      "in-order | reverse | random | fragment numbers from 1, any left out or repeated: 3,1,2 (default in-order)",
    group: "Fragments",
  },
  fragOverlap: {
    kind: "string",
    choices: ["first", "last"],
    valueName: "POLICY",
    help:
      "add a decoy, every byte inverted, overlapping each fragment but the first: a target keeping the first (or last) copy of overlapping data sees the true packet",
    group: "Fragments",
  },
  fragTiny: {
    kind: "number",
    min: 1,
    max: 0xffff,
    valueName: "N",
    help:
      "the first fragment carries only N data bytes (8: the TCP ports and sequence number, the header split in two)",
    group: "Fragments",
  },
  fragDup: {
    kind: "number",
    min: 1,
    max: 8192,
    valueName: "N",
    help: "send fragment N (from 1) twice",
    group: "Fragments",
  },
  fragDropLast: {
    kind: "boolean",
    help: "leave out the last fragment: the datagram never completes",
    group: "Fragments",
  },
  fragRaw: {
    kind: "boolean",
    help:
      "allow a --frag or --frag-tiny size under 8 or not a multiple of 8 (offsets count 8 bytes: the fragments then overlap or leave gaps)",
    group: "Fragments",
  },
  fragId: {
    kind: "number",
    max: 0xffffffff,
    valueName: "N",
    help:
      "IPv6: the fragment header's identification (default 1; IPv4 fragments carry --id)",
    group: "Fragments",
  },
});

/** The values of {@linkcode FRAGMENT_OPTIONS}. */
export type FragmentOptionValues = OptionValues<typeof FRAGMENT_OPTIONS>;

function flag(key: keyof typeof FRAGMENT_OPTIONS): string {
  return `--${longName(key, FRAGMENT_OPTIONS[key] as OptionSpec)}`;
}

/** Which fragmentation option was given first, if any. */
const FRAGMENT_KEYS = [
  "fragOrder",
  "fragOverlap",
  "fragTiny",
  "fragDup",
  "fragDropLast",
  "fragRaw",
  "fragId",
] as const;

/** Check a fragment size against the rules of offsets. */
function checkSize(
  key: "frag" | "fragTiny",
  size: number,
  raw: boolean,
): void {
  if (!raw && (size < 8 || size % 8 !== 0)) {
    throw new UsageError(
      `${
        flag(key)
      }: ${size} is not a multiple of 8 bytes of at least 8 (fragment offsets count 8-byte units; ${
        flag("fragRaw")
      } sends it anyway)`,
    );
  }
}

/** The bytes each fragment repeats: the IP header (IPv6: the unfragmentable part and the fragment header). */
function fragmentHeaderLength(datagram: Uint8Array): number {
  const decoded = decodeIp(datagram, { lenient: true });
  if (decoded.ip.version === 4) return decoded.payloadOffset;
  const walked = decoded.extensionHeaders ?? [];
  let kept = walked.findLastIndex((h) => h.type === 43) + 1;
  if (kept === 0 && walked[0]?.type === 0) kept = 1;
  const last = walked[kept - 1];
  return (last === undefined ? 40 : last.offset + 2 + last.data.length) + 8;
}

/**
 * Refuse the options that shape fragments (`--frag-order`, `--frag-tiny`…)
 * when neither `--frag` nor `--mtu` asks for fragments: they would be
 * left out without a word.
 *
 * @param values The parsed crafting options.
 * @returns Whether the datagram is to be fragmented.
 * @throws {UsageError} For a fragment option without `--frag` or `--mtu`.
 *
 * @example
 * ```ts
 * import { checkFragmentOptions } from "./fragment_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkFragmentOptions({}), false);
 * assert.equal(checkFragmentOptions({ frag: 8, fragOrder: "reverse" }), true);
 * assert.throws(
 *   () => checkFragmentOptions({ fragOrder: "reverse" }),
 *   /^UsageError: --frag-order: needs --frag SIZE or --mtu BYTES$/,
 * );
 * ```
 */
export function checkFragmentOptions(values: FragmentOptionValues): boolean {
  if (values.frag !== undefined || values.mtu !== undefined) return true;
  const extra = FRAGMENT_KEYS.find((key) => values[key] !== undefined);
  if (extra !== undefined) {
    throw new UsageError(
      `${flag(extra)}: needs ${flag("frag")} SIZE or ${flag("mtu")} BYTES`,
    );
  }
  return false;
}

/** The options of `fragment()` the command line asks for, checked. */
function fragmentOptions(
  values: FragmentOptionValues,
  datagram: Uint8Array,
  random: RandomSource,
): FragmentOptions | undefined {
  const { ip } = decodeIp(datagram, { lenient: true });
  if (!checkFragmentOptions(values)) return undefined;
  const sizeKey = values.frag !== undefined ? "frag" : "mtu";
  if (values.frag !== undefined && values.mtu !== undefined) {
    throw new UsageError(
      `${flag("mtu")}: conflicts with ${flag("frag")}; give one`,
    );
  }
  if (ip.version === 4 && ip.dontFragment) {
    throw new UsageError(
      `${
        flag(sizeKey)
      }: the packet has DF set (--df), and a datagram with DF is never fragmented; leave out --df`,
    );
  }
  if (ip.version === 4 && values.fragId !== undefined) {
    throw new UsageError(
      `${flag("fragId")}: applies to IPv6 only (an IPv4 fragment carries --id)`,
    );
  }
  const raw = values.fragRaw === true;
  let size = values.frag;
  if (size === undefined) {
    const header = fragmentHeaderLength(datagram);
    size = Math.floor((values.mtu! - header) / 8) * 8;
    if (size < 8) {
      throw new UsageError(
        `${
          flag("mtu")
        }: ${values.mtu} bytes leave no room for 8 bytes of data after each fragment's ${header}-byte header`,
      );
    }
  }
  checkSize("frag", size, raw);
  const options: FragmentOptions = {
    size,
    raw,
    random: () => random.next32() / 0x1_0000_0000,
  };
  if (values.fragTiny !== undefined) {
    checkSize("fragTiny", values.fragTiny, raw);
    options.firstSize = values.fragTiny;
  }
  if (values.fragOrder !== undefined) options.order = values.fragOrder;
  if (values.fragOverlap !== undefined) {
    options.overlap = values.fragOverlap as "first" | "last";
  }
  if (values.fragDup !== undefined) options.duplicate = values.fragDup - 1;
  if (values.fragDropLast) options.dropLast = true;
  if (values.fragId !== undefined) options.id = values.fragId;
  return options;
}

/**
 * The datagrams of a crafted packet: its fragments, when `--frag` or
 * `--mtu` asks for them, else the packet alone.
 *
 * @param packet The packet (from {@linkcode craftPacket}).
 * @param values The parsed crafting options.
 * @param random Where a random fragment order draws from.
 * @returns The datagrams, in the order to send them.
 * @throws {UsageError} For fragmentation options that cannot be honoured.
 * @throws {RangeError} For a field the encoder refuses.
 *
 * @example
 * ```ts
 * import { craftDatagrams } from "./fragment_options.ts";
 * import { makeTcpPacket, SeededRandom } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packet = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * assert.equal(craftDatagrams(packet, { frag: 8 }, new SeededRandom(1)).length, 3);
 * assert.throws(
 *   () => craftDatagrams(packet, { frag: 12 }, new SeededRandom(1)),
 *   /--frag: 12 is not a multiple of 8 bytes/,
 * );
 * ```
 */
export function craftDatagrams(
  packet: TcpPacket,
  values: FragmentOptionValues,
  random: RandomSource,
): Uint8Array[] {
  return datagramFragments(encodePacket(packet), values, random);
}

/**
 * The fragments of a datagram the fragmentation options ask for, or the
 * datagram alone; see {@linkcode craftDatagrams}.
 *
 * @param datagram The datagram.
 * @param values The parsed crafting options.
 * @param random Where a random fragment order draws from.
 * @returns The datagrams, in the order to send them.
 * @throws {UsageError} For fragmentation options that cannot be honoured.
 *
 * @example
 * ```ts
 * import { datagramFragments } from "./fragment_options.ts";
 * import { encodePacket, makeTcpPacket, SeededRandom } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const datagram = encodePacket(makeTcpPacket({ src: "2001:db8::1", dst: "2001:db8::2" }));
 * assert.equal(datagramFragments(datagram, { mtu: 64 }, new SeededRandom(1)).length, 2);
 * ```
 */
export function datagramFragments(
  datagram: Uint8Array,
  values: FragmentOptionValues,
  random: RandomSource,
): Uint8Array[] {
  const options = fragmentOptions(values, datagram, random);
  if (options === undefined) return [datagram];
  const plain: FragmentOptions = { size: options.size };
  if (options.raw !== undefined) plain.raw = options.raw;
  if (options.firstSize !== undefined) plain.firstSize = options.firstSize;
  const count = fragment(datagram, plain).length;
  const missing = (n: number) =>
    `there is no fragment ${n + 1}: the datagram makes ${
      plural(count, "fragment")
    }`;
  if (options.duplicate !== undefined && options.duplicate >= count) {
    throw new UsageError(`${flag("fragDup")}: ${missing(options.duplicate)}`);
  }
  const order = options.order;
  const beyond = Array.isArray(order)
    ? order.find((i) => i >= count)
    : undefined;
  if (beyond !== undefined) {
    throw new UsageError(`${flag("fragOrder")}: ${missing(beyond)}`);
  }
  try {
    return fragment(datagram, options);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const key = error.message.includes("decoy")
      ? "fragOverlap"
      : error.message.includes("order")
      ? "fragOrder"
      : "frag";
    throw new UsageError(
      `${flag(key)}: ${error.message.replace(/^Cannot fragment: /, "")}`,
      { cause: error },
    );
  }
}
