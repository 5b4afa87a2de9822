/**
 * tcpcraft's text line equals tcpdump's on captures made by others (the
 * kernel's conversations, scapy's packets in ten link types), cut by
 * editcap at several snapshot lengths and fuzzed by editcap -E: every
 * packet is equal or one of the deliberate differences of
 * tests/_tcpdump_corpus.ts. `deno task corpus` runs the same at full size
 * with another seed.
 */

import assert from "node:assert/strict";
import {
  buildCorpus,
  compareCapture,
  compareLines,
  corpusSkipReason,
  tally,
} from "./_tcpdump_corpus.ts";
import { netnsTestGate, withNetwork } from "./_netns.ts";

const gate = netnsTestGate("tcpdump", "editcap", "/usr/bin/python3");
const tools = corpusSkipReason();

Deno.test({
  name:
    "the text line is tcpdump's for real, cut and fuzzed captures, but for the deliberate differences" +
    (tools === undefined ? gate.suffix : ` (skipped: ${tools})`),
  ignore: gate.ignore || tools !== undefined,
  async fn() {
    const text = Deno.env.get("TCPCRAFT_SEED");
    const seed = text ? Number(text) >>> 0 : Date.now() % 100_000;
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-corpus-" });
    try {
      const files = await withNetwork((network) =>
        buildCorpus(dir, network, {
          seed,
          count: 80,
          snaplens: [54, 60, 80, 100],
          errors: [0.01],
        })
      );
      const results = (await Promise.all(files.map(compareCapture))).flat();
      const counts = tally(results);
      const different = results.filter((r) => r.verdict === "different")
        .map((r) =>
          `${r.file}#${r.index}\n  tcpdump:  ${r.theirs}\n  tcpcraft: ${r.ours}`
        );
      assert.deepEqual(different, [], `seed ${seed} (TCPCRAFT_SEED=${seed})`);
      // The kernel's packets (MD5 and MPTCP among them) and their cut copies
      // are most of what is equal.
      assert.ok(
        (counts.equal ?? 0) > results.length / 2,
        JSON.stringify(counts),
      );
      const kernel = results.filter((r) =>
        /\/kernel_md5_4\.pcap$/.test(r.file)
      );
      assert.ok(kernel.length > 10);
      assert.ok(
        kernel.every((r) => r.verdict === "equal" || r.verdict === "payload"),
      );
      assert.ok(kernel.some((r) => r.theirs.includes("md5 shared secret")));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("compareLines() names the deliberate differences and nothing else", () => {
  const line =
    "IP 10.0.0.1.1 > 10.0.0.2.179: Flags [P.], seq 1:56, ack 1, win 63";
  assert.equal(
    compareLines(`${line}, length 55`, `${line}, length 55`),
    "equal",
  );
  assert.equal(
    compareLines(`${line}, length 55: BGP`, `${line}, length 55`),
    "payload",
  );
  assert.equal(
    compareLines(`${line}, length 34`, `${line}, length 55`),
    "different",
  );
  assert.equal(
    compareLines(
      `${line}, options [uto 0x8005 983160], length 0`,
      `${line}, options [uto 0x8005 5m], length 0`,
    ),
    "uto",
  );
  assert.equal(
    compareLines(
      `${line}, options [nop,[bad opt]]`,
      `${line}, options [nop,bad opt 0x0a], length 0`,
    ),
    "bad option",
  );
  assert.equal(
    compareLines(
      `${line}, length 1`,
      "[Cannot decode packet: protocol 17 is not TCP] length 28",
    ),
    "different",
  );
  assert.equal(
    compareLines(
      "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64",
      "[Cannot decode packet: protocol 1 is not TCP] length 84",
    ),
    "not decodable",
  );
});
