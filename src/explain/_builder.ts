/**
 * The builder of one explanation: its layers, their fields read bit for
 * bit from the bytes, its anomalies and its notes. Private to the
 * explainer.
 *
 * @module
 */

import { formatHex } from "../wire/hex.ts";
import type { TcpOption } from "../wire/tcp_options.ts";
import {
  type Anomaly,
  ANOMALY_REFERENCES,
  type AnomalyCode,
} from "./anomalies.ts";
import type {
  ExplainedField,
  ExplainedLayer,
  ExplainedLayerKind,
} from "./types.ts";

/**
 * Where a field lies in its layer, and its names: a field of a header's
 * table (`TCP_HEADER_FIELDS`…), or one made up for an option or padding.
 */
export interface FieldSpec {
  /** A stable name for programs. */
  readonly key: string;
  /** The name RFCs use. */
  readonly name: string;
  /** A short name for diagram cells. */
  readonly abbreviation: string;
  /** Byte offset within the layer. */
  readonly byteOffset: number;
  /** Bit offset from the top of that byte; may be 8 or more. */
  readonly bitOffset: number;
  /** Width in bits. */
  readonly bitLength: number;
}

/** What a field holds in this packet. */
export interface FieldWords {
  /** What the value means. */
  meaning: string;
  /** The value, when it is not the number the bits make (addresses, byte strings). */
  value?: number | string;
  /** The value as it reads best, when it is not `String(value)`. */
  display?: string;
  /** For a TCP option that decoded: the option. */
  option?: TcpOption;
}

/**
 * A field of whole bytes: `length` bytes at `at` in the layer.
 *
 * @param key The key.
 * @param name The name.
 * @param abbreviation The short name.
 * @param at Byte offset within the layer.
 * @param length Length in bytes.
 * @returns The field's spec.
 */
export function byteSpan(
  key: string,
  name: string,
  abbreviation: string,
  at: number,
  length: number,
): FieldSpec {
  return {
    key,
    name,
    abbreviation,
    byteOffset: at,
    bitOffset: 0,
    bitLength: length * 8,
  };
}

function bitString(
  bytes: Uint8Array,
  byteOffset: number,
  bitOffset: number,
  bitLength: number,
): string {
  let text = "";
  for (let i = 0; i < bitLength; i++) {
    const bit = bitOffset + i;
    const byte = bytes[byteOffset + (bit >> 3)] ?? 0;
    text += (byte >> (7 - (bit & 7))) & 1;
  }
  return text;
}

/** Collects the layers, fields, anomalies and notes of one explanation. */
export class Builder {
  /** The bytes explained. */
  readonly bytes: Uint8Array;
  /** The anomalies found, in the order found. */
  readonly anomalies: Anomaly[] = [];
  /** Remarks that are not anomalies. */
  readonly notes: string[] = [];
  /** The layers, outermost first. */
  readonly layers: ExplainedLayer[] = [];

  /** @param bytes The bytes to explain. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Start a layer. */
  layer(
    kind: ExplainedLayerKind,
    name: string,
    byteOffset: number,
    length: number,
  ): ExplainedLayer {
    const layer = { kind, name, byteOffset, length, fields: [] };
    this.layers.push(layer);
    return layer;
  }

  /** Add a field to a layer, reading its bits from the bytes. */
  field(
    layer: ExplainedLayer,
    spec: FieldSpec,
    words: FieldWords,
  ): ExplainedField {
    const byteOffset = layer.byteOffset + spec.byteOffset +
      (spec.bitOffset >> 3);
    const bitOffset = spec.bitOffset & 7;
    const bitLength = spec.bitLength;
    const bits = bitString(this.bytes, byteOffset, bitOffset, bitLength);
    const lastByte = byteOffset + Math.ceil((bitOffset + bitLength) / 8);
    const hex = formatHex(this.bytes.subarray(byteOffset, lastByte));
    const value = words.value ??
      (bitLength <= 48 ? (bits === "" ? 0 : parseInt(bits, 2)) : hex);
    const field: ExplainedField = {
      key: spec.key,
      name: spec.name,
      abbreviation: spec.abbreviation,
      byteOffset,
      bitOffset,
      bitLength,
      bits,
      hex,
      value,
      display: words.display ?? String(value),
      meaning: words.meaning,
    };
    if (words.option !== undefined) field.option = words.option;
    layer.fields.push(field);
    return field;
  }

  /** Report an anomaly at a byte offset of the explained bytes. */
  anomaly(
    code: AnomalyCode,
    message: string,
    byteOffset: number,
    field?: string,
  ): void {
    const anomaly: Anomaly = { code, message, byteOffset };
    if (field !== undefined) anomaly.field = field;
    const reference = ANOMALY_REFERENCES[code];
    if (reference !== undefined) anomaly.reference = reference;
    this.anomalies.push(anomaly);
  }
}
