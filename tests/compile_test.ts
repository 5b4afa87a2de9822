/**
 * `.ci/compile.ts` (`deno task compile`) when it cannot compile: every
 * failure is one line with what to do, exit 1 (2 for a bad command line),
 * never Deno's backtrace. A `DENORT_BIN` that names no file is said to be
 * missing, by its path; without a runtime at hand (a namespace with no
 * network, an empty Deno cache) the line says the runtime could not be
 * downloaded and how to give one with `DENORT_BIN`.
 *
 * What it builds when it can is `tests/dist_test.ts`'s.
 *
 * @module
 */

import assert from "node:assert/strict";
import { compileFailure, hostTarget, TARGETS } from "../.ci/compile.ts";
import { netnsTestGate, withNetwork } from "./_netns.ts";

const COMPILE = new URL("../.ci/compile.ts", import.meta.url).pathname;
const decoder = new TextDecoder();
const HOST = hostTarget();
const LINUX = TARGETS[0]!;

/** What `deno compile` printed when dl.deno.land could not be reached. */
const DOWNLOAD_FAILED =
  `error: Writing deno compile executable to temporary file '/work/dist/tcpcraft.tmp-6310e18e4d031036'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
    3: dns error
    4: failed to lookup address information: Name or service not known

Stack backtrace:
   0: <unknown>
`;

/** What it printed for a DENORT_BIN that went missing. */
const DENORT_MISSING =
  `error: Writing deno compile executable to temporary file '/work/dist/tcpcraft.tmp-dc2ed25ff3620c6a'

Caused by:
    0: Could not find denort at '/nonexistent'
    1: No such file or directory (os error 2)

Stack backtrace:
   0: <unknown>
`;

/** And for a DENORT_BIN that is not a runtime. */
const NOT_A_RUNTIME =
  `error: Writing deno compile executable to temporary file '/tmp/out/x.tmp-ae61355d8810ce1d'

Caused by:
    0: Writing binary bytes
    1: Invalid object: Not an ELF file

Stack backtrace:
   0: <unknown>
`;

function oneLine(text: string): void {
  assert.ok(!text.includes("\n"), `more than one line: ${text}`);
  assert.doesNotMatch(text, /Stack backtrace|<unknown>/);
}

Deno.test("compileFailure() brings what deno compile printed to one line: the root cause and what to do", () => {
  const download = compileFailure(DOWNLOAD_FAILED, LINUX, undefined);
  oneLine(download);
  assert.equal(
    download,
    `Cannot compile for x86_64-unknown-linux-gnu: deno compile could not download its runtime from dl.deno.land (failed to lookup address information: Name or service not known); download https://dl.deno.land/release/v${Deno.version.deno}/denort-x86_64-unknown-linux-gnu.zip where it can be reached, unzip it and set DENORT_BIN to the denort binary inside`,
  );
  const missing = compileFailure(DENORT_MISSING, LINUX, "/nonexistent");
  oneLine(missing);
  assert.match(
    missing,
    /^Cannot compile for x86_64-unknown-linux-gnu: DENORT_BIN=\/nonexistent is missing \(No such file or directory \(os error 2\)\); point DENORT_BIN at the denort binary unzipped from https:\/\/dl\.deno\.land\//,
  );
  const junk = compileFailure(NOT_A_RUNTIME, LINUX, "/tmp/junk");
  oneLine(junk);
  assert.match(
    junk,
    /^Cannot compile for x86_64-unknown-linux-gnu: DENORT_BIN=\/tmp\/junk is not a denort binary for this target \(Invalid object: Not an ELF file\); point DENORT_BIN at /,
  );
  const other = compileFailure(
    'error: Module not found "file:///work/cli.ts".\n',
    LINUX,
    undefined,
  );
  assert.equal(
    other,
    'Cannot compile for x86_64-unknown-linux-gnu: deno compile failed: Module not found "file:///work/cli.ts".',
  );
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run .ci/compile.ts as the task does, writing into a folder of its own. */
async function compileTask(
  options: { env?: Record<string, string>; args?: string[]; allow?: string[] },
): Promise<Result> {
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-compile-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        ...(options.allow ?? [
          "--allow-run",
          "--allow-read",
          `--allow-write=${dir}`,
          "--allow-env=DENORT_BIN",
        ]),
        COMPILE,
        "--out-dir",
        dir,
        ...(options.args ?? []),
      ],
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The one line of standard error, checked to be the only one. */
function onlyLine(result: Result): string {
  assert.equal(result.stdout, "");
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /Stack backtrace|^\s+at /m);
  return lines[0]!;
}

Deno.test({
  name:
    `the compile task names a DENORT_BIN that is missing, or a folder, in one line, exit 1${
      HOST === undefined ? " (skipped: not a release target)" : ""
    }`,
  ignore: HOST === undefined,
  async fn() {
    const missing = `/nonexistent-tcpcraft-${crypto.randomUUID()}/denort`;
    const result = await compileTask({ env: { DENORT_BIN: missing } });
    assert.equal(result.code, 1);
    const line = onlyLine(result);
    assert.ok(
      line.startsWith(
        `error: Cannot compile for ${
          HOST!.triple
        }: DENORT_BIN=${missing} is missing (no such file); point DENORT_BIN at the denort binary unzipped from https://dl.deno.land/`,
      ),
      line,
    );
    const dir = await Deno.makeTempDir();
    try {
      const folder = await compileTask({ env: { DENORT_BIN: dir } });
      assert.equal(folder.code, 1);
      assert.match(
        onlyLine(folder),
        new RegExp(`DENORT_BIN=${dir} is a directory, not the denort binary`),
      );
    } finally {
      await Deno.remove(dir);
    }
  },
});

Deno.test("the compile task refuses a bad command line in one line, exit 2, and a missing permission in one line, exit 1", async () => {
  for (
    const [args, message] of [
      [["--target"], "compile: --target needs a value (usage: "],
      [["--target", "x"], 'compile: unknown target "x" (one of host, '],
      [["--bogus"], 'compile: unknown argument "--bogus" (usage: '],
    ] as const
  ) {
    const result = await compileTask({ args: [...args] });
    assert.equal(result.code, 2, args.join(" "));
    assert.ok(onlyLine(result).startsWith(message), result.stderr);
  }
  const denied = await compileTask({ allow: ["--allow-read"] });
  assert.equal(denied.code, 1);
  assert.match(
    onlyLine(denied),
    /^error: Cannot compile: requires write access to "[^"]*", run again with the --allow-write flag$/,
  );
});

const gate = netnsTestGate();

Deno.test({
  name:
    `the compile task with no runtime to be had (no network, an empty Deno cache) says so in one line, with how to give DENORT_BIN${gate.suffix}`,
  ignore: gate.ignore || HOST === undefined,
  async fn() {
    const cache = await Deno.makeTempDir({ prefix: "tcpcraft-deno-dir-" });
    const out = await Deno.makeTempDir({ prefix: "tcpcraft-compile-" });
    try {
      await withNetwork(async (network) => {
        // No resolver and no route: dl.deno.land cannot be reached.
        await network.etc(network.a, {
          "resolv.conf": "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
        });
        const result = await network.run(network.a, [
          "env",
          "-u",
          "DENORT_BIN",
          `DENO_DIR=${cache}`,
          "DENO_NO_UPDATE_CHECK=1",
          "NO_COLOR=1",
          Deno.execPath(),
          "run",
          "--quiet",
          "--allow-run",
          "--allow-read",
          `--allow-write=${out}`,
          "--allow-env=DENORT_BIN",
          COMPILE,
          "--out-dir",
          out,
        ], { check: false, timeoutMs: 120000 });
        assert.equal(result.code, 1, result.stderr);
        const line = onlyLine(result);
        assert.equal(
          line,
          `error: Cannot compile for ${
            HOST!.triple
          }: deno compile could not download its runtime from dl.deno.land (${
            /\(([^()]*)\); download /.exec(line)?.[1]
          }); download https://dl.deno.land/release/v${Deno.version.deno}/denort-${
            HOST!.triple
          }.zip where it can be reached, unzip it and set DENORT_BIN to the denort binary inside`,
        );
      });
    } finally {
      await Deno.remove(cache, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});
