/**
 * The portable modules in a browser: `mod.ts` is bundled for the browser
 * (`deno bundle --platform browser`), served with a page from 127.0.0.1,
 * and run by headless Chromium (Debian's `chromium`). The page builds the
 * fixtures' packets, decodes and verifies them and computes the RFC 1071
 * example checksum; the test compares what the browser computed with what
 * Deno computes and with the bytes scapy built (tests/_fixtures.ts).
 */

import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  internetChecksum,
  makeTcpPacket,
  verifyPacketChecksums,
} from "../mod.ts";
import { PACKET_FIXTURES } from "./_fixtures.ts";

const ROOT = new URL("..", import.meta.url);
const CHROMIUM = "/usr/bin/chromium";
const decoder = new TextDecoder();

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const SKIP = exists(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing (apt-get install chromium)`;

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const CASES = PACKET_FIXTURES.flatMap((fixture) =>
  fixture.init === undefined ? [] : [{ name: fixture.name, init: fixture.init }]
);

/** The page: runs the bundle and writes the results (or the error) into #out. */
function page(): string {
  const cases = JSON.stringify(
    CASES,
    (_key, v) => v instanceof Uint8Array ? { $bytes: toHex(v) } : v,
  );
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tcpcraft in a browser</title></head>
<body><pre id="out">not run</pre>
<script type="module">
const out = document.getElementById("out");
try {
  const t = await import("./tcpcraft.js");
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const revive = (_key, v) =>
    v !== null && typeof v === "object" && typeof v.$bytes === "string"
      ? Uint8Array.from(v.$bytes.match(/../g) ?? [], (h) => parseInt(h, 16))
      : v;
  const cases = JSON.parse(${JSON.stringify(cases)}, revive);
  const packets = cases.map(({ name, init }) => {
    const bytes = t.encodePacket(t.makeTcpPacket(init));
    return {
      name,
      hex: hex(bytes),
      tcpChecksum: t.decodePacket(bytes).tcp.checksum,
      checks: t.verifyPacketChecksums(bytes),
    };
  });
  const rfc1071 = t.internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7));
  out.textContent = JSON.stringify({
    userAgent: navigator.userAgent,
    deno: typeof Deno,
    packets,
    rfc1071,
  });
} catch (error) {
  out.textContent = "ERROR " + String(error && error.stack || error);
}
</script></body></html>
`;
}

/** Bundle mod.ts for the browser into `dir/tcpcraft.js`. */
async function bundle(dir: string): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--platform",
      "browser",
      "--format",
      "esm",
      "--output",
      `${dir}/tcpcraft.js`,
      new URL("mod.ts", ROOT).pathname,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
}

interface BrowserResult {
  userAgent: string;
  deno: string;
  packets: {
    name: string;
    hex: string;
    tcpChecksum: number;
    checks: { ip: boolean | null; tcp: boolean };
  }[];
  rfc1071: number;
}

/** Load a URL in headless Chromium and return the text of #out. */
async function runChromium(url: string, profile: string): Promise<string> {
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      `--user-data-dir=${profile}`,
      "--virtual-time-budget=10000",
      "--dump-dom",
      url,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { HOME: profile },
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, 60000);
  const output = await child.output();
  clearTimeout(timer);
  const dom = decoder.decode(output.stdout);
  const match = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom);
  assert.ok(
    match !== null,
    `chromium exited ${output.code} without the page:\n${
      decoder.decode(output.stderr).slice(-2000)
    }`,
  );
  // --dump-dom serialises text with &, < and > escaped.
  return match[1]!.replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

Deno.test({
  name:
    `a browser computes the same packet bytes and checksums as Deno and scapy${
      SKIP === undefined ? "" : ` (skipped: ${SKIP})`
    }`,
  ignore: SKIP !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-browser-" });
    const files: Record<
      string,
      { type: string; body: () => Promise<BodyInit> }
    > = {
      "/": {
        type: "text/html; charset=utf-8",
        body: () => Promise.resolve(page()),
      },
      "/tcpcraft.js": {
        type: "text/javascript; charset=utf-8",
        body: () => Deno.readFile(`${dir}/tcpcraft.js`),
      },
    };
    const requested: string[] = [];
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const path = new URL(request.url).pathname;
        requested.push(path);
        const file = files[path];
        return file === undefined
          ? new Response("not found", { status: 404 })
          : new Response(await file.body(), {
            headers: { "content-type": file.type },
          });
      },
    );
    try {
      await bundle(dir);
      const text = await runChromium(
        `http://127.0.0.1:${server.addr.port}/`,
        `${dir}/profile`,
      );
      assert.ok(!text.startsWith("ERROR"), text);
      const result = JSON.parse(text) as BrowserResult;
      assert.match(result.userAgent, /HeadlessChrome\//);
      assert.equal(result.deno, "undefined");
      assert.ok(requested.includes("/tcpcraft.js"));

      assert.equal(result.rfc1071, 0x220d);
      assert.equal(
        result.rfc1071,
        internetChecksum(
          Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7),
        ),
      );
      assert.equal(result.packets.length, CASES.length);
      assert.ok(result.packets.length >= 3);
      for (const fixture of PACKET_FIXTURES) {
        if (fixture.init === undefined) continue;
        const inBrowser = result.packets.find((p) => p.name === fixture.name);
        assert.ok(inBrowser !== undefined, fixture.name);
        // Deno's bytes, the browser's bytes and scapy's bytes agree.
        const inDeno = encodePacket(makeTcpPacket(fixture.init));
        assert.equal(inBrowser.hex, toHex(inDeno), fixture.name);
        assert.equal(inBrowser.hex, toHex(fixture.bytes), fixture.name);
        assert.equal(
          inBrowser.tcpChecksum,
          decodePacket(inDeno).tcp.checksum,
          fixture.name,
        );
        assert.equal(inBrowser.tcpChecksum, fixture.packet.tcp.checksum);
        assert.deepEqual(inBrowser.checks, verifyPacketChecksums(inDeno));
        assert.equal(inBrowser.checks.tcp, true);
      }
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
