/**
 * `--os linux|windows|macos|freebsd`: a SYN as those systems send it (the
 * options in their order, window, TTL and DF, from `SYN_PRESETS`, whose
 * sources are p0f's signatures), for `send`, `probe`, `build` and `scan`.
 * Values the command line gives explicitly (`-o`, `--window`, `--ttl`,
 * `--df`) win over the preset's.
 *
 * @module
 */

import { defineOptions } from "./args.ts";
import {
  applySynPreset,
  SYN_PRESETS,
  type SynPresetOs,
} from "../wire/os_presets.ts";
import type { TcpPacketInit } from "../wire/packet.ts";

/** The systems `--os` names. */
export const OS_PRESETS = Object.keys(SYN_PRESETS) as SynPresetOs[];

/** The `--os` option. */
export const OS_OPTION = defineOptions({
  os: {
    kind: "string",
    choices: OS_PRESETS,
    valueName: "OS",
    help:
      "send the SYN options, their order, window, TTL and DF of this system (p0f's signatures): linux | windows | macos | freebsd",
    group: "TCP",
  },
});

/**
 * A packet init with `--os`'s preset applied under what was given
 * explicitly.
 *
 * @param init The init from the command line.
 * @param os The preset, if any.
 * @returns The init to build.
 *
 * @example
 * ```ts
 * import { withOsPreset } from "./os_option.ts";
 * import assert from "node:assert/strict";
 *
 * const init = withOsPreset({ src: "192.0.2.42", dst: "192.0.2.1", window: 1000 }, "windows");
 * assert.equal(init.window, 1000);
 * assert.equal(init.ttl, 128);
 * assert.equal(init.options?.length, 6);
 * ```
 */
export function withOsPreset(
  init: TcpPacketInit,
  os: SynPresetOs | undefined,
): TcpPacketInit {
  if (os === undefined) return init;
  const applied = applySynPreset(init, os);
  const given = Object.fromEntries(
    Object.entries(init).filter(([key, value]) =>
      value !== undefined &&
      !(key === "options" && Array.isArray(value) && value.length === 0)
    ),
  );
  return { ...applied, ...given } as TcpPacketInit;
}
