/**
 * The models of IPv4 options and the shape of an entry of the IPv4 option
 * registry (`IPV4_OPTION_REGISTRY`, in `ipv4_option_kinds.ts`): what the
 * encoder, the decoder, the command line and the explainer read.
 *
 * @module
 */

import type {
  TcpOptionLengthRule,
  TcpOptionSpelling,
} from "./tcp_option_entry.ts";

/** End of option list (type 0, one byte). */
export interface Ipv4EolOption {
  /** The discriminant: `"eol"`. */
  kind: "eol";
}
/** No operation (type 1, one byte). */
export interface Ipv4NopOption {
  /** The discriminant: `"nop"`. */
  kind: "nop";
}
/** Record route (7), loose source route (131) or strict source route (137), RFC 791. */
export interface Ipv4RouteOption {
  /** Which of the three. */
  kind: "recordRoute" | "looseSourceRoute" | "strictSourceRoute";
  /**
   * The pointer: the byte (from 1, the type byte) of the next address to
   * use or fill; 4 is the first. Default 4.
   */
  pointer?: number;
  /** The addresses, in order (0.0.0.0 for an empty record-route slot). */
  addresses: string[];
}
/** One entry of a timestamp option. */
export interface Ipv4TimestampEntry {
  /** The address (flags 1 and 3); absent with flag 0. */
  address?: string;
  /** Milliseconds since midnight UT, 32 bits (0: not yet filled). */
  timestamp: number;
}
/** Internet timestamp (type 68, RFC 791). */
export interface Ipv4TimestampOption {
  /** The discriminant: `"timestamp"`. */
  kind: "timestamp";
  /** The pointer to the next free entry, from 1; 5 is the first. Default 5. */
  pointer?: number;
  /** Overflow: how many hops could not record, 0..15. */
  overflow: number;
  /**
   * 0: timestamps only; 1: each router writes its address and a timestamp;
   * 3: the addresses are given, and only those routers write their
   * timestamp. 0..15 (other values are undefined).
   */
  flag: number;
  /** The entries. */
  entries: Ipv4TimestampEntry[];
}
/** Router alert (type 148, RFC 2113): routers should look at this packet. */
export interface Ipv4RouterAlertOption {
  /** The discriminant: `"routerAlert"`. */
  kind: "routerAlert";
  /** 16 bits; 0 means "routers shall examine the packet". */
  value: number;
}
/** Security (type 130), RFC 791's 11-byte form. */
export interface Ipv4SecurityOption {
  /** The discriminant: `"security"`. */
  kind: "security";
  /** S: the security level, 16 bits (0xd788 secret, 0 unclassified…). */
  level: number;
  /** C: compartments, 16 bits. */
  compartments: number;
  /** H: handling restrictions, 16 bits. */
  handling: number;
  /** TCC: transmission control code, 24 bits. */
  tcc: number;
}
/** Any other option: type, then length = 2 + data.length, then data. */
export interface Ipv4UnknownOption {
  /** The discriminant: `"unknown"`. */
  kind: "unknown";
  /** The option type, 0..255. */
  type: number;
  /** The bytes after type and length. */
  data: Uint8Array;
}
/** Bytes written verbatim: malformed options, or what a lenient decoder could not read. */
export interface Ipv4RawOption {
  /** The discriminant: `"raw"`. */
  kind: "raw";
  /** The bytes. */
  bytes: Uint8Array;
}

/** One IPv4 option. */
export type Ipv4Option =
  | Ipv4EolOption
  | Ipv4NopOption
  | Ipv4RouteOption
  | Ipv4TimestampOption
  | Ipv4RouterAlertOption
  | Ipv4SecurityOption
  | Ipv4UnknownOption
  | Ipv4RawOption;

/** How the explainer shows an IPv4 option. */
export interface Ipv4OptionWords {
  /** The value as it reads best in a diagram cell. */
  display: string;
  /** What the option says, in plain words. */
  meaning: string;
}

/** Everything tcpcraft knows about one kind of IPv4 option. */
export interface Ipv4OptionEntry<
  O extends { kind: string } = { kind: string },
> {
  /** The model's discriminant. */
  readonly name: O["kind"];
  /** The type numbers this entry decodes; empty for `unknown` and `raw`. */
  readonly types: readonly number[];
  /** Its length on the wire, type and length bytes included. */
  readonly length: TcpOptionLengthRule;
  /** Check the option's values; throws a RangeError naming the field. */
  check(option: O): void;
  /** The type byte written. */
  type(option: O): number;
  /** The body's length (after type and length; all the bytes for `raw`). */
  bodyLength(option: O): number;
  /** Write the body of a checked option. */
  encode(option: O, body: Uint8Array): void;
  /** Read a body of a right length, or say why it is malformed. */
  decode(body: Uint8Array, type: number): O | string;
  /** The name and short name of a type: `["Record route", "RR"]`. */
  label(type: number): readonly [name: string, abbreviation: string];
  /** The words of a decoded option. */
  words(option: O): Ipv4OptionWords;
  /** How it is written on the command line (`--ip-opt`). */
  readonly spelling?: TcpOptionSpelling<O>;
}
