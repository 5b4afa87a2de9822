/**
 * Compile the tcpcraft CLI into standalone binaries with `deno compile`.
 *
 * - `deno task compile`: this machine's target, `dist/tcpcraft`.
 * - `deno task compile:all`: every release target,
 *   `dist/tcpcraft-<target>[.exe]`, plus `dist/SHA256SUMS`.
 *
 * Options: `--all`, `--target TRIPLE` (repeatable), `--out-dir DIR`
 * (default `dist`). Every run writes `SHA256SUMS` for the binaries it built,
 * in the format `sha256sum -c` and `shasum -a 256 -c` check.
 *
 * The permissions baked into the binaries are decided here and only here
 * ({@linkcode PERMISSIONS}); `tests/dist_test.ts` runs the CLI with exactly
 * these flags and checks them against what the code uses.
 *
 * `deno compile` needs Deno's `denort` runtime for each target. Deno
 * downloads it from its own servers unless `DENORT_BIN` names a local copy,
 * which it then uses whatever the target: set it only to compile for the
 * runtime's own target (`--target host`). Where those servers cannot be
 * reached and no `DENORT_BIN` is set, compiling fails with a download
 * error.
 *
 * Every failure is one line on standard error, `error: Cannot compile …:
 * why; what to do`, exit 1 (2 for a bad command line), never Deno's
 * backtrace: a `DENORT_BIN` that names no file is said to be missing before
 * `deno compile` runs, and what `deno compile` prints when it fails is
 * read for its cause ({@linkcode compileFailure}).
 *
 * @module
 */

/** One permission baked into the binaries, and why it is there. */
export interface Permission {
  /** The `deno compile` flag. */
  flag: string;
  /** Why the CLI needs it. */
  why: string;
  /** Left out of the Windows binary (which cannot send raw TCP). */
  notOnWindows?: boolean;
}

/**
 * The permissions of the binaries: what the commands need, nothing more.
 * Host names are resolved by the C library's `getaddrinfo` through FFI
 * (ffi/resolve.ts) and raw sockets are FFI too; `--allow-net` is for the
 * connect scan's kernel connections only (Deno.connect), and `--allow-run`
 * is scoped to `nft` (the reset hold of --banners).
 * `tests/dist_test.ts` fails when the code reachable from `cli.ts` starts
 * using a Deno API whose permission is not here, or stops using one that
 * is.
 */
export const PERMISSIONS: readonly Permission[] = [
  {
    flag: "--allow-ffi",
    why:
      "raw sockets, the route's source address and host-name resolution call the C library",
    notOnWindows: true,
  },
  {
    flag: "--allow-read",
    why:
      "files the user names (--data-file, --targets-file, --exclude-file, explain --pcap FILE), anywhere",
  },
  {
    flag: "--allow-write",
    why:
      "the capture file the user names with --pcap FILE, and the page of --html FILE, anywhere",
  },
  {
    flag: "--allow-net",
    why:
      "scan --scan connect makes ordinary kernel TCP connections (Deno.connect) to the targets the user names, any host",
  },
  {
    flag: "--allow-run=nft",
    why:
      "scan --banners holds the kernel's resets back for its hand-made sessions with an nftables rule of its own (the nft command, started before privileges are given up), removed after",
    notOnWindows: true,
  },
  {
    flag: "--allow-env=TCPCRAFT_DEBUG,SUDO_UID,SUDO_GID",
    why:
      "TCPCRAFT_DEBUG=1 adds the stack trace to an unexpected error; SUDO_UID and SUDO_GID name the user a command started with sudo becomes once its sockets are open; no other variable is read",
  },
  {
    flag: "--no-prompt",
    why:
      "a permission that is missing fails with a message instead of waiting at a prompt",
  },
];

/** A target of `deno compile --target`. */
export interface Target {
  /** The Rust target triple Deno names its runtimes by. */
  triple: string;
  /** `Deno.build.os` on that target. */
  os: "linux" | "darwin" | "windows";
}

/** The release targets, in the order of `SHA256SUMS`. */
export const TARGETS: readonly Target[] = [
  { triple: "x86_64-unknown-linux-gnu", os: "linux" },
  { triple: "aarch64-unknown-linux-gnu", os: "linux" },
  { triple: "x86_64-apple-darwin", os: "darwin" },
  { triple: "aarch64-apple-darwin", os: "darwin" },
  // Built for the offline commands (build, explain, completions); send says
  // why it cannot work there.
  { triple: "x86_64-pc-windows-msvc", os: "windows" },
];

/**
 * The permission flags baked into the binary for a target.
 *
 * @param target The target.
 * @returns The flags.
 */
export function permissionFlags(target: Target): string[] {
  return PERMISSIONS
    .filter((p) => !(target.os === "windows" && p.notOnWindows === true))
    .map((p) => p.flag);
}

/**
 * The file name of a release binary: `tcpcraft-<triple>[.exe]`.
 *
 * @param target The target.
 * @returns The name.
 */
export function binaryName(target: Target): string {
  return `tcpcraft-${target.triple}${target.os === "windows" ? ".exe" : ""}`;
}

/**
 * The target this machine is, if it is a release target.
 *
 * @returns The target, or undefined.
 */
export function hostTarget(): Target | undefined {
  return TARGETS.find((t) => t.triple === Deno.build.target) ??
    // Deno's own triple for Linux may name the libc differently.
    TARGETS.find((t) =>
      t.os === Deno.build.os && t.triple.startsWith(`${Deno.build.arch}-`)
    );
}

/** The repository root (this file is in `.ci/`). */
export const ROOT: URL = new URL("../", import.meta.url);

/**
 * The `deno` arguments that compile the CLI for a target.
 *
 * @param target The target.
 * @param output Where to write the binary.
 * @returns The arguments after `deno`.
 */
export function compileArgs(target: Target, output: string): string[] {
  return [
    "compile",
    "--quiet",
    // Embed only the npm packages cli.ts reaches (none), not the test
    // dependencies in deno.lock.
    "--exclude-unused-npm",
    ...permissionFlags(target),
    "--target",
    target.triple,
    "--output",
    output,
    new URL("cli.ts", ROOT).pathname,
  ];
}

/**
 * The hex SHA-256 of a file.
 *
 * @param path The file.
 * @returns 64 hex digits.
 */
export async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** `DENORT_BIN` when set and readable (the tasks grant `--allow-env=DENORT_BIN`). */
function denortBin(): string | undefined {
  const state =
    Deno.permissions.querySync({ name: "env", variable: "DENORT_BIN" }).state;
  const value = state === "granted" ? Deno.env.get("DENORT_BIN") : undefined;
  return value === "" ? undefined : value;
}

/** Where Deno downloads the runtime of a target from, for messages. */
function runtimeUrl(target: Target): string {
  return `https://dl.deno.land/release/v${Deno.version.deno}/denort-${target.triple}.zip`;
}

/** What to do about a runtime that cannot be downloaded. */
function downloadHint(target: Target): string {
  return `download ${
    runtimeUrl(target)
  } where it can be reached, unzip it and set DENORT_BIN to the denort binary inside`;
}

/** What to do about a `DENORT_BIN` that is no runtime. */
function denortHint(target: Target): string {
  return `point DENORT_BIN at the denort binary unzipped from ${
    runtimeUrl(target)
  }`;
}

/** Refuse a `DENORT_BIN` that names no file, before `deno compile` runs. */
async function checkDenortBin(path: string, target: Target): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(
      `Cannot compile for ${target.triple}: DENORT_BIN=${path} is missing (${why}); ${
        denortHint(target)
      }`,
    );
  }
  if (!info.isFile) {
    throw new Error(
      `Cannot compile for ${target.triple}: DENORT_BIN=${path} is a directory, not the denort binary; ${
        denortHint(target)
      }`,
    );
  }
}

/**
 * The one line a failed `deno compile` comes to: its root cause (the last
 * of its "Caused by" list, its backtrace left out) and what to do about it
 * — a runtime that could not be downloaded, a `DENORT_BIN` that is missing
 * or is no runtime for the target — or else its first error line.
 *
 * @param stderr What `deno compile` wrote to standard error.
 * @param target The target it compiled for.
 * @param denort The `DENORT_BIN` it was given, if any.
 * @returns The message, one line, without `error: `.
 *
 * @example
 * ```ts
 * import { compileFailure, TARGETS } from "./compile.ts";
 * import assert from "node:assert/strict";
 *
 * const stderr = [
 *   "error: Writing deno compile executable to temporary file 'dist/tcpcraft.tmp'",
 *   "",
 *   "Caused by:",
 *   "    0: Setting up base binary.",
 *   "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error",
 *   "    2: failed to lookup address information: Name or service not known",
 *   "",
 *   "Stack backtrace:",
 *   "   0: <unknown>",
 * ].join("\n");
 * const line = compileFailure(stderr, TARGETS[0]!, undefined);
 * assert.match(line, /^Cannot compile for x86_64-unknown-linux-gnu: deno compile could not download its runtime from dl\.deno\.land \(failed to lookup address information: Name or service not known\); download https:/);
 * assert.ok(!line.includes("\n"));
 * ```
 */
export function compileFailure(
  stderr: string,
  target: Target,
  denort: string | undefined,
): string {
  const lines = stderr.split("\n").map((line) => line.trim());
  const end = lines.findIndex((line) => /^Stack backtrace:/.test(line));
  const kept = (end < 0 ? lines : lines.slice(0, end)).filter((l) => l !== "");
  const causes = kept.flatMap((line) => {
    const match = /^\d+: (.*)$/.exec(line);
    return match === null ? [] : [match[1]!];
  });
  const first = kept.find((line) => /^error: /.test(line))?.slice(7) ??
    kept[0] ?? "no message";
  const root = causes.at(-1) ?? first;
  const action = `Cannot compile for ${target.triple}`;
  const missing = /Could not find denort at '([^']*)'/.exec(stderr);
  if (missing !== null) {
    return `${action}: DENORT_BIN=${missing[1]} is missing (${root}); ${
      denortHint(target)
    }`;
  }
  if (
    denort !== undefined &&
    /Invalid object|Not an ELF|Failed to (read header|parse PE)|Mach-O/i.test(
      stderr,
    )
  ) {
    return `${action}: DENORT_BIN=${denort} is not a denort binary for this target (${root}); ${
      denortHint(target)
    }`;
  }
  if (/dl\.deno\.land|denort-[\w-]+\.zip/.test(stderr)) {
    return `${action}: deno compile could not download its runtime from dl.deno.land (${root}); ${
      downloadHint(target)
    }`;
  }
  return `${action}: deno compile failed: ${first}${
    root === first ? "" : ` (${root})`
  }`;
}

/** What {@linkcode compile} built. */
export interface CompileResult {
  /** The binaries' file names, in `outDir`. */
  files: string[];
  /** The text of `SHA256SUMS`. */
  sums: string;
}

/**
 * Compile the CLI for some targets into a folder and write `SHA256SUMS`.
 *
 * @param targets What to build; `"host"` builds this machine's target as
 *   `tcpcraft` (`tcpcraft.exe` on Windows).
 * @param outDir The folder (created if missing).
 * @returns The files and the checksums.
 * @throws {Error} When `deno compile` fails or `DENORT_BIN` names no
 *   file, with a message of one line ({@linkcode compileFailure}).
 */
export async function compile(
  targets: readonly (Target | "host")[],
  outDir: string,
): Promise<CompileResult> {
  await Deno.mkdir(outDir, { recursive: true });
  const files: string[] = [];
  for (const wanted of targets) {
    const target = wanted === "host" ? hostTarget() : wanted;
    if (target === undefined) {
      throw new Error(
        `Cannot compile for this machine: ${Deno.build.target} is not a release target`,
      );
    }
    const denort = denortBin();
    if (denort !== undefined && target !== hostTarget()) {
      throw new Error(
        `Cannot compile for ${target.triple} with DENORT_BIN set: deno compile would embed that runtime, which is for this machine; unset DENORT_BIN`,
      );
    }
    if (denort !== undefined) await checkDenortBin(denort, target);
    const name = wanted === "host"
      ? `tcpcraft${target.os === "windows" ? ".exe" : ""}`
      : binaryName(target);
    const output = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(target, `${outDir}/${name}`),
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(
        compileFailure(
          new TextDecoder().decode(output.stderr),
          target,
          denort,
        ),
      );
    }
    files.push(name);
  }
  return { files, sums: await writeSums(outDir, files) };
}

/**
 * Write `SHA256SUMS` for files of a folder, one `<hex>  <name>` line each,
 * as `sha256sum -c` and `shasum -a 256 -c` read it.
 *
 * @param dir The folder.
 * @param files The file names, in order.
 * @returns The text written.
 */
export async function writeSums(
  dir: string,
  files: readonly string[],
): Promise<string> {
  const lines = [];
  for (const name of files) {
    lines.push(`${await sha256File(`${dir}/${name}`)}  ${name}\n`);
  }
  const sums = lines.join("");
  await Deno.writeTextFile(`${dir}/SHA256SUMS`, sums);
  return sums;
}

/** A bad command line: one line, exit 2. */
class UsageError extends Error {}

const USAGE =
  "usage: deno task compile | deno task compile:all | .ci/compile.ts [--all] [--target TRIPLE]... [--out-dir DIR]";

/** The targets and the folder of a command line. */
function parseCommandLine(
  argv: readonly string[],
): { targets: (Target | "host")[]; outDir: string } {
  const targets: (Target | "host")[] = [];
  let outDir = new URL("dist", ROOT).pathname;
  const args = [...argv];
  const value = (flag: string) => {
    const next = args.shift();
    if (next === undefined) throw new UsageError(`${flag} needs a value`);
    return next;
  };
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--all") {
      targets.push(...TARGETS);
    } else if (arg === "--target") {
      const triple = value("--target");
      const target = triple === "host"
        ? "host"
        : TARGETS.find((t) => t.triple === triple);
      if (target === undefined) {
        throw new UsageError(
          `unknown target ${JSON.stringify(triple)} (one of host, ${
            TARGETS.map((t) => t.triple).join(", ")
          })`,
        );
      }
      targets.push(target);
    } else if (arg === "--out-dir") {
      outDir = value("--out-dir");
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (targets.length === 0) targets.push("host");
  return { targets, outDir };
}

/**
 * Run as `deno task compile`: every failure one line, exit 1 (2 for a bad
 * command line), whatever was thrown.
 *
 * @param argv The arguments.
 * @returns The exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const { targets, outDir } = parseCommandLine(argv);
    const { files, sums } = await compile(targets, outDir);
    console.log(
      `compiled ${files.length} binar${
        files.length === 1 ? "y" : "ies"
      } into ${outDir}:\n${sums.trimEnd()}`,
    );
    return 0;
  } catch (error) {
    const message = error instanceof Error
      ? error.message || error.name
      : String(error);
    const line = message.split("\n").map((l) => l.trim()).filter((l) =>
      l !== ""
    ).join("; ");
    if (error instanceof UsageError) {
      console.error(`compile: ${line} (${USAGE})`);
      return 2;
    }
    // Deno's own messages (a permission the task lacks) get the action.
    console.error(
      `error: ${
        /^Cannot /.test(line)
          ? line
          : `Cannot compile: ${line[0]!.toLowerCase()}${line.slice(1)}`
      }`,
    );
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
