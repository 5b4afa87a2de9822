/**
 * The wire format: TCP, IPv4 and IPv6 headers, TCP options and flags,
 * addresses, hex and the Internet checksum, each as a plain-object model
 * with an `encode*` and a `decode*` that lose nothing.
 *
 * Knowledge is kept as data, one table per kind of thing, and the codecs
 * read it:
 * - header fields: `header_field.ts` (the shape and the accessors) and
 *   one table per header, `tcp_fields.ts`, `ipv4_fields.ts`,
 *   `ipv6_fields.ts`;
 * - TCP options: the registry, one entry per kind
 *   (`tcp_option_kinds.ts`, `tcp_option_extensions.ts`,
 *   `tcp_option_fallbacks.ts`, entries of the shape of
 *   `tcp_option_entry.ts`), read by `tcp_options.ts`, the command line,
 *   the text format, probe and the explainer.
 *
 * The codecs: `tcp.ts` and `tcp_view.ts` (TCP), `ipv4.ts`, `ipv6.ts`, and
 * for whole packets `packet.ts` (building and encoding), `packet_decode.ts`,
 * `ipv6_extensions.ts` and `pseudo_header.ts` (the TCP checksum's final
 * destination), whose public names `packet.ts` exports. `bytes.ts` is the
 * one set of big-endian reads and writes, `text.ts` small words for
 * messages; neither is exported here.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./checksum.ts";
export * from "./address.ts";
export * from "./flags.ts";
export * from "./hex.ts";
export * from "./header_field.ts";
export * from "./tcp_fields.ts";
export * from "./ipv4_fields.ts";
export * from "./ipv6_fields.ts";
export * from "./tcp_option_entry.ts";
export * from "./tcp_option_kinds.ts";
export * from "./tcp_option_extensions.ts";
export * from "./tcp_option_fallbacks.ts";
export * from "./tcp_options.ts";
export * from "./mptcp.ts";
export * from "./tcp_edo.ts";
export * from "./tcp.ts";
export * from "./tcp_view.ts";
export * from "./ipv4.ts";
export * from "./ipv4_options.ts";
export * from "./ipv6.ts";
export * from "./ipv6_extension_kinds.ts";
export * from "./packet.ts";
export * from "./os_presets.ts";
export * from "./tcp_signature.ts";
export { md5 } from "./crypto/md5.ts";
export { hmacSha1, sha1 } from "./crypto/sha1.ts";
export { aes128Encrypt, aesCmac } from "./crypto/aes.ts";
export * from "./fragment.ts";
export * from "./reassembly.ts";
export * from "./random_fields.ts";
