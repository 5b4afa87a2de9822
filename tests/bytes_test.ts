import assert from "node:assert/strict";
// The brief asks for this exact specifier (JSR is unreachable; no import map).
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4";
import { read16, read32, write16, write32 } from "../src/wire/bytes.ts";

Deno.test("read16() and read32() read big-endian as DataView does, at every offset", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 32 }), (bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      for (let at = 0; at + 4 <= bytes.length; at++) {
        assert.equal(read16(bytes, at), view.getUint16(at));
        assert.equal(read32(bytes, at), view.getUint32(at));
      }
    }),
  );
});

Deno.test("write16() and write32() write big-endian as DataView does, and nothing else", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (start, at, short, long) => {
        const ours = start.slice();
        const theirs = start.slice();
        write16(ours, at, short);
        new DataView(theirs.buffer).setUint16(at, short);
        assert.deepEqual(ours, theirs);
        write32(ours, at, long);
        new DataView(theirs.buffer).setUint32(at, long);
        assert.deepEqual(ours, theirs);
      },
    ),
  );
});

Deno.test("read16() and read32() read missing bytes past the end as zero", () => {
  const bytes = new Uint8Array([0xab, 0xcd, 0xef]);
  assert.equal(read16(bytes, 2), 0xef00);
  assert.equal(read32(bytes, 1), 0xcdef0000);
});
