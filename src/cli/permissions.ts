/**
 * Deno's permissions, asked for before anything else: a command works out
 * from its parsed options what it will need (`--allow-ffi` for raw
 * sockets, routes and names, `--allow-net` for kernel connections,
 * `--allow-read` and `--allow-write` for the files named), and stops with
 * one line that names every flag missing, before it resolves a name, looks
 * up a route, reads or writes a file or opens a socket, so that the first
 * thing a user of `deno run` meets is what to add rather than a guess about
 * the network:
 *
 * `error: Cannot probe: Deno needs --allow-ffi (run: deno run --allow-ffi cli.ts ...)`
 *
 * The wording is the ffi layer's (`permissionHint` in `ffi/errors.ts`),
 * which says the same when a permission goes missing deeper down.
 *
 * @module
 */

import { CliError, listWords } from "./errors.ts";
import type { CliHost } from "./host.ts";
import type { HostPermissionQuery } from "../host/host.ts";

/**
 * The message for missing permissions: what could not be done and the
 * flags to add, in one line.
 *
 * @param action What could not be done: `Cannot probe`.
 * @param flags The flags, `--allow-ffi` first.
 * @returns The message.
 *
 * @example
 * ```ts
 * import { permissionMessage } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   permissionMessage("Cannot probe", ["--allow-ffi"]),
 *   "Cannot probe: Deno needs --allow-ffi (run: deno run --allow-ffi cli.ts ...)",
 * );
 * assert.equal(
 *   permissionMessage("Cannot scan", ["--allow-ffi", "--allow-read", "--allow-write"]),
 *   "Cannot scan: Deno needs --allow-ffi, --allow-read and --allow-write (run: deno run --allow-ffi --allow-read --allow-write cli.ts ...)",
 * );
 * ```
 */
export function permissionMessage(
  action: string,
  flags: readonly string[],
): string {
  return `${action}: Deno needs ${listWords(flags)} (run: deno run ${
    flags.join(" ")
  } cli.ts ...)`;
}

/** Options whose value names a file the command reads. */
const READ_KEYS = ["dataFile", "targetsFile", "excludeFile", "resume"];
/** Options whose value names a file the command writes. */
const WRITE_KEYS = [
  "pcap",
  "outputNormal",
  "outputXml",
  "outputGrepable",
  "outputAll",
  "resumeFile",
  "html",
];

/** What {@linkcode permissionsFor} takes besides the option values. */
export interface PermissionNeeds {
  /** Raw sockets, routes or host names through the C library. */
  ffi?: boolean;
  /** Kernel connections to these hosts (the first few are asked about). */
  net?: readonly string[];
  /** Option keys whose files are read although they are usually written (`explain --pcap`). */
  readKeys?: readonly string[];
}

/**
 * The permissions a command line needs: `ffi` and `net` as the command
 * says, and `read` or `write` for every file an option names (standard
 * input and output, `-`, need none).
 *
 * @param values The parsed option values.
 * @param needs What the command itself needs.
 * @returns The queries, `ffi` first.
 *
 * @example
 * ```ts
 * import { permissionsFor } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   permissionsFor({ dataFile: "a.bin", pcap: "out.pcap" }, { ffi: true }),
 *   [
 *     { name: "ffi" },
 *     { name: "read", path: "a.bin" },
 *     { name: "write", path: "out.pcap" },
 *   ],
 * );
 * ```
 */
export function permissionsFor(
  values: Readonly<Record<string, unknown>>,
  needs: PermissionNeeds = {},
): HostPermissionQuery[] {
  const queries: HostPermissionQuery[] = [];
  if (needs.ffi === true) queries.push({ name: "ffi" });
  for (const host of (needs.net ?? []).slice(0, 4)) {
    queries.push({ name: "net", host });
  }
  const readKeys = [...READ_KEYS, ...(needs.readKeys ?? [])];
  for (const key of [...readKeys, ...WRITE_KEYS]) {
    const value = values[key];
    if (typeof value !== "string" || value === "" || value === "-") continue;
    const name = readKeys.includes(key) ? "read" : "write";
    // -oA BASE writes BASE.nmap, BASE.xml and BASE.gnmap.
    queries.push({ name, path: key === "outputAll" ? `${value}.nmap` : value });
  }
  return queries;
}

/**
 * Stop with one line when the runtime withholds a permission the command
 * line needs (see the module documentation). Hosts that grant everything
 * pass.
 *
 * @param host The host.
 * @param action What could not be done: `Cannot probe`.
 * @param queries What is needed ({@linkcode permissionsFor}).
 * @throws {CliError} Naming every flag to add (exit 1).
 *
 * @example
 * ```ts
 * import { requirePermissions } from "./permissions.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = {
 *   ...createMemoryHost(),
 *   missingPermissions: () => ["--allow-ffi"],
 * };
 * assert.throws(
 *   () => requirePermissions(host, "Cannot probe", [{ name: "ffi" }]),
 *   /^CliError: Cannot probe: Deno needs --allow-ffi \(run: deno run --allow-ffi cli\.ts \.\.\.\)$/,
 * );
 * ```
 */
export function requirePermissions(
  host: CliHost,
  action: string,
  queries: readonly HostPermissionQuery[],
): void {
  if (queries.length === 0) return;
  const missing = host.missingPermissions?.(queries) ?? [];
  if (missing.length > 0) {
    throw new CliError(permissionMessage(action, missing));
  }
}

/**
 * Whether an error says that Deno withholds a permission (the ffi layer's
 * `FfiPermissionError` and the files' messages): such an error is passed
 * on as it is, never wrapped in a guess about the network.
 *
 * @param error Anything thrown.
 * @returns True for a permission error.
 *
 * @example
 * ```ts
 * import { isPermissionMessage } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isPermissionMessage(new Error("Cannot use raw sockets: Deno needs --allow-ffi (run: deno run --allow-ffi cli.ts ...)")));
 * assert.ok(!isPermissionMessage(new Error("network is unreachable")));
 * ```
 */
export function isPermissionMessage(error: unknown): error is Error {
  return error instanceof Error && /\bDeno needs --allow-/.test(error.message);
}
