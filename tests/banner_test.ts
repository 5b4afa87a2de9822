/**
 * Banners: the escaping (every byte, one line, reversible), the reading
 * bounds on fake streams, certificates read by tcpcraft against `openssl
 * x509` on subjects made to be awkward, TLS answers split any way and
 * corrupted at random, and, in namespaces, real servers: an HTTP server,
 * an SSH-like greeter (and a hostile one), `openssl s_server` and
 * Python's `ssl` server, with the certificate's subject, issuer and dates
 * compared with `openssl x509`'s.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BANNER_HELLOS,
  buildClientHello,
  DecodeError,
  escapeBanner,
  formatDistinguishedName,
  grabBanner,
  parseCertificate,
  type ReadResult,
  TlsReader,
} from "../mod.ts";
import { createDenoConnector } from "../ffi/mod.ts";
import {
  agentMain,
  commandExists,
  netnsTestGate,
  withNetwork,
} from "./_netns.ts";
import { ACCEPT_SCRIPT, startProcess, startServer } from "./_servers.ts";

const OPENSSL = commandExists("openssl");
const encoder = new TextEncoder();

/** The inverse of escapeBanner, to show it loses nothing. */
function unescape(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "\\") {
      out.push(text.charCodeAt(i));
      continue;
    }
    const next = text[++i];
    if (next === "\\") out.push(0x5c);
    else if (next === "r") out.push(13);
    else if (next === "n") out.push(10);
    else if (next === "t") out.push(9);
    else {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    }
  }
  return Uint8Array.from(out);
}

Deno.test("escapeBanner() writes every byte as printable ASCII on one line, and loses nothing", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const text = escapeBanner(all);
  assert.match(text, /^[\x20-\x7e]*$/);
  assert.deepEqual(unescape(text), all);
});

/** A stream that plays a script of reads and records what is written. */
function scripted(reads: (ReadResult | number)[]) {
  const written: Uint8Array[] = [];
  let closed = false;
  return {
    written,
    get closed() {
      return closed;
    },
    stream: {
      write: (bytes: Uint8Array) => {
        written.push(bytes);
        return Promise.resolve();
      },
      read: async (timeoutMs: number): Promise<ReadResult> => {
        const next = reads.shift();
        if (next === undefined) return { kind: "end" };
        if (typeof next === "number") {
          // A pause of `next` ms: a timeout when it is longer than the wait.
          if (next > timeoutMs) {
            reads.unshift(next - timeoutMs);
            await new Promise((r) => setTimeout(r, timeoutMs));
            return { kind: "timeout" };
          }
          await new Promise((r) => setTimeout(r, next));
          const after = reads.shift();
          return typeof after === "object" ? after : { kind: "end" };
        }
        return next;
      },
      close: () => {
        closed = true;
      },
    },
  };
}

Deno.test("grabBanner() greets HTTP with HEAD and Host, keeps at most maxBytes, and stops on silence or time", async () => {
  const data = (text: string): ReadResult => ({
    kind: "data",
    bytes: encoder.encode(text),
  });
  const http = scripted([
    data("HTTP/1.0 200 OK\r\n"),
    data("Server: x\r\n\r\n"),
  ]);
  const banner = await grabBanner(http.stream, {
    host: "2001:db8::1",
    port: 8080,
    maxBytes: 20,
  });
  assert.equal(
    new TextDecoder().decode(http.written[0]),
    "HEAD / HTTP/1.0\r\nHost: [2001:db8::1]:8080\r\n\r\n",
  );
  assert.equal(banner.service, "http");
  assert.equal(banner.text, "HTTP/1.0 200 OK\\r\\nSer");
  assert.equal(banner.truncated, true);
  assert.equal(banner.ended, "limit");
  assert.equal(http.closed, false); // the opener closes it

  const idle = scripted([data("220 ftp ready\r\n"), 1000, data("late")]);
  const ftp = await grabBanner(idle.stream, {
    host: "192.0.2.1",
    port: 21,
    idleMs: 50,
  });
  assert.equal(ftp.text, "220 ftp ready\\r\\n");
  assert.equal(ftp.ended, "idle");
  assert.equal(idle.written.length, 0); // FTP speaks first

  const silent = scripted([5000]);
  const started = performance.now();
  const none = await grabBanner(silent.stream, {
    host: "192.0.2.1",
    port: 2222,
    timeoutMs: 100,
  });
  assert.ok(performance.now() - started < 1000);
  assert.equal(none.ended, "timeout");
  assert.equal(none.text, "");
  assert.equal(none.service, "unknown");

  const broken = await grabBanner({
    write: () => Promise.reject(new Error("Connection reset by peer")),
    read: () => Promise.resolve({ kind: "end" }),
    close() {},
  }, { host: "192.0.2.1", port: 80 });
  assert.equal(broken.ended, "error");
  assert.equal(broken.error, "Connection reset by peer");
});

Deno.test("the hello registry lists each port once", () => {
  const ports = BANNER_HELLOS.flatMap((h) => h.ports);
  assert.equal(new Set(ports).size, ports.length);
});

// ------------------------------------------------ certificates and openssl

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(
    out.success,
    `${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
  );
  return new TextDecoder().decode(out.stdout);
}

/** A self-signed certificate made by openssl, and what openssl says of it. */
async function certificate(
  dir: string,
  name: string,
  subject: string,
  extra: string[] = [],
): Promise<
  { pem: string; key: string; der: Uint8Array; openssl: Record<string, string> }
> {
  const pem = `${dir}/${name}.pem`;
  const key = `${dir}/${name}.key`;
  await run([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    pem,
    "-days",
    "30",
    "-utf8",
    "-subj",
    subject,
    ...extra,
  ]);
  const der = `${dir}/${name}.der`;
  await run(["openssl", "x509", "-in", pem, "-outform", "DER", "-out", der]);
  const text = await run([
    "openssl",
    "x509",
    "-in",
    pem,
    "-noout",
    "-subject",
    "-issuer",
    "-startdate",
    "-enddate",
    "-serial",
  ]);
  const openssl: Record<string, string> = {};
  for (const line of text.trim().split("\n")) {
    const at = line.indexOf("=");
    openssl[line.slice(0, at)] = line.slice(at + 1);
  }
  return { pem, key, der: await Deno.readFile(der), openssl };
}

/** OpenSSL's `notBefore=` time from an ISO one: `Dec  6 22:16:17 2026 GMT`. */
function opensslTime(iso: string): string {
  const d = new Date(iso);
  const month = d.toUTCString().slice(8, 11);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${month} ${String(d.getUTCDate()).padStart(2)} ${
    pad(d.getUTCHours())
  }:${pad(d.getUTCMinutes())}:${
    pad(d.getUTCSeconds())
  } ${d.getUTCFullYear()} GMT`;
}

const SUBJECTS = [
  '/C=US/ST=California/L=San Jose/O=Example, Inc./OU=Scan "Lab"/CN=tls.example.test/emailAddress=a@example.test',
  "/CN=a;b/O=x<y>/OU=back\\\\slash/L=#lead/ST= lead/street=trail ",
  "/CN=café ünïcode/O=日本",
  "/DC=test/DC=example/CN=multi+UID=42/serialNumber=0001",
  "/CN=unknown attr/1.2.3.4=value",
];

Deno.test({
  name:
    "parseCertificate() reads subject, issuer, dates and serial as openssl x509 prints them" +
    (OPENSSL ? "" : " (skipped: needs openssl)"),
  ignore: !OPENSSL,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-x509-" });
    try {
      for (const [i, subject] of SUBJECTS.entries()) {
        const made = await certificate(
          dir,
          `c${i}`,
          subject,
          i === 3 ? ["-multivalue-rdn"] : [
            "-addext",
            "subjectAltName=DNS:tls.example.test,DNS:*.example.test,IP:192.0.2.1",
          ],
        );
        const info = parseCertificate(made.der);
        assert.equal(
          formatDistinguishedName(info.subject),
          made.openssl.subject,
          subject,
        );
        assert.equal(formatDistinguishedName(info.issuer), made.openssl.issuer);
        assert.equal(opensslTime(info.notBefore), made.openssl.notBefore);
        assert.equal(opensslTime(info.notAfter), made.openssl.notAfter);
        assert.equal(info.serialNumber, made.openssl.serial);
        if (i !== 3) {
          assert.deepEqual(info.dnsNames, [
            "tls.example.test",
            "*.example.test",
          ]);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A server's answer: ServerHello, Certificate, ServerHelloDone, as records. */
function serverAnswer(der: Uint8Array, recordSize: number): Uint8Array {
  const u24 = (n: number) => [n >> 16, (n >> 8) & 0xff, n & 0xff];
  const hello = [3, 3, ...new Array(32).fill(7), 0, 0xc0, 0x2b, 0];
  const certs = [...u24(der.length), ...der];
  const messages = [
    2,
    ...u24(hello.length),
    ...hello,
    11,
    ...u24(certs.length + 3),
    ...u24(certs.length),
    ...certs,
    14,
    0,
    0,
    0,
  ];
  const out: number[] = [];
  for (let at = 0; at < messages.length; at += recordSize) {
    const piece = messages.slice(at, at + recordSize);
    out.push(22, 3, 3, piece.length >> 8, piece.length & 0xff, ...piece);
  }
  return Uint8Array.from(out);
}

Deno.test({
  name:
    "TlsReader reads an answer split into records and pieces of any size, and throws only DecodeError on corrupt ones" +
    (OPENSSL ? "" : " (skipped: needs openssl)"),
  ignore: !OPENSSL,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-tls-" });
    try {
      const { der, openssl } = await certificate(
        dir,
        "leaf",
        "/O=Split/CN=split.test",
      );
      for (const recordSize of [1, 7, 100, 16384]) {
        const answer = serverAnswer(der, recordSize);
        for (const pieceSize of [1, 3, 1000, answer.length]) {
          const reader = new TlsReader();
          for (
            let at = 0;
            at < answer.length && !reader.done;
            at += pieceSize
          ) {
            reader.push(answer.subarray(at, at + pieceSize));
          }
          assert.equal(reader.serverHello?.cipherSuite, 0xc02b);
          assert.equal(
            formatDistinguishedName(
              parseCertificate(reader.certificates![0]!).subject,
            ),
            openssl.subject,
          );
        }
      }
      let seed = 99;
      const random = () =>
        (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const answer = serverAnswer(der, 300);
      for (let i = 0; i < 3000; i++) {
        const bytes = answer.slice(0, 1 + Math.floor(random() * answer.length));
        for (let e = 0; e < 3; e++) {
          bytes[Math.floor(random() * bytes.length)] = Math.floor(
            random() * 256,
          );
        }
        try {
          const reader = new TlsReader();
          reader.push(bytes);
          for (const cert of reader.certificates ?? []) parseCertificate(cert);
        } catch (error) {
          assert.ok(error instanceof DecodeError, String(error));
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("buildClientHello() sends SNI for names only, and no TLS 1.3 supported_versions", () => {
  const hello = buildClientHello({ serverName: "example.test" });
  const text = String.fromCharCode(...hello);
  assert.ok(text.includes("example.test"));
  assert.ok(
    !String.fromCharCode(...buildClientHello({ serverName: "192.0.2.1" }))
      .includes("192.0.2.1"),
  );
  assert.ok(
    !String.fromCharCode(...buildClientHello({ serverName: "2001:db8::1" }))
      .includes("2001"),
  );
  // Extension 43 (supported_versions) would say TLS 1.3: it is not there.
  const extensionsAt = 5 + 4 + 2 + 32 + 1 + 2 +
    ((hello[5 + 4 + 2 + 32 + 1]! << 8) + hello[5 + 4 + 2 + 32 + 2]!) + 2;
  const types: number[] = [];
  for (let at = extensionsAt + 2; at < hello.length;) {
    types.push((hello[at]! << 8) + hello[at + 1]!);
    at += 4 + ((hello[at + 2]! << 8) + hello[at + 3]!);
  }
  assert.deepEqual(types, [0, 10, 11, 13, 0x17, 0xff01]);
});

// ------------------------------------------------- real servers, namespaces

const gate = netnsTestGate("openssl", "/usr/bin/python3");

const HTTP_SCRIPT = String.raw`
import json, socket, sys, threading
def handle(conn):
    data = b""
    conn.settimeout(2)
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        print(json.dumps({"request": data.decode("latin-1")}), flush=True)
        conn.sendall(b"HTTP/1.0 200 OK\r\nServer: tcpcraft-test/1.0\r\nContent-Length: 0\r\n\r\n")
        conn.close()
    except OSError:
        pass
server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("::", 80))
server.listen(16)
print("READY", flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
`;

const PY_TLS_SCRIPT = String.raw`
import socket, ssl, sys, threading
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("::", int(sys.argv[3])))
server.listen(16)
print("READY", flush=True)
def handle(conn):
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    except (OSError, ssl.SSLError):
        pass
while True:
    conn, _ = server.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
`;

Deno.test({
  name:
    "banners from real servers over kernel connections: HTTP, SSH-like greeters, openssl s_server and Python's ssl" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-banner-" });
    await withNetwork(async (network) => {
      const { b } = network;
      const ec = await certificate(dir, "ec", SUBJECTS[0]!);
      const rsaKey = `${dir}/rsa.key`;
      const rsaPem = `${dir}/rsa.pem`;
      await run([
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        rsaKey,
        "-out",
        rsaPem,
        "-days",
        "10",
        "-subj",
        "/C=DE/O=Python TLS/CN=py.example.test",
      ]);
      const rsaText = await run([
        "openssl",
        "x509",
        "-in",
        rsaPem,
        "-noout",
        "-subject",
        "-issuer",
      ]);
      const servers = [
        await startServer(b, HTTP_SCRIPT),
        await startServer(b, ACCEPT_SCRIPT, [
          "SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n",
          "22",
        ]),
        await startServer(b, ACCEPT_SCRIPT, [
          "\\x1b]0;pwned\\x07\\x1b[2Jhi\\r\\n",
          "2222",
        ]),
        await startProcess(b, [
          "openssl",
          "s_server",
          "-cert",
          ec.pem,
          "-key",
          ec.key,
          "-accept",
          "443",
          "-naccept",
          "20",
        ], "ACCEPT"),
        await startProcess(b, [
          "openssl",
          "s_server",
          "-cert",
          ec.pem,
          "-key",
          ec.key,
          "-accept",
          "9443",
          "-tls1_3",
        ], "ACCEPT"),
        await startServer(b, PY_TLS_SCRIPT, [rsaPem, rsaKey, "8443"]),
      ];
      try {
        // The grab runs in namespace a through an agent of this module.
        const result = await network.agent<
          Record<string, Banner> & { agentError?: unknown }
        >(
          network.a,
          import.meta.url,
          "banners",
          { v4: b.ipv4, v6: b.ipv6 },
          60_000,
        );
        assert.equal(result.agentError, undefined, String(result.agentError));
        assert.equal(
          result.http4!.text,
          "HTTP/1.0 200 OK\\r\\nServer: tcpcraft-test/1.0\\r\\nContent-Length: 0\\r\\n\\r\\n",
        );
        assert.equal(result.http6!.ended, "end");
        const requests = servers[0]!.stdout().trim().split("\n")
          .filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).request);
        assert.deepEqual(
          requests.sort(),
          [
            `HEAD / HTTP/1.0\r\nHost: ${b.ipv4}\r\n\r\n`,
            `HEAD / HTTP/1.0\r\nHost: [${b.ipv6}]\r\n\r\n`,
          ].sort(),
        );
        assert.equal(result.ssh!.text, "SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n");
        assert.equal(result.ssh!.service, "ssh");
        assert.equal(
          result.hostile!.text,
          "\\x1B]0;pwned\\x07\\x1B[2Jhi\\r\\n",
        );
        for (const key of ["openssl4", "openssl6"]) {
          const tls = result[key]!.tls!;
          assert.equal(tls.version, "TLS 1.2", key);
          assert.equal(tls.subject, ec.openssl.subject, key);
          assert.equal(tls.issuer, ec.openssl.issuer, key);
          assert.equal(
            opensslTime(tls.certificate!.notAfter),
            ec.openssl.notAfter,
          );
          assert.match(
            result[key]!.text,
            /^TLS 1\.2; TLS_ECDHE_ECDSA_WITH_\w+; subject: C = US, /,
          );
        }
        assert.equal(
          result.python!.tls!.subject,
          /subject=(.*)/.exec(rsaText)![1],
        );
        assert.equal(
          result.python!.tls!.issuer,
          /issuer=(.*)/.exec(rsaText)![1],
        );
        assert.match(result.python!.tls!.cipherSuite!, /^TLS_ECDHE_RSA_/);
        assert.equal(result.tls13!.tls!.alert, "protocol_version");
        assert.equal(result.tls13!.text, "alert: protocol_version");
      } finally {
        for (const server of servers) await server.stop();
      }
    }).finally(() => Deno.remove(dir, { recursive: true }));
  },
});

type Banner = Awaited<ReturnType<typeof grabBanner>>;

if (import.meta.main) {
  await agentMain({
    banners: async (args: unknown) => {
      const { v4, v6 } = args as { v4: string; v6: string };
      const connector = createDenoConnector();
      const grab = async (address: string, port: number) => {
        const outcome = await connector.connect(address, port, 3000);
        if (outcome.kind !== "open") {
          throw new Error(`${address}:${port} ${outcome.kind}`);
        }
        try {
          const banner = await grabBanner(outcome.stream, {
            host: address,
            port,
            timeoutMs: 3000,
          });
          return { ...banner, bytes: [...banner.bytes] };
        } finally {
          outcome.stream.close();
        }
      };
      return {
        http4: await grab(v4, 80),
        http6: await grab(v6, 80),
        ssh: await grab(v4, 22),
        hostile: await grab(v6, 2222),
        openssl4: await grab(v4, 443),
        openssl6: await grab(v6, 443),
        python: await grab(v4, 8443),
        tls13: await grab(v4, 9443),
      };
    },
  });
}
