/**
 * The pcapng block model: block type codes, and the section header and
 * interface description blocks as the decoder reports them.
 *
 * @module
 */

/**
 * pcapng block type codes.
 *
 * @example
 * ```ts
 * import { PCAPNG_BLOCK_TYPE } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PCAPNG_BLOCK_TYPE.SECTION_HEADER, 0x0a0d0d0a);
 * assert.equal(PCAPNG_BLOCK_TYPE.ENHANCED_PACKET, 6);
 * ```
 */
export const PCAPNG_BLOCK_TYPE = {
  /** Starts a section; its byte-order magic sets the byte order of the section. */
  SECTION_HEADER: 0x0a0d0d0a,
  /** Describes one interface: link type, snapshot length, timestamp resolution. */
  INTERFACE_DESCRIPTION: 0x0000_0001,
  /** Obsolete packet block (16-bit interface id). */
  PACKET: 0x0000_0002,
  /** A packet without timestamp, on interface 0. */
  SIMPLE_PACKET: 0x0000_0003,
  /** Name resolution records (skipped). */
  NAME_RESOLUTION: 0x0000_0004,
  /** Interface statistics (skipped). */
  INTERFACE_STATISTICS: 0x0000_0005,
  /** A packet with interface, timestamp and options. */
  ENHANCED_PACKET: 0x0000_0006,
  /** TLS keys and the like (skipped). */
  DECRYPTION_SECRETS: 0x0000_000a,
  /** Custom block that may be copied (skipped). */
  CUSTOM: 0x0000_0bad,
  /** Custom block that should not be copied (skipped). */
  CUSTOM_NO_COPY: 0x4000_0bad,
} as const;

/** One option of a block, undecoded: its code and value bytes (padding removed). */
export interface PcapngOption {
  /** Option code (meaning depends on the block type; 1 is a comment everywhere). */
  code: number;
  /** The value bytes. */
  value: Uint8Array;
}

/** A decoded section header block. */
export interface PcapngSection {
  /** Byte offset of the block in the file. */
  offset: number;
  /** Byte order of the section. */
  littleEndian: boolean;
  /** Format version, major (1). */
  versionMajor: number;
  /** Format version, minor (0). */
  versionMinor: number;
  /** Length of the section in bytes after this block, or -1n for unknown. */
  sectionLength: bigint;
  /** `shb_hardware`, when present. */
  hardware?: string;
  /** `shb_os`, when present. */
  os?: string;
  /** `shb_userappl`: the application that wrote the section, when present. */
  userApplication?: string;
  /** `opt_comment`s joined with "\n", when present. */
  comment?: string;
  /** Every option in file order, undecoded. */
  options: PcapngOption[];
}

/** A decoded interface description block. */
export interface PcapngInterface {
  /** Interface id: the index of this block among the section's interfaces. */
  id: number;
  /** Byte offset of the block in the file. */
  offset: number;
  /** Link type of the packets on this interface. */
  linkType: number;
  /** Snapshot length (0: no limit). */
  snaplen: number;
  /** `if_name`, when present. */
  name?: string;
  /** `if_description`, when present. */
  description?: string;
  /** `if_tsresol`: timestamps count units of `base ** -exponent` seconds (default 10^-6). */
  timestampResolution: { base: 2 | 10; exponent: number };
  /** `if_tsoffset`: seconds added to every timestamp (default 0). */
  timestampOffset: number;
  /** `if_fcslen`: bytes of frame check sequence at the end of each frame, when present. */
  fcsLength?: number;
  /** Every option in file order, undecoded. */
  options: PcapngOption[];
}
