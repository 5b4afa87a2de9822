import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix -- the house test style imports fast-check by npm: specifier
import fc from "npm:fast-check@4";
import {
  MAX_PERMUTATION_SIZE,
  parseShard,
  Permutation,
  shardLength,
} from "../mod.ts";

const seedArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

function sorted(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

Deno.test("Permutation is a bijection of [0, N) for every N up to 300 (exhaustive)", () => {
  for (const seed of [0, 1, 7, 0xdeadbeef, Number.MAX_SAFE_INTEGER]) {
    for (let n = 0; n <= 300; n++) {
      const order = [...new Permutation(n, { seed })];
      assert.equal(order.length, n, `n=${n} seed=${seed}`);
      assert.deepEqual(sorted(order), range(n), `n=${n} seed=${seed}`);
    }
  }
});

Deno.test("Permutation is a bijection for random sizes and seeds", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20000 }), seedArb, (n, seed) => {
      const permutation = new Permutation(n, { seed });
      const seen = new Uint8Array(n);
      for (let k = 0; k < n; k++) {
        const x = permutation.at(k);
        assert.ok(Number.isInteger(x) && x >= 0 && x < n);
        assert.equal(seen[x], 0, `element ${x} twice`);
        seen[x] = 1;
      }
    }),
    { numRuns: 60 },
  );
});

Deno.test("Permutation of a huge space gives distinct in-range elements without materialising it", () => {
  const n = 2 ** 48 + 12345;
  const permutation = new Permutation(n, { seed: 99 });
  const seen = new Set<number>();
  for (let k = 0; k < 20000; k++) {
    const x = permutation.at(k * 7919);
    assert.ok(x >= 0 && x < n);
    seen.add(x);
  }
  assert.equal(seen.size, 20000);
  const largest = new Permutation(MAX_PERMUTATION_SIZE, { seed: 1 });
  assert.ok(largest.at(MAX_PERMUTATION_SIZE - 1) < MAX_PERMUTATION_SIZE);
});

Deno.test("Permutation shards 1..5 are disjoint and their union is the whole space", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3000 }),
      seedArb,
      fc.integer({ min: 1, max: 5 }),
      (n, seed, count) => {
        const permutation = new Permutation(n, { seed });
        const owner = new Int8Array(n).fill(-1);
        let total = 0;
        for (let index = 1; index <= count; index++) {
          const shard = permutation.shard({ index, count });
          assert.equal(shard.length, shardLength(n, { index, count }));
          for (let j = 0; j < shard.length; j++) {
            const x = shard.at(j);
            assert.equal(
              owner[x],
              -1,
              `${x} in shards ${owner[x]} and ${index}`,
            );
            owner[x] = index;
            total++;
          }
        }
        assert.equal(total, n);
        assert.ok(owner.every((o) => o > 0));
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("Permutation shard k holds the elements at positions k-1, k-1+N, … of the order", () => {
  const permutation = new Permutation(50, { seed: 3 });
  const order = [...permutation];
  const shard = permutation.shard({ index: 2, count: 3 });
  assert.deepEqual(
    Array.from({ length: shard.length }, (_, j) => shard.at(j)),
    order.filter((_, k) => k % 3 === 1),
  );
});

Deno.test("Permutation with the same seed gives the same order; other seeds another", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 20, max: 5000 }),
      seedArb,
      seedArb,
      (n, a, b) => {
        fc.pre(a !== b);
        const first = [...new Permutation(n, { seed: a })];
        assert.deepEqual([...new Permutation(n, { seed: a })], first);
        // Two orders of 20 or more elements agree by chance with
        // probability at most 1/20!: a difference is certain.
        assert.notDeepEqual([...new Permutation(n, { seed: b })], first);
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("Permutation order is scrambled: few fixed points and few ascending neighbours", () => {
  const n = 10000;
  for (const seed of [1, 2, 3]) {
    const order = [...new Permutation(n, { seed })];
    const fixed = order.filter((x, k) => x === k).length;
    const successors = order.filter((x, k) => order[k + 1] === x + 1).length;
    // A uniform permutation has 1 of each on average.
    assert.ok(fixed < 10, `${fixed} fixed points`);
    assert.ok(successors < 10, `${successors} consecutive runs`);
    // The first tenth of the order touches every tenth of the space.
    const tenths = new Set(
      order.slice(0, n / 10).map((x) => Math.floor(x / 1000)),
    );
    assert.equal(tenths.size, 10);
  }
});

Deno.test("Permutation refuses sizes, seeds, positions and shards out of range", () => {
  assert.throws(() => new Permutation(-1, { seed: 0 }), RangeError);
  assert.throws(
    () => new Permutation(MAX_PERMUTATION_SIZE + 1, { seed: 0 }),
    /size 4503599627370497 is not an integer in 0\.\.2\^52/,
  );
  assert.throws(() => new Permutation(10, { seed: -1 }), /seed -1/);
  assert.throws(() => new Permutation(10, { seed: 1.5 }), RangeError);
  const permutation = new Permutation(10, { seed: 0 });
  assert.throws(() => permutation.at(10), /position 10 is not in 0\.\.9/);
  assert.throws(() => permutation.shard({ index: 0, count: 2 }), /1\.\.count/);
  assert.throws(() => permutation.shard({ index: 3, count: 2 }), RangeError);
  assert.throws(
    () => permutation.shard({ index: 1, count: 2 }).at(5),
    RangeError,
  );
});

Deno.test("shardLength() counts the positions k with k mod N == I-1", () => {
  for (let n = 0; n < 40; n++) {
    for (let count = 1; count <= 6; count++) {
      for (let index = 1; index <= count; index++) {
        assert.equal(
          shardLength(n, { index, count }),
          range(n).filter((k) => k % count === index - 1).length,
        );
      }
    }
  }
});

Deno.test("parseShard() reads I/N and refuses the rest with the reason", () => {
  assert.deepEqual(parseShard("1/1"), { index: 1, count: 1 });
  assert.deepEqual(parseShard(" 3/7 "), { index: 3, count: 7 });
  assert.throws(() => parseShard("0/3"), {
    message: 'Cannot parse shard "0/3": the shard index 0 must be 1..3',
  });
  assert.throws(() => parseShard("4/3"), /must be 1\.\.3/);
  assert.throws(() => parseShard("1/0"), /at least 1/);
  assert.throws(() => parseShard("1-3"), /expected I\/N/);
  assert.throws(() => parseShard(""), /expected I\/N/);
});
