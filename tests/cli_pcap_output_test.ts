import assert from "node:assert/strict";
import { encodePacket, makeTcpPacket, readCaptureBytes } from "../mod.ts";
import {
  captureFormatFor,
  openCaptureOutput,
} from "../src/cli/capture_output.ts";
import { CliError } from "../src/cli/errors.ts";
import { type CliNet, createMemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import { have, run } from "./fixtures/_tools.ts";

const ROOT = new URL("..", import.meta.url);
const TSHARK = have("tshark");
const TCPDUMP = have("tcpdump");
if (!TSHARK) console.log("tshark tests skipped: tshark is not installed");
if (!TCPDUMP) console.log("tcpdump tests skipped: tcpdump is not installed");

async function cli(
  args: string[],
  permissions = ["--allow-read", "--allow-write"],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, "cli.ts", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-pcap-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function tshark(path: string, fields: string[]): Promise<string[][]> {
  const args = ["-r", path, "-o", "tcp.check_checksum:TRUE", "-T", "fields"];
  for (const f of fields) args.push("-e", f);
  const result = await run("tshark", args);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.split("\n").filter((l) => l !== "").map((l) =>
    l.split("\t")
  );
}

const BUILD = [
  "build",
  "192.0.2.1:666",
  "--src",
  "192.0.2.42",
  "-s",
  "20",
  "-f",
  "xmas",
];

Deno.test({
  name:
    'build --pcap out.pcapng writes the packet tshark and tcpdump read, with the comment "built" and a right checksum',
  ignore: !TSHARK || !TCPDUMP,
  async fn() {
    await withTempDir(async (dir) => {
      const path = `${dir}/out.pcapng`;
      const before = Date.now() / 1000;
      const result = await cli([...BUILD, "--pcap", path]);
      const after = Date.now() / 1000;
      assert.equal(result.stderr, "");
      assert.equal(result.code, 0);
      assert.equal(
        result.stdout,
        "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0\n",
      );
      const rows = await tshark(path, [
        "frame.comment",
        "frame.packet_flags_direction",
        "frame.time_epoch",
        "ip.src",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.flags",
        "tcp.checksum",
        "tcp.checksum.status",
      ]);
      assert.equal(rows.length, 1);
      const [
        comment,
        direction,
        time,
        src,
        sport,
        dport,
        flags,
        checksum,
        status,
      ] = rows[0]!;
      assert.equal(comment, "built");
      assert.equal(direction, "", "a built packet went nowhere: no direction");
      assert.ok(
        Number(time) >= before - 1 && Number(time) <= after + 1,
        `time ${time}`,
      );
      assert.deepEqual([src, sport, dport, flags, checksum, status], [
        "192.0.2.42",
        "20",
        "666",
        "0x0029",
        "0x08e2",
        "1",
      ]);
      const dump = await run("tcpdump", ["-r", path, "-nn", "-t", "-v"]);
      assert.equal(dump.code, 0, dump.stderr);
      assert.match(
        dump.stdout,
        /192\.0\.2\.42\.20 > 192\.0\.2\.1\.666: Flags \[FPU\], cksum 0x08e2 \(correct\), seq 0, win 8192, urg 0, length 0/,
      );
    });
  },
});

Deno.test({
  name: "build --pcap out.pcap writes classic pcap, which has no comments",
  ignore: !TCPDUMP,
  async fn() {
    await withTempDir(async (dir) => {
      const path = `${dir}/out.pcap`;
      const result = await cli([...BUILD, "--pcap", path, "--format", "hex"]);
      assert.equal(result.code, 0, result.stderr);
      const bytes = await Deno.readFile(path);
      assert.deepEqual([...bytes.subarray(0, 4)], [0xd4, 0xc3, 0xb2, 0xa1]);
      const { records, error } = readCaptureBytes(bytes);
      assert.equal(error, undefined);
      assert.equal(records.length, 1);
      assert.equal(records[0]!.comment, undefined);
      assert.equal(
        Array.from(records[0]!.data, (b) => b.toString(16).padStart(2, "0"))
          .join(""),
        result.stdout.trim(),
      );
      const dump = await run("tcpdump", ["-r", path, "-nn", "-t"]);
      assert.equal(
        dump.stdout,
        "IP 192.0.2.42.20 > 192.0.2.1.666: Flags [FPU], seq 0, win 8192, urg 0, length 0\n",
      );
    });
  },
});

Deno.test("build --pcap refuses a file it cannot write with one line, exit 2 (exit 1 for a missing --allow-write), nothing printed", async () => {
  const missingDir = await cli([
    ...BUILD,
    "--pcap",
    "/nonexistent-tcpcraft-dir/out.pcapng",
  ]);
  assert.equal(missingDir.code, 2);
  assert.equal(missingDir.stdout, "");
  assert.equal(
    missingDir.stderr,
    "tcpcraft build: --pcap: cannot write \"/nonexistent-tcpcraft-dir/out.pcapng\": no such file or directory\nTry 'tcpcraft build --help'.\n",
  );
  const noPermission = await cli([...BUILD, "--pcap", "out.pcapng"], [
    "--allow-read",
  ]);
  // A permission Deno withholds is said as that, before anything is built.
  assert.equal(noPermission.code, 1);
  assert.equal(noPermission.stdout, "");
  assert.equal(
    noPermission.stderr,
    "error: Cannot build: Deno needs --allow-write (run: deno run --allow-write cli.ts ...)\n",
  );
  const host = createMemoryHost();
  assert.equal(
    await runCli([...BUILD, "--pcap", "-"], host, { version: "0" }),
    2,
  );
  assert.equal(
    host.err,
    "tcpcraft build: --pcap: give a file name; a capture is not written to standard output\nTry 'tcpcraft build --help'.\n",
  );
});

Deno.test("build --pcap in a memory host writes the packet build prints", async () => {
  const host = createMemoryHost();
  const code = await runCli(
    [...BUILD, "--pcap", "x.pcapng", "--format", "hex"],
    host,
    {
      version: "0",
    },
  );
  assert.equal(code, 0);
  const { records } = readCaptureBytes(await host.readFile("x.pcapng"));
  assert.equal(records.length, 1);
  assert.equal(records[0]!.comment, "built");
  assert.equal(records[0]!.direction, undefined);
  assert.equal(
    Array.from(records[0]!.data, (b) => b.toString(16).padStart(2, "0")).join(
      "",
    ),
    host.out.trim(),
  );
});

Deno.test({
  name:
    "openCaptureOutput() marks sent packets outbound and received ones inbound, at the times given, as tshark reads them",
  ignore: !TSHARK,
  async fn() {
    const host = createMemoryHost();
    const capture = await openCaptureOutput(host, "talk.pcapng");
    assert.equal(capture.format, "pcapng");
    const probe = encodePacket(
      makeTcpPacket({ src: "192.0.2.42", dst: "192.0.2.1", dstPort: 443 }),
    );
    const reply = encodePacket(makeTcpPacket({
      src: "192.0.2.1",
      dst: "192.0.2.42",
      srcPort: 443,
      dstPort: 20,
      flags: 0x12,
      ack: 1,
    }));
    await capture.record(probe, "sent", {
      timestamp: 1_700_000_000_123.5,
      note: "probe 1 of 1",
    });
    await capture.record(reply, "received", {
      timestamp: { seconds: 1_700_000_000, nanoseconds: 200_000_001 },
    });
    await capture.record(probe, "built", { timestamp: 1_700_000_001_000 });
    assert.equal(capture.count, 3);
    await capture.close();
    await capture.close();
    await assert.rejects(capture.record(probe, "sent"), CliError);
    const path = await Deno.makeTempFile({ suffix: ".pcapng" });
    try {
      await Deno.writeFile(path, await host.readFile("talk.pcapng"));
      const rows = await tshark(path, [
        "frame.comment",
        "frame.packet_flags_direction",
        "frame.time_epoch",
        "tcp.flags",
        "tcp.checksum.status",
      ]);
      assert.deepEqual(rows, [
        [
          "sent: probe 1 of 1",
          "0x00000002",
          "1700000000.123500000",
          "0x0002",
          "1",
        ],
        ["received", "0x00000001", "1700000000.200000001", "0x0012", "1"],
        ["built", "", "1700000001.000000000", "0x0002", "1"],
      ]);
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test("openCaptureOutput() writes a valid empty file when nothing was recorded, and takes the time from the host", async () => {
  const host = createMemoryHost();
  const empty = await openCaptureOutput(host, "empty.pcap");
  assert.equal(empty.format, "pcap");
  await empty.close();
  const bytes = await host.readFile("empty.pcap");
  assert.equal(bytes.length, 24);
  assert.deepEqual(readCaptureBytes(bytes), { records: [] });

  const net = { wallClock: () => 1_234_567_890_500 } as unknown as CliNet;
  const timed = { ...createMemoryHost(), net };
  const capture = await openCaptureOutput(timed, "t.pcapng");
  await capture.record(new Uint8Array([0x45, 0, 0, 20]), "sent");
  await capture.close();
  const { records } = readCaptureBytes(await timed.readFile("t.pcapng"));
  assert.deepEqual(records[0]!.timestamp, {
    seconds: 1_234_567_890,
    nanoseconds: 500_000_000,
  });
});

Deno.test("captureFormatFor() picks classic pcap only for names ending in .pcap", () => {
  assert.deepEqual(
    ["a.pcap", "a.PCAP", "a.pcapng", "a.cap", "a", "pcap"].map(
      captureFormatFor,
    ),
    ["pcap", "pcap", "pcapng", "pcapng", "pcapng", "pcapng"],
  );
});

Deno.test("openCaptureOutput() reports a host without files, and a write that fails, as run-time errors", async () => {
  const { files: _files, ...noFiles } = createMemoryHost();
  await assert.rejects(openCaptureOutput(noFiles, "x.pcapng"), (error) => {
    assert.ok(error instanceof CliError);
    assert.equal(error.message, "--pcap: this host cannot write files");
    return true;
  });
  const host = createMemoryHost();
  const failing = {
    ...host,
    files: {
      ...host.files,
      openWrite: () =>
        Promise.resolve({
          write: () => Promise.reject(new Error("no space left on device")),
          close: () => Promise.resolve(),
        }),
    },
  };
  const capture = await openCaptureOutput(failing, "full.pcapng");
  await assert.rejects(capture.record(new Uint8Array(20), "sent"), (error) => {
    assert.ok(error instanceof CliError);
    assert.equal(
      error.message,
      'cannot write capture file "full.pcapng": no space left on device',
    );
    return true;
  });
});
