/**
 * The standalone binary: the release targets and the permissions baked into
 * them (`.ci/compile.ts`, the one place they are decided), checked three
 * ways:
 *
 * - statically: every permission is one the code reachable from `cli.ts`
 *   needs, and every permission that code needs is there;
 * - by running the CLI under exactly those permissions (`deno run` with the
 *   same flags): `--version`, `build`, a `--data-file`, `completions`,
 *   `explain`, and `send` from one network namespace to another, to a host
 *   name from the namespace's /etc/hosts;
 * - by compiling the binary and running the same checks on it, when a
 *   `denort` runtime is at hand (`DENORT_BIN`): Deno downloads it from its
 *   own servers otherwise, which this project's machines cannot reach.
 *
 * Without a runtime, `deno compile` is still run for every target with a
 * stand-in runtime, which proves the command line, the module graph and the
 * type check up to the point where the runtime is needed.
 */

import assert from "node:assert/strict";
import {
  binaryName,
  compileArgs,
  hostTarget,
  permissionFlags,
  PERMISSIONS,
  TARGETS,
  writeSums,
} from "../.ci/compile.ts";
import denoConfig from "../deno.json" with { type: "json" };
import { decodePacket, formatHex, verifyPacketChecksums } from "../mod.ts";
import { completionScript } from "../src/cli/completions.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { COMMANDS, runCommands } from "../src/cli/main.ts";
import { xmas } from "./_fixtures.ts";
import {
  commandExists,
  netnsTestGate,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";

const ROOT = new URL("..", import.meta.url);
const CLI = new URL("cli.ts", ROOT).pathname;
const CONFIG = new URL("deno.json", ROOT).pathname;
const decoder = new TextDecoder();

const HOST = hostTarget();
const registered = (name: string) => COMMANDS.some((c) => c.name === name);

const DENORT = Deno.env.get("DENORT_BIN");
function denortSkipReason(): string | undefined {
  if (HOST === undefined) {
    return `${Deno.build.target} is not a release target`;
  }
  if (DENORT === undefined || DENORT === "") {
    return "no denort runtime: set DENORT_BIN (Deno downloads it from Deno's download servers, unreachable here)";
  }
  try {
    if (Deno.statSync(DENORT).isFile) return undefined;
  } catch {
    // reported below
  }
  return `DENORT_BIN=${DENORT} is not a file`;
}
const DENORT_SKIP = denortSkipReason();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** How to start the CLI: the compiled binary, or `deno run` with its flags. */
type Runner = (args: string[]) => string[];

const denoRunner: Runner = (args) => [
  Deno.execPath(),
  "run",
  "--quiet",
  "--no-lock",
  `--config=${CONFIG}`,
  ...permissionFlags(HOST!),
  CLI,
  ...args,
];

async function exec(argv: string[], env: Record<string, string> = {}) {
  const [command, ...args] = argv;
  const output = await new Deno.Command(command!, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function ok(result: Result, what: string): string {
  assert.equal(result.stderr, "", `${what}: stderr`);
  assert.equal(result.code, 0, `${what}: exit code`);
  return result.stdout;
}

/** The checks that need no network, on the binary or its stand-in. */
async function exerciseOffline(run: Runner): Promise<void> {
  assert.equal(
    ok(await exec(run(["--version"])), "--version"),
    `tcpcraft ${denoConfig.version}\n`,
  );

  // The Christmas-tree packet, against scapy's bytes.
  const hex = ok(
    await exec(run([
      "build",
      "192.0.2.1:666",
      "--src",
      "192.0.2.42",
      "-f",
      "xmas",
      "--format",
      "hex",
    ])),
    "build",
  );
  assert.equal(hex, `${formatHex(xmas.bytes)}\n`);

  // A payload from a file: --allow-read is enough to read it.
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-dist-" });
  try {
    const payload = new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n");
    await Deno.writeFile(`${dir}/payload.bin`, payload);
    const withData = ok(
      await exec(run([
        "build",
        "192.0.2.1:80",
        "--src",
        "192.0.2.42",
        "-f",
        "PA",
        "--data-file",
        `${dir}/payload.bin`,
        "--format",
        "hex",
      ])),
      "build --data-file",
    );
    const bytes = Uint8Array.from(
      withData.trim().match(/../g)!.map((pair) => parseInt(pair, 16)),
    );
    assert.deepEqual(decodePacket(bytes).tcp.payload, payload);
    assert.ok(verifyPacketChecksums(bytes).tcp);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  assert.equal(
    ok(await exec(run(["completions", "bash"])), "completions"),
    completionScript("bash", COMMANDS),
  );

  const XMAS_LINE =
    "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0";
  if (registered("explain")) {
    const explained = ok(
      await exec(run(["explain", formatHex(xmas.bytes)])),
      "explain HEX",
    );
    assert.equal(explained.split("\n")[0], XMAS_LINE);
    assert.match(explained, /Christmas tree/);
  }
  if (registered("send")) {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-dist-" });
    try {
      // --pcap FILE: --allow-write is enough to write the capture.
      const pcap = commandOptions("send").includes("pcap")
        ? ["--pcap", `${dir}/sent.pcap`]
        : [];
      const dry = ok(
        await exec(run([
          "send",
          "192.0.2.1:666",
          "--src",
          "192.0.2.42",
          "-s",
          "20",
          "--seq",
          "0",
          "-f",
          "xmas",
          "--dry-run",
          ...pcap,
        ])),
        "send --dry-run",
      );
      assert.match(
        dry,
        /^IP 192\.0\.2\.42\.20 > 192\.0\.2\.1\.666: Flags \[FPU\]/,
      );
      if (pcap.length > 0 && commandExists("tcpdump")) {
        const read = await exec(["tcpdump", "-nn", "-r", `${dir}/sent.pcap`]);
        assert.equal(read.code, 0, read.stderr);
        assert.match(
          read.stdout,
          /192\.0\.2\.42\.20 > 192\.0\.2\.1\.666: Flags \[FPU\]/,
        );
      }
      if (pcap.length > 0 && commandOptions("explain").includes("pcap")) {
        // explain --pcap FILE: --allow-read is enough to read a capture.
        const fromFile = ok(
          await exec(run(["explain", "--pcap", `${dir}/sent.pcap`])),
          "explain --pcap",
        );
        assert.match(
          fromFile,
          new RegExp(`^${RegExp.escape(XMAS_LINE)}$`, "m"),
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}

/** The option keys of a registered command. */
function commandOptions(name: string): string[] {
  return Object.keys(COMMANDS.find((c) => c.name === name)?.options ?? {});
}

/**
 * `send` from namespace a to namespace b, by host name (from a's
 * /etc/hosts, resolved by the C library), with the source address the
 * kernel picks: tcpdump in b sees the SYN with a correct checksum.
 */
async function exerciseSend(run: Runner, network: TestNetwork): Promise<void> {
  const { a, b } = network;
  await network.etc(a, { hosts: `127.0.0.1 localhost\n${b.ipv4} peer.test\n` });
  const port = 7311;
  const capture = await network.capture(
    b,
    b.ifaces[0]!,
    `tcp and dst port ${port}`,
    { count: 1, timeoutMs: 10000 },
  );
  const result = await network.run(
    a,
    [
      "env",
      "NO_COLOR=1",
      "DENO_NO_UPDATE_CHECK=1",
      ...run([
        "send",
        `peer.test:${port}`,
        "-f",
        "S",
        "-s",
        "40001",
      ]),
    ],
    { check: false, timeoutMs: 30000 },
  );
  assert.equal(result.stderr, "", "send: stderr");
  assert.equal(result.code, 0, "send: exit code");
  assert.match(
    result.stdout,
    new RegExp(
      `^IP ${a.ipv4.replaceAll(".", "\\.")}\\.40001 > ${
        b.ipv4.replaceAll(".", "\\.")
      }\\.${port}: Flags \\[S\\]`,
      "m",
    ),
  );
  const lines = (await capture.result()).join("\n");
  assert.match(
    lines,
    new RegExp(
      `${a.ipv4}\\.40001 > ${b.ipv4}\\.${port}: Flags \\[S\\], cksum 0x[0-9a-f]{4} \\(correct\\)`,
    ),
  );
}

const SEND_GATE = (() => {
  const gate = netnsTestGate("tcpdump");
  if (gate.ignore) return gate;
  if (!registered("send")) {
    return { ignore: true, suffix: " (skipped: send is not registered)" };
  }
  return gate;
})();

// ------------------------------------------------------------ the targets

Deno.test("release targets: Linux and macOS on x86_64 and aarch64, Windows x86_64", () => {
  assert.deepEqual(TARGETS.map(binaryName), [
    "tcpcraft-x86_64-unknown-linux-gnu",
    "tcpcraft-aarch64-unknown-linux-gnu",
    "tcpcraft-x86_64-apple-darwin",
    "tcpcraft-aarch64-apple-darwin",
    "tcpcraft-x86_64-pc-windows-msvc.exe",
  ]);
  for (const target of TARGETS) {
    const args = compileArgs(target, "out");
    assert.deepEqual(args.slice(args.indexOf("--target"), -1), [
      "--target",
      target.triple,
      "--output",
      "out",
    ]);
    assert.equal(args.at(-1), CLI);
  }
});

Deno.test("the binaries get only the permissions listed, each with its reason", () => {
  const all = PERMISSIONS.map((p) => p.flag);
  for (const permission of PERMISSIONS) {
    assert.ok(permission.why.length > 20, permission.flag);
  }
  for (const target of TARGETS) {
    const flags = permissionFlags(target);
    for (const flag of flags) {
      assert.ok(all.includes(flag));
      assert.doesNotMatch(
        flag,
        // --allow-net is whole: connect scans reach any target the user names.
        /^(-A|--allow-all|--allow-run|--allow-sys|--allow-import|--allow-env)$/,
      );
    }
    // Windows cannot send raw TCP: its binary cannot load the C library either.
    assert.equal(flags.includes("--allow-ffi"), target.os !== "windows");
    assert.ok(flags.includes("--no-prompt"));
  }
});

Deno.test({
  name: `SHA256SUMS is what sha256sum -c checks${
    commandExists("sha256sum") ? "" : " (skipped: no sha256sum)"
  }`,
  ignore: !commandExists("sha256sum"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-sums-" });
    try {
      await Deno.writeTextFile(`${dir}/tcpcraft-a`, "one binary\n");
      await Deno.writeFile(`${dir}/tcpcraft-b.exe`, new Uint8Array(70000));
      const sums = await writeSums(dir, ["tcpcraft-a", "tcpcraft-b.exe"]);
      assert.equal(sums, await Deno.readTextFile(`${dir}/SHA256SUMS`));
      const check = async () =>
        await new Deno.Command("sha256sum", {
          args: ["-c", "SHA256SUMS"],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
        }).output();
      const good = await check();
      assert.equal(good.code, 0);
      assert.equal(
        decoder.decode(good.stdout),
        "tcpcraft-a: OK\ntcpcraft-b.exe: OK\n",
      );
      // A changed byte is caught.
      await Deno.writeTextFile(`${dir}/tcpcraft-a`, "one binarY\n");
      const bad = await check();
      assert.notEqual(bad.code, 0);
      assert.match(decoder.decode(bad.stdout), /tcpcraft-a: FAILED/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno.json: compile tasks use .ci/compile.ts, exports are . and ./ffi", () => {
  const tasks = denoConfig.tasks as Record<string, string>;
  assert.match(tasks["compile"]!, /\.ci\/compile\.ts$/);
  assert.match(tasks["compile:all"]!, /\.ci\/compile\.ts --all$/);
  assert.deepEqual(denoConfig.exports, {
    ".": "./mod.ts",
    "./ffi": "./ffi/mod.ts",
  });
});

// ---------------------------------------------- permissions against the code

/** The local modules `cli.ts` loads, with comments removed. */
async function cliSources(): Promise<Map<string, string>> {
  const info = await exec([Deno.execPath(), "info", "--json", CLI]);
  assert.equal(info.code, 0, info.stderr);
  const graph = JSON.parse(info.stdout) as {
    modules: { specifier: string; local?: string }[];
  };
  const sources = new Map<string, string>();
  for (const module of graph.modules) {
    if (!module.specifier.startsWith("file:") || module.local === undefined) {
      continue;
    }
    if (!module.local.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(module.local);
    sources.set(
      module.local.slice(ROOT.pathname.length),
      text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1"),
    );
  }
  return sources;
}

/** What code needs which permission: a pattern for each. */
const PERMISSION_USES: { flag: string; use: RegExp }[] = [
  { flag: "--allow-ffi", use: /\bDeno\.dlopen\b/ },
  {
    flag: "--allow-read",
    use:
      /\bDeno\.(readFile|readTextFile|stat|lstat|readDir|realPath|open)(Sync)?\b/,
  },
  {
    flag: "--allow-write",
    use:
      /\bDeno\.(writeFile|writeTextFile|create|mkdir|remove|rename|copyFile|truncate|makeTemp\w*)(Sync)?\b|\bDeno\.open(Sync)?\([^;]*\b(write|create|append)\s*:\s*true/,
  },
  {
    flag: "--allow-net",
    use:
      /\bfetch\(|\bDeno\.(connect|connectTls|listen|listenTls|listenDatagram|resolveDns)\b|\bnew WebSocket\(/,
  },
  { flag: "--allow-run", use: /\bDeno\.(Command|run)\b/ },
  {
    flag: "--allow-sys",
    use:
      /\bDeno\.(hostname|osRelease|osUptime|networkInterfaces|systemMemoryInfo|loadavg|uid|gid)\b/,
  },
];

Deno.test("the baked permissions are exactly what the code reachable from cli.ts uses", async () => {
  const sources = await cliSources();
  assert.ok(sources.has("cli.ts") && sources.has("ffi/deno_host.ts"));
  // The Linux and macOS set: Windows refuses raw sockets before loading libc.
  const flags = permissionFlags(TARGETS[0]!);
  for (const { flag, use } of PERMISSION_USES) {
    const users = [...sources].filter(([, text]) => use.test(text))
      .map(([path]) => path);
    assert.equal(
      flags.some((f) => f === flag || f.startsWith(`${flag}=`)),
      users.length > 0,
      users.length > 0
        ? `${
          users.join(", ")
        } need ${flag}: add it to PERMISSIONS in .ci/compile.ts with the reason`
        : `nothing reachable from cli.ts needs ${flag}: remove it from PERMISSIONS in .ci/compile.ts`,
    );
  }
  // Environment variables: the names read through the host's env() or
  // Deno.env.get() are exactly those of --allow-env=.
  const read = new Set<string>();
  for (const text of sources.values()) {
    for (
      const match of text.matchAll(/\benv(?:\.get)?\(\s*["'`]([^"'`]+)["'`]/g)
    ) {
      read.add(match[1]!);
    }
  }
  const allowed = flags.find((f) => f.startsWith("--allow-env="))
    ?.slice("--allow-env=".length).split(",") ?? [];
  assert.deepEqual([...read].sort(), [...allowed].sort());
});

// ------------------------------------------------- the CLI under those flags

Deno.test({
  name: "the CLI works under exactly the binary's permissions (deno run)",
  ignore: HOST === undefined,
  async fn() {
    await exerciseOffline(denoRunner);
  },
});

Deno.test({
  name:
    `send works from a namespace under exactly the binary's permissions (deno run)${SEND_GATE.suffix}`,
  ignore: SEND_GATE.ignore || HOST === undefined,
  async fn() {
    await withNetwork((network) => exerciseSend(denoRunner, network));
  },
});

/** The commands that need raw sockets, with a valid command line for each. */
const RAW_COMMANDS: [name: string, args: string[]][] = [
  ["send", ["192.0.2.1:80"]],
  ["probe", ["192.0.2.1:80"]],
  ["trace", ["192.0.2.1:80"]],
  ["scan", ["192.0.2.1", "-p", "80"]],
];

Deno.test("send, probe, trace and scan on Windows say in one line why raw TCP is unavailable", async () => {
  assert.ok(registered("send"));
  for (const [name, args] of RAW_COMMANDS) {
    if (!registered(name)) continue;
    const host = createMemoryHost({ os: "windows" });
    const code = await runCommands([name, ...args], host, {
      meta: { version: "0" },
      commands: COMMANDS,
    });
    assert.equal(code, 1, `${name}: ${host.err}`);
    assert.equal(host.out, "");
    assert.match(
      host.err,
      /^error: Cannot [^\n]*: Windows does not allow raw TCP sockets[^\n]*\n$/,
    );
  }
});

// ------------------------------------------------------------ deno compile

Deno.test({
  name:
    "deno compile accepts the release command line of every target (stopped at the runtime by a stand-in DENORT_BIN)",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-compile-" });
    try {
      const standIn = `${dir}/not-a-runtime`;
      await Deno.writeTextFile(standIn, "this is not a denort binary\n");
      for (const target of TARGETS) {
        const result = await exec(
          [
            Deno.execPath(),
            ...compileArgs(target, `${dir}/${binaryName(target)}`),
          ],
          { DENORT_BIN: standIn },
        );
        assert.notEqual(result.code, 0);
        // The flags parsed, the graph resolved, cli.ts type-checked, and
        // deno compile went on to write the runtime's bytes.
        assert.match(result.stderr, /Writing binary bytes/, result.stderr);
        assert.match(
          result.stderr,
          /Invalid object: (Not an ELF file|Failed to read header|Failed to parse PE)/,
          `${target.triple}: ${result.stderr}`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function compileHost(dir: string): Promise<string> {
  const result = await exec([
    Deno.execPath(),
    "run",
    "--quiet",
    "--allow-run",
    "--allow-read",
    `--allow-write=${dir}`,
    "--allow-env=DENORT_BIN",
    new URL(".ci/compile.ts", ROOT).pathname,
    "--target",
    "host",
    "--out-dir",
    dir,
  ], { DENORT_BIN: DENORT! });
  assert.equal(result.code, 0, result.stderr);
  const name = HOST!.os === "windows" ? "tcpcraft.exe" : "tcpcraft";
  assert.match(result.stdout, new RegExp(`[0-9a-f]{64}  ${name}\\n`));
  if (commandExists("sha256sum")) {
    const check = await new Deno.Command("sha256sum", {
      args: ["-c", "SHA256SUMS"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(decoder.decode(check.stdout), `${name}: OK\n`);
  }
  return `${dir}/${name}`;
}

Deno.test({
  name: `the compiled binary works${
    DENORT_SKIP === undefined ? "" : ` (skipped: ${DENORT_SKIP})`
  }`,
  ignore: DENORT_SKIP !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-bin-" });
    try {
      const binary = await compileHost(dir);
      await exerciseOffline((args) => [binary, ...args]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `the compiled binary sends from a namespace${
    DENORT_SKIP === undefined ? SEND_GATE.suffix : ` (skipped: ${DENORT_SKIP})`
  }`,
  ignore: DENORT_SKIP !== undefined || SEND_GATE.ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-bin-" });
    try {
      const binary = await compileHost(dir);
      await withNetwork((network) =>
        exerciseSend((args) => [binary, ...args], network)
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
