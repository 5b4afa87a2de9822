/**
 * The command line that runs tcpcraft's CLI from source in a test: the
 * runtime this test runs under, quiet, never prompting, with the
 * project's configuration, and the permissions a test chooses (all by
 * default). For `TestNetwork.run`/`start`, which put it in a namespace.
 *
 * @module
 */

/** The CLI's entry point. */
export const CLI: string = new URL("../cli.ts", import.meta.url).pathname;

/** The project's configuration. */
export const CONFIG: string = new URL("../deno.json", import.meta.url).pathname;

/** Options for {@linkcode cliLine}. */
export interface CliLineOptions {
  /** Deno's permission flags (default `["-A"]`). */
  allow?: readonly string[];
  /** `NAME=value` pairs for the environment. */
  env?: readonly string[];
  /** The runtime (default the one running the tests). */
  deno?: string;
}

/**
 * `env … deno run --quiet --no-prompt --config=deno.json -A cli.ts ARGS`;
 * `TCPCRAFT_DEBUG` is unset, so messages are what a user sees.
 *
 * @param args The CLI's arguments (`["send", "10.200.0.2"]`).
 * @param options Permissions, environment, runtime.
 * @returns The command line.
 */
export function cliLine(
  args: readonly string[],
  options: CliLineOptions = {},
): string[] {
  return [
    "env",
    "-u",
    "TCPCRAFT_DEBUG",
    "DENO_NO_UPDATE_CHECK=1",
    "NO_COLOR=1",
    ...(options.env ?? []),
    options.deno ?? Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${CONFIG}`,
    ...(options.allow ?? ["-A"]),
    CLI,
    ...args,
  ];
}
