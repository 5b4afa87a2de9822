/**
 * A connect scan as an unprivileged user runs it: `deno run --allow-net`
 * (nothing else) of this file with a JSON list of `address:port` targets;
 * prints each port's result as a JSON line. `connect_scan_test.ts` runs it
 * inside a namespace as `nobody`.
 *
 * @module
 */

import { runConnectScan } from "../mod.ts";
import { createDenoConnector } from "../ffi/mod.ts";

if (import.meta.main) {
  const { targets, timeoutMs } = JSON.parse(Deno.args[0]!) as {
    targets: { address: string; port: number }[];
    timeoutMs: number;
  };
  const outcome = await runConnectScan({
    connector: createDenoConnector(),
    targets: targets.map((t, i) => ({ ...t, addressIndex: i })),
    timeoutMs,
    retries: 1,
    concurrency: 16,
    onResult: (result) => console.log(JSON.stringify(result)),
  });
  console.log(JSON.stringify({ done: outcome }));
}
