/**
 * The fuzz targets of tests/_fuzz.ts in the regular suite: every input
 * saved to tests/corpus/ (by `deno task fuzz`, or by hand) keeps its
 * target's contract, and 100,000 fresh random and mutated inputs (seeded
 * from `TCPCRAFT_SEED`, or at random and printed) keep them too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { FUZZ_TARGETS, fuzzOne, Rng, seeds } from "./_fuzz.ts";

const CORPUS = new URL("./corpus/", import.meta.url);

function savedInputs(): { target: string; file: string; input: Uint8Array }[] {
  const inputs = [];
  for (const target of FUZZ_TARGETS) {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = [...Deno.readDirSync(new URL(`${target.name}/`, CORPUS))];
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    for (const entry of entries.filter((e) => e.name.endsWith(".bin"))) {
      const file = `tests/corpus/${target.name}/${entry.name}`;
      inputs.push({
        target: target.name,
        file,
        input: Deno.readFileSync(
          new URL(`${target.name}/${entry.name}`, CORPUS),
        ),
      });
    }
  }
  return inputs;
}

Deno.test("every input saved in tests/corpus/ keeps its target's contract", () => {
  const failures = savedInputs().flatMap(({ target, file, input }) => {
    const failure = fuzzOne(
      FUZZ_TARGETS.find((t) => t.name === target)!,
      input,
    );
    return failure === undefined ? [] : [`${file}: ${failure}`];
  });
  assert.deepEqual(failures, []);
});

Deno.test("100,000 random and mutated inputs keep every fuzz target's contract", () => {
  const text = Deno.env.get("TCPCRAFT_SEED");
  const seed = text
    ? Number(text) >>> 0
    : crypto.getRandomValues(new Uint32Array(1))[0]!;
  const rng = new Rng(seed);
  const valid = seeds(rng);
  const failures: string[] = [];
  const total = 100_000;
  for (let n = 0; n < total && failures.length < 5; n++) {
    const target = FUZZ_TARGETS[n % FUZZ_TARGETS.length]!;
    const input = target.generate(rng, valid);
    const failure = fuzzOne(target, input);
    if (failure !== undefined) {
      failures.push(
        `${failure}\n  input ${
          Array.from(input, (b) => b.toString(16).padStart(2, "0")).join("")
        }`,
      );
    }
  }
  assert.deepEqual(failures, [], `seed ${seed} (TCPCRAFT_SEED=${seed})`);
});
