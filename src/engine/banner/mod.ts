/**
 * Banners: what an open port says when greeted, bounded, escaped for
 * terminals, over any byte stream (a kernel connection or a hand-made
 * session).
 *
 * - `hellos.ts`: the registry of hellos by port ({@linkcode BANNER_HELLOS});
 * - `escape.ts`: {@linkcode escapeBanner}, bytes to one safe line;
 * - `tls.ts`: a TLS 1.2 ClientHello ({@linkcode buildClientHello}) and a
 *   reader of the server's answer ({@linkcode TlsReader});
 * - `der.ts`, `x509.ts`: a certificate's subject, issuer and validity
 *   ({@linkcode parseCertificate}, {@linkcode formatDistinguishedName});
 * - `grab.ts`: {@linkcode grabBanner}, all of it on one stream.
 *
 * @module
 */

export * from "./hellos.ts";
export * from "./escape.ts";
export * from "./tls.ts";
export {
  type CertificateInfo,
  type DistinguishedName,
  formatDistinguishedName,
  type NameAttribute,
  parseCertificate,
} from "./x509.ts";
export * from "./grab.ts";
export * from "./session_stream.ts";
