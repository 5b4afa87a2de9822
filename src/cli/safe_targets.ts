/**
 * Safe defaults for the commands that put packets on the wire (`send`,
 * `probe`, `trace`, `scan`): the destinations that reach many hosts, or no
 * host, are refused unless `--allow-broadcast` is given, and a scan of a
 * great many hosts needs `--yes`.
 *
 * Refused without `--allow-broadcast`:
 * - IPv4 `0.0.0.0/8` ("this network", RFC 1122; `0.0.0.0` is the
 *   unspecified address): it names no host;
 * - `255.255.255.255`, the limited broadcast address: every host on the link;
 * - `224.0.0.0/4`, multicast: every host that joined the group;
 * - the directed broadcast addresses of this host's own subnets, as its
 *   routing table lists them (`Net.broadcastAddresses`): every host of the
 *   subnet;
 * - IPv6 `::` (unspecified) and `ff00::/8` (multicast).
 *
 * The rule, for each destination the command line gives:
 * - an address given by itself, or a host name that resolves to one, is
 *   refused with one line that says why and how to go on:
 *   `Cannot send to 255.255.255.255: it is the limited broadcast address,
 *   which reaches every host on the link (give --allow-broadcast if that is
 *   what you want)`, exit 2, nothing opened or sent;
 * - `scan`: a block or range whose every address is refused (`224.0.0.0/24`)
 *   is refused the same way; one that merely holds refused addresses
 *   (`10.0.0.0/24` holding the `.255` of this host's subnet, `0.0.0.0/0`
 *   holding multicast) is scanned without them, as the blocklists of masscan
 *   and zmap leave them out, and a note on standard error says how many;
 * - `send --rand-dest`: a block that holds any refused address is refused,
 *   since a drawn destination may be one (Linux would refuse a broadcast
 *   one in the middle of the run);
 * - with `--allow-broadcast` nothing is refused, and the raw sockets get
 *   `SO_BROADCAST` (without it Linux refuses to send to a broadcast address:
 *   `EACCES`);
 * - dry runs follow the same rule, so that they show what the run would
 *   send; where the host cannot list its subnets (a dry run without
 *   `--allow-ffi`, a network without the list) only the fixed blocks above
 *   are known, and the kernel still refuses a directed broadcast without
 *   `SO_BROADCAST`.
 *
 * A scan of more than 65,536 addresses (`scan_size.ts`: hosts,
 * after exclusions, whatever the number of ports: masscan's and zmap's
 * count of targets) needs `--yes`, or an `--exclude-file` (a blocklist, as
 * zmap wants one); `--dry-run` needs neither, since it sends nothing.
 *
 * @module
 */

import {
  type AddressFamily,
  formatAddress,
  parseAddress,
} from "../wire/address.ts";
import { type Cidr, formatCidr } from "../wire/random_fields.ts";
import type { NetReceiverOptions, ReceiverNet } from "../host/net.ts";
import {
  type AddressRange,
  addressRangeSize,
  addressToBigInt,
  bigIntToAddress,
  subtractAddressRanges,
} from "../engine/targets.ts";
import { listWords, UsageError } from "./errors.ts";
import { groupDigits } from "./numbers.ts";
import type { CliHost } from "./host.ts";

/** Why a destination is refused without `--allow-broadcast`. */
export type RefusedKind =
  | "unspecified"
  | "this-network"
  | "limited-broadcast"
  | "multicast"
  | "directed-broadcast";

/** A block of refused addresses, and why. */
export interface RefusedRange {
  /** Why. */
  kind: RefusedKind;
  /** The addresses. */
  range: AddressRange;
}

/** What an address of each kind is, and what a packet to it does. */
const WORDS: Readonly<
  Record<
    RefusedKind,
    { what: string; effect: string; many: string; label: string }
  >
> = {
  unspecified: {
    what: "the unspecified address",
    effect: "which names no host",
    many: "the unspecified address",
    label: "the unspecified address",
  },
  "this-network": {
    what: 'an address of 0.0.0.0/8 ("this network")',
    effect: "which names no host",
    many: 'addresses of 0.0.0.0/8 ("this network")',
    label: '0.0.0.0/8 ("this network")',
  },
  "limited-broadcast": {
    what: "the limited broadcast address",
    effect: "which reaches every host on the link",
    many: "the limited broadcast address",
    label: "the limited broadcast address",
  },
  multicast: {
    what: "a multicast address",
    effect: "which reaches every host that joined its group",
    many: "multicast addresses",
    label: "multicast",
  },
  "directed-broadcast": {
    what: "the broadcast address of a subnet of this host",
    effect: "which reaches every host on that subnet",
    many: "broadcast addresses of this host's subnets",
    label: "broadcast addresses of this host's subnets",
  },
};

const GO_ON = "(give --allow-broadcast if that is what you want)";

const V6_MULTICAST = 0xffn << 120n;
const V6_LAST = (1n << 128n) - 1n;

/** The fixed blocks, most specific first (a lookup takes the first match). */
const FIXED: readonly RefusedRange[] = [
  { kind: "unspecified", range: { family: 4, first: 0n, last: 0n } },
  { kind: "this-network", range: { family: 4, first: 0n, last: 0xffffffn } },
  {
    kind: "limited-broadcast",
    range: { family: 4, first: 0xffffffffn, last: 0xffffffffn },
  },
  {
    kind: "multicast",
    range: { family: 4, first: 0xe0000000n, last: 0xefffffffn },
  },
  { kind: "unspecified", range: { family: 6, first: 0n, last: 0n } },
  {
    kind: "multicast",
    range: { family: 6, first: V6_MULTICAST, last: V6_LAST },
  },
];

/**
 * The addresses refused without `--allow-broadcast`: the fixed blocks and
 * the directed broadcast addresses given.
 *
 * @param broadcasts This host's subnets' broadcast addresses
 *   ({@linkcode hostBroadcasts}).
 * @returns The blocks, with why.
 *
 * @example
 * ```ts
 * import { refusedRanges } from "./safe_targets.ts";
 * import assert from "node:assert/strict";
 *
 * const ranges = refusedRanges(["10.9.0.255"]);
 * assert.deepEqual(ranges.at(-1), {
 *   kind: "directed-broadcast",
 *   range: { family: 4, first: 0x0a0900ffn, last: 0x0a0900ffn },
 * });
 * ```
 */
export function refusedRanges(
  broadcasts: readonly string[] = [],
): RefusedRange[] {
  const ranges = [...FIXED];
  for (const text of broadcasts) {
    const parsed = parseAddress(text);
    const value = addressToBigInt(parsed.bytes);
    ranges.push({
      kind: "directed-broadcast",
      range: { family: parsed.family, first: value, last: value },
    });
  }
  return ranges;
}

/**
 * Why an address is refused without `--allow-broadcast`, if it is.
 *
 * @param address An IPv4 or IPv6 address.
 * @param broadcasts This host's subnets' broadcast addresses.
 * @returns The reason, or undefined for an address that names one host.
 *
 * @example
 * ```ts
 * import { refusedKind } from "./safe_targets.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(refusedKind("255.255.255.255"), "limited-broadcast");
 * assert.equal(refusedKind("239.1.2.3"), "multicast");
 * assert.equal(refusedKind("0.1.2.3"), "this-network");
 * assert.equal(refusedKind("FF02::1"), "multicast");
 * assert.equal(refusedKind("10.9.0.255", ["10.9.0.255"]), "directed-broadcast");
 * assert.equal(refusedKind("10.9.0.255"), undefined);
 * ```
 */
export function refusedKind(
  address: string,
  broadcasts: readonly string[] = [],
): RefusedKind | undefined {
  const parsed = parseAddress(address);
  return kindAt(
    parsed.family,
    addressToBigInt(parsed.bytes),
    refusedRanges(broadcasts),
  );
}

function kindAt(
  family: AddressFamily,
  value: bigint,
  ranges: readonly RefusedRange[],
): RefusedKind | undefined {
  return ranges.find(({ range }) =>
    range.family === family && range.first <= value && value <= range.last
  )?.kind;
}

/**
 * The directed broadcast addresses of this host's own subnets, when the
 * host can list them without asking for a permission it lacks; none
 * otherwise (see the module documentation).
 *
 * @param host The host.
 * @returns The addresses, canonical text.
 *
 * @example
 * ```ts
 * import { hostBroadcasts } from "./safe_targets.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(hostBroadcasts(createMemoryHost()), []);
 * ```
 */
export function hostBroadcasts(host: CliHost): string[] {
  const net = host.net;
  if (net?.broadcastAddresses === undefined) return [];
  if ((host.missingPermissions?.([{ name: "ffi" }]) ?? []).length > 0) {
    return [];
  }
  try {
    return net.broadcastAddresses().map((text) =>
      formatAddress(parseAddress(text).bytes)
    );
  } catch {
    // The kernel still refuses a directed broadcast without SO_BROADCAST.
    return [];
  }
}

/** What a check of destinations needs to know. */
export interface DestinationCheck {
  /** The action, for messages: `send to`, `probe`, `scan`. */
  verb: string;
  /** `--allow-broadcast`: nothing is refused. */
  allowBroadcast: boolean;
  /** The host, for its subnets' broadcast addresses (IPv4 only). */
  host: CliHost;
  /**
   * This host's subnets' broadcast addresses, when already asked for
   * ({@linkcode hostBroadcasts}); else the host is asked when needed.
   */
  broadcasts?: readonly string[];
}

function addressText(value: bigint, family: AddressFamily): string {
  return formatAddress(bigIntToAddress(value, family));
}

/** The refusal of one address: `Cannot send to X: it is …`. */
function refusal(
  verb: string,
  shown: string,
  kind: RefusedKind,
): UsageError {
  const { what, effect } = WORDS[kind];
  return new UsageError(
    `Cannot ${verb} ${shown}: it is ${what}, ${effect} ${GO_ON}`,
  );
}

function rangesFor(
  check: DestinationCheck,
  families: readonly AddressFamily[],
): RefusedRange[] {
  return refusedRanges(
    families.includes(4) ? check.broadcasts ?? hostBroadcasts(check.host) : [],
  );
}

/**
 * Refuse one destination without `--allow-broadcast` (see the module
 * documentation).
 *
 * @param address The destination address.
 * @param name The host name it was resolved from, if it was.
 * @param check The action, `--allow-broadcast` and the host.
 * @throws {UsageError} `Cannot <verb> <address>: it is …` when refused.
 *
 * @example
 * ```ts
 * import { checkDestination } from "./safe_targets.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * assert.throws(
 *   () => checkDestination("255.255.255.255", undefined, { verb: "send to", allowBroadcast: false, host }),
 *   /^UsageError: Cannot send to 255\.255\.255\.255: it is the limited broadcast address, which reaches every host on the link \(give --allow-broadcast if that is what you want\)$/,
 * );
 * checkDestination("255.255.255.255", undefined, { verb: "send to", allowBroadcast: true, host });
 * checkDestination("192.0.2.1", undefined, { verb: "send to", allowBroadcast: false, host });
 * ```
 */
export function checkDestination(
  address: string,
  name: string | undefined,
  check: DestinationCheck,
): void {
  if (check.allowBroadcast) return;
  const parsed = parseAddress(address);
  const kind = kindAt(
    parsed.family,
    addressToBigInt(parsed.bytes),
    rangesFor(check, [parsed.family]),
  );
  if (kind === undefined) return;
  throw refusal(
    check.verb,
    name === undefined ? address : `${name} (${address})`,
    kind,
  );
}

/**
 * Refuse a block that destinations are drawn from (`send --rand-dest`)
 * when it holds any refused address, without `--allow-broadcast`.
 *
 * @param cidr The block.
 * @param check The action, `--allow-broadcast` and the host.
 * @throws {UsageError} `Cannot <verb> <block>: it holds <address>, …`.
 *
 * @example
 * ```ts
 * import { checkDrawnDestinations } from "./safe_targets.ts";
 * import { createMemoryHost } from "./host.ts";
 * import { parseCidr } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const check = { verb: "send to", allowBroadcast: false, host: createMemoryHost() };
 * assert.throws(
 *   () => checkDrawnDestinations(parseCidr("192.0.0.0/2"), check),
 *   /^UsageError: Cannot send to 192\.0\.0\.0\/2: it holds 224\.0\.0\.0, a multicast address, which reaches every host that joined its group, and a drawn destination may be it \(give --allow-broadcast/,
 * );
 * checkDrawnDestinations(parseCidr("10.0.0.0/8"), check);
 * ```
 */
export function checkDrawnDestinations(
  cidr: Cidr,
  check: DestinationCheck,
): void {
  if (check.allowBroadcast) return;
  const first = addressToBigInt(cidr.bytes);
  const bits = BigInt(cidr.family === 4 ? 32 : 128);
  const block: AddressRange = {
    family: cidr.family,
    first,
    last: first | ((1n << (bits - BigInt(cidr.prefix))) - 1n),
  };
  const text = formatCidr(cidr);
  const refused = rangesFor(check, [block.family]);
  const held = intersect([block], refused.map((r) => r.range))[0];
  if (held === undefined) return;
  const kind = kindAt(block.family, held.first, refused)!;
  throw new UsageError(
    `Cannot ${check.verb} ${text}: it holds ${
      addressText(held.first, block.family)
    }, ${WORDS[kind].what}, ${
      WORDS[kind].effect
    }, and a drawn destination may be it ${GO_ON}`,
  );
}

/** The addresses of `a` that are also in `b`, sorted and disjoint. */
function intersect(
  a: readonly AddressRange[],
  b: readonly AddressRange[],
): AddressRange[] {
  return subtractAddressRanges(a, subtractAddressRanges(a, b));
}

function sizeOf(ranges: readonly AddressRange[]): bigint {
  return ranges.reduce((sum, range) => sum + addressRangeSize(range), 0n);
}

/** One scan target as given and the addresses it stands for. */
export interface ScanTarget {
  /** The text as given (an address, block, range or host name). */
  text: string;
  /** Its addresses (for a name, the one it resolved to). */
  range: AddressRange;
  /** Whether the text is a host name. */
  name: boolean;
}

/**
 * Screen the targets of a scan (see the module documentation): a target
 * that is a refused address, or a block whose every address is refused,
 * stops the scan; the refused addresses inside the others are to be left
 * out.
 *
 * @param targets The targets.
 * @param check The action, `--allow-broadcast` and the host.
 * @returns The refused blocks to exclude (none with `--allow-broadcast`).
 * @throws {UsageError} For a target refused as a whole.
 *
 * @example
 * ```ts
 * import { screenScanTargets } from "./safe_targets.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const check = { verb: "scan", allowBroadcast: false, host: createMemoryHost() };
 * const block = (text: string, first: bigint, last: bigint) =>
 *   ({ text, range: { family: 4 as const, first, last }, name: false });
 * assert.throws(
 *   () => screenScanTargets([block("224.0.0.0/24", 0xe0000000n, 0xe00000ffn)], check),
 *   /^UsageError: Cannot scan 224\.0\.0\.0\/24: it holds only multicast addresses, which reach/,
 * );
 * const exclude = screenScanTargets([block("0.0.0.0/0", 0n, 0xffffffffn)], check);
 * assert.equal(exclude.length, 6);
 * assert.deepEqual(screenScanTargets([block("0.0.0.0/0", 0n, 0xffffffffn)], { ...check, allowBroadcast: true }), []);
 * ```
 */
export function screenScanTargets(
  targets: readonly ScanTarget[],
  check: DestinationCheck,
): AddressRange[] {
  if (check.allowBroadcast) return [];
  const families = [...new Set(targets.map((t) => t.range.family))];
  const refused = rangesFor(check, families);
  const blocks = refused.map((r) => r.range);
  for (const { text, range, name } of targets) {
    if (subtractAddressRanges([range], blocks).length > 0) continue;
    if (range.first === range.last) {
      const address = addressText(range.first, range.family);
      throw refusal(
        check.verb,
        name ? `${text} (${address})` : address,
        kindAt(range.family, range.first, refused)!,
      );
    }
    const kinds = new Set(
      refused.filter((r) => intersect([range], [r.range]).length > 0)
        .map((r) => r.kind),
    );
    // "unspecified" is inside "this network": name the block, not its first address.
    if (kinds.has("this-network")) kinds.delete("unspecified");
    const words = [...kinds].map((kind) => WORDS[kind]);
    throw new UsageError(
      `Cannot ${check.verb} ${text}: it holds only ${
        listWords(words.map((w) => w.many))
      }, ${
        words.length === 1
          ? `which ${plainEffect(words[0]!.effect)}`
          : "none of which names one host"
      } ${GO_ON}`,
    );
  }
  return blocks;
}

/** An effect said of many addresses: `reach every host…`, `name no host`. */
function plainEffect(effect: string): string {
  return effect.replace(/^which /, "").replace(/^reaches/, "reach")
    .replace(/^names/, "name").replace(/its group$/, "their group");
}

/**
 * The note a scan prints when it leaves refused addresses out of its
 * blocks and ranges, or none.
 *
 * @param kept The addresses to scan before the refused ones are taken out.
 * @param check The action, `--allow-broadcast` and the host.
 * @returns The line (without a newline), or undefined when none is left out.
 *
 * @example
 * ```ts
 * import { leftOutNote } from "./safe_targets.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const check = { verb: "scan", allowBroadcast: false, host: createMemoryHost() };
 * assert.equal(
 *   leftOutNote([{ family: 4, first: 0xdfffff00n, last: 0xe00000ffn }], check),
 *   "note: leaving out 256 addresses of TARGETS: multicast (--allow-broadcast scans them)",
 * );
 * assert.equal(leftOutNote([{ family: 4, first: 0x0a000000n, last: 0x0a0000ffn }], check), undefined);
 * ```
 */
export function leftOutNote(
  kept: readonly AddressRange[],
  check: DestinationCheck,
): string | undefined {
  if (check.allowBroadcast || kept.length === 0) return undefined;
  const families = [...new Set(kept.map((r) => r.family))];
  const refused = rangesFor(check, families);
  const out = intersect(kept, refused.map((r) => r.range));
  const count = sizeOf(out);
  if (count === 0n) return undefined;
  const first = out[0]!;
  if (count === 1n) {
    const kind = kindAt(first.family, first.first, refused)!;
    return `note: leaving out ${addressText(first.first, first.family)}, ${
      WORDS[kind].what
    } (--allow-broadcast scans it)`;
  }
  const kinds = new Set(
    refused.filter((r) => intersect(out, [r.range]).length > 0).map((r) =>
      r.kind
    ),
  );
  if (kinds.has("this-network")) kinds.delete("unspecified");
  return `note: leaving out ${groupDigits(count)} addresses of TARGETS: ${
    listWords([...kinds].map((kind) => WORDS[kind].label))
  } (--allow-broadcast scans them)`;
}

/**
 * A network whose receivers' TCP sockets may send to broadcast addresses
 * (`SO_BROADCAST`) and whose route lookups accept them: what
 * `--allow-broadcast` gives `probe` and `trace`.
 *
 * @param net The network.
 * @returns The same network, those two calls changed.
 *
 * @example
 * ```ts
 * import { allowingBroadcast } from "./safe_targets.ts";
 * import type { ReceiverNet } from "../host/net.ts";
 * import assert from "node:assert/strict";
 *
 * const asked: unknown[] = [];
 * const net = allowingBroadcast({
 *   routeSource: (_dst: string, options: unknown) => (asked.push(options), "192.0.2.42"),
 *   openReceiver: (_family: 4 | 6, options: unknown) => (asked.push(options), {}),
 * } as unknown as ReceiverNet);
 * net.routeSource("192.0.2.255");
 * net.openReceiver(4, { headerIncluded: true });
 * assert.deepEqual(asked, [{ broadcast: true }, { headerIncluded: true, broadcast: true }]);
 * ```
 */
export function allowingBroadcast(net: ReceiverNet): ReceiverNet {
  return {
    openRawSocket: (options) =>
      net.openRawSocket({ ...options, broadcast: true }),
    routeSource: (dst) => net.routeSource(dst, { broadcast: true }),
    resolveHost: (name, options) => net.resolveHost(name, options),
    wallClock: () => net.wallClock(),
    openReceiver: (family, options?: NetReceiverOptions) =>
      net.openReceiver(family, { ...options, broadcast: true }),
  };
}
