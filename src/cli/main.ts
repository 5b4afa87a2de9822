/**
 * The entry point of the CLI: {@linkcode runCli} dispatches to a command of
 * the registry {@linkcode COMMANDS}, answers `--help` and `--version`, and
 * turns every error into one line on standard error and an exit code.
 *
 * - usage error: `tcpcraft <command>: <message>` and
 *   `Try 'tcpcraft <command> --help'.`, exit 2;
 * - run-time error (`CliError`): `error: <message>`, its exit code (1);
 * - anything else: `error: <message>`, exit 1, with the stack only when the
 *   environment has `TCPCRAFT_DEBUG=1`.
 *
 * Control characters in messages are escaped before they are written.
 *
 * @module
 */

import { didYouMean } from "./args.ts";
import { buildCommand } from "./commands/build.ts";
import type { Command } from "./command.ts";
import { createCompletionsCommand } from "./completions.ts";
import {
  CliError,
  escapeControls,
  EXIT_FAILURE,
  EXIT_USAGE,
  quote,
  UsageError,
} from "./errors.ts";
import { explainCommand } from "./commands/explain.ts";
import type { CliHost, CliMeta } from "./host.ts";
import { listenCommand } from "./commands/listen.ts";
import { probeCommand } from "./commands/probe.ts";
import { scanCommand } from "./commands/scan.ts";
import { sendCommand } from "./commands/send.ts";
import { traceCommand } from "./commands/trace.ts";

/**
 * Every command, in the order of the help. Add a command here after
 * defining it with `defineCommand` (see `command.ts`).
 */
export const COMMANDS: readonly Command[] = Object.freeze([
  buildCommand,
  sendCommand,
  explainCommand,
  probeCommand,
  scanCommand,
  traceCommand,
  listenCommand,
  createCompletionsCommand(() => COMMANDS),
]);

/**
 * The top-level help text.
 *
 * @param commands The commands to list (default {@linkcode COMMANDS}).
 * @returns The help, ending with a newline.
 *
 * @example
 * ```ts
 * import { topLevelHelp } from "./main.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(topLevelHelp(), /^USAGE:$/m);
 * assert.match(topLevelHelp(), /^ {4}build {2,}/m);
 * ```
 */
export function topLevelHelp(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    "tcpcraft: build TCP packets byte by byte, send them, explain every bit",
    "",
    "USAGE:",
    "    tcpcraft COMMAND [ARGS] [OPTIONS]",
    "    tcpcraft COMMAND --help",
    "",
    "COMMANDS:",
    ...commands.map((command) =>
      `    ${command.name.padEnd(width)}    ${command.summary}`
    ),
    "",
    "OPTIONS:",
    "    -h, --help       print this help, or a command's with COMMAND --help",
    "    -V, --version    print the version",
    "",
    "EXAMPLES:",
    "    A Christmas-tree packet (FIN, PSH, URG) as hex:",
    "      tcpcraft build 192.0.2.1:666 --src 192.0.2.42 -f xmas --format hex",
    "",
    "ENVIRONMENT:",
    "    TCPCRAFT_DEBUG=1    print the stack trace of an unexpected error",
    "",
  ].join("\n");
}

/**
 * Run the CLI.
 *
 * @param args The arguments after the program name: `["build", "192.0.2.1", …]`.
 * @param host The operating system, injected.
 * @param meta The version.
 * @returns The exit code: 0 success, 1 run-time failure, 2 bad command line.
 *
 * @example
 * ```ts
 * import { runCli } from "./main.ts";
 * import { createMemoryHost } from "./host.ts";
 * import assert from "node:assert/strict";
 *
 * const host = createMemoryHost();
 * assert.equal(await runCli(["--version"], host, { version: "1.2.3" }), 0);
 * assert.equal(host.out, "tcpcraft 1.2.3\n");
 *
 * const bad = createMemoryHost();
 * assert.equal(await runCli(["bild"], bad, { version: "1.2.3" }), 2);
 * assert.equal(
 *   bad.err,
 *   "tcpcraft: unknown command \"bild\" (did you mean build?)\nTry 'tcpcraft --help'.\n",
 * );
 * assert.equal(bad.out, "");
 * ```
 */
export async function runCli(
  args: string[],
  host: CliHost,
  meta: CliMeta,
): Promise<number> {
  return await runCommands(args, host, { meta, commands: COMMANDS });
}

/** Options for {@linkcode runCommands}. */
export interface RunCommandsOptions {
  /** The version. */
  meta: CliMeta;
  /** The registry to dispatch to. */
  commands: readonly Command[];
}

/**
 * {@linkcode runCli} with a registry of one's own (for tests, and for
 * programs that embed some of the commands).
 *
 * @param args The arguments after the program name.
 * @param host The operating system.
 * @param options The version and the commands.
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import { runCommands } from "./main.ts";
 * import { createMemoryHost } from "./host.ts";
 * import { CliError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const failing = {
 *   name: "fail", summary: "always fails", help: () => "",
 *   run: () => Promise.reject(new CliError("it failed")),
 * };
 * const host = createMemoryHost();
 * const code = await runCommands(["fail"], host, {
 *   meta: { version: "0" }, commands: [failing],
 * });
 * assert.equal(code, 1);
 * assert.equal(host.err, "error: it failed\n");
 * ```
 */
export async function runCommands(
  args: string[],
  host: CliHost,
  options: RunCommandsOptions,
): Promise<number> {
  const { meta, commands } = options;
  const names = commands.map((command) => command.name);
  const find = (name: string) => commands.find((c) => c.name === name);
  let prefix = "tcpcraft";
  let helpHint = "tcpcraft --help";
  try {
    const first = args[0];
    if (first === undefined) {
      throw new UsageError(`missing command (one of ${names.join(", ")})`);
    }
    if (first === "--help" || first === "-h" || first === "help") {
      const topic = args[1];
      if (topic === undefined || first !== "help") {
        host.stdout(topLevelHelp(commands));
        return 0;
      }
      const command = find(topic);
      if (command === undefined) {
        throw new UsageError(
          `unknown command ${quote(topic)}${didYouMean(topic, names, "")}`,
        );
      }
      host.stdout(command.help());
      return 0;
    }
    if (first === "--version" || first === "-V") {
      host.stdout(`tcpcraft ${meta.version}\n`);
      return 0;
    }
    if (first.startsWith("-")) {
      const name = first.replace(/^-+/, "").split("=")[0]!;
      throw new UsageError(
        `unknown option ${
          /^[-\w]+$/.test(first) ? first : quote(first)
        }; options go after the command${
          find(name) === undefined ? "" : ` (did you mean ${name}?)`
        }`,
      );
    }
    const command = find(first);
    if (command === undefined) {
      throw new UsageError(
        `unknown command ${quote(first)}${didYouMean(first, names, "")}`,
      );
    }
    prefix = `tcpcraft ${command.name}`;
    helpHint = `tcpcraft ${command.name} --help`;
    return await command.run(args.slice(1), { host, meta });
  } catch (error) {
    return report(error, host, prefix, helpHint);
  }
}

function report(
  error: unknown,
  host: CliHost,
  prefix: string,
  helpHint: string,
): number {
  const line = (text: string) => escapeControls(text.split("\n")[0] ?? "");
  try {
    if (error instanceof UsageError) {
      host.stderr(`${prefix}: ${line(error.message)}\nTry '${helpHint}'.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      host.stderr(`error: ${line(error.message)}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error
      ? `${error.message === "" ? error.name : error.message}`
      : String(error);
    host.stderr(`error: ${line(message)}\n`);
    if (host.env("TCPCRAFT_DEBUG") === "1" && error instanceof Error) {
      host.stderr(`${error.stack ?? ""}\n`);
    }
  } catch {
    // Standard error is gone: nothing more can be said.
  }
  return EXIT_FAILURE;
}
