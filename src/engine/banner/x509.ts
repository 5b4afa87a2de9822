/**
 * The parts of an X.509 certificate (RFC 5280) a banner reports: subject,
 * issuer, validity, serial number and the DNS names of its subject
 * alternative names. Names are written as `openssl x509 -subject` writes
 * them (OpenSSL 3's default, "oneline"): `C = US, O = "Example, Inc.", CN
 * = example.com`, short attribute names, a value quoted when it holds one
 * of `,+;<>` or starts with `#` or a space or ends with a space, `"` and
 * `\` escaped with a backslash, control and non-ASCII bytes (of the UTF-8)
 * as `\XX`, an attribute tcpcraft does not name as its OID and `#` and the
 * value's DER in hex.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import {
  DER_TAGS,
  derChildren,
  type DerElement,
  derOid,
  derString,
  derTime,
  expectChildren,
  readDer,
} from "./der.ts";

/** One attribute of a name: `CN = example.com`. */
export interface NameAttribute {
  /** OpenSSL's short name (`CN`), or the dotted OID when it has none. */
  type: string;
  /** The OID. */
  oid: string;
  /** The value's text (undefined when it is not a string type). */
  value?: string;
  /** The value's DER, for attributes printed as hex. */
  der: Uint8Array;
}

/** A distinguished name: its RDNs in certificate order, each one or more attributes. */
export type DistinguishedName = NameAttribute[][];

/** What a certificate says about who it is for. */
export interface CertificateInfo {
  /** The subject. */
  subject: DistinguishedName;
  /** The issuer. */
  issuer: DistinguishedName;
  /** The start of validity, ISO 8601. */
  notBefore: string;
  /** The end of validity, ISO 8601. */
  notAfter: string;
  /** The serial number, uppercase hex without leading zeros (as OpenSSL prints it). */
  serialNumber: string;
  /** The DNS names of the subject alternative name extension. */
  dnsNames: string[];
}

/** OpenSSL's short names of the attribute types of names. */
const SHORT_NAMES: Readonly<Record<string, string>> = Object.freeze({
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "street",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.13": "description",
  "2.5.4.15": "businessCategory",
  "2.5.4.17": "postalCode",
  "2.5.4.41": "name",
  "2.5.4.42": "GN",
  "2.5.4.43": "initials",
  "2.5.4.44": "generationQualifier",
  "2.5.4.46": "dnQualifier",
  "2.5.4.65": "pseudonym",
  "2.5.4.97": "organizationIdentifier",
  "1.2.840.113549.1.9.1": "emailAddress",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
  "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
  "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
});

function readName(bytes: Uint8Array, element: DerElement): DistinguishedName {
  if (element.tag !== DER_TAGS.sequence) {
    throw new DecodeError("a name is not a SEQUENCE", {
      kind: "malformed",
      layer: "X.509 certificate",
      offset: element.offset,
    });
  }
  return derChildren(bytes, element).map((rdn) =>
    derChildren(bytes, rdn).map((pair) => {
      const [oidElement, valueElement] = expectChildren(
        bytes,
        pair,
        [DER_TAGS.oid],
        "a name attribute",
      );
      if (valueElement === undefined) {
        throw new DecodeError("a name attribute has no value", {
          kind: "malformed",
          layer: "X.509 certificate",
          offset: pair.offset,
        });
      }
      const oid = derOid(bytes, oidElement!);
      const attribute: NameAttribute = {
        type: SHORT_NAMES[oid] ?? oid,
        oid,
        der: bytes.slice(valueElement.offset, valueElement.end),
      };
      const value = derString(bytes, valueElement);
      if (value !== undefined) attribute.value = value;
      return attribute;
    })
  );
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")
    .toUpperCase();
}

const SUBJECT_ALT_NAME = "2.5.29.17";

function dnsNames(bytes: Uint8Array, extensions: DerElement): string[] {
  const names: string[] = [];
  const [list] = derChildren(bytes, extensions);
  if (list === undefined) return names;
  for (const extension of derChildren(bytes, list)) {
    const parts = derChildren(bytes, extension);
    if (
      parts[0] === undefined || derOid(bytes, parts[0]) !== SUBJECT_ALT_NAME
    ) {
      continue;
    }
    const value = parts[parts.length - 1]!;
    const general = readDer(bytes, value.start, value.end);
    for (const name of derChildren(bytes, general)) {
      if (name.tag === 0x82) {
        names.push(
          String.fromCharCode(...bytes.subarray(name.start, name.end)),
        );
      }
    }
  }
  return names;
}

/**
 * Read a certificate's subject, issuer, validity, serial number and DNS
 * names from its DER.
 *
 * @param der The certificate.
 * @returns What it says.
 * @throws {DecodeError} For bytes that are not a certificate.
 *
 * @example A certificate cut short
 * ```ts
 * import { parseCertificate } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseCertificate(new Uint8Array([0x30, 0x82, 0x01])), /Cannot decode DER/);
 * ```
 */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  const certificate = readDer(der, 0);
  const [tbs] = expectChildren(
    der,
    certificate,
    [DER_TAGS.sequence],
    "a certificate",
  );
  const fields = derChildren(der, tbs!);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // [0] EXPLICIT version
  const [serial, _signature, issuer, validity, subject] = fields.slice(
    i,
    i + 5,
  );
  if (
    serial?.tag !== DER_TAGS.integer || issuer === undefined ||
    validity?.tag !== DER_TAGS.sequence || subject === undefined
  ) {
    throw new DecodeError("the to-be-signed part lacks its fields", {
      kind: "malformed",
      layer: "X.509 certificate",
      offset: tbs!.start,
    });
  }
  const [notBefore, notAfter] = derChildren(der, validity);
  if (notBefore === undefined || notAfter === undefined) {
    throw new DecodeError("the validity lacks its times", {
      kind: "malformed",
      layer: "X.509 certificate",
      offset: validity.offset,
    });
  }
  const extensions = fields.find((f) => f.tag === 0xa3);
  return {
    subject: readName(der, subject),
    issuer: readName(der, issuer),
    notBefore: derTime(der, notBefore),
    notAfter: derTime(der, notAfter),
    serialNumber: hex(der.subarray(serial.start, serial.end)).replace(
      /^(00)+(?=.)/,
      "",
    ),
    dnsNames: extensions === undefined ? [] : dnsNames(der, extensions),
  };
}

/** OpenSSL's escaping of one value (ESC_2253, ESC_QUOTE, ESC_CTRL, ESC_MSB, UTF-8). */
function opensslValue(value: string): string {
  const bytes = new TextEncoder().encode(value);
  let quote = false;
  let out = "";
  bytes.forEach((byte, i) => {
    const c = String.fromCharCode(byte);
    const first = i === 0 && (c === "#" || c === " ");
    const last = i === bytes.length - 1 && c === " ";
    if (",+;<>".includes(c) || first || last) {
      quote = true;
      out += c;
    } else if (c === '"' || c === "\\") {
      out += `\\${c}`;
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += `\\${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    } else {
      out += c;
    }
  });
  return quote ? `"${out}"` : out;
}

/**
 * A name as `openssl x509 -subject` prints it (after `subject=`).
 *
 * @param name The name.
 * @returns `C = US, O = "Example, Inc.", CN = example.com`.
 *
 * @example
 * ```ts
 * import { formatDistinguishedName } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const attr = (type: string, value: string) => ({ type, oid: "", value, der: new Uint8Array() });
 * assert.equal(
 *   formatDistinguishedName([[attr("C", "US")], [attr("O", "Example, Inc.")], [attr("CN", 'a "b" café')]]),
 *   'C = US, O = "Example, Inc.", CN = a \\"b\\" caf\\C3\\A9',
 * );
 * ```
 */
export function formatDistinguishedName(name: DistinguishedName): string {
  return name.map((rdn) =>
    rdn.map((a) =>
      `${a.type} = ${
        a.value === undefined || a.type === a.oid
          ? `#${hex(a.der)}`
          : opensslValue(a.value)
      }`
    ).join(" + ")
  ).join(", ");
}
