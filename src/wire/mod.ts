/**
 * The wire format: TCP, IPv4 and IPv6 headers, TCP options and flags,
 * addresses, hex and the Internet checksum, each as a plain-object model
 * with an `encode*` and a `decode*` that lose nothing.
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
export * from "./tcp.ts";
export * from "./tcp_view.ts";
export * from "./ipv4.ts";
export * from "./ipv6.ts";
export * from "./packet.ts";
