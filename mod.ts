/**
 * tcpcraft: build TCP/IP packets byte by byte, decode them without losing a
 * bit, and (with `--allow-ffi`) send them over raw sockets.
 *
 * This module is portable: importing it needs no permission and does
 * nothing but define things. It works by URL, in browsers and in any
 * runtime with Web-standard APIs. The raw-socket API lives in `ffi/mod.ts`.
 *
 * @example Build a Christmas-tree packet and read it back
 * ```ts
 * import { decodePacket, encodePacket, parseFlags, verifyPacketChecksums } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodePacket({
 *   ip: {
 *     version: 4, tos: 0, id: 1, dontFragment: false, moreFragments: false,
 *     fragmentOffset: 0, ttl: 64, protocol: 6,
 *     src: "192.0.2.42", dst: "192.0.2.1", options: new Uint8Array(),
 *   },
 *   tcp: {
 *     srcPort: 20, dstPort: 666, seq: 0, ack: 0, flags: parseFlags("xmas"),
 *     window: 8192, urgentPointer: 0, options: [], payload: new Uint8Array(),
 *   },
 * });
 * assert.equal(bytes.length, 40);
 * const packet = decodePacket(bytes);
 * assert.equal(packet.tcp.flags, 0b101001);
 * assert.equal(packet.tcp.dstPort, 666);
 * assert.ok(verifyPacketChecksums(bytes).tcp);
 * ```
 *
 * @module
 */

export * from "./src/wire/mod.ts";
export * from "./src/capture/mod.ts";
export * from "./src/engine/mod.ts";
export * from "./src/explain/mod.ts";
export * from "./src/filter/mod.ts";
