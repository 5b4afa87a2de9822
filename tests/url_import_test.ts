/**
 * `mod.ts` (and `ffi/mod.ts`) imported by URL, as a user's own code does:
 * from a folder that is not this project's, with `--no-config` (so no
 * import map, no `deno.json`, no lock file) and no permission at all, by
 * `file://` and over HTTP. The packets built there are compared with the
 * bytes scapy built for the same fields (tests/_fixtures.ts), and with the
 * RFC 1071 checksum example. And `cli.ts` run by URL (`deno run URL`,
 * `deno install URL`) with the binary's permissions.
 */

import assert from "node:assert/strict";
import { hostTarget, permissionFlags, TARGETS } from "../.ci/compile.ts";
import denoConfig from "../deno.json" with { type: "json" };
import { PACKET_FIXTURES } from "./_fixtures.ts";

const ROOT = new URL("..", import.meta.url);
const decoder = new TextDecoder();

/** The fixtures that have a `makeTcpPacket()` init, bytes as hex. */
const CASES = PACKET_FIXTURES.flatMap((fixture) =>
  fixture.init === undefined ? [] : [{
    name: fixture.name,
    init: fixture.init,
    hex: toHex(fixture.bytes),
    tcpChecksum: fixture.packet.tcp.checksum,
    ipv4: fixture.packet.ip.version === 4,
  }]
);

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** JSON with byte arrays as `{ "$bytes": "hex" }`. */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => v instanceof Uint8Array ? { $bytes: toHex(v) } : v,
  );
}

/**
 * A program that imports tcpcraft from `url` and prints, as JSON, the
 * packets it builds from the fixtures' fields and the RFC 1071 example.
 */
function probeProgram(url: string, ffiUrl: string): string {
  return `import {
  decodePacket,
  encodePacket,
  internetChecksum,
  makeTcpPacket,
  verifyPacketChecksums,
} from ${JSON.stringify(url)};
import * as ffi from ${JSON.stringify(ffiUrl)};

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const revive = (_key, v) =>
  v !== null && typeof v === "object" && typeof v.$bytes === "string"
    ? Uint8Array.from(v.$bytes.match(/../g) ?? [], (h) => parseInt(h, 16))
    : v;
const cases = JSON.parse(${JSON.stringify(toJson(CASES))}, revive);
const packets = cases.map(({ name, init }) => {
  const bytes = encodePacket(makeTcpPacket(init));
  return {
    name,
    hex: hex(bytes),
    tcpChecksum: decodePacket(bytes).tcp.checksum,
    checks: verifyPacketChecksums(bytes),
  };
});
const rfc1071 = internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7));
console.log(JSON.stringify({ packets, rfc1071, rawSocket: typeof ffi.RawSocket }));
`;
}

interface ProbeResult {
  packets: {
    name: string;
    hex: string;
    tcpChecksum: number;
    checks: { ip: boolean | null; tcp: boolean };
  }[];
  rfc1071: number;
  rawSocket: string;
}

function assertProbe(result: ProbeResult): void {
  assert.equal(result.rfc1071, 0x220d);
  assert.equal(result.rawSocket, "function");
  assert.deepEqual(
    result.packets,
    CASES.map((c) => ({
      name: c.name,
      hex: c.hex,
      tcpChecksum: c.tcpChecksum,
      checks: { ip: c.ipv4 ? true : null, tcp: true },
    })),
  );
  assert.ok(result.packets.length >= 3);
}

/** Run a program from a fresh folder with `--no-config` and no permission. */
async function runProbe(
  program: string,
  extraFlags: string[] = [],
): Promise<ProbeResult> {
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-url-" });
  try {
    await Deno.writeTextFile(`${dir}/probe.js`, program);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-npm",
        "--no-prompt",
        ...extraFlags,
        "probe.js",
      ],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // A cache of its own, so nothing fetched before can stand in.
      env: {
        DENO_DIR: `${dir}/deno_dir`,
        NO_COLOR: "1",
        DENO_NO_UPDATE_CHECK: "1",
      },
    }).output();
    const stderr = decoder.decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    return JSON.parse(decoder.decode(output.stdout)) as ProbeResult;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface GraphModule {
  specifier: string;
  dependencies?: { specifier: string }[];
}

async function moduleGraph(entry: string): Promise<GraphModule[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--no-config", new URL(entry, ROOT).href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  return (JSON.parse(decoder.decode(output.stdout)) as {
    modules: GraphModule[];
  }).modules;
}

for (const entry of ["mod.ts", "ffi/mod.ts"]) {
  Deno.test(`${entry} imports only relative .ts modules of this repository`, async () => {
    const modules = await moduleGraph(entry);
    assert.ok(modules.length > 3);
    for (const module of modules) {
      assert.ok(
        module.specifier.startsWith(ROOT.href) &&
          module.specifier.endsWith(".ts"),
        module.specifier,
      );
      for (const dependency of module.dependencies ?? []) {
        assert.match(
          dependency.specifier,
          /^\.\.?\/[\w./-]+\.ts$/,
          `${module.specifier} imports ${dependency.specifier}`,
        );
      }
    }
  });
}

Deno.test("mod.ts by file:// URL, with --no-config and no permission, builds scapy's bytes", async () => {
  const result = await runProbe(
    probeProgram(
      new URL("mod.ts", ROOT).href,
      new URL("ffi/mod.ts", ROOT).href,
    ),
    ["--no-remote"],
  );
  assertProbe(result);
});

/**
 * Serve this repository's `.ts` files and `deno.json` over HTTP on
 * 127.0.0.1, as a web host of the repository would, recording each path
 * served.
 */
function serveRepository(): {
  base: string;
  served: string[];
  close(): Promise<void>;
} {
  const served: string[] = [];
  const types: Record<string, string> = {
    ".ts": "application/typescript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      const file = new URL(`.${path}`, ROOT);
      const type = types[path.slice(path.lastIndexOf("."))];
      if (
        request.method !== "GET" || path.includes("..") ||
        !file.href.startsWith(ROOT.href) || type === undefined
      ) {
        return new Response("not found", { status: 404 });
      }
      try {
        const body = await Deno.readFile(file);
        served.push(path);
        return new Response(body, { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    base: `http://127.0.0.1:${server.addr.port}/`,
    served,
    close: () => server.shutdown(),
  };
}

Deno.test("mod.ts by http:// URL, with --no-config and only --allow-import, builds scapy's bytes", async () => {
  const server = serveRepository();
  try {
    const result = await runProbe(
      probeProgram(`${server.base}mod.ts`, `${server.base}ffi/mod.ts`),
      [`--allow-import=${new URL(server.base).host}`],
    );
    assertProbe(result);
    // Every module came over HTTP, nothing from the disk.
    assert.ok(server.served.includes("/mod.ts"));
    assert.ok(server.served.includes("/ffi/mod.ts"));
    assert.ok(server.served.includes("/src/wire/packet.ts"));
  } finally {
    await server.close();
  }
});

Deno.test("cli.ts by http:// URL runs with the binary's permissions and no configuration", async () => {
  const server = serveRepository();
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-url-cli-" });
  try {
    const run = async (args: string[]) => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-config",
          "--no-lock",
          `--allow-import=${new URL(server.base).host}`,
          ...permissionFlags(hostTarget() ?? TARGETS[0]!),
          `${server.base}cli.ts`,
          ...args,
        ],
        cwd: dir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: {
          DENO_DIR: `${dir}/deno_dir`,
          NO_COLOR: "1",
          DENO_NO_UPDATE_CHECK: "1",
        },
      }).output();
      const stderr = decoder.decode(output.stderr);
      assert.equal(stderr, "");
      assert.equal(output.code, 0);
      return decoder.decode(output.stdout);
    };
    assert.equal(await run(["--version"]), `tcpcraft ${denoConfig.version}\n`);
    const xmas = PACKET_FIXTURES.find((f) => f.name === "xmas")!;
    assert.equal(
      await run([
        "build",
        "192.0.2.1:666",
        "--src",
        "192.0.2.42",
        "-f",
        "xmas",
        "--format",
        "hex",
      ]),
      `${toHex(xmas.bytes)}\n`,
    );
    assert.ok(server.served.includes("/deno.json"));
    assert.ok(server.served.includes("/ffi/deno_host.ts"));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
