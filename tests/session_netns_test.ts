/**
 * Hand-made TCP sessions judged by real kernels in namespaces of the tests'
 * own: a page fetched from a real HTTP server in the peer (whose log shows
 * the request), the kernel's own resets killing a session that did not ask
 * to hold them back, and the nftables rule that holds them: removed when
 * the session ends, on Ctrl-C (SIGINT), by the next run after a SIGKILL,
 * and refused in one line when `nft` is missing. After every test: no
 * tcpcraft table, no raw socket, no child process left.
 *
 * @module
 */

import assert from "node:assert/strict";
import { openSession, removeStaleResetTables } from "../ffi/mod.ts";
import type { SessionError } from "../mod.ts";
import { childProcesses, openRawSockets, tcpcraftTables } from "./_leaks.ts";
import {
  agentMain,
  type Host,
  netnsTestGate,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";

const SELF = import.meta.url;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

interface Left {
  sockets: ReturnType<typeof openRawSockets>;
  children: string[];
  tables: string[];
}

function left(): Left {
  return {
    sockets: openRawSockets(),
    children: childProcesses(),
    tables: tcpcraftTables(),
  };
}

const NOTHING_LEFT: Left = {
  sockets: { raw: 0, raw6: 0, packet: 0 },
  children: [],
  tables: [],
};

/** The README's example: an HTTP request inside a hand-made connection. */
async function fetchPage(
  args: { dst: string; port: number },
): Promise<
  {
    head: string;
    length: number;
    tablesDuring: string[];
    hold: string;
    left: Left;
  }
> {
  const session = await openSession({
    dst: args.dst,
    dstPort: args.port,
    dropKernelResets: true,
  });
  const tablesDuring = tcpcraftTables();
  await session.send(
    `GET /tcpcraft-session HTTP/1.0\r\nHost: ${args.dst}\r\n\r\n`,
  );
  const page = new TextDecoder().decode(await session.readAll());
  await session.close();
  return {
    head: page.split("\r\n")[0]!,
    length: page.length,
    tablesDuring,
    hold: session.holdDescription ?? "",
    left: left(),
  };
}

/** A session that did not ask to hold the kernel's resets back. */
async function withoutHold(
  args: { dst: string; port: number },
): Promise<{ kind: string; message: string; left: Left }> {
  try {
    const session = await openSession({ dst: args.dst, dstPort: args.port });
    await session.send("GET / HTTP/1.0\r\n\r\n");
    await session.readAll();
    await session.close();
    return { kind: "none", message: "", left: left() };
  } catch (error) {
    const e = error as SessionError;
    return { kind: e.kind, message: e.message, left: left() };
  }
}

/** Open a session holding the resets back, say so, and wait to be killed. */
async function holdAndWait(
  args: { dst: string; port: number },
): Promise<never> {
  const session = await openSession({
    dst: args.dst,
    dstPort: args.port,
    dropKernelResets: true,
  });
  console.log(`READY ${session.holdDescription}`);
  // Bounded by the test, which signals this process, and by the harness.
  return await new Promise<never>(() => {});
}

/** Delete stale tables, then open and close a session. */
async function cleanUp(): Promise<{ removed: string[]; left: Left }> {
  const removed = await removeStaleResetTables();
  return { removed, left: left() };
}

/** Ask for the hold where no nft can be found. */
async function withoutNft(
  args: { dst: string; port: number },
): Promise<{ name: string; kind: string; message: string; left: Left }> {
  Deno.env.set("PATH", "/nonexistent");
  try {
    await openSession({
      dst: args.dst,
      dstPort: args.port,
      dropKernelResets: true,
    });
    return { name: "none", kind: "", message: "", left: left() };
  } catch (error) {
    const e = error as Error & { kind: string };
    Deno.env.set("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    return { name: e.name, kind: e.kind, message: e.message, left: left() };
  }
}

const gate = netnsTestGate("/usr/bin/python3", "nft");

async function httpServer(net: TestNetwork, host: Host, port: number) {
  const server = net.start(host, [
    "/usr/bin/python3",
    "-u",
    "-m",
    "http.server",
    String(port),
    "--bind",
    "::",
  ]);
  const ready = await server.stdout(10000);
  assert.match(ready ?? "", /Serving HTTP/);
  return server;
}

Deno.test({
  name:
    "openSession (namespaces): a hand-made connection fetches a page from a real HTTP server, whose log shows the request; the nft rule exists while it lives and is gone after" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const server = await httpServer(net, net.b, 7700);
      try {
        for (const dst of [net.b.ipv4, net.b.ipv6]) {
          const result = await net.agent<Awaited<ReturnType<typeof fetchPage>>>(
            net.a,
            SELF,
            "fetchPage",
            { dst, port: 7700 },
          );
          assert.equal(
            result.head,
            "HTTP/1.0 404 File not found",
            JSON.stringify(result),
          );
          assert.ok(result.length > 100);
          assert.equal(result.tablesDuring.length, 1);
          assert.match(
            result.hold,
            /^nft table inet tcpcraft_\d+_\d+: ip6? saddr /,
          );
          assert.deepEqual(result.left, NOTHING_LEFT);
          // The server logs "code 404, message …", then the request line.
          const logged: string[] = [];
          for (let i = 0; i < 4; i++) {
            const line = await server.stderr(3000);
            if (line === undefined) break;
            logged.push(line);
            if (line.includes('"GET ')) break;
          }
          const log = logged.at(-1);
          const client = dst.includes(":") ? net.a.ipv6 : net.a.ipv4;
          assert.match(
            log ?? "(no log line)",
            new RegExp(
              `^(::ffff:)?${
                client.replace(/\./g, "\\.")
              } - - \\[.*\\] "GET /tcpcraft-session HTTP/1\\.0" 404 -$`,
            ),
          );
        }
      } finally {
        await server.stop();
      }
    });
  },
});

Deno.test({
  name:
    "openSession (namespaces): without the hold, the kernel's own RST ends the session with reset, and the message says what to do" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const server = await httpServer(net, net.b, 7710);
      try {
        const result = await net.agent<Awaited<ReturnType<typeof withoutHold>>>(
          net.a,
          SELF,
          "withoutHold",
          { dst: net.b.ipv4, port: 7710 },
        );
        assert.equal(result.kind, "reset", JSON.stringify(result));
        assert.match(
          result.message,
          /open the session with dropKernelResets: true/,
        );
        assert.deepEqual(result.left, NOTHING_LEFT);
      } finally {
        await server.stop();
      }
    });
  },
});

function holder(net: TestNetwork, dst: string, port: number) {
  return net.start(net.a, [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    Deno.execPath(),
    "run",
    "-A",
    "--no-prompt",
    `--config=${CONFIG}`,
    new URL(SELF).pathname,
    "holdAndWait",
    JSON.stringify({ dst, port }),
  ]);
}

async function tablesIn(net: TestNetwork, host: Host): Promise<string[]> {
  const { stdout } = await net.run(host, ["nft", "list", "tables"]);
  return [...stdout.matchAll(/^table inet (tcpcraft_\S+)$/gm)].map((m) =>
    m[1]!
  );
}

Deno.test({
  name:
    "openSession (namespaces): Ctrl-C (SIGINT) removes the rule before the process ends with 130; after a SIGKILL the next run removes the stale table" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const server = await httpServer(net, net.b, 7720);
      try {
        const interrupted = holder(net, net.b.ipv4, 7720);
        assert.match(
          (await interrupted.stdout(20000)) ?? "",
          /^READY nft table inet tcpcraft_/,
        );
        assert.equal((await tablesIn(net, net.a)).length, 1);
        interrupted.kill("SIGINT");
        const status = await interrupted.status;
        assert.ok(
          status.signal === "SIGINT" || status.code === 130,
          JSON.stringify(status),
        );
        assert.deepEqual(await tablesIn(net, net.a), []);

        const killed = holder(net, net.b.ipv4, 7720);
        assert.match((await killed.stdout(20000)) ?? "", /^READY /);
        killed.kill("SIGKILL");
        await killed.status;
        const stale = await tablesIn(net, net.a);
        assert.equal(stale.length, 1, "a SIGKILL leaves the table");
        const result = await net.agent<Awaited<ReturnType<typeof cleanUp>>>(
          net.a,
          SELF,
          "cleanUp",
          {},
        );
        assert.deepEqual(result.removed, stale);
        assert.deepEqual(result.left, NOTHING_LEFT);
        assert.deepEqual(await tablesIn(net, net.a), []);
      } finally {
        await server.stop();
      }
    });
  },
});

Deno.test({
  name:
    "openSession (namespaces): without nft the hold is refused in one line, before anything is sent, and nothing is left" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const result = await net.agent<Awaited<ReturnType<typeof withoutNft>>>(
        net.a,
        SELF,
        "withoutNft",
        { dst: net.b.ipv4, port: 7730 },
      );
      assert.equal(result.name, "ResetHoldError");
      assert.equal(result.kind, "missing");
      assert.equal(
        result.message,
        "Cannot hold back the kernel's resets: the nft command is not installed (install nftables)",
      );
      assert.deepEqual(result.left, NOTHING_LEFT);
    });
  },
});

if (import.meta.main) {
  await agentMain({ fetchPage, withoutHold, holdAndWait, cleanUp, withoutNft });
}
