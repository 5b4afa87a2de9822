/**
 * Multipath TCP options (RFC 8684 §3) as types: the `mptcp` option of the
 * registry keeps its body as bytes (`MptcpOption.data`, so any body, even
 * a malformed one, round-trips), and {@linkcode decodeMptcp} and
 * {@linkcode encodeMptcp} read and write those bytes as one of the
 * subtypes: MP_CAPABLE, MP_JOIN (SYN, SYN-ACK and third ACK forms), DSS,
 * ADD_ADDR, REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE and MP_TCPRST.
 * A body that fits none of their layouts reads as `unknown`.
 *
 * @module
 */

import { formatAddress, parseAddress } from "./address.ts";
import { read16, read32, write32 } from "./bytes.ts";
import { formatHex } from "./hex.ts";

/** MP_CAPABLE (subtype 0): the handshake, with the keys as they become known. */
export interface MpCapable {
  /** The discriminant. */
  subtype: "mpCapable";
  /** Version, 0..15 (1 for RFC 8684). */
  version: number;
  /** Flags A..H: 0x80 checksum required, 0x40 extensibility, 0x20 no more subflows, 0x01 HMAC-SHA256. */
  flags: number;
  /** The sender's key, 8 bytes (SYN-ACK, third ACK). */
  senderKey?: Uint8Array;
  /** The receiver's key, 8 bytes (third ACK). */
  receiverKey?: Uint8Array;
  /** Data-level length, with data on the third ACK. */
  dataLength?: number;
  /** DSS checksum, with data when checksums are on. */
  checksum?: number;
}
/** MP_JOIN (subtype 1): a new subflow joins the connection. */
export interface MpJoin {
  /** The discriminant. */
  subtype: "mpJoin";
  /** Which message: the SYN (token, nonce), the SYN-ACK (64-bit HMAC, nonce), the third ACK (160-bit HMAC). */
  stage: "syn" | "synAck" | "ack";
  /** B: the subflow is a backup (SYN, SYN-ACK). */
  backup?: boolean;
  /** Address ID (SYN, SYN-ACK). */
  addressId?: number;
  /** The receiver's token, 32 bits (SYN). */
  token?: number;
  /** The sender's random number, 32 bits (SYN, SYN-ACK). */
  nonce?: number;
  /** The HMAC: 8 bytes (SYN-ACK) or 20 (third ACK). */
  hmac?: Uint8Array;
}
/** DSS (subtype 2): data sequence mapping and data-level acknowledgment. */
export interface MptcpDss {
  /** The discriminant. */
  subtype: "dss";
  /** DATA_FIN (F). */
  fin: boolean;
  /** Data ACK, 32 or 64 bits (`dataAck64`). */
  dataAck?: bigint;
  /** Whether the Data ACK is 8 bytes (a). */
  dataAck64?: boolean;
  /** Data sequence number, 32 or 64 bits (`dsn64`), with the mapping. */
  dsn?: bigint;
  /** Whether the DSN is 8 bytes (m). */
  dsn64?: boolean;
  /** Subflow sequence number (relative), with the mapping. */
  subflowSeq?: number;
  /** Data-level length, with the mapping. */
  dataLength?: number;
  /** Checksum, when the connection uses them. */
  checksum?: number;
}
/** ADD_ADDR (subtype 3): another address of the sender. */
export interface MptcpAddAddr {
  /** The discriminant. */
  subtype: "addAddr";
  /** E: this echoes an ADD_ADDR received (no HMAC). */
  echo: boolean;
  /** Address ID. */
  addressId: number;
  /** The address, IPv4 or IPv6. */
  address: string;
  /** The port, when given. */
  port?: number;
  /** Truncated HMAC, 8 bytes (when not an echo). */
  hmac?: Uint8Array;
}
/** REMOVE_ADDR (subtype 4). */
export interface MptcpRemoveAddr {
  /** The discriminant. */
  subtype: "removeAddr";
  /** The address IDs removed. */
  addressIds: number[];
}
/** MP_PRIO (subtype 5): change a subflow's priority. */
export interface MptcpPrio {
  /** The discriminant. */
  subtype: "mpPrio";
  /** B: backup. */
  backup: boolean;
  /** Address ID (RFC 6824's form only). */
  addressId?: number;
}
/** MP_FAIL (subtype 6): fall back to TCP at this DSN. */
export interface MptcpFail {
  /** The discriminant. */
  subtype: "mpFail";
  /** Data sequence number, 64 bits. */
  dsn: bigint;
}
/** MP_FASTCLOSE (subtype 7): close the whole connection at once. */
export interface MptcpFastclose {
  /** The discriminant. */
  subtype: "mpFastclose";
  /** The receiver's key, 8 bytes. */
  receiverKey: Uint8Array;
}
/** MP_TCPRST (subtype 8): why a subflow is reset. */
export interface MptcpTcpRst {
  /** The discriminant. */
  subtype: "mpTcpRst";
  /** Flags U V W T (low 4 bits); T: the error is transient. */
  flags: number;
  /** Reason code: 0 unspecified, 1 MPTCP-specific, 2 lack of resources… */
  reason: number;
}
/** A body no subtype's layout fits. */
export interface MptcpUnknown {
  /** The discriminant. */
  subtype: "unknown";
  /** The bytes after kind and length. */
  data: Uint8Array;
}

/** One Multipath TCP option, typed. */
export type MptcpMessage =
  | MpCapable
  | MpJoin
  | MptcpDss
  | MptcpAddAddr
  | MptcpRemoveAddr
  | MptcpPrio
  | MptcpFail
  | MptcpFastclose
  | MptcpTcpRst
  | MptcpUnknown;

/** The subtype numbers, by model name, and RFC 8684's names. */
const SUBTYPES = {
  mpCapable: [0, "MP_CAPABLE"],
  mpJoin: [1, "MP_JOIN"],
  dss: [2, "DSS"],
  addAddr: [3, "ADD_ADDR"],
  removeAddr: [4, "REMOVE_ADDR"],
  mpPrio: [5, "MP_PRIO"],
  mpFail: [6, "MP_FAIL"],
  mpFastclose: [7, "MP_FASTCLOSE"],
  mpTcpRst: [8, "MP_TCPRST"],
} as const;

/**
 * RFC 8684's name of a subtype number.
 *
 * @param subtype The number, 0..15.
 * @returns `MP_CAPABLE`, …, or `subtype N`.
 *
 * @example
 * ```ts
 * import { mptcpSubtypeName } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mptcpSubtypeName(2), "DSS");
 * ```
 */
export function mptcpSubtypeName(subtype: number): string {
  const found = Object.values(SUBTYPES).find(([n]) => n === subtype);
  return found === undefined ? `subtype ${subtype}` : found[1];
}

function big(bytes: Uint8Array, at: number, length: 4 | 8): bigint {
  return length === 4
    ? BigInt(read32(bytes, at))
    : (BigInt(read32(bytes, at)) << 32n) | BigInt(read32(bytes, at + 4));
}

function decodeCapable(d: Uint8Array): MptcpMessage | undefined {
  if (![2, 10, 18, 20, 22].includes(d.length)) return undefined;
  const m: MpCapable = {
    subtype: "mpCapable",
    version: d[0]! & 15,
    flags: d[1]!,
  };
  if (d.length >= 10) m.senderKey = d.slice(2, 10);
  if (d.length >= 18) m.receiverKey = d.slice(10, 18);
  if (d.length >= 20) m.dataLength = read16(d, 18);
  if (d.length >= 22) m.checksum = read16(d, 20);
  return m;
}

function decodeJoin(d: Uint8Array): MptcpMessage | undefined {
  const backup = (d[0]! & 1) === 1;
  if (d.length === 10) {
    return {
      subtype: "mpJoin",
      stage: "syn",
      backup,
      addressId: d[1]!,
      token: read32(d, 2),
      nonce: read32(d, 6),
    };
  }
  if (d.length === 14) {
    return {
      subtype: "mpJoin",
      stage: "synAck",
      backup,
      addressId: d[1]!,
      hmac: d.slice(2, 10),
      nonce: read32(d, 10),
    };
  }
  if (d.length === 22) {
    return { subtype: "mpJoin", stage: "ack", hmac: d.slice(2, 22) };
  }
  return undefined;
}

function decodeDss(d: Uint8Array): MptcpMessage | undefined {
  if (d.length < 2) return undefined;
  const flags = d[1]!;
  const m: MptcpDss = { subtype: "dss", fin: (flags & 0x10) !== 0 };
  let at = 2;
  if (flags & 0x01) {
    const size = flags & 0x02 ? 8 : 4;
    if (at + size > d.length) return undefined;
    m.dataAck = big(d, at, size);
    m.dataAck64 = size === 8;
    at += size;
  }
  if (flags & 0x04) {
    const size = flags & 0x08 ? 8 : 4;
    if (at + size + 6 > d.length) return undefined;
    m.dsn = big(d, at, size);
    m.dsn64 = size === 8;
    m.subflowSeq = read32(d, at + size);
    m.dataLength = read16(d, at + size + 4);
    at += size + 6;
    if (at + 2 === d.length) {
      m.checksum = read16(d, at);
      at += 2;
    }
  }
  return at === d.length ? m : undefined;
}

function decodeAddAddr(d: Uint8Array): MptcpMessage | undefined {
  const echo = (d[0]! & 1) === 1;
  const rest = d.length - 2 - (echo ? 0 : 8);
  const size = rest === 4 || rest === 6
    ? 4
    : rest === 16 || rest === 18
    ? 16
    : 0;
  if (size === 0) return undefined;
  const m: MptcpAddAddr = {
    subtype: "addAddr",
    echo,
    addressId: d[1]!,
    address: formatAddress(d.subarray(2, 2 + size)),
  };
  let at = 2 + size;
  if (rest === size + 2) {
    m.port = read16(d, at);
    at += 2;
  }
  if (!echo) m.hmac = d.slice(at, at + 8);
  return m;
}

function decodeKnown(d: Uint8Array): MptcpMessage | undefined {
  const subtype = d[0]! >> 4;
  switch (subtype) {
    case 0:
      return decodeCapable(d);
    case 1:
      return decodeJoin(d);
    case 2:
      return decodeDss(d);
    case 3:
      return decodeAddAddr(d);
    case 4:
      return d.length >= 2
        ? { subtype: "removeAddr", addressIds: [...d.subarray(1)] }
        : undefined;
    case 5:
      return d.length === 1 || d.length === 2
        ? {
          subtype: "mpPrio",
          backup: (d[0]! & 1) === 1,
          ...(d.length === 2 ? { addressId: d[1]! } : {}),
        }
        : undefined;
    case 6:
      return d.length === 10
        ? { subtype: "mpFail", dsn: big(d, 2, 8) }
        : undefined;
    case 7:
      return d.length === 10
        ? { subtype: "mpFastclose", receiverKey: d.slice(2, 10) }
        : undefined;
    case 8:
      return d.length === 2
        ? { subtype: "mpTcpRst", flags: d[0]! & 15, reason: d[1]! }
        : undefined;
  }
  return undefined;
}

/**
 * Read the body of a Multipath TCP option (the bytes after kind and
 * length) as its subtype. Never throws: a body that fits no layout, or
 * whose reserved bits are not zero (the typed form would lose them), is
 * `unknown`, so that encoding what is decoded gives back the bytes.
 *
 * @param data The body.
 * @returns The typed option.
 *
 * @example A SYN's MP_CAPABLE, as Linux sends it
 * ```ts
 * import { decodeMptcp } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeMptcp(new Uint8Array([0x01, 0x81])), {
 *   subtype: "mpCapable", version: 1, flags: 0x81,
 * });
 * ```
 */
export function decodeMptcp(data: Uint8Array): MptcpMessage {
  const known = data.length === 0 ? undefined : decodeKnown(data);
  // Typed only when the typed form holds every bit: a reserved bit set, or
  // an add-addr of RFC 6824's IPVer layout, stays bytes.
  return known !== undefined && encodesTo(known, data)
    ? known
    : { subtype: "unknown", data: data.slice() };
}

/** Whether a typed message encodes to exactly these bytes. */
function encodesTo(message: MptcpMessage, data: Uint8Array): boolean {
  let bytes: Uint8Array;
  try {
    bytes = encodeMptcp(message);
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
  return bytes.length === data.length &&
    bytes.every((byte, i) => byte === data[i]);
}

function fail(reason: string): never {
  throw new RangeError(`Cannot encode TCP option mptcp: ${reason}`);
}

function int(field: string, value: number | undefined, max: number): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    fail(`${field} ${v} is not in 0..${max}`);
  }
  return v;
}

function bytes(
  field: string,
  value: Uint8Array | undefined,
  length: number,
): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    fail(`${field} must be ${length} bytes`);
  }
  return value;
}

/** Append a 32- or 64-bit number. */
function number(
  out: number[],
  value: bigint,
  size: 4 | 8,
  field: string,
): void {
  if (value < 0n || value >= 1n << BigInt(8 * size)) {
    fail(`${field} ${value} does not fit in ${8 * size} bits`);
  }
  for (let i = size - 1; i >= 0; i--) {
    out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  }
}

function u16(out: number[], value: number): void {
  out.push(value >> 8, value & 0xff);
}

function u32(out: number[], value: number): void {
  const b = new Uint8Array(4);
  write32(b, 0, value);
  out.push(...b);
}

function encodeDss(m: MptcpDss, out: number[]): void {
  const flags = (m.fin ? 0x10 : 0) | (m.dataAck !== undefined ? 0x01 : 0) |
    (m.dataAck64 ? 0x02 : 0) | (m.dsn !== undefined ? 0x04 : 0) |
    (m.dsn64 ? 0x08 : 0);
  out.push(0x20, flags);
  if (m.dataAck !== undefined) {
    number(out, m.dataAck, m.dataAck64 ? 8 : 4, "dataAck");
  }
  if (m.dsn !== undefined) {
    number(out, m.dsn, m.dsn64 ? 8 : 4, "dsn");
    u32(out, int("subflowSeq", m.subflowSeq, 0xffffffff));
    u16(out, int("dataLength", m.dataLength, 0xffff));
    if (m.checksum !== undefined) u16(out, int("checksum", m.checksum, 0xffff));
  }
}

/**
 * Write a typed Multipath TCP option as the body of an `mptcp` option.
 *
 * @param message The option.
 * @returns The bytes after kind and length.
 * @throws {RangeError} For a value out of range or a byte string of the
 *   wrong length.
 *
 * @example A DSS with a 32-bit Data ACK
 * ```ts
 * import { encodeMptcp, formatHex } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatHex(encodeMptcp({ subtype: "dss", fin: false, dataAck: 7n })), "200100000007");
 * ```
 */
export function encodeMptcp(message: MptcpMessage): Uint8Array {
  const out: number[] = [];
  const m = message;
  switch (m.subtype) {
    case "mpCapable":
      out.push(int("version", m.version, 15), int("flags", m.flags, 0xff));
      if (m.senderKey !== undefined) {
        out.push(...bytes("senderKey", m.senderKey, 8));
      }
      if (m.receiverKey !== undefined) {
        out.push(...bytes("receiverKey", m.receiverKey, 8));
      }
      if (m.dataLength !== undefined) {
        u16(out, int("dataLength", m.dataLength, 0xffff));
      }
      if (m.checksum !== undefined) {
        u16(out, int("checksum", m.checksum, 0xffff));
      }
      break;
    case "mpJoin": {
      const b = m.backup ? 1 : 0;
      if (m.stage === "ack") {
        out.push(0x10, 0, ...bytes("hmac", m.hmac, 20));
      } else {
        out.push(0x10 | b, int("addressId", m.addressId, 0xff));
        if (m.stage === "syn") u32(out, int("token", m.token, 0xffffffff));
        else out.push(...bytes("hmac", m.hmac, 8));
        u32(out, int("nonce", m.nonce, 0xffffffff));
      }
      break;
    }
    case "dss":
      encodeDss(m, out);
      break;
    case "addAddr": {
      out.push(0x30 | (m.echo ? 1 : 0), int("addressId", m.addressId, 0xff));
      out.push(...parseAddress(m.address).bytes);
      if (m.port !== undefined) u16(out, int("port", m.port, 0xffff));
      if (!m.echo) out.push(...bytes("hmac", m.hmac, 8));
      break;
    }
    case "removeAddr":
      if (m.addressIds.length === 0) fail("removeAddr needs an address ID");
      out.push(0x40, ...m.addressIds.map((id) => int("addressId", id, 0xff)));
      break;
    case "mpPrio":
      out.push(0x50 | (m.backup ? 1 : 0));
      if (m.addressId !== undefined) {
        out.push(int("addressId", m.addressId, 0xff));
      }
      break;
    case "mpFail":
      out.push(0x60, 0);
      number(out, m.dsn, 8, "dsn");
      break;
    case "mpFastclose":
      out.push(0x70, 0, ...bytes("receiverKey", m.receiverKey, 8));
      break;
    case "mpTcpRst":
      out.push(0x80 | int("flags", m.flags, 15), int("reason", m.reason, 0xff));
      break;
    case "unknown":
      return m.data.slice();
  }
  if (out.length > 253) fail(`the body is ${out.length} bytes, more than 253`);
  return Uint8Array.from(out);
}

const RESET_REASONS: Readonly<Record<number, string>> = {
  0: "unspecified",
  1: "MPTCP-specific error",
  2: "lack of resources",
  3: "administratively prohibited",
  4: "too much outstanding data",
  5: "unacceptable performance",
  6: "middlebox interference",
};

function capableWords(m: MpCapable): string {
  const flags = [
    m.flags & 0x80 ? "checksums required (A)" : "",
    m.flags & 0x40 ? "extensibility (B)" : "",
    m.flags & 0x20 ? "no more subflows to this address (C)" : "",
    m.flags & 0x01 ? "HMAC-SHA256 (H)" : "",
  ].filter((f) => f !== "");
  const keys = m.receiverKey !== undefined
    ? `keys ${formatHex(m.senderKey!)} and ${formatHex(m.receiverKey)}`
    : m.senderKey !== undefined
    ? `sender key ${formatHex(m.senderKey)}`
    : "no key (a SYN)";
  return `version ${m.version}, ${
    flags.length === 0 ? "no flags" : flags.join(", ")
  }, ${keys}${
    m.dataLength === undefined ? "" : `, data-level length ${m.dataLength}`
  }`;
}

function dssWords(m: MptcpDss): string {
  const parts: string[] = [];
  if (m.dataAck !== undefined) {
    parts.push(`Data ACK ${m.dataAck} (${m.dataAck64 ? 64 : 32}-bit)`);
  }
  if (m.dsn !== undefined) {
    parts.push(
      `DSN ${m.dsn} (${
        m.dsn64 ? 64 : 32
      }-bit) maps subflow seq ${m.subflowSeq} for ${m.dataLength} bytes${
        m.checksum === undefined
          ? ""
          : `, checksum 0x${m.checksum.toString(16).padStart(4, "0")}`
      }`,
    );
  }
  if (m.fin) parts.push("DATA_FIN");
  return parts.length === 0 ? "nothing set" : parts.join("; ");
}

/**
 * The words that explain a Multipath TCP option: its subtype's name and
 * what its fields say.
 *
 * @param message The typed option.
 * @returns `display` (the subtype's name) and `meaning`.
 *
 * @example
 * ```ts
 * import { mptcpWords } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(mptcpWords({ subtype: "removeAddr", addressIds: [3] }), {
 *   display: "REMOVE_ADDR",
 *   meaning: "multipath TCP (RFC 8684) REMOVE_ADDR: address IDs 3 removed",
 * });
 * ```
 */
export function mptcpWords(
  message: MptcpMessage,
): { display: string; meaning: string } {
  const m = message;
  const name = m.subtype === "unknown"
    ? m.data.length === 0 ? "MPTCP" : mptcpSubtypeName(m.data[0]! >> 4)
    : SUBTYPES[m.subtype][1];
  let what: string;
  switch (m.subtype) {
    case "mpCapable":
      what = capableWords(m);
      break;
    case "mpJoin":
      what = m.stage === "syn"
        ? `SYN: address ID ${m.addressId}, token 0x${
          m.token!.toString(16)
        }, nonce ${m.nonce}${m.backup ? ", backup" : ""}`
        : m.stage === "synAck"
        ? `SYN-ACK: address ID ${m.addressId}, HMAC ${
          formatHex(m.hmac!)
        }, nonce ${m.nonce}${m.backup ? ", backup" : ""}`
        : `third ACK: HMAC ${formatHex(m.hmac!)}`;
      break;
    case "dss":
      what = dssWords(m);
      break;
    case "addAddr":
      what = `${
        m.echo ? "echo of " : ""
      }address ID ${m.addressId}: ${m.address}${
        m.port === undefined ? "" : ` port ${m.port}`
      }${m.hmac === undefined ? "" : `, HMAC ${formatHex(m.hmac)}`}`;
      break;
    case "removeAddr":
      what = `address IDs ${m.addressIds.join(", ")} removed`;
      break;
    case "mpPrio":
      what = `${m.backup ? "backup" : "regular"} priority${
        m.addressId === undefined ? "" : ` for address ID ${m.addressId}`
      }`;
      break;
    case "mpFail":
      what = `fall back to TCP from DSN ${m.dsn}`;
      break;
    case "mpFastclose":
      what = `close the connection now; receiver's key ${
        formatHex(m.receiverKey)
      }`;
      break;
    case "mpTcpRst":
      what = `subflow reset: ${
        RESET_REASONS[m.reason] ?? `reason ${m.reason}`
      }${m.flags & 1 ? ", transient" : ""}`;
      break;
    case "unknown":
      what = m.data.length === 0
        ? "no subtype"
        : `a body (${formatHex(m.data)}) that fits no subtype's layout`;
  }
  return {
    display: name,
    meaning: `multipath TCP (RFC 8684) ${name}: ${what}`,
  };
}
