/**
 * What the commands that hold a conversation with one destination (`probe`
 * and `trace`) do before the conversation engine runs: check that the host
 * can (Linux, raw network access, a receiver), resolve TARGET, find the
 * source the kernel routes from, build the packet model from the packet
 * options, and open the conversation and the `--pcap` capture in the order
 * that leaves nothing behind when one of them fails.
 *
 * @module
 */

import { formatAddress, parseAddress } from "../wire/address.ts";
import { encodePacket, type TcpPacket } from "../wire/packet.ts";
import type { ReceiverNet } from "../host/net.ts";
import { Conversation } from "../engine/conversation.ts";
import {
  type CaptureOutput,
  checkCaptureOutput,
  openCaptureOutput,
} from "./capture_output.ts";
import { CliError, reasonOf } from "./errors.ts";
import type { CliHost } from "./host.ts";
import { packetFromOptions } from "./packet_options.ts";
import {
  isPermissionMessage,
  permissionsFor,
  requirePermissions,
} from "./permissions.ts";
import { dropPrivileges } from "./privileges.ts";
import { allowingBroadcast, checkDestination } from "./safe_targets.ts";
import {
  type FamilySwitches,
  type PacketTarget,
  parseTarget,
  resolvePacketTarget,
  routeReason,
} from "./target.ts";

/**
 * A duration in milliseconds as the lines of `probe` and `trace` write
 * it: three decimals.
 *
 * @param ms Milliseconds.
 * @returns The number as text, without the unit.
 *
 * @example
 * ```ts
 * import { formatMs } from "./probing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatMs(0.0414), "0.041");
 * assert.equal(formatMs(12), "12.000");
 * ```
 */
export function formatMs(ms: number): string {
  return ms.toFixed(3);
}

/**
 * Check that raw TCP conversations can work on this host: Linux, with raw
 * network access and a receiver.
 *
 * @param host The host.
 * @param what The action, for messages (`"probe"`).
 * @returns The host's network access, with `openReceiver`.
 * @throws {CliError} Naming what is missing.
 *
 * @example
 * ```ts
 * import { requireReceiverNet } from "./probing.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => requireReceiverNet(createMemoryHost(), "probe"),
 *   /Cannot probe: this host has no raw network access/,
 * );
 * ```
 */
export function requireReceiverNet(host: CliHost, what: string): ReceiverNet {
  if (host.os === "windows") {
    throw new CliError(
      `Cannot ${what}: Windows does not allow raw TCP sockets; use Linux or WSL`,
    );
  }
  if (host.os === "darwin") {
    throw new CliError(
      `Cannot ${what}: macOS does not deliver TCP packets to raw sockets, so replies cannot be read; use Linux`,
    );
  }
  const net = host.net;
  if (net === undefined || net.openReceiver === undefined) {
    throw new CliError(`Cannot ${what}: this host has no raw network access`);
  }
  return net as ReceiverNet;
}

/**
 * Everything a probing command knows before it opens anything: the
 * target, the packet model (source routed unless `--src`) and the network
 * access with a receiver.
 */
export interface PreparedConversation {
  /** The destination. */
  target: PacketTarget;
  /** The packet the options describe (probe 0's fields before numbering). */
  base: TcpPacket;
  /** The network access. */
  net: ReceiverNet;
}

/**
 * Prepare a conversation: check the host, resolve TARGET, refuse a
 * broadcast, multicast or unspecified one without `allowBroadcast`
 * (`safe_targets.ts`; with it the receiver's socket gets `SO_BROADCAST`),
 * find the source address and build the packet from the options, checking
 * them all.
 * Nothing is opened, so bad input stops the command before anything
 * happens.
 *
 * @param text TARGET.
 * @param values The parsed options.
 * @param host The host.
 * @param what The action, for messages.
 * @returns The conversation, prepared.
 * @throws {UsageError} For bad input.
 * @throws {CliError} When the host cannot do it, or there is no route.
 *
 * @example
 * ```ts
 * import { prepareConversation } from "./probing.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   prepareConversation("192.0.2.1", {}, createMemoryHost(), "probe"),
 *   /Cannot probe: this host has no raw network access/,
 * );
 * ```
 */
export async function prepareConversation(
  text: string,
  values:
    & Parameters<typeof packetFromOptions>[0]
    & FamilySwitches
    & { allowBroadcast?: boolean | undefined },
  host: CliHost,
  what: string,
): Promise<PreparedConversation> {
  const allowBroadcast = values.allowBroadcast === true;
  const given = requireReceiverNet(host, what);
  const net = allowBroadcast ? allowingBroadcast(given) : given;
  requirePermissions(
    host,
    `Cannot ${what}`,
    permissionsFor(values as Record<string, unknown>, { ffi: true }),
  );
  const target = await resolvePacketTarget(
    text,
    values,
    () => (name, options) => net.resolveHost(name, options),
  );
  const parsed = parseTarget(text, { names: true });
  checkDestination(
    target.address,
    parsed.family === undefined ? parsed.host : undefined,
    { verb: what, allowBroadcast, host },
  );
  let routed: string;
  try {
    routed = formatAddress(
      parseAddress(net.routeSource(target.address)).bytes,
    );
  } catch (error) {
    if (isPermissionMessage(error)) {
      throw new CliError(error.message, { cause: error });
    }
    throw new CliError(
      `Cannot ${what} ${target.address}: ${routeReason(error, target.address)}`,
      { cause: error },
    );
  }
  const base = await packetFromOptions(values, target, {
    host,
    defaultSrc: routed,
  });
  try {
    encodePacket(base);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new CliError(reasonOf(error), { cause: error });
    }
    throw error;
  }
  return { target, base, net };
}

/** What {@linkcode openConversation} opened; close both when done. */
export interface OpenedConversation {
  /** The conversation (its receiver open). */
  conversation: Conversation;
  /** The `--pcap` capture file, when one was asked for. */
  capture: CaptureOutput | undefined;
}

/**
 * Open what a prepared conversation needs: the conversation's receiver,
 * then the `--pcap` capture file, so that a receiver we may not open (no
 * privilege) leaves no empty capture behind; a path that cannot be written
 * is still exit 2 with nothing sent, and the receiver is closed again.
 * Then the process gives up its privileges (`privileges.ts`): nothing has
 * been sent or read yet.
 *
 * @param prepared The prepared conversation.
 * @param host The host, for the capture file.
 * @param pcap The `--pcap` file, if any.
 * @returns The conversation and the capture file.
 *
 * @example
 * ```ts
 * import { openConversation, type PreparedConversation } from "./probing.ts";
 * import { createMemoryHost } from "./host.ts";
 * import { makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const prepared = {
 *   base: makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1" }),
 *   net: { openReceiver: () => { throw new Error("no raw sockets"); } },
 * } as unknown as PreparedConversation;
 * const host = createMemoryHost();
 * await assert.rejects(openConversation(prepared, host, "out.pcap"), /no raw sockets/);
 * // The receiver is opened first: a refused one leaves no capture behind.
 * await assert.rejects(host.readFile("out.pcap"), /no such file/);
 * ```
 */
export async function openConversation(
  prepared: PreparedConversation,
  host: CliHost,
  pcap: string | undefined,
): Promise<OpenedConversation> {
  if (pcap !== undefined) checkCaptureOutput(host, pcap);
  const conversation = Conversation.open(prepared.net, {
    base: prepared.base,
  });
  let capture: CaptureOutput | undefined;
  try {
    capture = pcap === undefined
      ? undefined
      : await openCaptureOutput(host, pcap);
    dropPrivileges(host);
  } catch (error) {
    conversation.close();
    await capture?.close();
    throw error;
  }
  return { conversation, capture };
}
