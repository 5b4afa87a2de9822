import assert from "node:assert/strict";
// The brief asks for this exact specifier (JSR is unreachable; no import map).
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4";
import {
  decodeTcpOptions,
  encodeTcpOptions,
  TCP_OPTION_KINDS,
  TCP_OPTION_LENGTHS,
  TCP_OPTION_REGISTRY,
  tcpOptionEntryOfKind,
  type TcpOptionLengthRule,
} from "../mod.ts";

Deno.test("TCP_OPTION_REGISTRY gives each kind number to one entry at most", () => {
  const seen = new Map<number, string>();
  for (const entry of TCP_OPTION_REGISTRY) {
    for (const kind of Object.values(entry.kinds)) {
      assert.ok(
        !seen.has(kind),
        `kind ${kind}: ${seen.get(kind)} and ${entry.name}`,
      );
      seen.set(kind, entry.name);
      assert.equal(tcpOptionEntryOfKind(kind), entry);
    }
  }
  assert.deepEqual(
    [...seen.keys()].sort((a, b) => a - b),
    Object.values(TCP_OPTION_KINDS),
  );
});

Deno.test("TCP_OPTION_REGISTRY names each model and each -o spelling once", () => {
  const names = TCP_OPTION_REGISTRY.map((entry) => entry.name);
  assert.equal(new Set(names).size, names.length);
  const spellings = TCP_OPTION_REGISTRY.flatMap((entry) =>
    entry.spelling === undefined
      ? []
      : [entry.spelling.name, ...(entry.spelling.aliases ?? [])]
  );
  assert.equal(new Set(spellings).size, spellings.length);
  for (const spelling of spellings) {
    assert.equal(spelling, spelling.toLowerCase(), `${spelling} is lowercase`);
  }
});

Deno.test("the exact length rules of the registry are TCP_OPTION_LENGTHS", () => {
  for (const entry of TCP_OPTION_REGISTRY) {
    const rule = entry.length;
    const listed = (TCP_OPTION_LENGTHS as Record<string, number>)[entry.name];
    assert.equal(
      rule.form === "exact" ? rule.length : undefined,
      listed,
      entry.name,
    );
  }
});

/** The body lengths a rule allows, a few of each kind of length. */
function bodyLengths(rule: TcpOptionLengthRule): number[] {
  switch (rule.form) {
    case "exact":
      return [rule.length - 2];
    case "atLeast":
      return [rule.length - 2, rule.length - 1, rule.length + 5];
    case "blocks":
      return [0, 1, 2, 4].map((n) => rule.head - 2 + rule.block * n);
    case "any":
      return [0, 1, 4, 16];
    default:
      return [];
  }
}

Deno.test("every entry's decoder reads any body its length rule allows, and its encoder writes the same bytes back", () => {
  for (const entry of TCP_OPTION_REGISTRY) {
    for (const kind of Object.values(entry.kinds)) {
      for (const length of bodyLengths(entry.length)) {
        fc.assert(
          fc.property(
            fc.uint8Array({ minLength: length, maxLength: length }),
            (body) => {
              const bytes = new Uint8Array([kind, length + 2, ...body]);
              const { options } = decodeTcpOptions(bytes);
              assert.equal(options.length, 1, `${entry.name} kind ${kind}`);
              assert.equal(options[0]!.kind, entry.name);
              assert.deepEqual(encodeTcpOptions(options), bytes);
            },
          ),
          { numRuns: 20 },
        );
      }
    }
  }
});

Deno.test("every entry's texts are one printable line", () => {
  const printable = /^[\x20-\x7e]*$/;
  for (const entry of TCP_OPTION_REGISTRY) {
    for (const kind of [...Object.values(entry.kinds), 99]) {
      const [name, abbreviation] = entry.explanation.label(kind);
      assert.match(name, printable);
      assert.match(abbreviation, printable);
    }
    if (entry.spelling !== undefined) {
      assert.match(entry.spelling.form, printable);
      assert.match(entry.spelling.example, printable);
    }
  }
});
