/**
 * The resume file: round trips, its size on big scans, and every way a
 * file can be unusable turned into one typed line (missing, corrupt,
 * another version, other options), whatever its bytes.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  checkResumeOptions,
  decodeResume,
  decodeVerdictRuns,
  encodeResume,
  encodeVerdictRuns,
  ResumeError,
  type ResumeState,
  verdictRunsFromCodes,
} from "../mod.ts";
import { crc32Hex } from "../src/engine/verdict_runs.ts";

function fullScan(): ResumeState {
  // One host, every port: closed but for a few open and a filtered run.
  const codes = new Uint8Array(65535).fill(1);
  for (const port of [22, 80, 443, 8080, 60000]) codes[port - 1] = 2;
  codes.fill(3, 1000, 1100);
  codes.fill(0, 50000); // not decided yet
  return {
    tool: "tcpcraft 0.1.0",
    seed: 2 ** 52 + 7,
    shard: { index: 2, count: 3 },
    total: 65535,
    options: {
      targets: "192.0.2.1",
      ports: "1-65535",
      scan: "syn",
      retries: 1,
      os: null,
      "all-ports": false,
    },
    position: 50000,
    round: 1,
    probesSent: 50012,
    elapsedMs: 12_345,
    savedAt: Date.UTC(2026, 0, 1),
    decided: {
      verdicts: [
        { state: "closed", reason: "reset", ttl: 64 },
        { state: "open", reason: "syn-ack", ttl: 64 },
        {
          state: "filtered",
          reason: "host-unreach",
          ttl: 250,
          reasonIp: "192.0.2.254",
        },
      ],
      runs: verdictRunsFromCodes(codes),
    },
    outputs: [
      { path: "scan.xml", format: "xml", offset: 611 },
      { path: 'out dir/scan "1".ndjson', format: "ndjson", offset: 1_000_000 },
    ],
  };
}

Deno.test("encodeResume() and decodeResume() round-trip everything, in a few hundred bytes for 50,000 verdicts", () => {
  const state = fullScan();
  const text = encodeResume(state);
  assert.ok(text.length < 1000, `${text.length} bytes`);
  assert.equal(text.split("\n").length, 2);
  assert.deepEqual(decodeResume(text, { path: "x" }), state);
  const { decided: _, ...bare } = state;
  assert.deepEqual(decodeResume(encodeResume(bare), { path: "x" }), bare);
});

Deno.test("verdict runs: sparse answers over a huge space cost a few bytes each", () => {
  const runs = [];
  let start = 0;
  for (let i = 0; i < 1000; i++) {
    start += 1 + ((i * 7919) % 5_000_000);
    runs.push({ start, length: 1, verdict: i % 2 });
  }
  const bytes = encodeVerdictRuns(runs);
  assert.ok(bytes.length < 6000, `${bytes.length}`);
  assert.deepEqual(decodeVerdictRuns(bytes), runs);
  assert.throws(
    () =>
      encodeVerdictRuns([{ start: 5, length: 2, verdict: 0 }, {
        start: 6,
        length: 1,
        verdict: 0,
      }]),
    /run at 6 overlaps/,
  );
});

function expectError(
  text: string,
  kind: ResumeError["kind"],
  message: RegExp,
  options?: Record<string, string>,
) {
  assert.throws(
    () =>
      decodeResume(text, {
        path: "scan.resume",
        ...(options === undefined ? {} : { options }),
      }),
    (error) => {
      assert.ok(error instanceof ResumeError, String(error));
      assert.equal(error.kind, kind);
      assert.match(error.message, message);
      assert.ok(!error.message.includes("\n"));
      assert.ok(error.message.startsWith('Cannot resume from "scan.resume": '));
      return true;
    },
  );
}

/** A file whose CRC matches its (edited) state, to reach the field checks. */
function withState(edit: (state: Record<string, unknown>) => void): string {
  const file = JSON.parse(encodeResume(fullScan()));
  edit(file.state);
  const content = JSON.stringify(file.state);
  return `{"format":"tcpcraft-resume","version":1,"crc32":"${
    crc32Hex(content)
  }","state":${content}}\n`;
}

Deno.test("decodeResume() says which way a file is unusable, in one line", () => {
  const good = encodeResume(fullScan());
  // What a completed scan leaves where it may not remove the file.
  expectError(
    "",
    "missing",
    /the file is empty \(its scan completed, or was stopped before its first save\)$/,
  );
  expectError(
    "{",
    "corrupt",
    /the file is corrupt \(not a tcpcraft resume file\)$/,
  );
  expectError("{}", "corrupt", /not a tcpcraft resume file/);
  expectError(good.slice(0, 200), "corrupt", /not a tcpcraft resume file/);
  expectError(
    good.replace('"position":50000', '"position":50001'),
    "corrupt",
    /its check sum does not match its content/,
  );
  expectError(
    good.replace('"version":1', '"version":2'),
    "version",
    /it was written by tcpcraft 0\.1\.0 in resume format 2; this tcpcraft reads format 1$/,
  );
  expectError(
    withState((s) => s.position = 70000),
    "corrupt",
    /the position is past the end of the order/,
  );
  expectError(withState((s) => s.seed = -1), "corrupt", /seed is not a count/);
  expectError(
    withState((s) => s.shard = { index: 4, count: 3 }),
    "corrupt",
    /the shard is not I\/N/,
  );
  expectError(
    withState((s) => (s.decided as { runs: string }).runs = "gA=="),
    "corrupt",
    /the runs cannot be read: a number of the runs is cut/,
  );
  expectError(
    withState((s) => (s.decided as { verdicts: unknown[] }).verdicts.pop()),
    "corrupt",
    /a run names a verdict that is not there/,
  );
  expectError(
    withState((s) =>
      (s.decided as { verdicts: unknown[] }).verdicts[0] = { state: "shut" }
    ),
    "corrupt",
    /a decided verdict is not a state and a reason/,
  );
  expectError(
    good,
    "options",
    /it is for other options \(ports "1-65535" in the file, "1-1000" given\)$/,
    {
      ports: "1-1000",
    },
  );
  expectError(good, "options", /\(rate "10" given, not in the file\)$/, {
    rate: "10",
  });
  assert.equal(
    ResumeError.missing("scan.resume").message,
    'Cannot resume from "scan.resume": the file does not exist',
  );
  checkResumeOptions(fullScan(), { ports: "1-65535", scan: "syn" }, "x");
});

Deno.test("decodeResume() throws nothing but ResumeError, whatever bytes it is given", () => {
  const good = encodeResume(fullScan());
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    const chars = [...good];
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * chars.length);
      const kind = random();
      if (kind < 0.4) {
        chars[at] = String.fromCharCode(32 + Math.floor(random() * 95));
      } else if (kind < 0.7) chars.splice(at, 1);
      else chars.length = at;
    }
    const text = chars.join("");
    try {
      decodeResume(text, { path: "f" });
    } catch (error) {
      assert.ok(error instanceof ResumeError, `${error} for ${text}`);
    }
  }
});
