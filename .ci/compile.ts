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
 * @throws {Error} When `deno compile` fails, with its output.
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
    if (denortBin() !== undefined && target !== hostTarget()) {
      throw new Error(
        `Cannot compile for ${target.triple} with DENORT_BIN set: deno compile would embed that runtime, which is for this machine; unset DENORT_BIN`,
      );
    }
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
      const text = new TextDecoder().decode(output.stderr).trim();
      const hint = /denort/.test(text)
        ? "\nhint: deno compile could not get the denort runtime; set DENORT_BIN to a denort binary for this target"
        : "";
      throw new Error(
        `Cannot compile for ${target.triple}: deno compile failed\n${text}${hint}`,
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

function usage(message: string): never {
  console.error(
    `compile: ${message}\nusage: deno task compile | deno task compile:all | .ci/compile.ts [--all] [--target TRIPLE]... [--out-dir DIR]`,
  );
  Deno.exit(2);
}

if (import.meta.main) {
  const targets: (Target | "host")[] = [];
  let outDir = new URL("dist", ROOT).pathname;
  const args = [...Deno.args];
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--all") {
      targets.push(...TARGETS);
    } else if (arg === "--target") {
      const triple = args.shift() ?? usage("--target needs a value");
      const target = triple === "host"
        ? "host"
        : TARGETS.find((t) => t.triple === triple) ??
          usage(
            `unknown target ${JSON.stringify(triple)} (one of host, ${
              TARGETS.map((t) => t.triple).join(", ")
            })`,
          );
      targets.push(target);
    } else if (arg === "--out-dir") {
      outDir = args.shift() ?? usage("--out-dir needs a value");
    } else {
      usage(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (targets.length === 0) targets.push("host");
  try {
    const { files, sums } = await compile(targets, outDir);
    console.log(
      `compiled ${files.length} binar${
        files.length === 1 ? "y" : "ies"
      } into ${outDir}:\n${sums.trimEnd()}`,
    );
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
