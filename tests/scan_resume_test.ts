/**
 * `scan --resume` in namespaces: a scan of 1,500 ports of a peer (a few
 * open, the rest closed, so every probe is answered), paced by
 * `--max-rate`, is interrupted at a random moment and resumed until it
 * completes; tcpdump in the peer counts the probes per port. After SIGINT
 * (Ctrl-C) every port is probed exactly once over the runs; after SIGKILL
 * (with `--resume-file`, saved every second) no port is missed and the
 * ports probed again are at most those of the last second. The XML output
 * is one document with every port (appended to, not overwritten), and so
 * is the capture. Bad resume files are refused with exit 2 and no probe.
 *
 * @module
 */

import assert from "node:assert/strict";
import { netnsTestGate, type TestNetwork, withNetwork } from "./_netns.ts";
import { parseNmapXml } from "./_nmap.ts";
import { ACCEPT_SCRIPT, startServer } from "./_servers.ts";
import { readCaptureBytes } from "../mod.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const gate = netnsTestGate("tcpdump", "/usr/bin/python3");
const FIRST = 30001;
const COUNT = 1500;
const RATE = 500;

function deno(args: string[]): string[] {
  return [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    CLI,
    ...args,
  ];
}

/** SYNs to each port, from tcpdump's lines. */
function probesPerPort(lines: string[], peer: string): Map<number, number> {
  const counts = new Map<number, number>();
  const pattern = new RegExp(
    `> ${peer.replaceAll(".", "\\.")}\\.(\\d+): Flags \\[S\\]`,
  );
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match === null) continue;
    const port = Number(match[1]);
    counts.set(port, (counts.get(port) ?? 0) + 1);
  }
  return counts;
}

/** Run a scan in namespace a and stop it with a signal after `afterMs`. */
async function interrupted(
  network: TestNetwork,
  args: string[],
  signal: Deno.Signal,
  afterMs: number,
): Promise<{ code: number; stderr: string }> {
  const started = network.start(network.a, deno(args));
  // Standard output read as it comes: a full pipe would stop the scan.
  let ended = false;
  const drained = (async () => {
    while (!ended) {
      // At the end a read returns at once: wait, so timers and I/O run.
      if (await started.stdout(200) === undefined) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  await new Promise((r) => setTimeout(r, afterMs));
  try {
    started.kill(signal);
  } catch (error) {
    // A resumed run with few ports left may end before the signal: then
    // its status says so (0), and the caller stops resuming.
    if (!(error instanceof TypeError)) throw error;
  }
  const status = await started.status;
  ended = true;
  await drained;
  let stderr = "";
  for (let line = await started.stderr(2000); line !== undefined;) {
    stderr += `${line}\n`;
    line = await started.stderr(500);
  }
  return { code: status.code, stderr };
}

async function scenario(
  network: TestNetwork,
  dir: string,
  signal: "SIGINT" | "SIGKILL",
): Promise<{ duplicates: number; runs: number; probes: number }> {
  const { b } = network;
  const capture = await network.capture(
    b,
    b.ifaces[0]!,
    `tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 and dst portrange ${FIRST}-${
      FIRST + COUNT - 1
    }`,
    // Stopped 1.5 s after the last run (the time limit runs from result()).
    { count: 3 * COUNT, timeoutMs: 1500 },
  );
  const file = `${dir}/${signal}.resume`;
  const xml = `${dir}/${signal}.xml`;
  const pcap = `${dir}/${signal}.pcapng`;
  const first = [
    "scan",
    b.ipv4,
    "-p",
    `${FIRST}-${FIRST + COUNT - 1}`,
    "--max-rate",
    String(RATE),
    "-oX",
    xml,
    "--pcap",
    pcap,
    "--format",
    "ndjson",
    "--resume-file",
    file,
  ];
  let runs = 1;
  // Interrupted at a random moment of the first three seconds.
  let run = await interrupted(
    network,
    first,
    signal,
    300 + Math.floor(Math.random() * 2500),
  );
  assert.equal(run.code, signal === "SIGINT" ? 130 : 137, run.stderr);
  // Resumed, and interrupted again, until a run completes.
  for (let i = 0; i < 5; i++) {
    runs++;
    const resume = ["scan", "--resume", file];
    if (i < 2) {
      run = await interrupted(
        network,
        resume,
        signal,
        300 + Math.floor(Math.random() * 1000),
      );
      if (run.code === 0) break;
      continue;
    }
    const done = await network.run(network.a, deno(resume), {
      timeoutMs: 60_000,
    });
    assert.equal(done.code, 0, done.stderr);
    break;
  }
  // The completed scan removes its resume file, or, as here, where the
  // user it became (nobody: the tests run as root without sudo) may not
  // remove files in this root-owned directory, leaves it empty.
  const left = await Deno.stat(file).catch(() => undefined);
  assert.ok(left === undefined || left.size === 0, `${left?.size} bytes left`);
  await new Promise((r) => setTimeout(r, 500));
  // Stop tcpdump: one more SYN than it waits for cannot come.
  const counts = probesPerPort(await capture.result(), b.ipv4);
  const missing = [];
  let duplicates = 0;
  let probes = 0;
  for (let port = FIRST; port < FIRST + COUNT; port++) {
    const n = counts.get(port) ?? 0;
    probes += n;
    if (n === 0) missing.push(port);
    if (n > 1) duplicates += n - 1;
  }
  assert.deepEqual(missing, [], `${signal}: ports never probed`);
  // One XML document, every port in it, nothing overwritten.
  const text = await Deno.readTextFile(xml);
  assert.equal(text.match(/<nmaprun /g)?.length, 1, text.slice(0, 400));
  assert.equal(text.match(/<runstats>/g)?.length, 1);
  const parsed = parseNmapXml(text);
  assert.equal(parsed.hosts.length, 1);
  const states = new Map(parsed.hosts[0]!.ports.map((p) => [p.port, p.state]));
  assert.equal(states.size, COUNT);
  for (let port = FIRST; port < FIRST + 5; port++) {
    assert.equal(states.get(port), "open", `port ${port}`);
  }
  assert.equal(states.get(FIRST + 10), "closed");
  // The capture holds every run's probes: appended, a section each.
  const { records } = readCaptureBytes(await Deno.readFile(pcap));
  const sent = records.filter((r) => r.comment?.startsWith("sent:")).length;
  assert.ok(sent >= COUNT, `${sent} probes in the capture`);
  return { duplicates, runs, probes };
}

Deno.test({
  name:
    "scan --resume after Ctrl-C probes every port exactly once over the runs, and after SIGKILL misses none; outputs are appended" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-resume-" });
    try {
      await withNetwork(async (network) => {
        const open = Array.from({ length: 5 }, (_, i) => String(FIRST + i));
        const server = await startServer(network.b, ACCEPT_SCRIPT, [
          "",
          ...open,
        ]);
        try {
          const sigint = await scenario(network, dir, "SIGINT");
          assert.equal(
            sigint.duplicates,
            0,
            "a port probed twice after Ctrl-C",
          );
          const sigkill = await scenario(network, dir, "SIGKILL");
          // Per kill, at most a second of probes (since the last save)
          // and those in flight.
          assert.ok(
            sigkill.duplicates <= (sigkill.runs - 1) * 1.5 * RATE,
            `${sigkill.duplicates} probes sent again over ${sigkill.runs} runs`,
          );
          console.log(
            `SIGINT: ${sigint.runs} runs, ${sigint.probes} probes for ${COUNT} ports, ${sigint.duplicates} twice\n` +
              `SIGKILL: ${sigkill.runs} runs, ${sigkill.probes} probes for ${COUNT} ports, ${sigkill.duplicates} again`,
          );
        } finally {
          await server.stop();
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "scan --resume refuses a file missing, corrupt, of another version or for other options: exit 2, nothing sent, nothing overwritten" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-resume-bad-" });
    try {
      await withNetwork(async (network) => {
        const { a, b } = network;
        // A real resume file: a scan stopped by Ctrl-C.
        const file = `${dir}/good.resume`;
        const xml = `${dir}/out.xml`;
        const run = await interrupted(
          network,
          [
            "scan",
            b.ipv4,
            "-p",
            "20000-21999",
            "--max-rate",
            "200",
            "-oX",
            xml,
            "--resume-file",
            file,
          ],
          "SIGINT",
          800,
        );
        assert.equal(run.code, 130, run.stderr);
        const good = await Deno.readTextFile(file);
        const xmlBefore = await Deno.readTextFile(xml);
        const state = JSON.parse(good);
        await Deno.writeTextFile(
          `${dir}/corrupt.resume`,
          good.replace(/"seed":\d+/, '"seed":1'),
        );
        await Deno.writeTextFile(
          `${dir}/version.resume`,
          good.replace('"version":1', '"version":2'),
        );
        const capture = await network.capture(
          b,
          b.ifaces[0]!,
          `tcp and src host ${a.ipv4}`,
          { count: 1, timeoutMs: 8000 },
        );
        const cases: [string[], RegExp][] = [
          [["--resume", `${dir}/missing.resume`], /the file does not exist/],
          [
            ["--resume", `${dir}/corrupt.resume`],
            /the file is corrupt \(its check sum/,
          ],
          [
            ["--resume", `${dir}/version.resume`],
            /resume format 2; this tcpcraft reads format 1/,
          ],
          [["--resume", file, "-p", "1-10"], /it is for other options \(ports/],
          [["-T9", b.ipv4, "-p", "80"], /"9" is not a timing template/],
          [
            [b.ipv4, "-p", "80", "--scan", "fin", "--banners"],
            /--banners: needs a SYN or connect scan/,
          ],
          [
            [b.ipv4, "-p", "80", "-oX", `${dir}/no/such/dir/x.xml`],
            /-oX: cannot write/,
          ],
        ];
        for (const [args, pattern] of cases) {
          const bad = await network.run(a, deno(["scan", ...args]), {
            check: false,
          });
          assert.equal(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
          assert.match(bad.stderr.split("\n")[0]!, pattern, args.join(" "));
          assert.equal(bad.stdout, "");
        }
        // The peer saw nothing; the files are as they were.
        assert.deepEqual(await capture.result(), []);
        assert.equal(await Deno.readTextFile(file), good);
        assert.equal(await Deno.readTextFile(xml), xmlBefore);
        assert.equal(state.format, "tcpcraft-resume");
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
