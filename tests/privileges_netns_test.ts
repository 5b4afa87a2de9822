/**
 * Least privilege, read from `/proc` while the commands run: started as
 * root, `scan`, `send`, `probe` and `listen` open their sockets, then run
 * as the user `sudo` names (`SUDO_UID`, `SUDO_GID`) or else `nobody`, with
 * every capability set empty, `no_new_privs` set and a seccomp filter in
 * every thread, and still get their answers through the sockets opened
 * before. And the recipe the README gives for running without root, a
 * binary given `cap_net_raw+ep` by `setcap` and started by an ordinary
 * user: the Deno binary itself stands in for the compiled one (which
 * needs a runtime only Deno's servers have), copied and given the
 * capability where the file system allows it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { netnsTestGate, type Started, withNetwork } from "./_netns.ts";
import { ACCEPT_SCRIPT, startServer } from "./_servers.ts";
import { CLI, cliLine } from "./_cli_line.ts";

const gate = netnsTestGate("/usr/bin/python3", "setpriv");
const OPEN = 8081;
const NOBODY = 65534;

function deno(args: string[], env: string[] = []): string[] {
  return cliLine(args, { env });
}

/** The fields of `/proc/PID/status` (or of one of its threads). */
async function status(path: string): Promise<Record<string, string>> {
  const text = await Deno.readTextFile(path);
  return Object.fromEntries(
    text.split("\n").filter((l) => l.includes(":")).map((l) => {
      const at = l.indexOf(":");
      return [l.slice(0, at), l.slice(at + 1).trim()];
    }),
  );
}

/** Every thread's status, once the process has dropped (polled up to 5 s). */
async function droppedThreads(
  pid: number,
  uid: number,
): Promise<Record<string, string>[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const threads: Record<string, string>[] = [];
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      threads.push(
        await status(`/proc/${pid}/task/${task.name}/status`).catch(() => ({})),
      );
    }
    const main = await status(`/proc/${pid}/status`);
    // The filter is the drop's last step.
    if (main.Uid?.split(/\s+/)[0] === String(uid) && main.Seccomp === "2") {
      return [main, ...threads.filter((t) => t.Uid !== undefined)];
    }
    if (Date.now() > deadline) {
      throw new Error(`pid ${pid} still has Uid ${main.Uid}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Assert what a dropped process shows: its ids, no capability, no new privileges, filtered. */
function assertDropped(
  threads: Record<string, string>[],
  uid: number,
  gid: number,
  allThreadsCapless = true,
): void {
  assert.ok(threads.length > 1, "the main thread and its threads");
  for (const [i, t] of threads.entries()) {
    const where = i === 0 ? "process" : `thread ${i}`;
    assert.deepEqual(t.Uid!.split(/\s+/).map(Number), [uid, uid, uid, uid]);
    assert.deepEqual(t.Gid!.split(/\s+/).map(Number), [gid, gid, gid, gid]);
    assert.equal(t.Groups, "", `${where}: supplementary groups`);
    assert.equal(t.NoNewPrivs, "1", `${where}: no_new_privs`);
    assert.equal(t.Seccomp, "2", `${where}: a seccomp filter`);
    if (i === 0 || allThreadsCapless) {
      assert.equal(t.CapEff, "0000000000000000", `${where}: CapEff`);
      assert.equal(t.CapPrm, "0000000000000000", `${where}: CapPrm`);
    }
  }
}

/** Read everything a started command prints, and its exit code. */
async function finish(
  started: Started,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const read = async (
    next: (ms: number) => Promise<string | undefined>,
    into: string[],
  ) => {
    for (let line = await next(30000); line !== undefined;) {
      into.push(line);
      line = await next(30000);
    }
  };
  await Promise.all([read(started.stdout, out), read(started.stderr, err)]);
  return { code: (await started.status).code, out, err };
}

Deno.test({
  name:
    "scan, send, probe and listen run as nobody (or sudo's user) with no capability once their sockets are open, and still read the answers" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (network) => {
      const { a, b } = network;
      const server = await startServer(b, ACCEPT_SCRIPT, ["", String(OPEN)]);
      try {
        // A scan paced to last about two seconds: 800 ports at 400 pps.
        const scan = network.start(
          a,
          deno([
            "scan",
            b.ipv4,
            "-p",
            `${OPEN - 399}-${OPEN + 400}`,
            "--max-rate",
            "400",
            "--format",
            "ndjson",
          ]),
        );
        assertDropped(await droppedThreads(scan.pid, NOBODY), NOBODY, NOBODY);
        const scanned = await finish(scan);
        assert.equal(scanned.code, 0, scanned.err.join("\n"));
        const rows = scanned.out.map((l) => JSON.parse(l));
        assert.equal(rows.length, 800);
        assert.deepEqual(
          rows.filter((r) => r.state === "open").map((r) => r.port),
          [OPEN],
        );
        assert.equal(rows.filter((r) => r.state === "closed").length, 799);

        // Started with sudo: the user who ran it.
        const sudo = ["SUDO_UID=4242", "SUDO_GID=4343", "SUDO_USER=someone"];
        const send = network.start(
          a,
          deno(["send", b.ipv4, "-p", "9", "-c", "3", "-i", "700ms"], sudo),
        );
        assertDropped(await droppedThreads(send.pid, 4242), 4242, 4343);
        const sent = await finish(send);
        assert.equal(sent.code, 0, sent.err.join("\n"));

        const probe = network.start(
          a,
          deno(["probe", b.ipv4, "-p", String(OPEN), "-c", "3", "-i", "500ms"]),
        );
        assertDropped(await droppedThreads(probe.pid, NOBODY), NOBODY, NOBODY);
        const probed = await finish(probe);
        assert.equal(probed.code, 0, probed.err.join("\n"));
        // Three SYN-ACKs read by the process that gave up root.
        assert.equal(
          probed.out.filter((l) => /\bSA\b|syn-ack|flags=SA/.test(l)).length,
          3,
          probed.out.join("\n"),
        );

        const listen = network.start(
          b,
          deno(["listen", "--timeout", "3s", "--dport", "7777"]),
        );
        assertDropped(
          await droppedThreads(listen.pid, NOBODY),
          NOBODY,
          NOBODY,
        );
        await network.run(a, deno(["send", b.ipv4, "-p", "7777", "-c", "2"]));
        const heard = await finish(listen);
        assert.equal(heard.code, 0, heard.err.join("\n"));
        assert.equal(heard.out.filter((l) => l.includes(".7777")).length, 2);
      } finally {
        await server.stop();
      }
    });
  },
});

/** The CLI under `binary`, run by `nobody` with the least Deno permissions. */
function asNobody(binary: string, cache: string, args: string[]): string[] {
  return [
    "setpriv",
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    ...cliLine(args, {
      deno: binary,
      env: [`DENO_DIR=${cache}`, `HOME=${cache}`],
      allow: ["--no-lock", "--allow-ffi", "--allow-read", "--allow-env"],
    }),
  ];
}

/** Why file capabilities cannot be tried here, or undefined when they can. */
async function fileCapabilities(binary: string): Promise<string | undefined> {
  for (const tool of ["setcap", "getcap"]) {
    const which = await new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
    }).output();
    if (!which.success) return `needs ${tool} (apt-get install libcap2-bin)`;
  }
  const set = await new Deno.Command("setcap", {
    args: ["cap_net_raw+ep", binary],
    stderr: "piped",
  }).output();
  if (!set.success) {
    return `this file system keeps no file capabilities (${
      new TextDecoder().decode(set.stderr).trim()
    })`;
  }
  const get = await new Deno.Command("getcap", {
    args: [binary],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(get.stdout);
  return /cap_net_raw[=+]ep/.test(text)
    ? undefined
    : `getcap shows no capability on ${binary}`;
}

Deno.test({
  name:
    "the setcap recipe: a binary given cap_net_raw+ep scans as an ordinary user, and drops the capability once its sockets are open" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-setcap-" });
    try {
      await Deno.chmod(dir, 0o755);
      const binary = `${dir}/deno`;
      await Deno.copyFile(Deno.execPath(), binary);
      await Deno.chmod(binary, 0o755);
      const why = await fileCapabilities(binary);
      // The checkout must be readable by the ordinary user.
      const readable = await new Deno.Command("setpriv", {
        args: [
          `--reuid=${NOBODY}`,
          `--regid=${NOBODY}`,
          "--clear-groups",
          "test",
          "-r",
          CLI,
        ],
      }).output();
      const skip = why ??
        (readable.success ? undefined : `nobody cannot read ${CLI}`);
      if (skip !== undefined) {
        console.log(`skipped: ${skip}`);
        await t.step({ name: `skipped: ${skip}`, ignore: true, fn() {} });
        return;
      }
      const cache = `${dir}/cache`;
      await Deno.mkdir(cache, { mode: 0o777 });
      await Deno.chmod(cache, 0o777);
      await withNetwork(async (network) => {
        const { a, b } = network;
        const server = await startServer(b, ACCEPT_SCRIPT, [
          "",
          String(OPEN),
        ]);
        try {
          const scan = network.start(
            a,
            asNobody(binary, cache, [
              "scan",
              b.ipv4,
              "-p",
              `${OPEN - 299}-${OPEN + 300}`,
              "--max-rate",
              "300",
              "--format",
              "ndjson",
            ]),
          );
          // The process was started with the capability; once its sockets
          // are open the main thread has none, and every thread has
          // no_new_privs and the filter (the kernel lets a thread clear
          // only its own sets).
          const all = await droppedThreads(scan.pid, NOBODY);
          assertDropped(all, NOBODY, NOBODY, false);
          const scanned = await finish(scan);
          assert.equal(scanned.code, 0, scanned.err.join("\n"));
          const rows = scanned.out.map((l) => JSON.parse(l));
          assert.equal(rows.length, 600);
          assert.deepEqual(
            rows.filter((r) => r.state === "open").map((r) => r.port),
            [OPEN],
          );
          // Without the capability, the same user cannot open a raw socket.
          const plain = await network.run(
            a,
            asNobody(Deno.execPath(), cache, [
              "scan",
              b.ipv4,
              "-p",
              String(OPEN),
            ]),
            { check: false },
          );
          assert.equal(plain.code, 1, plain.stderr);
          assert.match(plain.stderr, /CAP_NET_RAW|root|not permitted/i);
        } finally {
          await server.stop();
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
