/**
 * The tcpcraft command line: `deno run cli.ts COMMAND …` or the compiled
 * binary. See `tcpcraft --help`.
 *
 * @module
 */

import denoConfig from "./deno.json" with { type: "json" };
import { createDenoConnector } from "./ffi/connect.ts";
import { createDenoHost } from "./ffi/deno_host.ts";
import { createFfiNet } from "./ffi/net.ts";
import { holdKernelResets, prepareResetHolds } from "./ffi/resets.ts";
import { runCli } from "./src/cli/main.ts";

/**
 * Run the CLI with the Deno host and the ffi layer's network.
 *
 * @param args The arguments after the program name.
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["build", "--help"]), 0);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  // Kernel connections for connect scans (--allow-net only), and the
  // kernel's resets held back for the hand-made sessions of --banners
  // (through an nft process started before privileges are given up).
  const host = createDenoHost({
    net: { ...createFfiNet(), holdKernelResets, prepareResetHolds },
    connector: createDenoConnector(),
  });
  return await runCli(args, host, { version: denoConfig.version });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
