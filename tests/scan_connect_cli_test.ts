/**
 * `scan --scan connect` and `scan --banners` from the command line, in
 * namespaces: the connect scan as `nobody` under `deno run --allow-net`
 * only, its states against nmap `-sT`; banners from real servers in the
 * peer (an HTTP server whose log shows the HEAD, an SSH-like greeter,
 * `openssl s_server` with the certificate's subject reported), through
 * kernel connections for connect scans and hand-made sessions for SYN
 * scans, with nothing left behind (no nftables table, no process).
 *
 * @module
 */

import assert from "node:assert/strict";
import { netnsTestGate, withNetwork } from "./_netns.ts";
import { parseNmapXml } from "./_nmap.ts";
import { ACCEPT_SCRIPT, startProcess, startServer } from "./_servers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const gate = netnsTestGate(
  "nft",
  "nmap",
  "openssl",
  "setpriv",
  "/usr/bin/python3",
);

const HTTP_SCRIPT = String.raw`
import json, socket, threading
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
        conn.sendall(b"HTTP/1.0 200 OK\r\nServer: tcpcraft-test/1.0\r\n\r\n")
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

const RULES = `
table inet tcpcraft_connect_cli {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 7402 drop
  }
}`;

interface Row {
  host: string;
  port: number;
  state: string;
  reason: string;
  banner?: string;
}

function rows(text: string): Row[] {
  return text.trim().split("\n").filter((l) => l !== "").map((l) =>
    JSON.parse(l) as Row
  );
}

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name:
    "scan --scan connect as nobody (--allow-net only) gives nmap -sT's states, and --banners draws HTTP, SSH and TLS banners for connect and SYN scans, leaving nothing behind" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-connect-cli-" });
    await Deno.chmod(dir, 0o777);
    await withNetwork(async (network) => {
      const { a, b } = network;
      await network.run(b, ["nft", "-f", "-"], { stdin: RULES });
      await run([
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
        "-days",
        "10",
        "-subj",
        "/C=FR/O=tcpcraft banners/CN=tls.example.test",
      ]);
      const subject = (await run([
        "openssl",
        "x509",
        "-in",
        `${dir}/cert.pem`,
        "-noout",
        "-subject",
      ])).trim().replace(/^subject=\s*/, "");
      const http = await startServer(b, HTTP_SCRIPT);
      const ssh = await startServer(b, ACCEPT_SCRIPT, [
        "SSH-2.0-tcpcraft-test\\r\\n",
        "22",
      ]);
      const tls = await startProcess(b, [
        "openssl",
        "s_server",
        "-cert",
        `${dir}/cert.pem`,
        "-key",
        `${dir}/key.pem`,
        "-accept",
        "443",
        "-naccept",
        "20",
      ], "ACCEPT");
      const ports = "22,80,443,7401,7402";
      try {
        const asNobody = [
          "setpriv",
          "--reuid=nobody",
          "--regid=nogroup",
          "--clear-groups",
          "env",
          `DENO_DIR=${dir}/deno`,
          "HOME=/nonexistent",
          "DENO_NO_UPDATE_CHECK=1",
        ];
        const connect = await network.run(a, [
          ...asNobody,
          Deno.execPath(),
          "run",
          "--allow-net",
          "--no-prompt",
          "--quiet",
          CLI,
          "scan",
          b.ipv4,
          "-p",
          ports,
          "--scan",
          "connect",
          "--banners",
          "--format",
          "ndjson",
        ], { timeoutMs: 60_000 });
        const ours = rows(connect.stdout);
        const nmap = await network.run(a, [
          "nmap",
          "-n",
          "-Pn",
          "-sT",
          "--reason",
          "-p",
          ports,
          "-oX",
          "-",
          b.ipv4,
        ], { timeoutMs: 60_000 });
        const oracle = parseNmapXml(nmap.stdout).hosts[0]!.ports;
        assert.equal(oracle.length, 5);
        for (const port of oracle) {
          const mine = ours.find((r) => r.port === port.port);
          assert.equal(
            `${mine?.state} ${mine?.reason}`,
            `${port.state} ${port.reason}`,
            `port ${port.port}`,
          );
        }
        const byPort = (list: Row[], port: number) =>
          list.find((r) => r.port === port)?.banner;
        assert.equal(byPort(ours, 22), "SSH-2.0-tcpcraft-test\\r\\n");
        assert.match(
          byPort(ours, 80)!,
          /^HTTP\/1\.0 200 OK\\r\\nServer: tcpcraft-test\/1\.0/,
        );
        assert.match(
          byPort(ours, 443)!,
          new RegExp(
            `^TLS 1\\.2; .*subject: ${
              subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
            }`,
          ),
        );
        // A SYN scan's banners, through sessions made by hand.
        const syn = await network.run(a, [
          "env",
          "DENO_NO_UPDATE_CHECK=1",
          Deno.execPath(),
          "run",
          "-A",
          "--quiet",
          CLI,
          "scan",
          b.ipv4,
          "-p",
          ports,
          "--banners",
          "--format",
          "ndjson",
        ], { timeoutMs: 60_000 });
        const synRows = rows(syn.stdout);
        assert.equal(synRows.length, 5, syn.stdout + syn.stderr);
        assert.equal(byPort(synRows, 22), "SSH-2.0-tcpcraft-test\\r\\n");
        assert.match(byPort(synRows, 80)!, /^HTTP\/1\.0 200 OK/);
        assert.match(byPort(synRows, 443)!, /subject: /);
        assert.equal(synRows.find((r) => r.port === 7401)?.state, "closed");
        assert.equal(synRows.find((r) => r.port === 7402)?.state, "filtered");
        // The HTTP server saw a HEAD from each scan.
        const requests = http.stdout().trim().split("\n").filter((l) =>
          l.startsWith("{")
        ).map((l) => JSON.parse(l).request as string);
        assert.deepEqual(requests, [
          `HEAD / HTTP/1.0\r\nHost: ${b.ipv4}\r\n\r\n`,
          `HEAD / HTTP/1.0\r\nHost: ${b.ipv4}\r\n\r\n`,
        ]);
        // Nothing left behind: no table of ours in the scanner's namespace.
        const tables = await network.run(a, ["nft", "list", "tables"]);
        assert.doesNotMatch(tables.stdout, /tcpcraft_/);
      } finally {
        await http.stop();
        await ssh.stop();
        await tls.stop();
      }
    });
    await Deno.remove(dir, { recursive: true });
  },
});
