/**
 * `scan`'s byte-built result lines (src/cli/scan_lines.ts) against the
 * output formatter's lines for the same results: byte for byte, in every
 * format they replace.
 */

import assert from "node:assert/strict";
import type { ScanResult, ScanResultView } from "../mod.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { createFormatter } from "../src/cli/output.ts";
import { ScanLineWriter } from "../src/cli/scan_lines.ts";
import { SCAN_OUTPUT_KINDS, scanView } from "../src/cli/scan_output.ts";

const RESULTS: ScanResult[] = [
  {
    host: "192.0.2.1",
    port: 22,
    state: "open",
    reason: "syn-ack",
    rttMs: 0.5,
    ttl: 64,
    addressIndex: 0,
  },
  {
    host: "192.0.2.10",
    port: 65535,
    state: "open|filtered",
    reason: "no-response",
    rttMs: null,
    addressIndex: 1,
  },
  {
    host: "2001:db8::1",
    port: 7,
    state: "filtered",
    reason: "admin-prohibited",
    rttMs: 12.34567,
    ttl: 250,
    reasonIp: "192.0.2.254",
    addressIndex: 2,
  },
  {
    host: "10.0.0.1",
    port: 443,
    state: "closed",
    reason: "reset",
    rttMs: 1000.0004,
    addressIndex: 3,
  },
  {
    host: "10.0.0.2",
    port: 1000,
    state: "unfiltered",
    reason: "a-reason-longer-than-nineteen",
    rttMs: 0,
    ttl: 1,
    addressIndex: 4,
  },
];

Deno.test("ScanLineWriter writes the formatter's table, csv and ndjson lines byte for byte", () => {
  for (const format of ["table", "csv", "ndjson"] as const) {
    for (const width of [4, 11, 15]) {
      const generic = createMemoryHost();
      const formatter = createFormatter(
        SCAN_OUTPUT_KINDS[format],
        generic,
        scanView(width),
      );
      formatter.write(RESULTS);
      const fast = createMemoryHost();
      const lines = new ScanLineWriter(fast, format, width);
      for (const result of RESULTS) {
        const view: ScanResultView = {
          ...result,
          ttl: result.ttl,
          reasonIp: result.reasonIp,
        };
        lines.write(view);
      }
      lines.flush();
      assert.equal(fast.out, generic.out, `${format} ${width}`);
    }
  }
});

Deno.test("ScanLineWriter flushes a full buffer and writes bytes where the host takes them", () => {
  const host = createMemoryHost();
  const chunks: Uint8Array[] = [];
  host.stdoutBytes = (bytes) => chunks.push(bytes.slice());
  const lines = new ScanLineWriter(host, "csv", 9);
  for (let i = 0; i < 5000; i++) {
    lines.write({ ...RESULTS[0]!, ttl: 64, reasonIp: undefined });
  }
  lines.flush();
  const text = chunks.map((c) => new TextDecoder().decode(c)).join("");
  assert.equal(text, "192.0.2.1,22,open,syn-ack,0.5\n".repeat(5000));
  assert.ok(chunks.length > 1);
  assert.equal(host.out, "");
});
