/**
 * What to say to a freshly opened port to make it show itself, by port:
 * the registry of protocol hellos. Protocols whose server speaks first
 * (SSH, SMTP, FTP, POP3, IMAP…) get nothing but a wait; HTTP gets
 * `HEAD / HTTP/1.0` with a Host header; TLS ports get a TLS 1.2
 * ClientHello, and the banner is the server's certificate. A port the
 * registry does not list is waited on, like a server that speaks first.
 * Adding a protocol is one entry.
 *
 * @module
 */

/** How a banner is drawn from a port. */
export type BannerHelloKind =
  /** Say nothing: the server speaks first. */
  | "wait"
  /** Send the hello, then read the answer. */
  | "send"
  /** Send a TLS 1.2 ClientHello and read the certificate. */
  | "tls";

/** Who is greeted: the name for Host headers and SNI, and the port. */
export interface BannerTarget {
  /** The host name the user gave, or the address. */
  host: string;
  /** The port. */
  port: number;
}

/** One protocol of the registry. */
export interface BannerHello {
  /** The protocol's name, as the banner reports it. */
  name: string;
  /** The ports it is tried on. */
  ports: readonly number[];
  /** How the banner is drawn. */
  kind: BannerHelloKind;
  /** The bytes to send first (kind `send`). */
  hello?(target: BannerTarget): Uint8Array;
}

/**
 * An HTTP Host header's value: a name or an IPv4 address as is, an IPv6
 * address in brackets, the port unless it is 80.
 *
 * @param target The host and port.
 * @returns `example.test:8080`, `[2001:db8::1]`.
 *
 * @example
 * ```ts
 * import { httpHost } from "./hellos.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(httpHost({ host: "2001:db8::1", port: 80 }), "[2001:db8::1]");
 * assert.equal(httpHost({ host: "example.test", port: 8080 }), "example.test:8080");
 * ```
 */
export function httpHost(target: BannerTarget): string {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  return target.port === 80 ? host : `${host}:${target.port}`;
}

/**
 * The registry, one entry per protocol.
 *
 * @example
 * ```ts
 * import { BANNER_HELLOS } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const http = BANNER_HELLOS.find((h) => h.name === "http")!;
 * assert.equal(
 *   new TextDecoder().decode(http.hello!({ host: "192.0.2.1", port: 80 })),
 *   "HEAD / HTTP/1.0\r\nHost: 192.0.2.1\r\n\r\n",
 * );
 * ```
 */
export const BANNER_HELLOS: readonly BannerHello[] = Object.freeze(
  [
    {
      name: "http",
      ports: [80, 81, 591, 3128, 8000, 8008, 8080, 8081, 8088, 8888],
      kind: "send",
      hello: (target: BannerTarget) =>
        new TextEncoder().encode(
          `HEAD / HTTP/1.0\r\nHost: ${httpHost(target)}\r\n\r\n`,
        ),
    },
    {
      name: "tls",
      ports: [
        443,
        465,
        563,
        636,
        853,
        989,
        990,
        992,
        993,
        994,
        995,
        5061,
        5986,
        8443,
        9443,
      ],
      kind: "tls",
    },
    { name: "ftp", ports: [21], kind: "wait" },
    { name: "ssh", ports: [22], kind: "wait" },
    { name: "telnet", ports: [23], kind: "wait" },
    { name: "smtp", ports: [25, 587], kind: "wait" },
    { name: "pop3", ports: [110], kind: "wait" },
    { name: "nntp", ports: [119], kind: "wait" },
    { name: "imap", ports: [143], kind: "wait" },
    { name: "mysql", ports: [3306], kind: "wait" },
    { name: "vnc", ports: [5900, 5901], kind: "wait" },
  ] satisfies BannerHello[],
);

const UNKNOWN: BannerHello = Object.freeze({
  name: "unknown",
  ports: [],
  kind: "wait",
});

const BY_PORT: ReadonlyMap<number, BannerHello> = new Map(
  BANNER_HELLOS.flatMap((hello) => hello.ports.map((port) => [port, hello])),
);

/**
 * The hello of a port: its registry entry, or a wait when none lists it.
 *
 * @param port The port.
 * @returns The entry.
 *
 * @example
 * ```ts
 * import { bannerHelloFor } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(bannerHelloFor(8443).kind, "tls");
 * assert.equal(bannerHelloFor(22).kind, "wait");
 * assert.equal(bannerHelloFor(12345).name, "unknown");
 * ```
 */
export function bannerHelloFor(port: number): BannerHello {
  return BY_PORT.get(port) ?? UNKNOWN;
}
