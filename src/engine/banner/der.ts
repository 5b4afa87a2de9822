/**
 * Just enough DER (ITU-T X.690) to read a certificate: tag-length-value
 * elements with long-form lengths, object identifiers, the times of
 * validity, and the string types of names. Every failure is a
 * {@linkcode DecodeError} with layer `DER`.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";

/** One DER element: where its tag, content and end are in the buffer. */
export interface DerElement {
  /** The identifier octet (class, constructed bit, number). */
  tag: number;
  /** The offset of the identifier octet. */
  offset: number;
  /** The offset of the content. */
  start: number;
  /** The offset after the content. */
  end: number;
}

/**
 * Universal tags used here.
 *
 * @example
 * ```ts
 * import { DER_TAGS } from "./der.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DER_TAGS.sequence, 0x30);
 * ```
 */
export const DER_TAGS = Object.freeze({
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  teletexString: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  universalString: 0x1c,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
});

function fail(
  kind: "truncated" | "malformed",
  reason: string,
  offset: number,
): DecodeError {
  return new DecodeError(reason, { kind, layer: "DER", offset });
}

/**
 * Read the element at an offset.
 *
 * @param bytes The buffer.
 * @param offset Where the element starts.
 * @param end Where the enclosing element ends (default the buffer's end).
 * @returns The element.
 * @throws {DecodeError} For a cut element, a high tag number, an
 *   indefinite or overlong length.
 *
 * @example
 * ```ts
 * import { readDer } from "./der.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x30, 0x81, 0x03, 0x02, 0x01, 0x05]);
 * assert.deepEqual(readDer(bytes, 0), { tag: 0x30, offset: 0, start: 3, end: 6 });
 * assert.throws(() => readDer(bytes.subarray(0, 4), 0), /Cannot decode DER: element at 0 ends at 6, past 4/);
 * ```
 */
export function readDer(
  bytes: Uint8Array,
  offset: number,
  end: number = bytes.length,
): DerElement {
  if (offset + 2 > end) {
    throw fail("truncated", `no element at ${offset}`, offset);
  }
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) {
    throw fail("malformed", `high tag number at ${offset}`, offset);
  }
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) {
      throw fail(
        "malformed",
        `length of ${octets} octets at ${offset}`,
        offset,
      );
    }
    if (start + octets > end) {
      throw fail("truncated", `length cut at ${offset}`, offset);
    }
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[start + i]!;
    start += octets;
  }
  if (start + length > end) {
    throw fail(
      "truncated",
      `element at ${offset} ends at ${start + length}, past ${end}`,
      offset,
    );
  }
  return { tag, offset, start, end: start + length };
}

/**
 * The elements inside a constructed element.
 *
 * @param bytes The buffer.
 * @param parent The element.
 * @returns Its children, in order.
 *
 * @example
 * ```ts
 * import { derChildren, readDer } from "./der.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x30, 0x05, 0x02, 0x01, 0x05, 0x05, 0x00]);
 * const children = derChildren(bytes, readDer(bytes, 0));
 * assert.deepEqual(children.map((c) => c.tag), [0x02, 0x05]);
 * ```
 */
export function derChildren(
  bytes: Uint8Array,
  parent: DerElement,
): DerElement[] {
  const children: DerElement[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = readDer(bytes, at, parent.end);
    children.push(child);
    at = child.end;
  }
  return children;
}

/**
 * The children of an element, checked against the tags expected first.
 *
 * @param bytes The buffer.
 * @param parent The element.
 * @param tags Tags the first children must have.
 * @param what What the element is, for the message.
 * @returns The children.
 * @throws {DecodeError} When a child is missing or has another tag.
 *
 * @example
 * ```ts
 * import { expectChildren, readDer } from "./der.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
 * assert.equal(expectChildren(bytes, readDer(bytes, 0), [0x02], "a number").length, 1);
 * assert.throws(() => expectChildren(bytes, readDer(bytes, 0), [0x06], "an OID"), /an OID: element 1 is not tag 0x6/);
 * ```
 */
export function expectChildren(
  bytes: Uint8Array,
  parent: DerElement,
  tags: readonly number[],
  what: string,
): DerElement[] {
  const children = derChildren(bytes, parent);
  tags.forEach((tag, i) => {
    const child = children[i];
    if (child === undefined || child.tag !== tag) {
      throw fail(
        "malformed",
        `${what}: element ${i + 1} is not tag 0x${tag.toString(16)}`,
        child?.offset ?? parent.start,
      );
    }
  });
  return children;
}

/**
 * An object identifier's dotted text.
 *
 * @param bytes The buffer.
 * @param element The OID element.
 * @returns `2.5.4.3`.
 *
 * @example
 * ```ts
 * import { derOid, readDer } from "./der.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x06, 0x03, 0x55, 0x04, 0x03]);
 * assert.equal(derOid(bytes, readDer(bytes, 0)), "2.5.4.3");
 * ```
 */
export function derOid(bytes: Uint8Array, element: DerElement): string {
  const arcs: number[] = [];
  let value = 0;
  for (let i = element.start; i < element.end; i++) {
    const byte = bytes[i]!;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = Math.min(2, Math.floor(value / 40));
        arcs.push(first, value - 40 * first);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  if (arcs.length === 0) {
    throw fail("malformed", "empty object identifier", element.offset);
  }
  return arcs.join(".");
}

/**
 * A UTCTime or GeneralizedTime as an ISO 8601 time (`Z`, seconds).
 *
 * @param bytes The buffer.
 * @param element The time element.
 * @returns `2026-12-06T22:16:17Z`.
 * @throws {DecodeError} For another tag or a time not in DER's form.
 *
 * @example
 * ```ts
 * import { derTime, readDer } from "./der.ts";
 * import assert from "node:assert/strict";
 *
 * const text = new TextEncoder().encode("491231235959Z");
 * const bytes = new Uint8Array([0x17, text.length, ...text]);
 * assert.equal(derTime(bytes, readDer(bytes, 0)), "2049-12-31T23:59:59Z");
 * ```
 */
export function derTime(bytes: Uint8Array, element: DerElement): string {
  const text = String.fromCharCode(
    ...bytes.subarray(element.start, element.end),
  );
  const match = element.tag === DER_TAGS.utcTime
    ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text)
    : element.tag === DER_TAGS.generalizedTime
    ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text)
    : null;
  if (match === null) {
    throw fail("malformed", `time ${JSON.stringify(text)}`, element.offset);
  }
  let year = Number(match[1]);
  if (element.tag === DER_TAGS.utcTime) year += year >= 50 ? 1900 : 2000;
  return `${String(year).padStart(4, "0")}-${match[2]}-${match[3]}T${
    match[4]
  }:${match[5]}:${match[6]}Z`;
}

/**
 * The text of a directory string (UTF8String, PrintableString,
 * IA5String, TeletexString read as Latin-1, BMPString, UniversalString).
 *
 * @param bytes The buffer.
 * @param element The string element.
 * @returns The text, or undefined for a tag that is not a string.
 *
 * @example
 * ```ts
 * import { derString, readDer } from "./der.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0x1e, 0x04, 0x00, 0x63, 0x00, 0xe9]);
 * assert.equal(derString(bytes, readDer(bytes, 0)), "cé");
 * ```
 */
export function derString(
  bytes: Uint8Array,
  element: DerElement,
): string | undefined {
  const content = bytes.subarray(element.start, element.end);
  switch (element.tag) {
    case DER_TAGS.utf8String:
      return new TextDecoder("utf-8").decode(content);
    case DER_TAGS.printableString:
    case DER_TAGS.ia5String:
    case DER_TAGS.teletexString:
      return String.fromCharCode(...content);
    case DER_TAGS.bmpString: {
      let text = "";
      for (let i = 0; i + 1 < content.length; i += 2) {
        text += String.fromCharCode(content[i]! * 256 + content[i + 1]!);
      }
      return text;
    }
    case DER_TAGS.universalString: {
      let text = "";
      for (let i = 0; i + 3 < content.length; i += 4) {
        const code = ((content[i]! * 256 + content[i + 1]!) * 256 +
              content[i + 2]!) * 256 + content[i + 3]!;
        text += code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
      }
      return text;
    }
  }
  return undefined;
}
