import assert from "node:assert/strict";
// The brief asks for this exact specifier (JSR is unreachable; no import map).
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4";
import {
  fieldMax,
  type HeaderField,
  IPV4_HEADER_FIELDS,
  IPV4_MIN_HEADER_LENGTH,
  IPV6_EXTENSION_HEADER_FIELDS,
  IPV6_HEADER_FIELDS,
  IPV6_HEADER_LENGTH,
  readField,
  TCP_HEADER_FIELDS,
  TCP_MIN_HEADER_LENGTH,
  writeField,
} from "../mod.ts";

const TABLES: [string, Readonly<Record<string, HeaderField>>, number][] = [
  ["TCP", TCP_HEADER_FIELDS, TCP_MIN_HEADER_LENGTH],
  ["IPv4", IPV4_HEADER_FIELDS, IPV4_MIN_HEADER_LENGTH],
  ["IPv6", IPV6_HEADER_FIELDS, IPV6_HEADER_LENGTH],
  ["IPv6 extension", IPV6_EXTENSION_HEADER_FIELDS, 2],
];

/** The bit a field starts at, from the start of the header. */
const startBit = (field: HeaderField) => field.byteOffset * 8 + field.bitOffset;

Deno.test("each header's field table covers its fixed part bit for bit, in wire order, without overlap", () => {
  for (const [name, table, length] of TABLES) {
    // Fields made of finer ones (tos, trafficClass) are covered by their parts.
    const fields = Object.values(table).filter((f) =>
      f.parts === undefined && f.bitLength > 0
    );
    let bit = 0;
    for (const field of fields) {
      assert.equal(
        startBit(field),
        bit,
        `${name} ${field.key} starts at bit ${bit}`,
      );
      assert.ok(field.bitOffset < 8, `${name} ${field.key}: bitOffset under 8`);
      bit += field.bitLength;
    }
    assert.equal(
      bit,
      length * 8,
      `${name}: the fields end where the header does`,
    );
    for (const [key, field] of Object.entries(table)) {
      assert.equal(field.key, key, `${name} ${key} is keyed by its own key`);
    }
  }
});

Deno.test("a field made of finer ones spans exactly its parts", () => {
  for (const [name, table] of TABLES) {
    for (const field of Object.values(table)) {
      if (field.parts === undefined) continue;
      const parts = field.parts.map((key) => table[key]!);
      assert.equal(
        startBit(parts[0]!),
        startBit(field),
        `${name} ${field.key}`,
      );
      assert.equal(
        parts.reduce((n, part) => n + part.bitLength, 0),
        field.bitLength,
        `${name} ${field.key}`,
      );
    }
  }
});

/** A field's value by bit arithmetic on a BigInt of the whole header. */
function bigIntField(bytes: Uint8Array, field: HeaderField): number {
  let all = 0n;
  for (const byte of bytes) all = (all << 8n) | BigInt(byte);
  const shift = BigInt(bytes.length * 8 - startBit(field) - field.bitLength);
  return Number((all >> shift) & ((1n << BigInt(field.bitLength)) - 1n));
}

Deno.test("readField() reads every integer field as bit arithmetic on the whole header does", () => {
  for (const [name, table, length] of TABLES) {
    const fields = Object.values(table).filter((f) =>
      f.bitLength > 0 && f.bitLength <= 32
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: length, maxLength: length }),
        (bytes) => {
          for (const field of fields) {
            assert.equal(
              readField(bytes, 0, field),
              bigIntField(bytes, field),
              `${name} ${field.key}`,
            );
          }
        },
      ),
    );
  }
});

Deno.test("writeField() writes a field's value and leaves every other bit as it was", () => {
  for (const [name, table, length] of TABLES) {
    const fields = Object.values(table).filter((f) =>
      f.bitLength > 0 && f.bitLength <= 32
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: length + 3, maxLength: length + 3 }),
        fc.constantFrom(...fields),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (buffer, field, fraction) => {
          const value = Math.floor(fraction * (fieldMax(field) + 1));
          const before = buffer.slice();
          writeField(buffer, 3, field, value);
          assert.equal(
            readField(buffer, 3, field),
            value,
            `${name} ${field.key}`,
          );
          assert.deepEqual(buffer.subarray(0, 3), before.subarray(0, 3));
          for (const other of fields) {
            const overlaps =
              startBit(other) < startBit(field) + field.bitLength &&
              startBit(field) < startBit(other) + other.bitLength;
            if (overlaps) continue;
            assert.equal(
              readField(buffer, 3, other),
              readField(before, 3, other),
              `${name}: writing ${field.key} changed ${other.key}`,
            );
          }
        },
      ),
    );
  }
});
