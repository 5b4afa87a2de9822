/**
 * No leaks under load (issue #15), briefly: packets sent and received and
 * sockets opened and closed in a namespace with the descriptors and the
 * resident set flat (tests/_soak.ts defines flat); the buffers of
 * nonblocking FFI calls held until their promises settle, under forced
 * garbage collections; a scan and a session killed with SIGKILL leave
 * nothing the next run trips on. `deno task soak` runs the load at full
 * size: a million packets, ten thousand sockets.
 */

import assert from "node:assert/strict";
import { readCaptureBytes } from "../mod.ts";
import {
  flatness,
  type LoadResult,
  type RetainedResult,
  SOAK_V8_FLAGS,
} from "./_soak.ts";
import { netnsTestGate, type TestNetwork, withNetwork } from "./_netns.ts";

const SOAK = new URL("./_soak.ts", import.meta.url).href;
const SESSION = new URL("./session_netns_test.ts", import.meta.url).href;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const gate = netnsTestGate("nft", "/usr/bin/python3");

Deno.test({
  name:
    "50,000 packets out and in, 1,000 sockets opened and closed: descriptors and resident memory flat, nothing left" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const result = await net.agent<LoadResult>(
        net.a,
        SOAK,
        "load",
        {
          src: net.a.ipv4,
          dst: net.b.ipv4,
          dst6: net.b.ipv6,
          packets: 50_000,
          sockets: 1_000,
          samples: 20,
        },
        120_000,
        [SOAK_V8_FLAGS],
      );
      assert.equal(result.sent, 50_000, JSON.stringify(result));
      assert.ok(
        result.received + result.dropped >= 0.95 * result.sent,
        `${result.received} received, ${result.dropped} dropped`,
      );
      assert.ok(result.polls > 0);
      assert.equal(result.socketsOpened, 1_000);
      for (const phase of ["packets", "sockets"] as const) {
        const f = flatness(result.samples, phase);
        assert.ok(f.flat, JSON.stringify(f));
      }
      assert.ok(
        result.fdsAfter <= result.fdsBefore + 2,
        JSON.stringify(result),
      );
      assert.deepEqual(result.left, { raw: 0, raw6: 0, packet: 0 });
      assert.equal(result.inFlight, 0);
    });
  },
});

Deno.test({
  name:
    "the buffers of nonblocking FFI calls (poll, getaddrinfo) stay held until each call's promise settles, through forced garbage collections" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const result = await net.agent<RetainedResult>(
        net.a,
        SOAK,
        "retained",
        { rounds: 20 },
        60_000,
        [SOAK_V8_FLAGS],
      );
      assert.ok(result.heldWhileRunning >= 4 * 20, JSON.stringify(result));
      assert.equal(result.heldAfter, 0);
      assert.equal(result.collections, 100);
      assert.equal(result.polled, 4 * 20);
      assert.ok(result.resolved.includes("127.0.0.1"), result.resolved.join());
    });
  },
});

function cli(args: string[]): string[] {
  return [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    Deno.execPath(),
    "run",
    "-A",
    CLI,
    ...args,
  ];
}

/** Processes still running tcpcraft's scan (the one killed must be gone). */
function scansRunning(): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const line = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`)
        .split("\0").join(" ");
      if (line.includes(CLI) && line.includes(" scan ")) found.push(line);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function tables(net: TestNetwork): Promise<string[]> {
  const { stdout } = await net.run(net.a, ["nft", "list", "tables"]);
  return [...stdout.matchAll(/^table inet (tcpcraft_\S+)$/gm)].map((m) =>
    m[1]!
  );
}

Deno.test({
  name:
    "a scan killed with SIGKILL leaves nothing the next run trips on: the same command, the same capture file, runs to the end" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (net) => {
      const dir = await Deno.makeTempDir({ prefix: "tcpcraft-soak-" });
      const pcap = `${dir}/scan.pcapng`;
      const listener = await net.listen(net.b, 7802, { lifetimeMs: 60_000 });
      try {
        const scan = (ports: string, rate: string) =>
          cli([
            "scan",
            net.b.ipv4,
            "-p",
            ports,
            "--rate",
            rate,
            "--timeout",
            "300ms",
            "--format",
            "csv",
            "--no-progress",
            "--pcap",
            pcap,
          ]);
        const killed = net.start(net.a, scan("7000-9999", "200"));
        const rows: string[] = [];
        for (let i = 0; i < 40 && rows.length < 10; i++) {
          const line = await killed.stdout(5000);
          if (line === undefined) break;
          rows.push(line);
        }
        assert.ok(rows.length >= 10, rows.join("\n"));
        killed.kill("SIGKILL");
        const status = await killed.status;
        assert.equal(status.signal, "SIGKILL");
        // The capture holds what was written before the kill, readable up to where it stops.
        const partial = readCaptureBytes(await Deno.readFile(pcap));
        assert.ok(partial.records.length > 0);
        assert.deepEqual(await tables(net), []);
        const next = await net.run(net.a, scan("7780-7819", "5000"), {
          timeoutMs: 60_000,
        });
        const lines = next.stdout.trim().split("\n").slice(1);
        assert.equal(lines.length, 40, next.stdout + next.stderr);
        assert.ok(lines.some((l) => /,7802,open/.test(l)), next.stdout);
        const whole = readCaptureBytes(await Deno.readFile(pcap));
        assert.equal(whole.error, undefined);
        assert.ok(
          whole.records.length >= 80,
          `${whole.records.length} records`,
        );
        assert.deepEqual(scansRunning(), []);
      } finally {
        await listener.close();
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});

Deno.test({
  name:
    "a session killed with SIGKILL leaves its nft table; the next session removes it, works, and leaves nothing" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (net) => {
      const server = net.start(net.b, [
        "/usr/bin/python3",
        "-u",
        "-m",
        "http.server",
        "7810",
        "--bind",
        "::",
      ]);
      assert.match((await server.stdout(10000)) ?? "", /Serving HTTP/);
      try {
        const holder = net.start(net.a, [
          "env",
          "DENO_NO_UPDATE_CHECK=1",
          Deno.execPath(),
          "run",
          "-A",
          new URL(SESSION).pathname,
          "holdAndWait",
          JSON.stringify({ dst: net.b.ipv4, port: 7810 }),
        ]);
        assert.match(
          (await holder.stdout(20000)) ?? "",
          /^READY nft table inet tcpcraft_/,
        );
        holder.kill("SIGKILL");
        await holder.status;
        const stale = await tables(net);
        assert.equal(stale.length, 1, "a SIGKILL leaves the table");
        const next = await net.agent<{
          head: string;
          tablesDuring: string[];
          left: unknown;
        }>(net.a, SESSION, "fetchPage", { dst: net.b.ipv4, port: 7810 });
        assert.equal(
          next.head,
          "HTTP/1.0 404 File not found",
          JSON.stringify(next),
        );
        assert.equal(next.tablesDuring.length, 1);
        assert.ok(
          !next.tablesDuring.includes(stale[0]!),
          "the stale table is gone",
        );
        assert.deepEqual(next.left, {
          sockets: { raw: 0, raw6: 0, packet: 0 },
          children: [],
          tables: [],
        });
        assert.deepEqual(await tables(net), []);
      } finally {
        await server.stop();
      }
    });
  },
});
