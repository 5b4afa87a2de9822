/**
 * Capture files: classic pcap and pcapng, read as streams and written
 * packet by packet, with the link layers stripped down to the IP datagram.
 *
 * @module
 */

export * from "./types.ts";
export * from "./timestamp.ts";
export * from "./link.ts";
export * from "./read.ts";
export * from "./pcap.ts";
export * from "./pcapng_blocks.ts";
export * from "./pcapng.ts";
export * from "./pcapng_writer.ts";
