import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import { formatHex, ParseError, parseHex } from "../mod.ts";

Deno.test("parseHex() reads plain, colon, space and 0x forms alike", () => {
  const expected = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
  for (
    const text of [
      "deadbeef",
      "DEADBEEF",
      "de:ad:be:ef",
      "de ad be ef",
      "0xdeadbeef",
      "0XDEADBEEF",
      "0xde 0xad 0xbe 0xef",
      "dead\tbeef\n",
      "  de:ad  be:ef  ",
    ]
  ) {
    assert.deepEqual(parseHex(text), expected, text);
  }
});

Deno.test("parseHex() gives no bytes for text without digits", () => {
  assert.deepEqual(parseHex(""), new Uint8Array());
  assert.deepEqual(parseHex("  :: "), new Uint8Array());
  assert.deepEqual(parseHex("0x"), new Uint8Array());
});

Deno.test("parseHex() refuses a non-hex character, naming it", () => {
  assert.throws(() => parseHex("zz"), {
    name: "ParseError",
    message: 'Cannot parse hex bytes "zz": "z" is not a hex digit',
  });
  assert.throws(() => parseHex("12-34"), /"-" is not a hex digit/);
  assert.throws(() => parseHex("0x0x12"), /"x" is not a hex digit/);
});

Deno.test("parseHex() refuses an odd number of digits instead of guessing the pairing", () => {
  assert.throws(() => parseHex("abc"), {
    message: 'Cannot parse hex bytes "abc": odd number of hex digits (3)',
  });
  assert.throws(
    () => parseHex("de:a:be"),
    /group "a" has an odd number of hex digits/,
  );
  assert.throws(() => parseHex("abc"), ParseError);
});

Deno.test("formatHex() writes two lowercase digits a byte", () => {
  assert.equal(
    formatHex(new Uint8Array([0, 1, 0x0f, 0x10, 0xab, 0xff])),
    "00010f10abff",
  );
  assert.equal(formatHex(new Uint8Array()), "");
  assert.equal(
    formatHex(new Uint8Array([0xab, 0xcd]), { separator: " " }),
    "ab cd",
  );
});

Deno.test("formatHex() agrees with an independent per-byte formatter", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const reference = Array.from(
        bytes,
        (b) => b.toString(16).padStart(2, "0"),
      )
        .join("");
      assert.equal(formatHex(bytes), reference);
    }),
  );
});

Deno.test("parseHex() reads back what formatHex() writes, with any separator", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom("", ":", " ", "\n"),
      fc.boolean(),
      (bytes, separator, upper) => {
        let text = formatHex(bytes, { separator });
        if (upper) text = text.toUpperCase();
        assert.deepEqual(parseHex(text), bytes);
      },
    ),
  );
});
