/**
 * Grabbing a banner over any {@linkcode ByteStream} (a kernel connection
 * for connect scans, a session the library drives by hand for SYN scans):
 * send the port's hello from the registry (`hellos.ts`), read the first
 * bytes, bounded in size (`maxBytes`) and time (`timeoutMs` in all; once
 * bytes came, `idleMs` of silence ends the banner), and report them
 * escaped for terminals. On TLS ports, the banner is the server's leaf
 * certificate: its subject, issuer and validity, over TLS 1.2 (TLS 1.3
 * encrypts certificates; see `tls.ts`).
 *
 * @module
 */

import type { ByteStream } from "../../host/connect.ts";
import { DecodeError } from "../../wire/errors.ts";
import { escapeBanner } from "./escape.ts";
import {
  type BannerHello,
  bannerHelloFor,
  type BannerHelloKind,
} from "./hellos.ts";
import {
  buildClientHello,
  TLS_CIPHER_SUITES,
  TlsReader,
  tlsVersionName,
} from "./tls.ts";
import {
  type CertificateInfo,
  formatDistinguishedName,
  parseCertificate,
} from "./x509.ts";

/** What a TLS port said. */
export interface TlsBanner {
  /** The version the server chose (`TLS 1.2`). */
  version?: string;
  /** The cipher suite it chose, by IANA's name or in hex. */
  cipherSuite?: string;
  /** The leaf certificate. */
  certificate?: CertificateInfo;
  /** Its subject, as `openssl x509 -subject` prints it. */
  subject?: string;
  /** Its issuer, likewise. */
  issuer?: string;
  /** The alert the server sent instead (`protocol_version`: it speaks only TLS 1.3). */
  alert?: string;
  /** Why the answer could not be read. */
  error?: string;
}

/** Why reading a banner stopped. */
export type BannerEnd =
  /** The peer closed the connection. */
  | "end"
  /** Nothing (more) came before the deadline. */
  | "timeout"
  /** After some bytes, nothing more came for `idleMs`. */
  | "idle"
  /** `maxBytes` were read. */
  | "limit"
  /** The TLS answer was read as far as the certificate. */
  | "tls"
  /** Writing or reading failed (a reset); see `error`. */
  | "error";

/** A port's banner. */
export interface Banner {
  /** The protocol the hello was for (`http`, `tls`, `ssh`, `unknown`). */
  service: string;
  /** How it was drawn. */
  kind: BannerHelloKind;
  /** The first bytes the server sent, at most `maxBytes`. */
  bytes: Uint8Array;
  /** Whether the server sent more than `maxBytes`. */
  truncated: boolean;
  /** One terminal-safe line: the bytes escaped, or the certificate's names for TLS. */
  text: string;
  /** Why reading stopped. */
  ended: BannerEnd;
  /** What a TLS port said. */
  tls?: TlsBanner;
  /** Why writing or reading failed. */
  error?: string;
}

/** Options for {@linkcode grabBanner}. */
export interface GrabBannerOptions {
  /** The host name the user gave, or the address (for Host headers and SNI). */
  host: string;
  /** The port (chooses the hello). */
  port: number;
  /** Bytes kept at most (default 512). */
  maxBytes?: number;
  /** Time allowed in all, ms (default 3000). */
  timeoutMs?: number;
  /** Once bytes came, silence that ends the banner, ms (default 300). */
  idleMs?: number;
  /** The hello to use instead of the registry's. */
  hello?: BannerHello;
  /** The clock, ms (default `performance.now`). */
  now?: () => number;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The TLS banner's line: version, suite, subject, issuer, validity. */
function tlsText(tls: TlsBanner): string {
  const parts: string[] = [];
  if (tls.version !== undefined) parts.push(tls.version);
  if (tls.cipherSuite !== undefined) parts.push(tls.cipherSuite);
  if (tls.subject !== undefined) parts.push(`subject: ${tls.subject}`);
  if (tls.issuer !== undefined) parts.push(`issuer: ${tls.issuer}`);
  if (tls.certificate !== undefined) {
    parts.push(
      `valid ${tls.certificate.notBefore} to ${tls.certificate.notAfter}`,
    );
  }
  if (tls.alert !== undefined) parts.push(`alert: ${tls.alert}`);
  if (tls.error !== undefined) parts.push(`error: ${tls.error}`);
  // The names may hold anything a certificate can: escape them too.
  return escapeBanner(new TextEncoder().encode(parts.join("; ")));
}

function readTls(reader: TlsReader, tls: TlsBanner): void {
  if (reader.serverHello !== undefined) {
    const { version, cipherSuite } = reader.serverHello;
    tls.version = tlsVersionName(version);
    tls.cipherSuite = TLS_CIPHER_SUITES[cipherSuite] ??
      `0x${cipherSuite.toString(16).padStart(4, "0")}`;
  }
  if (reader.alert !== undefined) tls.alert = reader.alert.name;
  const leaf = reader.certificates?.[0];
  if (leaf !== undefined) {
    try {
      tls.certificate = parseCertificate(leaf);
      tls.subject = formatDistinguishedName(tls.certificate.subject);
      tls.issuer = formatDistinguishedName(tls.certificate.issuer);
    } catch (error) {
      tls.error = message(error);
    }
  }
}

/**
 * Draw a banner from an open stream. The stream is not closed: whoever
 * opened it does.
 *
 * @param stream The connection.
 * @param options Who it is to, the bounds.
 * @returns The banner; failures are in it (`ended: "error"`), not thrown.
 *
 * @example A server that speaks first
 * ```ts
 * import { grabBanner, type ReadResult } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks: ReadResult[] = [
 *   { kind: "data", bytes: new TextEncoder().encode("SSH-2.0-OpenSSH_9.2\r\n") },
 *   { kind: "end" },
 * ];
 * const banner = await grabBanner(
 *   { write: async () => {}, read: async () => chunks.shift()!, close() {} },
 *   { host: "192.0.2.1", port: 22 },
 * );
 * assert.equal(banner.text, "SSH-2.0-OpenSSH_9.2\\r\\n");
 * assert.equal(banner.ended, "end");
 * ```
 */
export async function grabBanner(
  stream: ByteStream,
  options: GrabBannerOptions,
): Promise<Banner> {
  const now = options.now ?? (() => performance.now());
  const deadline = now() + (options.timeoutMs ?? 3000);
  const maxBytes = options.maxBytes ?? 512;
  const idleMs = options.idleMs ?? 300;
  const hello = options.hello ?? bannerHelloFor(options.port);
  const kept: Uint8Array[] = [];
  let keptLength = 0;
  let truncated = false;
  let ended: BannerEnd = "timeout";
  let error: string | undefined;
  const reader = hello.kind === "tls" ? new TlsReader() : undefined;
  const tls: TlsBanner = {};
  try {
    if (hello.kind === "send" && hello.hello !== undefined) {
      await stream.write(
        hello.hello({ host: options.host, port: options.port }),
      );
    } else if (hello.kind === "tls") {
      await stream.write(buildClientHello({ serverName: options.host }));
    }
    for (;;) {
      const remaining = deadline - now();
      if (remaining <= 0) break;
      const wait = keptLength > 0 && reader === undefined
        ? Math.min(idleMs, remaining)
        : remaining;
      const result = await stream.read(wait);
      if (result.kind === "end") {
        ended = "end";
        break;
      }
      if (result.kind === "timeout") {
        ended = keptLength > 0 && reader === undefined ? "idle" : "timeout";
        break;
      }
      const room = maxBytes - keptLength;
      if (result.bytes.length > room) truncated = true;
      const piece = result.bytes.subarray(0, Math.max(0, room));
      kept.push(piece);
      keptLength += piece.length;
      if (reader !== undefined) {
        reader.push(result.bytes);
        if (reader.done) {
          ended = "tls";
          break;
        }
      } else if (keptLength >= maxBytes) {
        ended = "limit";
        break;
      }
    }
  } catch (caught) {
    if (caught instanceof DecodeError && reader !== undefined) {
      tls.error = message(caught);
    } else {
      ended = "error";
      error = message(caught);
    }
  }
  const bytes = new Uint8Array(keptLength);
  let at = 0;
  for (const piece of kept) {
    bytes.set(piece, at);
    at += piece.length;
  }
  const banner: Banner = {
    service: hello.name,
    kind: hello.kind,
    bytes,
    truncated,
    text: escapeBanner(bytes),
    ended,
  };
  if (reader !== undefined) {
    readTls(reader, tls);
    banner.tls = tls;
    // A server that did not answer in TLS shows what it said instead.
    if (tls.version !== undefined || tls.alert !== undefined) {
      banner.text = tlsText(tls);
    } else if (tls.error !== undefined && bytes.length === 0) {
      banner.text = tlsText(tls);
    }
  }
  if (error !== undefined) banner.error = error;
  return banner;
}
