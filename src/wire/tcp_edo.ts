/**
 * The TCP Extended Data Offset option (EDO, draft-ietf-tcpm-tcp-edo), as
 * the draft says to send it until it has a kind of its own: an experimental
 * option (kind 253 or 254, RFC 6994) with ExID 0x0ED0. Two forms: "EDO
 * supported" (no data: a SYN or SYN-ACK offers it), and the EDO extension
 * that says how long the header really is (Header_length, in 32-bit words
 * like the Data Offset, and optionally the segment's length in bytes).
 *
 * The registry keeps it as an `experimental` option, so any experimental
 * option round-trips; {@linkcode decodeEdo} and {@linkcode edoOption} read
 * and write it as EDO.
 *
 * @module
 */

import { read16, write16 } from "./bytes.ts";
import type { ExperimentalOption } from "./tcp_option_extension_models.ts";

/**
 * EDO's experiment identifier (RFC 6994 ExID).
 *
 * @example
 * ```ts
 * import { EDO_EXID } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(EDO_EXID, 0x0ed0);
 * ```
 */
export const EDO_EXID = 0x0ed0;

/** An EDO option, typed. */
export type Edo =
  | {
    /** "EDO supported", in a SYN or SYN-ACK. */
    form: "supported";
  }
  | {
    /** The EDO extension. */
    form: "extension";
    /** The header's real length, in 32-bit words (Data Offset's unit). */
    headerLength: number;
    /** The segment's length in bytes, in the longer form. */
    segmentLength?: number;
  };

/**
 * Read an experimental option as EDO, or undefined when it is not one
 * (another ExID, or a length EDO does not have).
 *
 * @param option The experimental option.
 * @returns The EDO option.
 *
 * @example
 * ```ts
 * import { decodeEdo } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   decodeEdo({ kind: "experimental", type: 254, exid: 0x0ed0, data: new Uint8Array([0, 20]) }),
 *   { form: "extension", headerLength: 20 },
 * );
 * ```
 */
export function decodeEdo(option: ExperimentalOption): Edo | undefined {
  if (option.exid !== EDO_EXID) return undefined;
  const { data } = option;
  if (data.length === 0) return { form: "supported" };
  if (data.length === 2) {
    return { form: "extension", headerLength: read16(data, 0) };
  }
  if (data.length === 4) {
    return {
      form: "extension",
      headerLength: read16(data, 0),
      segmentLength: read16(data, 2),
    };
  }
  return undefined;
}

/**
 * An EDO option as the experimental option that carries it.
 *
 * @param edo The EDO option.
 * @param type The experimental kind, 253 or 254 (default 254).
 * @returns The option, for a segment's options.
 * @throws {RangeError} For a length that is not 16 bits.
 *
 * @example
 * ```ts
 * import { edoOption, encodeTcpOptions, formatHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatHex(encodeTcpOptions([edoOption({ form: "supported" })])), "fe040ed0");
 * ```
 */
export function edoOption(edo: Edo, type: 253 | 254 = 254): ExperimentalOption {
  if (edo.form === "supported") {
    return {
      kind: "experimental",
      type,
      exid: EDO_EXID,
      data: new Uint8Array(),
    };
  }
  const check = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new RangeError(
        `Cannot encode TCP option edo: ${name} ${value} is not in 0..65535`,
      );
    }
  };
  check("headerLength", edo.headerLength);
  const data = new Uint8Array(edo.segmentLength === undefined ? 2 : 4);
  write16(data, 0, edo.headerLength);
  if (edo.segmentLength !== undefined) {
    check("segmentLength", edo.segmentLength);
    write16(data, 2, edo.segmentLength);
  }
  return { kind: "experimental", type, exid: EDO_EXID, data };
}

/**
 * The words that explain an EDO option.
 *
 * @param edo The EDO option.
 * @returns `display` and `meaning`.
 *
 * @example
 * ```ts
 * import { edoWords } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(edoWords({ form: "supported" }).display, "EDO supported");
 * ```
 */
export function edoWords(edo: Edo): { display: string; meaning: string } {
  if (edo.form === "supported") {
    return {
      display: "EDO supported",
      meaning:
        "extended data offset (draft-ietf-tcpm-tcp-edo, ExID 0x0ed0): the sender can use headers longer than the Data Offset says",
    };
  }
  return {
    display: `EDO ${edo.headerLength}`,
    meaning:
      `extended data offset (draft-ietf-tcpm-tcp-edo, ExID 0x0ed0): the header is ${edo.headerLength} words = ${
        4 * edo.headerLength
      } bytes, options past the Data Offset included${
        edo.segmentLength === undefined
          ? ""
          : `; the segment is ${edo.segmentLength} bytes`
      }`,
  };
}
