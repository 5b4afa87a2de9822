/**
 * A scan's target space: every (address, port) pair of some address and
 * port ranges, numbered from 0 to `count - 1` without being materialised,
 * so a /8 is as cheap as one host; the pair at any index comes in
 * O(log ranges) time, which is what a permuted, sharded scan needs.
 *
 * @module
 */

import { type AddressFamily, formatAddress } from "../wire/address.ts";
import {
  type AddressRange,
  addressRangeSize,
  bigIntToAddress,
  mergeAddressRanges,
  mergePortRanges,
  type PortRange,
} from "./targets.ts";

/** The most (address, port) pairs a {@linkcode TargetSpace} may hold: 2^52. */
export const MAX_TARGET_SPACE = 2 ** 52;

/** A point of a {@linkcode TargetSpace}: one address and one port. */
export interface TargetPoint {
  /** The address, canonical text. */
  address: string;
  /** Its family. */
  family: AddressFamily;
  /** The port. */
  port: number;
  /** The address's index in the space (0..addressCount-1). */
  addressIndex: number;
}

/** The last range whose first index (`starts`, ascending, from 0) is at most `index`. */
function rangeContaining(starts: readonly number[], index: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (starts[mid]! <= index) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * Every (address, port) pair of a scan, numbered without being
 * materialised: index `i` is address `i mod addressCount` and port
 * `floor(i / addressCount)` (as masscan numbers them), so consecutive
 * indices are different hosts.
 *
 * @example
 * ```ts
 * import { parsePorts, TargetSpace } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const space = new TargetSpace(
 *   [{ family: 4, first: 0xc0000200n, last: 0xc0000201n }],
 *   parsePorts("22,80"),
 * );
 * assert.equal(space.count, 4);
 * assert.deepEqual(
 *   [0, 1, 2, 3].map((i) => `${space.at(i).address}:${space.at(i).port}`),
 *   ["192.0.2.0:22", "192.0.2.1:22", "192.0.2.0:80", "192.0.2.1:80"],
 * );
 * ```
 */
export class TargetSpace {
  /** The addresses: sorted, disjoint ranges. */
  readonly addresses: readonly AddressRange[];
  /** The ports: sorted, disjoint ranges. */
  readonly ports: readonly PortRange[];
  /** How many addresses. */
  readonly addressCount: number;
  /** How many ports. */
  readonly portCount: number;
  /** How many (address, port) pairs: `addressCount * portCount`. */
  readonly count: number;
  /** Addresses before each address range (for the binary search). */
  readonly #addressStarts: number[];
  readonly #portStarts: number[];

  /**
   * Make the space of some addresses and ports. Overlapping ranges are
   * merged, so no pair is counted twice.
   *
   * @param addresses The address ranges.
   * @param ports The port ranges.
   * @throws {RangeError} When the space holds more than
   *   {@linkcode MAX_TARGET_SPACE} pairs.
   */
  constructor(addresses: readonly AddressRange[], ports: readonly PortRange[]) {
    this.addresses = mergeAddressRanges(addresses);
    this.ports = mergePortRanges(ports);
    this.#addressStarts = [];
    let total = 0n;
    for (const range of this.addresses) {
      this.#addressStarts.push(Number(total));
      total += addressRangeSize(range);
    }
    this.#portStarts = [];
    let ports_ = 0;
    for (const range of this.ports) {
      this.#portStarts.push(ports_);
      ports_ += range.last - range.first + 1;
    }
    const pairs = total * BigInt(ports_);
    if (pairs > BigInt(MAX_TARGET_SPACE)) {
      throw new RangeError(
        `Cannot scan ${total} addresses × ${ports_} ports: ${pairs} probes, more than 2^52`,
      );
    }
    this.addressCount = Number(total);
    this.portCount = ports_;
    this.count = Number(pairs);
  }

  /** The families present, IPv4 first. */
  get families(): AddressFamily[] {
    return [...new Set(this.addresses.map((range) => range.family))];
  }

  #addressRange(index: number): { range: AddressRange; offset: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.addressCount) {
      throw new RangeError(
        `Cannot read target address: index ${index} is not in 0..${
          this.addressCount - 1
        }`,
      );
    }
    const starts = this.#addressStarts;
    const low = rangeContaining(starts, index);
    return { range: this.addresses[low]!, offset: index - starts[low]! };
  }

  /**
   * The address at an index.
   *
   * @param index 0..addressCount-1.
   * @returns Its family and bytes.
   */
  addressBytesAt(index: number): { family: AddressFamily; bytes: Uint8Array } {
    const { range, offset } = this.#addressRange(index);
    if (range.family === 4) {
      const value = Number(range.first) + offset;
      return {
        family: 4,
        bytes: new Uint8Array([
          value >>> 24,
          (value >>> 16) & 0xff,
          (value >>> 8) & 0xff,
          value & 0xff,
        ]),
      };
    }
    return {
      family: 6,
      bytes: bigIntToAddress(range.first + BigInt(offset), 6),
    };
  }

  /**
   * The address at an index, as canonical text.
   *
   * @param index 0..addressCount-1.
   * @returns The address.
   */
  addressAt(index: number): string {
    return formatAddress(this.addressBytesAt(index).bytes);
  }

  /**
   * The port at an index.
   *
   * @param index 0..portCount-1.
   * @returns The port.
   */
  portAt(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.portCount) {
      throw new RangeError(
        `Cannot read target port: index ${index} is not in 0..${
          this.portCount - 1
        }`,
      );
    }
    const starts = this.#portStarts;
    const low = rangeContaining(starts, index);
    return this.ports[low]!.first + index - starts[low]!;
  }

  /**
   * The pair at an index.
   *
   * @param index 0..count-1.
   * @returns The address, its family, the port and the address's index.
   * @throws {RangeError} For an index out of range.
   */
  at(index: number): TargetPoint {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(
        `Cannot read target space: index ${index} is not in 0..${
          this.count - 1
        }`,
      );
    }
    const addressIndex = index % this.addressCount;
    const { family, bytes } = this.addressBytesAt(addressIndex);
    return {
      address: formatAddress(bytes),
      family,
      port: this.portAt(Math.floor(index / this.addressCount)),
      addressIndex,
    };
  }
}
