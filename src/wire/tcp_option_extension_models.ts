/**
 * The models of the TCP options of `tcp_option_extensions.ts`: one member
 * of the `TcpOption` union each. Apart from their entries, so that the
 * modules those entries use (`tcp_edo.ts`, `mptcp.ts`) can name them.
 *
 * @module
 */

/** TCP MD5 signature (kind 19, length 18, RFC 2385). */
export interface Md5Option {
  /** The discriminant: `"md5"`. */
  kind: "md5";
  /** 16 bytes. */
  digest: Uint8Array;
}
/** User timeout (kind 28, length 4, RFC 5482). */
export interface UserTimeoutOption {
  /** The discriminant: `"userTimeout"`. */
  kind: "userTimeout";
  /** The G bit: `"minutes"` when set, `"seconds"` when clear. */
  granularity: "seconds" | "minutes";
  /** 15-bit timeout value. */
  timeout: number;
}
/** TCP Authentication Option (kind 29, RFC 5925). */
export interface TcpAoOption {
  /** The discriminant: `"tcpAo"`. */
  kind: "tcpAo";
  /** KeyID of the MKT used for this segment, 0..255. */
  keyId: number;
  /** RNextKeyID: the KeyID the sender wants to receive, 0..255. */
  rNextKeyId: number;
  /** The MAC, any length up to 251 bytes. */
  mac: Uint8Array;
}
/** Multipath TCP (kind 30, RFC 8684): the body after kind and length, raw. */
export interface MptcpOption {
  /** The discriminant: `"mptcp"`. */
  kind: "mptcp";
  /** The bytes after kind and length (subtype first), up to 253. */
  data: Uint8Array;
}
/** TCP Fast Open cookie (kind 34, RFC 7413); an empty cookie is a cookie request. */
export interface FastOpenOption {
  /** The discriminant: `"fastOpen"`. */
  kind: "fastOpen";
  /** 0 or 4..16 bytes (any length up to 253 is representable). */
  cookie: Uint8Array;
}
/** Experimental option (kind 253 or 254) with a 16-bit ExID (RFC 6994). */
export interface ExperimentalOption {
  /** The discriminant: `"experimental"`. */
  kind: "experimental";
  /** The option kind: 253 or 254. */
  type: 253 | 254;
  /** 16-bit experiment identifier. */
  exid: number;
  /** Bytes after the ExID. */
  data: Uint8Array;
}
/** The options of `tcp_option_extensions.ts`: one member of the `TcpOption` union each. */
export type TcpOptionExtension =
  | Md5Option
  | UserTimeoutOption
  | TcpAoOption
  | MptcpOption
  | FastOpenOption
  | ExperimentalOption;
