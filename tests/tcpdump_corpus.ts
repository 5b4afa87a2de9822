/**
 * `deno task corpus [--seed N] [--count N] [--keep DIR]`: builds the
 * tcpdump comparison corpus of tests/_tcpdump_corpus.ts at full size (the
 * kernel's conversations in two namespaces, `--count` packets scapy
 * crafts in ten link types, each cut at six snapshot lengths and fuzzed at
 * three error rates) and compares tcpcraft's text line with tcpdump's for
 * every packet. Prints the captures, the packets, each verdict's count and
 * every line that differs; exits 1 when one does. Run as root.
 *
 * @module
 */

import {
  buildCorpus,
  compareCapture,
  type Compared,
  corpusSkipReason,
  DELIBERATE,
  tally,
} from "./_tcpdump_corpus.ts";
import { netnsSkipReason, TestNetwork } from "./_netns.ts";

function flag(name: string): string | undefined {
  const at = Deno.args.indexOf(`--${name}`);
  return at < 0 ? undefined : Deno.args[at + 1];
}

const seed = Number(
  flag("seed") ?? crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000,
);
const count = Number(flag("count") ?? 2000);
const keep = flag("keep");
const skip = corpusSkipReason();
if (skip !== undefined) {
  console.error(`corpus: ${skip}`);
  Deno.exit(2);
}
const dir = keep ?? await Deno.makeTempDir({ prefix: "tcpcraft-corpus-" });
await Deno.mkdir(dir, { recursive: true });
const started = performance.now();
const network = netnsSkipReason() === undefined
  ? await TestNetwork.create()
  : undefined;
if (network === undefined) {
  console.error("corpus: no namespaces here: the kernel's traffic is left out");
}
let files: string[];
try {
  files = await buildCorpus(dir, network, {
    seed,
    count,
    snaplens: [40, 54, 60, 80, 100, 128],
    errors: [0.002, 0.01, 0.03],
  });
} finally {
  await network?.destroy();
}
const results: Compared[] = [];
for (const file of files) results.push(...await compareCapture(file));
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `corpus: seed ${seed}, ${files.length} captures, ${results.length} packets in ${seconds} s (${dir})`,
);
const counts = tally(results);
for (const [verdict, n] of Object.entries(counts).sort((x, y) => y[1] - x[1])) {
  const why = DELIBERATE[verdict as keyof typeof DELIBERATE];
  console.log(`  ${verdict}: ${n}${why === undefined ? "" : ` (${why})`}`);
}
const different = results.filter((r) => r.verdict === "different");
for (const r of different.slice(0, 100)) {
  console.log(
    `DIFFERENT ${r.file}#${r.index}\n  tcpdump:  ${r.theirs}\n  tcpcraft: ${r.ours}`,
  );
}
if (keep === undefined) await Deno.remove(dir, { recursive: true });
Deno.exit(different.length === 0 ? 0 : 1);
