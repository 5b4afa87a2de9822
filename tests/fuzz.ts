/**
 * `deno task fuzz [--count N] [--seconds S] [--seed X] [--target NAME]`:
 * feeds every fuzz target (tests/_fuzz.ts) random and mutated inputs until
 * the count or the time is reached, and saves each input that breaks a
 * contract to `tests/corpus/<target>/<sha-256 prefix>.bin`, with the
 * failure beside it in a `.txt`. The regular suite replays that folder.
 * Prints the inputs tried per target, the time and the failures; exits 1
 * when there was any.
 *
 * @module
 */

import { FUZZ_TARGETS, fuzzOne, Rng, seeds } from "./_fuzz.ts";

function flag(name: string): string | undefined {
  const at = Deno.args.indexOf(`--${name}`);
  return at < 0 ? undefined : Deno.args[at + 1];
}

function number(name: string, fallback: number): number {
  const text = flag(name);
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll("_", ""));
  if (!Number.isFinite(value) || value < 0) {
    console.error(`fuzz: --${name} ${JSON.stringify(text)} is not a number`);
    Deno.exit(2);
  }
  return value;
}

const count = number("count", Infinity);
const seconds = number("seconds", count === Infinity ? 60 : Infinity);
const seed = number("seed", crypto.getRandomValues(new Uint32Array(1))[0]!);
const only = flag("target");
const targets = FUZZ_TARGETS.filter((t) =>
  only === undefined || t.name === only
);
if (targets.length === 0) {
  console.error(
    `fuzz: no target ${only}; targets: ${
      FUZZ_TARGETS.map((t) => t.name).join(", ")
    }`,
  );
  Deno.exit(2);
}

const corpus = new URL("./corpus/", import.meta.url);

async function save(target: string, input: Uint8Array, failure: string) {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", input.slice()),
  );
  const name = Array.from(
    digest.subarray(0, 8),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const dir = new URL(`${target}/`, corpus);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(new URL(`${name}.bin`, dir), input);
  await Deno.writeTextFile(new URL(`${name}.txt`, dir), `${failure}\n`);
  return `tests/corpus/${target}/${name}.bin`;
}

const rng = new Rng(seed);
const valid = seeds(rng);
const tried = new Map(targets.map((t) => [t.name, 0]));
let failures = 0;
const start = performance.now();
let n = 0;
console.log(
  `fuzz: seed ${seed}, targets ${targets.map((t) => t.name).join(", ")}`,
);
while (n < count && (performance.now() - start) / 1000 < seconds) {
  const target = targets[n % targets.length]!;
  const input = target.generate(rng, valid);
  const failure = fuzzOne(target, input);
  tried.set(target.name, tried.get(target.name)! + 1);
  n++;
  if (failure !== undefined) {
    failures++;
    const path = await save(target.name, input, failure);
    console.log(`FAIL ${failure}\n  saved ${path}`);
  }
  if (n % 1_000_000 === 0) {
    console.log(
      `fuzz: ${n} inputs, ${((performance.now() - start) / 1000).toFixed(0)} s`,
    );
  }
}
const elapsed = (performance.now() - start) / 1000;
console.log(
  `fuzz: ${n} inputs in ${elapsed.toFixed(1)} s (seed ${seed}): ${
    [...tried].map(([name, k]) => `${name} ${k}`).join(", ")
  }; ${failures} failing`,
);
Deno.exit(failures === 0 ? 0 : 1);
