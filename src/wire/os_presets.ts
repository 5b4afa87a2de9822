/**
 * SYN presets by operating system: the TCP options in the order each
 * system sends them in its SYN, its window and window scale, its MSS, its
 * TTL or hop limit and its DF bit, so that a crafted SYN looks like the
 * SYN of a real system (some middleboxes drop SYNs without the usual
 * options). One entry per system in {@linkcode SYN_PRESETS}, each with the
 * documented source of its values: p0f v3's `p0f.fp`
 * (<https://github.com/p0f/p0f/blob/4abbd20ecd7421461e360c77a98dff98e08a8b10/p0f.fp>,
 * cited by line; a signature reads `version:ttl:options length:mss:window,
 * scale:option layout:quirks:payload`) and, for Linux, a capture of the
 * kernel's own `connect()`.
 *
 * | preset | options | window | scale | TTL | DF | source |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | linux | mss, sackOK, TS, nop, wscale | MSS × ⌊65535 / MSS⌋ (64240) | 7 | 64 | yes | p0f.fp:97, capture of Linux 6.18 |
 * | windows | mss, nop, wscale, nop, nop, sackOK | 8192 | 8 | 128 | yes | p0f.fp:186 |
 * | macos | mss, nop, wscale, nop, nop, TS, sackOK, eol (+1 byte of padding) | 65535 | 4 | 64 | yes | p0f.fp:220 |
 * | freebsd | mss, nop, wscale, sackOK, TS | 65535 | 6 | 64 | yes | p0f.fp:235 |
 *
 * The MSS is Ethernet's: 1460 over IPv4 and 1440 over IPv6 (the IPv6
 * header is 20 bytes longer), as every one of these systems derives it
 * from the interface MTU of 1500. DF applies to IPv4 only.
 *
 * @module
 */

import { parseAddress } from "./address.ts";
import type { TcpPacketInit } from "./packet.ts";
import type { TcpOption } from "./tcp_option_kinds.ts";

/** The systems with a preset. */
export type SynPresetOs = "linux" | "windows" | "macos" | "freebsd";

/** An option of a preset's layout, in p0f's words. */
export type SynPresetOption = "mss" | "nop" | "ws" | "sok" | "ts" | "eol";

/** Where a preset's values come from. */
export interface SynPresetSource {
  /** The file and line (`p0f.fp:97`). */
  where: string;
  /** The p0f signature or the capture, as written there. */
  text: string;
  /** What the source does not say and how the value was chosen, if anything. */
  note?: string;
}

/** How one system sends a SYN. */
export interface SynPreset {
  /** The system, as `--os` names it. */
  os: SynPresetOs;
  /** p0f's label of the signature. */
  label: string;
  /** The options, in order (p0f's `olayout`). */
  layout: readonly SynPresetOption[];
  /**
   * The window: a number, or `mss-multiple` for the largest multiple of
   * the MSS that fits in 16 bits (Linux since 4.19).
   */
  window: number | "mss-multiple";
  /** The window scale shift. */
  windowScale: number;
  /** The MSS over IPv4; over IPv6 it is 20 less. */
  mss: number;
  /** The initial TTL or hop limit. */
  ttl: number;
  /** Whether IPv4 SYNs carry DF. */
  dontFragment: boolean;
  /** The documented sources of these values. */
  sources: readonly SynPresetSource[];
}

const P0F = "p0f.fp";

/**
 * Every preset, one entry per system; see the module documentation for
 * the table and the sources.
 *
 * @example
 * ```ts
 * import { SYN_PRESETS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(SYN_PRESETS.linux.layout, ["mss", "sok", "ts", "nop", "ws"]);
 * assert.equal(SYN_PRESETS.windows.ttl, 128);
 * assert.match(SYN_PRESETS.freebsd.sources[0]!.where, /^p0f\.fp:235$/);
 * ```
 */
export const SYN_PRESETS: Readonly<Record<SynPresetOs, SynPreset>> = Object
  .freeze({
    linux: {
      os: "linux",
      label: "s:unix:Linux:3.11 and newer",
      layout: ["mss", "sok", "ts", "nop", "ws"],
      window: "mss-multiple",
      windowScale: 7,
      mss: 1460,
      ttl: 64,
      dontFragment: true,
      sources: [
        {
          where: `${P0F}:97`,
          text: "*:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0",
          note:
            "p0f v3 (2016) has the window of Linux 3.x, 20 × MSS; kernels since 4.19 open with the largest multiple of the MSS under 65536 (64240 with an MSS of 1460), as the capture shows",
        },
        {
          where: "a capture of connect() on Linux 6.18, default tcp_rmem",
          text:
            "Flags [S], win 64240, options [mss 1460,sackOK,TS val … ecr 0,nop,wscale 7], ttl 64, DF",
        },
      ],
    },
    windows: {
      os: "windows",
      label: "s:win:Windows:7 or 8",
      layout: ["mss", "nop", "ws", "nop", "nop", "sok"],
      window: 8192,
      windowScale: 8,
      mss: 1460,
      ttl: 128,
      dontFragment: true,
      sources: [{
        where: `${P0F}:186`,
        text: "*:128:0:*:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0",
        note:
          "p0f v3 has no signature of later Windows versions, so none is claimed for them",
      }],
    },
    macos: {
      os: "macos",
      label: "s:unix:MacOS X:10.9 or newer (sometimes iPhone or iPad)",
      layout: ["mss", "nop", "ws", "nop", "nop", "ts", "sok", "eol"],
      window: 65535,
      windowScale: 4,
      mss: 1460,
      ttl: 64,
      dontFragment: true,
      sources: [{
        where: `${P0F}:220`,
        text: "*:64:0:*:65535,4:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0",
        note:
          "eol+1: an end-of-list option and one byte of padding, 24 bytes of options in all",
      }],
    },
    freebsd: {
      os: "freebsd",
      label: "s:unix:FreeBSD:9.x or newer",
      layout: ["mss", "nop", "ws", "sok", "ts"],
      window: 65535,
      windowScale: 6,
      mss: 1460,
      ttl: 64,
      dontFragment: true,
      sources: [{
        where: `${P0F}:235`,
        text: "*:64:0:*:65535,6:mss,nop,ws,sok,ts:df,id+:0",
      }],
    },
  });

/**
 * The systems with a preset, as `--os` lists them.
 *
 * @example
 * ```ts
 * import { SYN_PRESET_OSES } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(SYN_PRESET_OSES, ["linux", "windows", "macos", "freebsd"]);
 * ```
 */
export const SYN_PRESET_OSES: readonly SynPresetOs[] = Object.freeze(
  Object.keys(SYN_PRESETS) as SynPresetOs[],
);

/** Options for {@linkcode synPresetFields}. */
export interface SynPresetFieldOptions {
  /** The address family (default 4). */
  family?: 4 | 6;
  /** The timestamp option's value, where the preset has one (default 1). */
  timestamp?: number;
  /** The MSS (default the preset's for the family). */
  mss?: number;
}

/** The fields a preset sets on a SYN. */
export interface SynPresetFields {
  /** The TCP options, in order. */
  options: TcpOption[];
  /** The window. */
  window: number;
  /** The TTL or hop limit. */
  ttl: number;
  /** DF (IPv4); undefined for IPv6. */
  dontFragment?: boolean;
}

/**
 * The fields of a SYN as a system sends it.
 *
 * @param os The system.
 * @param options The family, the timestamp value, the MSS.
 * @returns The options, window, TTL and DF.
 *
 * @example
 * ```ts
 * import { synPresetFields } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const linux = synPresetFields("linux", { family: 6, timestamp: 7 });
 * assert.equal(linux.window, 64800); // 45 × 1440
 * assert.deepEqual(linux.options, [
 *   { kind: "mss", value: 1440 },
 *   { kind: "sackOk" },
 *   { kind: "timestamp", value: 7, echo: 0 },
 *   { kind: "nop" },
 *   { kind: "wscale", shift: 7 },
 * ]);
 * assert.equal(linux.dontFragment, undefined);
 * ```
 */
export function synPresetFields(
  os: SynPresetOs,
  options: SynPresetFieldOptions = {},
): SynPresetFields {
  const preset = SYN_PRESETS[os];
  const family = options.family ?? 4;
  const mss = options.mss ?? (family === 4 ? preset.mss : preset.mss - 20);
  const tcpOptions = preset.layout.map((slot): TcpOption => {
    switch (slot) {
      case "mss":
        return { kind: "mss", value: mss };
      case "nop":
        return { kind: "nop" };
      case "ws":
        return { kind: "wscale", shift: preset.windowScale };
      case "sok":
        return { kind: "sackOk" };
      case "ts":
        return { kind: "timestamp", value: options.timestamp ?? 1, echo: 0 };
      case "eol":
        return { kind: "eol" };
    }
  });
  const fields: SynPresetFields = {
    options: tcpOptions,
    window: preset.window === "mss-multiple"
      ? Math.floor(0xffff / mss) * mss
      : preset.window,
    ttl: preset.ttl,
  };
  if (family === 4) fields.dontFragment = preset.dontFragment;
  return fields;
}

/**
 * A packet init with a system's SYN fields: options, window, TTL or hop
 * limit, and DF on IPv4. Everything else of the init is kept (ports,
 * flags, sequence number); what the preset sets replaces the init's.
 *
 * @param init What `makeTcpPacket` takes.
 * @param os The system.
 * @param options The timestamp value and MSS (the family is the init's).
 * @returns A new init.
 *
 * @example
 * ```ts
 * import { applySynPreset, encodePacket, makeTcpPacket } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const init = applySynPreset({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 443 }, "macos");
 * const packet = makeTcpPacket(init);
 * assert.equal(packet.tcp.window, 65535);
 * assert.equal(packet.ip.version === 4 && packet.ip.dontFragment, true);
 * assert.equal(encodePacket(packet).length, 20 + 20 + 24); // eol+1: 24 bytes of options
 * ```
 */
export function applySynPreset(
  init: TcpPacketInit,
  os: SynPresetOs,
  options: Omit<SynPresetFieldOptions, "family"> = {},
): TcpPacketInit {
  const family = parseAddress(init.src).family;
  const fields = synPresetFields(os, { ...options, family });
  const { hopLimit: _, ttl: __, ...rest } = init;
  const applied: TcpPacketInit = {
    ...rest,
    options: fields.options,
    window: fields.window,
    ttl: fields.ttl,
  };
  if (fields.dontFragment !== undefined) {
    applied.dontFragment = fields.dontFragment;
  }
  return applied;
}
