/**
 * The random and stepped field options ({@linkcode RANDOM_OPTIONS}) drawn
 * per packet, as `send` and `probe` take them (`build`'s one draw is
 * `randomFields` in `random_options.ts`).
 *
 * Decisions:
 * - `send` draws every field per packet, into one encoded packet patched in
 *   place (the send engine's `PacketSeries`): so not with `--frag`/`--mtu`
 *   (each packet is its fragments) nor a signature (`--md5-key`,
 *   `--ao-key`: it covers the whole segment), as `--sport-step` is not.
 * - A random source, destination or ID makes tcpcraft write the IP header;
 *   a random destination sends each packet to its own address, which `-I`
 *   (one next hop's hardware address for every frame) cannot.
 * - `probe` draws per probe what can still be answered: `--rand-sport`,
 *   `--rand-dport`, `-p ++N`/`--dport-step`, `--rand-seq`, `--rand-ack`,
 *   `--rand-id`. It refuses `--rand-source` (the replies would go to the
 *   drawn address) and `--rand-dest` (a probe run talks to one TARGET).
 * - IPv6 has no `--rand-id`: the IPv4 ID tells a datagram's fragments
 *   apart, and IPv6 carries an identification only in a Fragment header
 *   (`--frag-id`); the flow label names a flow (RFC 6437), and drawing it
 *   per packet would spray one flow across paths, which is not what an ID
 *   does. `--flow-label` sets it.
 * - A random field conflicts with its fixed option and with its step
 *   (`--rand-seq` with `--seq` and `--seq-step`); `--rand-dport` also with
 *   a port in TARGET.
 * - `--seed` seeds every random choice of the command (the drawn fields,
 *   the default source port and sequence number, fragment IDs and order),
 *   so a command line makes the same packets again.
 *
 * @module
 */

import { formatAddress } from "../wire/address.ts";
import type { TcpPacket } from "../wire/packet.ts";
import { finalDestinationBytes } from "../wire/pseudo_header.ts";
import {
  type Cidr,
  cryptoRandom,
  formatCidr,
  parseCidr,
  type RandomSource,
  SeededRandom,
} from "../wire/random_fields.ts";
import type { PacketSeriesOptions } from "../engine/send.ts";
import { UsageError } from "./errors.ts";
import type { RandomOptionValues } from "./random_options.ts";
import type { PacketTarget } from "./target.ts";

/** The values the per-packet options are read from (`send`'s and `probe`'s). */
export type PerPacketValues = RandomOptionValues & {
  sportStep?: number | undefined;
  seqStep?: number | undefined;
  frag?: unknown;
  mtu?: unknown;
  md5Key?: unknown;
  aoKey?: unknown;
  interface?: string | undefined;
  ipv4?: boolean | undefined;
  ipv6?: boolean | undefined;
};

/** The per-packet options, in the order their conflicts are checked: key, flag. */
const PER_PACKET = [
  ["randDest", "--rand-dest"],
  ["randSource", "--rand-source"],
  ["randSport", "--rand-sport"],
  ["randDport", "--rand-dport"],
  ["randSeq", "--rand-seq"],
  ["randAck", "--rand-ack"],
  ["randId", "--rand-id"],
  ["dportStep", "--dport-step"],
] as const;

/**
 * The flag of the first per-packet field given (`-p ++PORT` for a stepped
 * `-p`), or undefined when none is.
 *
 * @param values The parsed options.
 * @returns The flag, as it is written.
 *
 * @example
 * ```ts
 * import { perPacketFlag } from "./per_packet_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(perPacketFlag({ randSeq: true }), "--rand-seq");
 * assert.equal(perPacketFlag({ dport: { port: 80, step: 1 } }), "-p ++PORT");
 * assert.equal(perPacketFlag({}), undefined);
 * ```
 */
export function perPacketFlag(values: PerPacketValues): string | undefined {
  for (const [key, flag] of PER_PACKET) {
    const value = values[key];
    if (value !== undefined && value !== false) return flag;
  }
  return values.dport?.step === 1 ? "-p ++PORT" : undefined;
}

function conflict(random: string, fixed: string): never {
  throw new UsageError(`${random}: conflicts with ${fixed}; give one`);
}

/**
 * Check what the per-packet options say against the other options, before
 * TARGET is resolved: a random field with its fixed option or its step,
 * two steps of the destination port, and (for `send`) fragments, a
 * signature or `-I` where the fields cannot be drawn per packet.
 *
 * @param values The parsed options.
 * @param command Whose options they are.
 * @throws {UsageError} For each case, naming the options.
 *
 * @example
 * ```ts
 * import { checkPerPacketOptions } from "./per_packet_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => checkPerPacketOptions({ randSeq: true, seqStep: 1 }, "send"),
 *   /--rand-seq: conflicts with --seq-step; give one/,
 * );
 * ```
 */
export function checkPerPacketOptions(
  values: PerPacketValues,
  command: "send" | "probe",
): void {
  if (command === "probe") {
    if (values.randSource !== undefined) {
      throw new UsageError(
        "--rand-source: replies to a drawn source address go to that address, not back to probe; send --rand-source sends without waiting for them",
      );
    }
    if (values.randDest !== undefined) {
      throw new UsageError(
        "--rand-dest: probe talks to one TARGET; scan probes many (tcpcraft scan CIDR), send --rand-dest sends to drawn ones",
      );
    }
  }
  if (values.randSource !== undefined && values.src !== undefined) {
    conflict("--rand-source", "--src");
  }
  if (values.randSport) {
    if (values.sport !== undefined) conflict("--rand-sport", "--sport");
    if (values.sportStep !== undefined) {
      conflict("--rand-sport", "--sport-step");
    }
  }
  if (values.randDport) {
    if (values.dport !== undefined) conflict("--rand-dport", "--dport");
    if (values.dportStep !== undefined) {
      conflict("--rand-dport", "--dport-step");
    }
  }
  if (values.randSeq) {
    if (values.seq !== undefined) conflict("--rand-seq", "--seq");
    if (values.seqStep !== undefined) conflict("--rand-seq", "--seq-step");
  }
  if (values.randAck && values.ack !== undefined) {
    conflict("--rand-ack", "--ack");
  }
  if (values.randId && values.id !== undefined) conflict("--rand-id", "--id");
  if (values.dportStep !== undefined && values.dport?.step === 1) {
    conflict("--dport-step", "-p ++PORT");
  }
  if (command === "probe") return;
  const flag = perPacketFlag(values);
  if (flag === undefined) return;
  const fragmented = values.frag !== undefined || values.mtu !== undefined;
  if (fragmented || values.md5Key !== undefined || values.aoKey !== undefined) {
    throw new UsageError(
      `${flag}: per-packet fields are patched into one encoded packet, which ${
        fragmented ? "--frag sends as fragments" : "a signature covers whole"
      }; not with ${fragmented ? "--frag" : "--md5-key or --ao-key"} yet`,
    );
  }
  if (values.randDest !== undefined && values.interface !== undefined) {
    throw new UsageError(
      "--rand-dest: -I sends every frame to one next hop's hardware address; leave out -I (the kernel routes each drawn destination)",
    );
  }
}

/**
 * The destination with `--rand-dest`: the block stands for the address
 * (its first address until each packet's is drawn), TARGET (if given)
 * only gives the port, and must be of the block's family, as `-4`/`-6`.
 *
 * @param values The parsed options.
 * @param given TARGET resolved, or undefined when it was left out.
 * @param missing The message for a missing TARGET.
 * @returns The destination.
 * @throws {UsageError} Without TARGET and `--rand-dest`, or for a block of
 *   another family.
 *
 * @example
 * ```ts
 * import { perPacketTarget } from "./per_packet_options.ts";
 * import { parseCidr } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const target = perPacketTarget({ randDest: parseCidr("198.51.100.7/24") }, undefined, "missing TARGET");
 * assert.deepEqual(target, { text: "198.51.100.0/24", address: "198.51.100.0", family: 4 });
 * ```
 */
export function perPacketTarget(
  values: PerPacketValues,
  given: PacketTarget | undefined,
  missing: string,
): PacketTarget {
  const block = values.randDest;
  if (block === undefined) {
    if (given === undefined) throw new UsageError(missing);
    return given;
  }
  const wanted = values.ipv4 ? 4 : values.ipv6 ? 6 : given?.family;
  if (wanted !== undefined && block.family !== wanted) {
    throw new UsageError(
      `--rand-dest: ${
        formatCidr(block)
      } is IPv${block.family}, but the destination is IPv${wanted}`,
    );
  }
  return {
    text: formatCidr(block),
    address: formatAddress(block.bytes),
    family: block.family,
    ...(given?.port === undefined ? {} : { port: given.port }),
  };
}

/**
 * Check the per-packet options against the destination's family and port
 * (once TARGET is known).
 *
 * @param values The parsed options.
 * @param target The destination.
 * @throws {UsageError} For a `--rand-source` block of the other family,
 *   `--rand-id` to IPv6, `--rand-dport` with a port in TARGET.
 *
 * @example
 * ```ts
 * import { checkPerPacketTarget } from "./per_packet_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => checkPerPacketTarget({ randId: true }, { text: "2001:db8::1", address: "2001:db8::1", family: 6 }),
 *   /--rand-id: applies to IPv4 only/,
 * );
 * ```
 */
export function checkPerPacketTarget(
  values: PerPacketValues,
  target: PacketTarget,
): void {
  const source = values.randSource;
  if (source !== undefined && source !== "any") {
    if (source.family !== target.family) {
      throw new UsageError(
        `--rand-source: ${
          formatCidr(source)
        } is IPv${source.family}, but the destination is IPv${target.family}`,
      );
    }
  }
  if (values.randId && target.family === 6) {
    throw new UsageError(
      "--rand-id: applies to IPv4 only, and the destination is IPv6",
    );
  }
  if (values.randDport && target.port !== undefined) {
    conflict("--rand-dport", `the port in TARGET ${target.text}`);
  }
}

/**
 * Where the command's random choices come from: `--seed`'s sequence, or
 * crypto-strength values.
 *
 * @param values The parsed options.
 * @returns The source, and whether it is seeded.
 *
 * @example
 * ```ts
 * import { drawSource } from "./per_packet_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(drawSource({ seed: 7 }).random.next32(), drawSource({ seed: 7 }).random.next32());
 * assert.equal(drawSource({}).seeded, false);
 * ```
 */
export function drawSource(
  values: PerPacketValues,
): { random: RandomSource; seeded: boolean } {
  return values.seed === undefined
    ? { random: cryptoRandom(), seeded: false }
    : { random: new SeededRandom(values.seed), seeded: true };
}

/** The block `--rand-source` draws from: its CIDR, or all of the family. */
function sourceBlock(values: PerPacketValues, family: 4 | 6): Cidr | undefined {
  const source = values.randSource;
  if (source === undefined) return undefined;
  return source === "any"
    ? parseCidr(family === 4 ? "0.0.0.0/0" : "::/0")
    : source;
}

/**
 * The source address a template takes with `--rand-source` (each packet's
 * is drawn): the block's first address, so that no route is looked up.
 *
 * @param values The parsed options.
 * @param family The destination's family.
 * @returns The address, or undefined without `--rand-source`.
 *
 * @example
 * ```ts
 * import { templateSource } from "./per_packet_options.ts";
 * import { parseCidr } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(templateSource({ randSource: parseCidr("10.9.0.0/16") }, 4), "10.9.0.0");
 * assert.equal(templateSource({ randSource: "any" }, 6), "::");
 * ```
 */
export function templateSource(
  values: PerPacketValues,
  family: 4 | 6,
): string | undefined {
  const block = sourceBlock(values, family);
  return block === undefined ? undefined : formatAddress(block.bytes);
}

/**
 * Whether the per-packet options need tcpcraft to write the IP header: a
 * drawn source, destination or IPv4 ID.
 *
 * @param values The parsed options.
 * @returns Whether they do.
 *
 * @example
 * ```ts
 * import { perPacketNeedsIpHeader } from "./per_packet_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(perPacketNeedsIpHeader({ randId: true }), true);
 * assert.equal(perPacketNeedsIpHeader({ randSport: true }), false);
 * ```
 */
export function perPacketNeedsIpHeader(values: PerPacketValues): boolean {
  return values.randSource !== undefined || values.randDest !== undefined ||
    values.randId === true;
}

/**
 * The send engine's series options for the per-packet fields and steps.
 *
 * @param values The parsed options.
 * @param packet The first packet (its family, its source route).
 * @param random Where the draws come from.
 * @returns The options of `PacketSeries`.
 * @throws {UsageError} For `--rand-dest` where the TCP checksum covers a
 *   source route's or routing header's final destination.
 *
 * @example
 * ```ts
 * import { seriesOptions } from "./per_packet_options.ts";
 * import { makeTcpPacket, SeededRandom } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const random = new SeededRandom(1);
 * const packet = makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" });
 * const options = seriesOptions({ randSport: true, dport: { port: 80, step: 1 } }, packet, random);
 * assert.equal(options.randomSourcePort, true);
 * assert.equal(options.dportStep, 1);
 * ```
 */
export function seriesOptions(
  values: PerPacketValues,
  packet: TcpPacket,
  random: RandomSource,
): PacketSeriesOptions {
  if (
    values.randDest !== undefined && finalDestinationBytes(packet) !== undefined
  ) {
    throw new UsageError(
      "--rand-dest: the TCP checksum covers the final destination of the source route (or routing header), which a drawn destination leaves as it is; leave out one",
    );
  }
  const source = sourceBlock(values, packet.ip.version);
  return {
    sportStep: values.sportStep ?? 0,
    seqStep: values.seqStep ?? 0,
    dportStep: values.dportStep ?? values.dport?.step ?? 0,
    ...(source === undefined ? {} : { randomSource: source }),
    ...(values.randDest === undefined
      ? {}
      : { randomDestination: values.randDest }),
    randomSourcePort: values.randSport === true,
    randomDestinationPort: values.randDport === true,
    randomSeq: values.randSeq === true,
    randomAck: values.randAck === true,
    randomId: values.randId === true,
    random,
  };
}
