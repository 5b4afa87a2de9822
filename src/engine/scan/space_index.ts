/**
 * The scan's target space as numbers, both ways, without allocating: the
 * address and port of an index (to write a probe), and the index of an
 * address and port (to place a reply). `TargetSpace` numbers the space
 * (index `i` is address `i mod addressCount`, port
 * `floor(i / addressCount)`); this module reads its ranges into typed
 * arrays once. IPv4 addresses are 32-bit numbers; IPv6 addresses are bytes.
 *
 * @module
 */

import { type AddressFamily, formatAddress } from "../../wire/address.ts";
import type { TargetSpace } from "../target_space.ts";

/**
 * Addresses and ports of a space by index, and back; see the module
 * documentation.
 *
 * @example
 * ```ts
 * import { SpaceIndex } from "./space_index.ts";
 * import { parsePorts, TargetSpace } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const space = new TargetSpace(
 *   [{ family: 4, first: 0xc0000201n, last: 0xc0000202n }],
 *   parsePorts("22,80-81"),
 * );
 * const index = new SpaceIndex(space);
 * assert.equal(index.v4At(1), 0xc0000202);
 * assert.equal(index.portAt(2), 81);
 * assert.equal(index.addressIndexOfV4(0xc0000202), 1);
 * assert.equal(index.portIndexOf(80), 1);
 * assert.equal(index.portIndexOf(23), -1);
 * ```
 */
export class SpaceIndex {
  /** How many addresses. */
  readonly addressCount: number;
  /** How many ports. */
  readonly portCount: number;
  /** The port of each port index. */
  readonly #ports: Uint16Array;
  /** The port index of each port, -1 when it is not scanned. */
  readonly #portIndex: Int32Array;
  /** Per address range: its first address index. */
  readonly #starts: number[] = [];
  /** Per address range: 4 or 6. */
  readonly #families: AddressFamily[] = [];
  /** Per IPv4 range: first and last address as numbers (NaN for IPv6 ranges). */
  readonly #v4First: number[] = [];
  readonly #v4Last: number[] = [];
  /** Per IPv6 range: first and last address (0n for IPv4 ranges). */
  readonly #v6First: bigint[] = [];
  readonly #v6Last: bigint[] = [];
  /** The text of the addresses seen last (at most 4096 kept). */
  readonly #texts = new Map<number, string>();
  /** How many IPv4 ranges (they come first). */
  readonly #v4Count: number;

  /**
   * Read a space's ranges.
   *
   * @param space The target space.
   */
  constructor(space: TargetSpace) {
    this.addressCount = space.addressCount;
    this.portCount = space.portCount;
    this.#ports = new Uint16Array(space.portCount);
    this.#portIndex = new Int32Array(65536).fill(-1);
    let i = 0;
    for (const range of space.ports) {
      for (let port = range.first; port <= range.last; port++) {
        this.#ports[i] = port;
        this.#portIndex[port] = i++;
      }
    }
    let start = 0;
    for (const range of space.addresses) {
      this.#starts.push(start);
      this.#families.push(range.family);
      const v4 = range.family === 4;
      this.#v4First.push(v4 ? Number(range.first) : NaN);
      this.#v4Last.push(v4 ? Number(range.last) : NaN);
      this.#v6First.push(v4 ? 0n : range.first);
      this.#v6Last.push(v4 ? 0n : range.last);
      start += Number(range.last - range.first) + 1;
    }
    this.#v4Count = this.#families.filter((f) => f === 4).length;
    if (this.#families.slice(0, this.#v4Count).some((f) => f !== 4)) {
      throw new RangeError(
        "Cannot index target space: IPv4 ranges must come first",
      );
    }
  }

  /** The range holding an address index. */
  #range(addressIndex: number): number {
    const starts = this.#starts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (starts[mid]! <= addressIndex) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /**
   * The family of the address at an index.
   *
   * @param addressIndex 0..addressCount-1.
   * @returns 4 or 6.
   */
  familyAt(addressIndex: number): AddressFamily {
    return this.#families[this.#range(addressIndex)]!;
  }

  /**
   * The IPv4 address at an index, as a 32-bit number.
   *
   * @param addressIndex An index of an IPv4 address.
   * @returns The address.
   */
  v4At(addressIndex: number): number {
    const r = this.#range(addressIndex);
    return this.#v4First[r]! + addressIndex - this.#starts[r]!;
  }

  /**
   * Write the IPv6 address at an index into `target` at `offset`.
   *
   * @param addressIndex An index of an IPv6 address.
   * @param target Where the 16 bytes go.
   * @param offset Where they start.
   */
  v6Into(addressIndex: number, target: Uint8Array, offset: number): void {
    const r = this.#range(addressIndex);
    let value = this.#v6First[r]! + BigInt(addressIndex - this.#starts[r]!);
    for (let i = 15; i >= 0; i--) {
      target[offset + i] = Number(value & 0xffn);
      value >>= 8n;
    }
  }

  /**
   * The canonical text of the address at an index (the last 4096 are kept).
   *
   * @param addressIndex 0..addressCount-1.
   * @returns The text.
   */
  addressText(addressIndex: number): string {
    let text = this.#texts.get(addressIndex);
    if (text !== undefined) return text;
    if (this.#texts.size >= 4096) this.#texts.clear();
    if (this.familyAt(addressIndex) === 4) {
      const v = this.v4At(addressIndex);
      text = `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
    } else {
      const bytes = new Uint8Array(16);
      this.v6Into(addressIndex, bytes, 0);
      text = formatAddress(bytes);
    }
    this.#texts.set(addressIndex, text);
    return text;
  }

  /**
   * The port at a port index.
   *
   * @param portIndex 0..portCount-1.
   * @returns The port.
   */
  portAt(portIndex: number): number {
    return this.#ports[portIndex]!;
  }

  /**
   * The port index of a port.
   *
   * @param port 0..65535.
   * @returns Its index, or -1 when the port is not scanned.
   */
  portIndexOf(port: number): number {
    return this.#portIndex[port] ?? -1;
  }

  /**
   * The index of an IPv4 address.
   *
   * @param address The address as a 32-bit number.
   * @returns Its index, or -1 when it is not scanned.
   */
  addressIndexOfV4(address: number): number {
    // IPv4 ranges come first, sorted and disjoint: a binary search.
    const firsts = this.#v4First;
    let low = 0;
    let high = this.#v4Count - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (firsts[mid]! <= address) low = mid;
      else high = mid - 1;
    }
    if (high < 0 || address < firsts[low]! || address > this.#v4Last[low]!) {
      return -1;
    }
    return this.#starts[low]! + address - firsts[low]!;
  }

  /**
   * The index of an IPv6 address.
   *
   * @param bytes Holds the 16 bytes.
   * @param offset Where they start.
   * @returns Its index, or -1 when it is not scanned.
   */
  addressIndexOfV6(bytes: Uint8Array, offset: number): number {
    let value = 0n;
    for (let i = 0; i < 16; i++) {
      value = (value << 8n) | BigInt(bytes[offset + i]!);
    }
    for (let r = 0; r < this.#families.length; r++) {
      if (this.#families[r] !== 6) continue;
      if (value >= this.#v6First[r]! && value <= this.#v6Last[r]!) {
        return this.#starts[r]! + Number(value - this.#v6First[r]!);
      }
    }
    return -1;
  }
}
