/**
 * The scan-type registry (src/engine/scan/types.ts): every name the rest of
 * the code reads about scan types comes from its entries.
 */

import assert from "node:assert/strict";
import {
  noResponseVerdict,
  SCAN_TYPE_FLAGS,
  SCAN_TYPE_SPECS,
  SCAN_TYPES,
  scanTypeSpec,
  TCP_FLAGS,
  tcpVerdict,
} from "../mod.ts";
import { SCAN_OPTIONS } from "../src/cli/scan_options.ts";

Deno.test("SCAN_TYPES lists the registry's entries in order, with nmap's options", () => {
  assert.deepEqual(SCAN_TYPES, [
    "syn",
    "fin",
    "null",
    "xmas",
    "ack",
    "window",
    "maimon",
  ]);
  assert.deepEqual(
    SCAN_TYPES.map((scan) => SCAN_TYPE_SPECS[scan].nmapOption),
    ["-sS", "-sF", "-sN", "-sX", "-sA", "-sW", "-sM"],
  );
  assert.ok(Object.isFrozen(SCAN_TYPES) && Object.isFrozen(SCAN_TYPE_SPECS));
});

Deno.test("SCAN_TYPE_FLAGS, tcpVerdict and noResponseVerdict read the registry", () => {
  for (const scan of SCAN_TYPES) {
    const spec = scanTypeSpec(scan);
    assert.equal(SCAN_TYPE_FLAGS[scan], spec.flags);
    assert.equal(noResponseVerdict(scan).state, spec.noResponse);
    for (const flags of [0, TCP_FLAGS.rst, TCP_FLAGS.syn | TCP_FLAGS.ack]) {
      assert.deepEqual(tcpVerdict(scan, flags, 7), spec.tcp(flags, 7));
    }
  }
});

Deno.test("--scan's help is written from the registry", () => {
  // The raw types from the registry, then the connect scan (kernel
  // connections, not a probe of the registry).
  assert.deepEqual(SCAN_OPTIONS.scan.choices, [...SCAN_TYPES, "connect"]);
  assert.equal(
    SCAN_OPTIONS.scan.help,
    "syn | fin | null | xmas | ack | window | maimon (default syn): the probe's flags and how replies are read, as nmap's -sS -sF -sN -sX -sA -sW -sM; connect: kernel connections as nmap's -sT (no root, no raw sockets; --allow-net only)",
  );
});
