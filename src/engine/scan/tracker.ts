/**
 * The scan engine's per-probe state: the ports being probed, the tries of
 * each waiting for an answer (in a `ReplyMatcher`), their deadlines in send
 * order, and the ports due for another try. The send loop asks it what to
 * send next and tells it what was sent; the receive loops ask it whose
 * reply a packet is; both tell it when a port is decided.
 *
 * @module
 */

import type { AddressFamily } from "../../wire/address.ts";
import { type Probe, type Reply, ReplyMatcher } from "../reply_match.ts";

/** A port being probed. */
export interface PortRecord {
  /** Its index in the target space. */
  index: number;
  /** Its address's index in the target space (for sorting results). */
  addressIndex: number;
  /** The address, canonical text. */
  address: string;
  /** The address's bytes. */
  addressBytes: Uint8Array;
  /** 4 or 6. */
  family: AddressFamily;
  /** The port. */
  port: number;
  /** Tries sent so far. */
  tries: number;
  /** The matcher ids of its tries. */
  probeIds: number[];
  /** The clock's time after which the last try counts as unanswered. */
  deadline: number;
  /** Whether it is decided. */
  done: boolean;
}

/** A reply, and the port it decides (if that port is still waiting). */
export interface TrackedReply {
  /** The reply. */
  reply: Reply;
  /** The port, when it is still waiting. */
  record: PortRecord | undefined;
}

/** Queues compact once this many entries at their head are spent. */
const COMPACT_AFTER = 4096;

/**
 * The ports under way; see the module documentation.
 *
 * @example
 * ```ts
 * import { ProbeTracker, type PortRecord } from "./tracker.ts";
 * import assert from "node:assert/strict";
 *
 * const tracker = new ProbeTracker();
 * const record: PortRecord = {
 *   index: 0, addressIndex: 0, address: "192.0.2.1", addressBytes: new Uint8Array([192, 0, 2, 1]),
 *   family: 4, port: 80, tries: 0, probeIds: [], deadline: 0, done: false,
 * };
 * assert.equal(tracker.next(() => record), record);
 * tracker.sent(record, {
 *   id: tracker.nextId(), family: 4, src: "192.0.2.42", dst: "192.0.2.1", srcPort: 50000,
 *   dstPort: 80, seq: 1, ack: 0, flags: 2, payloadLength: 0, sentAt: 0,
 * }, 1000);
 * const again: PortRecord[] = [];
 * tracker.expire(1000, 1, (r) => again.push(r));
 * assert.deepEqual(again, []);
 * assert.equal(tracker.next(() => undefined), record); // the retry
 * ```
 */
export class ProbeTracker {
  readonly #matcher = new ReplyMatcher();
  readonly #byProbe = new Map<number, PortRecord>();
  /** Records waiting for their deadline, in send order (deadlines ascend). */
  #waiting: PortRecord[] = [];
  #waitingHead = 0;
  #retries: PortRecord[] = [];
  #retryHead = 0;
  #pending = 0;
  #nextId = 1;

  /** Ports started and not decided. */
  get pending(): number {
    return this.#pending;
  }

  /** Ports due for another try and not sent yet. */
  get retriesDue(): number {
    return this.#retries.length - this.#retryHead;
  }

  /**
   * A number for the next probe, unique in the scan.
   *
   * @returns The number.
   */
  nextId(): number {
    return this.#nextId++;
  }

  /**
   * Settle the tries past their deadline: ports with tries left are due
   * again, the others are given up through `giveUp`.
   *
   * @param now The clock's time.
   * @param retries How many times an unanswered probe is sent again.
   * @param giveUp Called for each port out of tries.
   */
  expire(
    now: number,
    retries: number,
    giveUp: (record: PortRecord) => void,
  ): void {
    const waiting = this.#waiting;
    while (this.#waitingHead < waiting.length) {
      const record = waiting[this.#waitingHead]!;
      if (record.done) {
        this.#waitingHead++;
        continue;
      }
      if (record.deadline > now) break;
      this.#waitingHead++;
      if (record.tries <= retries) this.#retries.push(record);
      else giveUp(record);
    }
    if (
      this.#waitingHead > COMPACT_AFTER &&
      this.#waitingHead * 2 > waiting.length
    ) {
      waiting.splice(0, this.#waitingHead);
      this.#waitingHead = 0;
    }
    if (
      this.#retryHead > COMPACT_AFTER &&
      this.#retryHead * 2 > this.#retries.length
    ) {
      this.#retries.splice(0, this.#retryHead);
      this.#retryHead = 0;
    }
  }

  /**
   * The next port to send a try to: one due again first, else a new one
   * from `fresh` (which then counts as started).
   *
   * @param fresh Gives the next new port, or undefined when there is none.
   * @returns The port, or undefined when nothing is to be sent.
   */
  next(fresh: () => PortRecord | undefined): PortRecord | undefined {
    while (this.#retryHead < this.#retries.length) {
      const candidate = this.#retries[this.#retryHead++]!;
      if (!candidate.done) return candidate;
    }
    const record = fresh();
    if (record !== undefined) this.#pending++;
    return record;
  }

  /**
   * A try of a port was made: wait for its replies until `deadline`.
   *
   * @param record The port.
   * @param probe The try, as sent.
   * @param deadline When it counts as unanswered.
   */
  sent(record: PortRecord, probe: Probe, deadline: number): void {
    this.#matcher.add(probe);
    this.#byProbe.set(probe.id, record);
    record.probeIds.push(probe.id);
    record.tries++;
    record.deadline = deadline;
    this.#waiting.push(record);
  }

  /**
   * Whose reply a TCP segment is.
   *
   * @param bytes The datagram.
   * @param receivedAt When it arrived, epoch ms.
   * @returns The reply and its port, or undefined when it answers no try.
   */
  matchTcp(bytes: Uint8Array, receivedAt: number): TrackedReply | undefined {
    return this.#tracked(this.#matcher.matchTcp(bytes, receivedAt));
  }

  /**
   * Whose try an ICMP error is about.
   *
   * @param bytes The datagram.
   * @param receivedAt When it arrived, epoch ms.
   * @param family The ICMP socket's family.
   * @returns The reply and its port, or undefined when it is about no try.
   */
  matchIcmp(
    bytes: Uint8Array,
    receivedAt: number,
    family: AddressFamily,
  ): TrackedReply | undefined {
    return this.#tracked(this.#matcher.matchIcmp(bytes, receivedAt, family));
  }

  #tracked(reply: Reply | undefined): TrackedReply | undefined {
    if (reply === undefined) return undefined;
    const record = this.#byProbe.get(reply.probe.id);
    return { reply, record: record?.done === false ? record : undefined };
  }

  /**
   * A port is decided: forget its tries.
   *
   * @param record The port.
   */
  finish(record: PortRecord): void {
    record.done = true;
    this.#pending--;
    for (const id of record.probeIds) {
      this.#matcher.remove(id);
      this.#byProbe.delete(id);
    }
  }

  /**
   * The deadline of the oldest try still waiting.
   *
   * @returns The clock's time, or undefined when none waits.
   */
  nextDeadline(): number | undefined {
    for (let i = this.#waitingHead; i < this.#waiting.length; i++) {
      if (!this.#waiting[i]!.done) return this.#waiting[i]!.deadline;
    }
    return undefined;
  }
}
