/**
 * Random and stepped fields on the command line, as hping3 spells them:
 * `--rand-source [CIDR]`, `--rand-dest CIDR`, `--rand-sport`,
 * `--rand-dport`, `--rand-seq`, `--rand-ack`, `--rand-id`, `-p ++80` or
 * `--dport-step N`, and `--seed N` to draw the same values again.
 *
 * `build` takes them: its one packet takes one draw (and the first port of
 * a stepped series), made here by {@linkcode randomFields}. `send` draws
 * them per packet at flood speed (the send engine's `PacketSeries` patches
 * one encoded packet in place) and `probe` per probe, refusing
 * `--rand-source` and `--rand-dest`: see `per_packet_options.ts`.
 *
 * Decisions:
 * - Without `--seed`, values come from `crypto.getRandomValues`; with it,
 *   from `SeededRandom`, so the same command line makes the same packets.
 * - `--rand-source` alone draws from the whole of TARGET's family;
 *   `--rand-source CIDR` (or `=CIDR`) from the block, which must be of
 *   TARGET's family. `--rand-dest CIDR` draws the destination and takes
 *   the place of TARGET (a TARGET given with it only gives the port).
 * - A random field and its fixed option (`--rand-seq` and `--seq`) conflict.
 *
 * @module
 */

import { ParseError } from "../wire/errors.ts";
import {
  type Cidr,
  cryptoRandom,
  formatCidr,
  parseCidr,
  randomAddress,
  randomBits,
  randomPort,
  type RandomSource,
  SeededRandom,
} from "../wire/random_fields.ts";
import { defineOptions, type OptionValues } from "./args.ts";
import { quote, UsageError, ValueError } from "./errors.ts";
import { parseInteger } from "./numbers.ts";
import { PACKET_OPTIONS } from "./packet_options.ts";
import type { PacketTarget } from "./target.ts";

/** A destination port as `-p` takes it in `build`: `80`, or `++80` (one more per packet, as hping3). */
export interface PortValue {
  /** The first port. */
  port: number;
  /** What is added per packet (1 with `++`, else 0). */
  step: number;
}

/**
 * A parser of `-p` as `build`, `send` and `probe` take it: `80`, or `++80`
 * (one more per packet); hping3's `+80` (one more per reply) is refused,
 * saying why with `unseen` (`"building does not see"`).
 *
 * @param unseen Why the command does not step on replies.
 * @returns The parser.
 *
 * @example
 * ```ts
 * import { portValueParser } from "./random_options.ts";
 * import assert from "node:assert/strict";
 *
 * const parse = portValueParser("building does not see");
 * assert.deepEqual(parse("++80"), { port: 80, step: 1 });
 * assert.throws(() => parse("+80"), /which building does not see/);
 * ```
 */
export function portValueParser(unseen: string): (text: string) => PortValue {
  return (text) => {
    const stepped = text.startsWith("++");
    if (text.startsWith("+") && !stepped) {
      throw new ValueError(
        `${
          quote(text)
        }: hping3's +PORT steps on each reply, which ${unseen}; use ++PORT (one more per packet) or a port`,
      );
    }
    const port = parseInteger(stepped ? text.slice(2) : text, {
      max: 0xffff,
      noun: "a port",
    });
    return { port, step: stepped ? 1 : 0 };
  };
}

function parseBlock(text: string): Cidr {
  try {
    return parseCidr(text);
  } catch (error) {
    if (error instanceof ParseError) {
      throw new ValueError(`${quote(text)} is not a CIDR block (10.0.0.0/8)`);
    }
    throw error;
  }
}

/** The random and stepped field options (`build`'s; `send` and `probe` take them with their own help). */
export const RANDOM_OPTIONS = defineOptions({
  dport: {
    ...PACKET_OPTIONS.dport,
    kind: "string",
    valueName: "N",
    parse: portValueParser("building does not see"),
    help:
      "destination port (default 80, or the port in TARGET); ++N (as hping3): N, then one more per packet",
  },
  dportStep: {
    kind: "number",
    min: -0xffff,
    max: 0xffff,
    valueName: "N",
    help:
      "add N to the destination port for each packet (the first packet has -p's)",
    group: "Random and stepped fields",
  },
  randSource: {
    kind: "string",
    valueName: "[CIDR]",
    optionalValue: (next) => next.includes("/"),
    parse: (text: string): Cidr | "any" =>
      text === "" ? "any" : parseBlock(text),
    help:
      "a random source address, from CIDR (default: anywhere in TARGET's family)",
    group: "Random and stepped fields",
  },
  randDest: {
    kind: "string",
    valueName: "CIDR",
    parse: parseBlock,
    help: "a random destination address from CIDR, instead of TARGET's",
    group: "Random and stepped fields",
  },
  randSport: {
    kind: "boolean",
    help: "a random source port, 1024..65535",
    group: "Random and stepped fields",
  },
  randDport: {
    kind: "boolean",
    help: "a random destination port, 1..65535",
    group: "Random and stepped fields",
  },
  randSeq: {
    kind: "boolean",
    help: "a random sequence number",
    group: "Random and stepped fields",
  },
  randAck: {
    kind: "boolean",
    help: "a random acknowledgment number",
    group: "Random and stepped fields",
  },
  randId: {
    kind: "boolean",
    help: "IPv4: a random identification",
    group: "Random and stepped fields",
  },
  seed: {
    kind: "number",
    max: 0xffffffff,
    valueName: "N",
    help:
      "seed the random choices (fields, fragment order): the same seed makes the same packets",
    group: "Random and stepped fields",
  },
});

/** The values of {@linkcode RANDOM_OPTIONS}, with the fixed options they conflict with. */
export type RandomOptionValues = OptionValues<typeof RANDOM_OPTIONS> & {
  sport?: number | undefined;
  seq?: number | undefined;
  ack?: number | undefined;
  id?: number | undefined;
  src?: { address: string; family: 4 | 6 } | undefined;
};

/** What the random options make of the packet options and TARGET. */
export interface RandomFields {
  /** The packet options to use, random values drawn. */
  values: {
    src?: { address: string; family: 4 | 6 };
    sport?: number;
    dport?: number;
    seq?: number;
    ack?: number;
    id?: number;
  };
  /** The target, its address drawn with `--rand-dest`. */
  target: PacketTarget;
  /** Where the draws came from, for the other random choices of the command. */
  random: RandomSource;
}

function conflict(random: string, fixed: string): never {
  throw new UsageError(`--${random}: conflicts with --${fixed}; give one`);
}

function checkFamily(flag: string, block: Cidr, family: 4 | 6): void {
  if (block.family !== family) {
    throw new UsageError(
      `--${flag}: ${
        formatCidr(block)
      } is IPv${block.family}, but the destination is IPv${family}`,
    );
  }
}

/**
 * Draw the random fields the options ask for, and resolve the stepped
 * destination port to the first packet's.
 *
 * @param values The parsed options.
 * @param target TARGET, or undefined when `--rand-dest` stands for it.
 * @returns The packet option values to use, the target, the source of draws.
 * @throws {UsageError} For a random field given with its fixed option, a
 *   block of the wrong family, or no TARGET and no `--rand-dest`.
 *
 * @example The same seed draws the same packet
 * ```ts
 * import { randomFields, RANDOM_OPTIONS } from "./random_options.ts";
 * import { parseArgs } from "./args.ts";
 * import { parseTarget, targetAddress } from "./target.ts";
 * import assert from "node:assert/strict";
 *
 * const { values } = parseArgs(["--rand-source", "10.0.0.0/8", "--rand-seq", "--seed", "7"], RANDOM_OPTIONS);
 * const target = targetAddress(parseTarget("192.0.2.1"));
 * const a = randomFields(values, target);
 * const b = randomFields(values, target);
 * assert.deepEqual(a.values, b.values);
 * assert.ok(a.values.src?.address.startsWith("10."));
 * ```
 */
export function randomFields(
  values: RandomOptionValues,
  target: PacketTarget | undefined,
): RandomFields {
  const random = values.seed === undefined
    ? cryptoRandom()
    : new SeededRandom(values.seed);
  const out: RandomFields["values"] = {};
  let resolved = target;
  if (values.randDest !== undefined) {
    const block = values.randDest;
    if (target !== undefined) checkFamily("rand-dest", block, target.family);
    const address = randomAddress(block, random);
    resolved = {
      text: formatCidr(block),
      address,
      family: block.family,
      ...(target?.port === undefined ? {} : { port: target.port }),
    };
  }
  if (resolved === undefined) {
    throw new UsageError(
      "missing TARGET (an IPv4 or IPv6 address, not a host name; TARGET:PORT or [IPv6]:PORT also sets the port)",
    );
  }
  const family = resolved.family;
  if (values.randSource !== undefined) {
    if (values.src !== undefined) conflict("rand-source", "src");
    const block = values.randSource === "any"
      ? parseCidr(family === 4 ? "0.0.0.0/0" : "::/0")
      : values.randSource;
    checkFamily("rand-source", block, family);
    out.src = { address: randomAddress(block, random), family };
  } else if (values.src !== undefined) {
    out.src = values.src;
  }
  if (values.randSport) {
    if (values.sport !== undefined) conflict("rand-sport", "sport");
    out.sport = randomPort(random);
  } else if (values.sport !== undefined) out.sport = values.sport;
  if (values.randDport) {
    if (values.dport !== undefined) conflict("rand-dport", "dport");
    out.dport = randomPort(random, { min: 1 });
  } else if (values.dport !== undefined) out.dport = values.dport.port;
  if (values.randSeq) {
    if (values.seq !== undefined) conflict("rand-seq", "seq");
    out.seq = randomBits(random, 32);
  } else if (values.seq !== undefined) out.seq = values.seq;
  if (values.randAck) {
    if (values.ack !== undefined) conflict("rand-ack", "ack");
    out.ack = randomBits(random, 32);
  } else if (values.ack !== undefined) out.ack = values.ack;
  if (values.randId) {
    if (values.id !== undefined) conflict("rand-id", "id");
    if (family === 6) {
      throw new UsageError(
        `--rand-id: applies to IPv4 only, and the destination is IPv6`,
      );
    }
    out.id = randomBits(random, 16);
  } else if (values.id !== undefined) out.id = values.id;
  if (values.dportStep !== undefined && values.dport?.step === 1) {
    throw new UsageError("--dport-step: conflicts with -p ++PORT; give one");
  }
  return { values: out, target: resolved, random };
}
