/**
 * How a Multipath TCP option is written on the command line:
 * `-o mptcp=SUBTYPE[,FIELD=VALUE...]`, read into the `mptcp` option's body
 * through the typed subtypes of `mptcp.ts`. Private to `src/wire`.
 *
 * @module
 */

import { formatAddress, parseAddress } from "./address.ts";
import { ParseError } from "./errors.ts";
import { encodeMptcp, type MptcpMessage } from "./mptcp.ts";
import type { TcpOptionSpecParser } from "./tcp_option_entry.ts";
import type { MptcpOption } from "./tcp_option_extension_models.ts";

/** The forms of `-o mptcp=`, for help and errors. */
export const MPTCP_FORM =
  "mptcp=capable|join|dss|add-addr|remove-addr|prio|fail|fastclose|rst[,FIELD=VALUE...]|hex:HEX";

/** The spec's items after the subtype: `key=value` or a bare flag. */
interface Items {
  get(key: string): string | undefined;
  has(key: string): boolean;
  all(key: string): string[];
}

function itemsOf(parts: string[]): Items {
  const pairs = parts.map((part) => {
    const eq = part.indexOf("=");
    return eq < 0
      ? [part.toLowerCase(), ""] as const
      : [part.slice(0, eq).toLowerCase(), part.slice(eq + 1)] as const;
  });
  return {
    get: (key) => pairs.find(([k]) => k === key)?.[1],
    has: (key) => pairs.some(([k]) => k === key),
    all: (key) => pairs.filter(([k]) => k === key).map(([, v]) => v),
  };
}

/** A 32- or 64-bit number: decimal or 0x. */
function bigNumber(
  p: TcpOptionSpecParser,
  field: string,
  text: string,
  bits: 32 | 64,
): bigint {
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) {
    p.fail(`${field} ${p.quote(text)} is not a number`);
  }
  const value = BigInt(text);
  if (value >= 1n << BigInt(bits)) {
    p.fail(`${field} ${text} does not fit in ${bits} bits`);
  }
  return value;
}

function hexOf(
  p: TcpOptionSpecParser,
  field: string,
  text: string | undefined,
  length: number,
): Uint8Array {
  const bytes = p.hex(field, text ?? "");
  if (bytes.length !== length) {
    p.fail(`${field} is ${bytes.length} bytes, expected ${length}`);
  }
  return bytes;
}

function capable(p: TcpOptionSpecParser, i: Items): MptcpMessage {
  const flagText = i.get("flags");
  let flags = 0x01;
  if (flagText !== undefined) {
    flags = /^[abch+]+$/i.test(flagText)
      ? [...flagText.toLowerCase()].reduce(
        (n, c) => n | ({ a: 0x80, b: 0x40, c: 0x20, h: 0x01 }[c] ?? 0),
        0,
      )
      : p.integer("mptcp flags", flagText, 0xff);
  }
  const m: MptcpMessage = {
    subtype: "mpCapable",
    version: i.has("v") ? p.integer("mptcp v", i.get("v")!, 15) : 1,
    flags,
  };
  if (i.has("key")) m.senderKey = hexOf(p, "mptcp key", i.get("key"), 8);
  if (i.has("peer-key")) {
    m.receiverKey = hexOf(p, "mptcp peer-key", i.get("peer-key"), 8);
  }
  if (i.has("len")) {
    m.dataLength = p.integer("mptcp len", i.get("len")!, 0xffff);
  }
  if (i.has("csum")) {
    m.checksum = p.integer("mptcp csum", i.get("csum")!, 0xffff);
  }
  return m;
}

function join(p: TcpOptionSpecParser, i: Items): MptcpMessage {
  const hmac = i.get("hmac");
  const hmacBytes = hmac === undefined ? undefined : p.hex("mptcp hmac", hmac);
  if (hmacBytes?.length === 20) {
    return { subtype: "mpJoin", stage: "ack", hmac: hmacBytes };
  }
  const common = {
    backup: i.has("backup"),
    addressId: i.has("id") ? p.integer("mptcp id", i.get("id")!, 0xff) : 0,
    nonce: i.has("nonce")
      ? p.integer("mptcp nonce", i.get("nonce")!, 0xffffffff)
      : 0,
  };
  if (hmacBytes !== undefined) {
    if (hmacBytes.length !== 8) {
      p.fail("mptcp hmac is 8 bytes (SYN-ACK) or 20 (third ACK)");
    }
    return { subtype: "mpJoin", stage: "synAck", hmac: hmacBytes, ...common };
  }
  return {
    subtype: "mpJoin",
    stage: "syn",
    token: i.has("token")
      ? p.integer("mptcp token", i.get("token")!, 0xffffffff)
      : 0,
    ...common,
  };
}

function dss(p: TcpOptionSpecParser, i: Items): MptcpMessage {
  const m: MptcpMessage = { subtype: "dss", fin: i.has("fin") };
  if (i.has("ack")) {
    m.dataAck64 = i.has("ack64");
    m.dataAck = bigNumber(p, "mptcp ack", i.get("ack")!, m.dataAck64 ? 64 : 32);
  }
  if (i.has("dsn")) {
    m.dsn64 = i.has("dsn64");
    m.dsn = bigNumber(p, "mptcp dsn", i.get("dsn")!, m.dsn64 ? 64 : 32);
    m.subflowSeq = i.has("ssn")
      ? p.integer("mptcp ssn", i.get("ssn")!, 0xffffffff)
      : 0;
    m.dataLength = i.has("len")
      ? p.integer("mptcp len", i.get("len")!, 0xffff)
      : 0;
    if (i.has("csum")) {
      m.checksum = p.integer("mptcp csum", i.get("csum")!, 0xffff);
    }
  }
  return m;
}

function addAddr(p: TcpOptionSpecParser, i: Items): MptcpMessage {
  const text = i.get("addr");
  if (text === undefined) p.fail("mptcp=add-addr needs addr=ADDRESS");
  let address: string;
  try {
    address = formatAddress(parseAddress(text).bytes);
  } catch (error) {
    if (error instanceof ParseError) {
      p.fail(`${p.quote(text)} is not an address`);
    }
    throw error;
  }
  const echo = i.has("echo");
  const m: MptcpMessage = {
    subtype: "addAddr",
    echo,
    addressId: i.has("id") ? p.integer("mptcp id", i.get("id")!, 0xff) : 0,
    address,
  };
  if (i.has("port")) m.port = p.integer("mptcp port", i.get("port")!, 0xffff);
  if (!echo) {
    m.hmac = i.has("hmac")
      ? hexOf(p, "mptcp hmac", i.get("hmac"), 8)
      : new Uint8Array(8);
  }
  return m;
}

/**
 * Read `-o mptcp=…` into an `mptcp` option.
 *
 * @param p The spec parser.
 * @returns The option, its body written from the typed subtype.
 */
export function parseMptcpSpec(p: TcpOptionSpecParser): MptcpOption {
  const value = p.need(MPTCP_FORM);
  if (value.toLowerCase().startsWith("hex:")) {
    return { kind: "mptcp", data: p.hex("mptcp data", value.slice(4)) };
  }
  const [name = "", ...rest] = value.split(",").map((s) => s.trim());
  const i = itemsOf(rest.filter((s) => s !== ""));
  const id = (key: string) => p.integer(`mptcp ${key}`, i.get(key)!, 0xff);
  let message: MptcpMessage;
  switch (name.toLowerCase()) {
    case "capable":
      message = capable(p, i);
      break;
    case "join":
      message = join(p, i);
      break;
    case "dss":
      message = dss(p, i);
      break;
    case "add-addr":
      message = addAddr(p, i);
      break;
    case "remove-addr": {
      const ids = i.all("id").map((v) => p.integer("mptcp id", v, 0xff));
      if (ids.length === 0) p.fail("mptcp=remove-addr needs id=N (repeatable)");
      message = { subtype: "removeAddr", addressIds: ids };
      break;
    }
    case "prio":
      message = {
        subtype: "mpPrio",
        backup: i.has("backup"),
        ...(i.has("id") ? { addressId: id("id") } : {}),
      };
      break;
    case "fail":
      message = {
        subtype: "mpFail",
        dsn: bigNumber(p, "mptcp dsn", i.get("dsn") ?? "0", 64),
      };
      break;
    case "fastclose":
      message = {
        subtype: "mpFastclose",
        receiverKey: hexOf(
          p,
          "mptcp key",
          i.get("key") ?? "0000000000000000",
          8,
        ),
      };
      break;
    case "rst":
      message = {
        subtype: "mpTcpRst",
        flags: i.has("flags")
          ? p.integer("mptcp flags", i.get("flags")!, 15)
          : 0,
        reason: i.has("reason") ? id("reason") : 0,
      };
      break;
    default:
      return p.fail(
        `unknown MPTCP subtype ${p.quote(name)}; use ${MPTCP_FORM}`,
      );
  }
  try {
    return { kind: "mptcp", data: encodeMptcp(message) };
  } catch (error) {
    if (error instanceof RangeError) {
      p.fail(error.message.replace(/^.*?: /, ""));
    }
    throw error;
  }
}
