/**
 * Enough TLS to read a server's certificate: a TLS 1.2 ClientHello
 * (RFC 5246) and a reader of what the server answers (records, handshake
 * messages split across records or sharing one, ServerHello, Certificate,
 * alerts).
 *
 * Only TLS 1.2 is offered, on purpose: TLS 1.3 (RFC 8446) encrypts the
 * server's certificate, so reading it would take a whole key exchange;
 * TLS 1.2 sends it in the clear right after the ServerHello. The hello
 * offers no `supported_versions` extension, which is how a client says it
 * speaks 1.3, so servers answer in 1.2 (or with an alert, when they only
 * speak 1.3). The offer is what common servers accept: ECDHE and RSA key
 * exchanges with AES-GCM, ChaCha20 and AES-CBC, the curves X25519, P-256
 * and P-384, SHA-2 signatures, and SNI when the host is a name.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";

/** Record content types. */
const CONTENT = Object.freeze({ alert: 21, handshake: 22 });
/** Handshake message types. */
const HANDSHAKE = Object.freeze({
  serverHello: 2,
  certificate: 11,
  serverHelloDone: 14,
});

/**
 * The cipher suites offered, with IANA's names.
 *
 * @example
 * ```ts
 * import { TLS_CIPHER_SUITES } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TLS_CIPHER_SUITES[0xc02f], "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
 * ```
 */
export const TLS_CIPHER_SUITES: Readonly<Record<number, string>> = Object
  .freeze({
    0xc02b: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xc02f: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    0xc02c: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xc030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xcca9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xcca8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0xc009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    0xc013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    0xc00a: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    0xc014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    0x009e: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    0x009f: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    0x009c: "TLS_RSA_WITH_AES_128_GCM_SHA256",
    0x009d: "TLS_RSA_WITH_AES_256_GCM_SHA384",
    0x002f: "TLS_RSA_WITH_AES_128_CBC_SHA",
    0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
    0x000a: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
  });

/** TLS alert descriptions (RFC 8446 section 6), by number. */
const ALERTS: Readonly<Record<number, string>> = Object.freeze({
  0: "close_notify",
  10: "unexpected_message",
  20: "bad_record_mac",
  22: "record_overflow",
  40: "handshake_failure",
  42: "bad_certificate",
  47: "illegal_parameter",
  50: "decode_error",
  51: "decrypt_error",
  70: "protocol_version",
  71: "insufficient_security",
  80: "internal_error",
  86: "inappropriate_fallback",
  90: "user_canceled",
  109: "missing_extension",
  112: "unrecognized_name",
  120: "no_application_protocol",
});

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u24(n: number): number[] {
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function extension(type: number, body: number[]): number[] {
  return [...u16(type), ...u16(body.length), ...body];
}

/** Options for {@linkcode buildClientHello}. */
export interface ClientHelloOptions {
  /** The server's host name, sent as SNI (an address literal is not sent, RFC 6066). */
  serverName?: string;
  /** The 32 random bytes (default from `crypto.getRandomValues`). */
  random?: Uint8Array;
}

/**
 * A TLS 1.2 ClientHello, as one record ready to send.
 *
 * @param options SNI and the random bytes.
 * @returns The record.
 *
 * @example
 * ```ts
 * import { buildClientHello } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const hello = buildClientHello({ serverName: "example.test", random: new Uint8Array(32) });
 * assert.deepEqual([...hello.subarray(0, 3)], [22, 3, 1]); // handshake record, TLS 1.0 record version
 * assert.equal(hello[5], 1); // ClientHello
 * assert.deepEqual([...hello.subarray(9, 11)], [3, 3]); // client_version TLS 1.2
 * assert.equal((hello[3]! << 8) + hello[4]!, hello.length - 5);
 * ```
 */
export function buildClientHello(options: ClientHelloOptions = {}): Uint8Array {
  const random = options.random ?? crypto.getRandomValues(new Uint8Array(32));
  if (random.length !== 32) {
    throw new RangeError(
      `Cannot build ClientHello: random is ${random.length} bytes, not 32`,
    );
  }
  const suites = [...Object.keys(TLS_CIPHER_SUITES).map(Number), 0x00ff];
  const extensions: number[] = [];
  const name = options.serverName;
  if (name !== undefined && !/^[\d.]+$|:/.test(name)) {
    const bytes = [...new TextEncoder().encode(name.replace(/\.$/, ""))];
    extensions.push(
      ...extension(0, [
        ...u16(bytes.length + 3),
        0,
        ...u16(bytes.length),
        ...bytes,
      ]),
    );
  }
  const groups = [0x001d, 0x0017, 0x0018].flatMap(u16);
  extensions.push(...extension(10, [...u16(groups.length), ...groups]));
  extensions.push(...extension(11, [1, 0])); // ec_point_formats: uncompressed
  const signatures = [
    0x0403,
    0x0804,
    0x0401,
    0x0503,
    0x0805,
    0x0501,
    0x0806,
    0x0601,
    0x0203,
    0x0201,
  ].flatMap(u16);
  extensions.push(...extension(13, [...u16(signatures.length), ...signatures]));
  extensions.push(...extension(0x0017, [])); // extended_master_secret
  extensions.push(...extension(0xff01, [0])); // renegotiation_info
  const body = [
    3,
    3,
    ...random,
    0, // no session id
    ...u16(suites.length * 2),
    ...suites.flatMap(u16),
    1,
    0, // compression: null only
    ...u16(extensions.length),
    ...extensions,
  ];
  const handshake = [1, ...u24(body.length), ...body];
  return Uint8Array.from([22, 3, 1, ...u16(handshake.length), ...handshake]);
}

/** What a server said, as far as {@linkcode TlsReader} read it. */
export interface TlsServerHello {
  /** The version the server chose (`0x0303` for TLS 1.2). */
  version: number;
  /** The cipher suite it chose. */
  cipherSuite: number;
}

/** An alert the server sent. */
export interface TlsAlert {
  /** 1 warning, 2 fatal. */
  level: number;
  /** The description's number. */
  description: number;
  /** Its name (`protocol_version`), or `alert N`. */
  name: string;
}

function decodeFail(
  reason: string,
  offset: number,
  kind: "malformed" | "unsupported" = "malformed",
): DecodeError {
  return new DecodeError(reason, { kind, layer: "TLS", offset });
}

/**
 * Reads a server's answer to a ClientHello, bytes as they come: records
 * are reassembled, handshake messages split across records or sharing one
 * are found, and reading is complete at the Certificate message (or the
 * ServerHelloDone, or an alert).
 *
 * @example
 * ```ts
 * import { TlsReader } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const reader = new TlsReader();
 * // An alert record, in two pieces: fatal protocol_version.
 * reader.push(new Uint8Array([21, 3, 3, 0]));
 * assert.equal(reader.done, false);
 * reader.push(new Uint8Array([2, 2, 70]));
 * assert.equal(reader.done, true);
 * assert.deepEqual(reader.alert, { level: 2, description: 70, name: "protocol_version" });
 * ```
 */
export class TlsReader {
  /** The ServerHello, once read. */
  serverHello?: TlsServerHello;
  /** The certificates of the Certificate message, leaf first, once read. */
  certificates?: Uint8Array[];
  /** An alert, when one came. */
  alert?: TlsAlert;
  #records: Uint8Array = new Uint8Array(0);
  #handshake: Uint8Array = new Uint8Array(0);
  #consumed = 0;
  #helloDone = false;

  /** Whether there is nothing more to wait for. */
  get done(): boolean {
    return this.certificates !== undefined || this.alert !== undefined ||
      this.#helloDone;
  }

  /**
   * Read more bytes of the server's answer.
   *
   * @param bytes The bytes, as they came.
   * @throws {DecodeError} For bytes that are not TLS (kind `unsupported`
   *   when the server speaks something else) or a malformed message.
   */
  push(bytes: Uint8Array): void {
    this.#records = concat(this.#records, bytes);
    while (!this.done && this.#records.length >= 5) {
      const type = this.#records[0]!;
      const major = this.#records[1]!;
      if (
        (type !== CONTENT.alert && type !== CONTENT.handshake) || major !== 3
      ) {
        throw decodeFail(
          `the server did not answer in TLS (first bytes ${
            [...this.#records.subarray(0, 5)].map((b) =>
              b.toString(16).padStart(2, "0")
            ).join(" ")
          })`,
          this.#consumed,
          "unsupported",
        );
      }
      const length = (this.#records[3]! << 8) + this.#records[4]!;
      if (length > 16384 + 2048) {
        throw decodeFail(`a record of ${length} bytes`, this.#consumed);
      }
      if (this.#records.length < 5 + length) return;
      const body = this.#records.slice(5, 5 + length);
      this.#records = this.#records.slice(5 + length);
      this.#consumed += 5 + length;
      if (type === CONTENT.alert) {
        if (body.length < 2) throw decodeFail("a short alert", this.#consumed);
        const description = body[1]!;
        this.alert = {
          level: body[0]!,
          description,
          name: ALERTS[description] ?? `alert ${description}`,
        };
      } else {
        this.#handshake = concat(this.#handshake, body);
        this.#readHandshake();
      }
    }
  }

  #readHandshake(): void {
    while (!this.done && this.#handshake.length >= 4) {
      const type = this.#handshake[0]!;
      const length = (this.#handshake[1]! << 16) + (this.#handshake[2]! << 8) +
        this.#handshake[3]!;
      if (length > 1 << 20) {
        throw decodeFail(`a handshake message of ${length} bytes`, 0);
      }
      if (this.#handshake.length < 4 + length) return;
      const body = this.#handshake.slice(4, 4 + length);
      this.#handshake = this.#handshake.slice(4 + length);
      if (type === HANDSHAKE.serverHello) {
        if (body.length < 38) throw decodeFail("a short ServerHello", 0);
        const sessionLength = body[34]!;
        const at = 35 + sessionLength;
        if (body.length < at + 2) throw decodeFail("a short ServerHello", 0);
        this.serverHello = {
          version: (body[0]! << 8) + body[1]!,
          cipherSuite: (body[at]! << 8) + body[at + 1]!,
        };
      } else if (type === HANDSHAKE.certificate) {
        this.certificates = readCertificateList(body);
      } else if (type === HANDSHAKE.serverHelloDone) {
        this.#helloDone = true;
      }
    }
  }
}

function readCertificateList(body: Uint8Array): Uint8Array[] {
  if (body.length < 3) throw decodeFail("a short Certificate message", 0);
  const total = (body[0]! << 16) + (body[1]! << 8) + body[2]!;
  if (3 + total > body.length) {
    throw decodeFail("a Certificate list longer than its message", 0);
  }
  const certificates: Uint8Array[] = [];
  for (let at = 3; at < 3 + total;) {
    if (at + 3 > body.length) throw decodeFail("a cut certificate length", at);
    const length = (body[at]! << 16) + (body[at + 1]! << 8) + body[at + 2]!;
    if (at + 3 + length > 3 + total) {
      throw decodeFail("a certificate longer than its list", at);
    }
    certificates.push(body.slice(at + 3, at + 3 + length));
    at += 3 + length;
  }
  return certificates;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A TLS version's name.
 *
 * @param version The version number (`0x0303`).
 * @returns `TLS 1.2`, `SSL 3.0`, or hex.
 *
 * @example
 * ```ts
 * import { tlsVersionName } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tlsVersionName(0x0303), "TLS 1.2");
 * assert.equal(tlsVersionName(0x7f17), "0x7f17");
 * ```
 */
export function tlsVersionName(version: number): string {
  if (version === 0x0300) return "SSL 3.0";
  if (version >= 0x0301 && version <= 0x0304) {
    return `TLS 1.${version - 0x0301}`;
  }
  return `0x${version.toString(16).padStart(4, "0")}`;
}
