/**
 * Where a scan writes its probes: per family, the send slots of the
 * network's fast path (`NetReceiver.openSendRing`: one `sendmmsg` per
 * batch, nothing built per probe), or slots of our own sent with the
 * receiver's `send`/`sendMany` (one call per run of probes to one
 * destination) where the network has no such ring (fakes, other hosts).
 * Each slot is prepared with the family's template once; a probe rewrites
 * only what changes.
 *
 * @module
 */

import { formatAddress } from "../../wire/address.ts";
import type { NetReceiver, NetSendRing } from "../../host/net.ts";
import type { ProbeTemplate } from "./template.ts";

/** A ring of our own on a receiver without one: its `send` and `sendMany`. */
function fallbackRing(
  receiver: NetReceiver,
  slots: number,
  slotBytes: number,
  family: 4 | 6,
): NetSendRing {
  const list = Array.from({ length: slots }, () => new Uint8Array(slotBytes));
  const dstAt = family === 4 ? 16 : 24;
  const dstEnd = dstAt + (family === 4 ? 4 : 16);
  const same = (a: Uint8Array, b: Uint8Array) => {
    for (let i = dstAt; i < dstEnd; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  return {
    slots: list,
    send(count, length) {
      let i = 0;
      while (i < count) {
        let j = i + 1;
        while (j < count && same(list[i]!, list[j]!)) j++;
        const destination = formatAddress(list[i]!.subarray(dstAt, dstEnd));
        if (j - i === 1) {
          receiver.send(list[i]!.subarray(0, length), destination);
        } else {
          receiver.sendMany(
            list.slice(i, j).map((slot) => slot.subarray(0, length)),
            destination,
          );
        }
        i = j;
      }
      return count;
    },
  };
}

/**
 * The send slots of one family; see the module documentation.
 *
 * @example Slots of our own on a receiver without a ring
 * ```ts
 * import { FamilySlots } from "./slots.ts";
 * import { ProbeTemplate } from "./template.ts";
 * import { decodePacket, TCP_FLAGS } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const sent: string[] = [];
 * const receiver = {
 *   send: (bytes: Uint8Array, to: string) => (sent.push(`${to}:${decodePacket(bytes).tcp.dstPort}`), 1),
 *   sendMany: () => 0,
 *   poll: () => Promise.resolve({ tcp: [], icmp: [] }),
 *   close() {},
 * };
 * const template = new ProbeTemplate(4, "192.0.2.42", 50000, TCP_FLAGS.syn);
 * const slots = new FamilySlots(receiver, template, 4);
 * template.writeV4(slots.next(), 0xc0000201, 80, 1, 0);
 * assert.equal(slots.flush(), 1);
 * assert.deepEqual(sent, ["192.0.2.1:80"]);
 * ```
 */
export class FamilySlots {
  /** The family's template. */
  readonly template: ProbeTemplate;
  /** Whether the slots are the network's ring (the fast path). */
  readonly fast: boolean;
  readonly #ring: NetSendRing;
  #count = 0;

  /**
   * Open the family's slots.
   *
   * @param receiver The family's receiver.
   * @param template The family's template.
   * @param slots How many (the most probes of one batch).
   */
  constructor(receiver: NetReceiver, template: ProbeTemplate, slots: number) {
    this.template = template;
    const open = receiver.openSendRing;
    this.fast = open !== undefined;
    this.#ring = open !== undefined
      ? open.call(receiver, { slots, slotBytes: template.length })
      : fallbackRing(receiver, slots, template.length, template.family);
    for (const slot of this.#ring.slots) template.prepare(slot);
  }

  /** Probes written since the last flush. */
  get count(): number {
    return this.#count;
  }

  /** The most probes a batch holds. */
  get capacity(): number {
    return this.#ring.slots.length;
  }

  /**
   * The next slot to write a probe into (it holds the template and the
   * last probe written there).
   *
   * @returns The slot.
   */
  next(): Uint8Array {
    return this.#ring.slots[this.#count++]!;
  }

  /**
   * The slot of the last probe written.
   *
   * @returns The slot.
   */
  last(): Uint8Array {
    return this.#ring.slots[this.#count - 1]!;
  }

  /**
   * Send the probes written since the last flush.
   *
   * @returns How many were sent.
   * @throws What the network throws (then none of them counts as sent).
   */
  flush(): number {
    const count = this.#count;
    this.#count = 0;
    if (count === 0) return 0;
    return this.#ring.send(count, this.template.length);
  }
}
