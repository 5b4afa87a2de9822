/**
 * Bad input, every command: each row of `_bad_input_rows.ts` runs the real
 * CLI (`deno run` with the permissions the row grants) in namespace a of a
 * two-namespace network, aimed at the peer b, while tcpdump in b captures
 * every packet from a. Each row must end with its one line (a usage error's
 * fixed `Try …` hint after it), the exit code the row names, nothing on
 * standard output, no stack trace; and after every row, b must have seen
 * nothing from a.
 *
 * The capture stops at its first packet, and the test ends by sending one
 * deliberate packet from a: the capture must hold exactly that packet. Had
 * a row sent anything, the capture would hold that instead; had tcpdump
 * seen nothing, it would be empty; so the check cannot pass vacuously.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type CaptureRecord,
  decodePacket,
  formatHex,
  linkPayload,
  readCaptureBytes,
} from "../mod.ts";
import { COMMANDS } from "../src/cli/main.ts";
import {
  type BadInputRow,
  FIXTURES,
  longName,
  numberRows,
  type RowContext,
  tableRows,
} from "./_bad_input_rows.ts";
import { netnsTestGate, type TestNetwork, withNetwork } from "./_netns.ts";
import { cliLine } from "./_cli_line.ts";

const gate = netnsTestGate("tcpdump");
/** Rows run at once. */
const PARALLEL = 6;
/** The control packet's source port and payload. */
const CONTROL_SPORT = 4242;
const CONTROL_DATA = "bad-input-control";

/** Every row, for a context. */
function allRows(c: RowContext): BadInputRow[] {
  return [...tableRows(c), ...numberRows(COMMANDS, c)];
}

/** The long options of a command that take a value. */
function valueOptions(name: string): string[] {
  const command = COMMANDS.find((c) => c.name === name)!;
  return Object.entries(command.options ?? {})
    .filter(([, spec]) => spec.kind !== "boolean")
    .map(([key, spec]) => longName(key, spec));
}

/** Whether a row's arguments give an option (long, or its short name). */
function gives(row: BadInputRow, name: string, long: string): boolean {
  if (row.args[0] !== name) return false;
  const command = COMMANDS.find((c) => c.name === name)!;
  const spec = Object.entries(command.options ?? {}).find(([key, s]) =>
    longName(key, s) === long
  )?.[1];
  return row.args.some((arg) =>
    arg === `--${long}` || arg.startsWith(`--${long}=`) ||
    (spec?.short !== undefined && arg === `-${spec.short}`)
  );
}

Deno.test("the bad-input table has rows for every command and every option that takes a value", () => {
  const rows = allRows({
    peer: "10.200.0.2",
    peer6: "fd00:200::2",
    self: "10.200.0.1",
    dir: "/fixtures",
  });
  const missing: string[] = [];
  for (const command of COMMANDS) {
    if (!rows.some((row) => row.args[0] === command.name)) {
      missing.push(command.name);
    }
    for (const long of valueOptions(command.name)) {
      if (!rows.some((row) => gives(row, command.name, long))) {
        missing.push(`${command.name} --${long}`);
      }
    }
  }
  assert.deepEqual(missing, [], "options no row gives a bad value");
  // Every command that needs a permission has a row without it.
  for (
    const name of [
      "build",
      "send",
      "explain",
      "probe",
      "scan",
      "trace",
      "listen",
    ]
  ) {
    assert.ok(
      rows.some((row) => row.args[0] === name && row.allow !== undefined),
      `${name}: no row with a permission missing`,
    );
  }
  assert.ok(rows.length >= 120, `only ${rows.length} rows`);
});

interface Outcome {
  row: BadInputRow;
  code: number;
  stdout: string;
  stderr: string;
}

async function runRow(
  network: TestNetwork,
  row: BadInputRow,
): Promise<Outcome> {
  const result = await network.run(
    network.a,
    cliLine(row.args, row.allow === undefined ? {} : { allow: row.allow }),
    { check: false, timeoutMs: 15000 },
  );
  return { row, ...result };
}

/** What is wrong with an outcome, or undefined. */
function judge(outcome: Outcome): string | undefined {
  const { row, code, stdout, stderr } = outcome;
  const problems: string[] = [];
  if (/Stack backtrace|^\s+at /m.test(stderr + stdout)) {
    problems.push("a stack trace");
  }
  if (code !== row.code) problems.push(`exit ${code}, not ${row.code}`);
  const err = stderr.trimEnd().split("\n").filter((l) => l !== "");
  if (row.code === 0) {
    if (err.length > 0) problems.push("something on standard error");
    const out = stdout.trimEnd().split("\n");
    if (out.length !== 1 || !row.line.test(out[0]!)) {
      problems.push(`standard output is not one line matching ${row.line}`);
    }
  } else {
    if (stdout !== "") problems.push("something on standard output");
    const command = row.args[0] ?? "";
    const hint = row.code === 2
      ? `Try 'tcpcraft${
        row.line.source.startsWith("^tcpcraft: ") ? "" : ` ${command}`
      } --help'.`
      : undefined;
    const expected = hint === undefined ? 1 : 2;
    if (err.length !== expected || (hint !== undefined && err[1] !== hint)) {
      problems.push(
        `standard error is not ${
          hint === undefined ? "one line" : "one line and the hint"
        }`,
      );
    }
    if (!row.line.test(err[0] ?? "")) {
      problems.push(`the line does not match ${row.line}`);
    }
  }
  if (problems.length === 0) return undefined;
  return `${row.args.join(" ")} [${(row.allow ?? ["-A"]).join(" ")}]: ${
    problems.join(", ")
  }\n    stderr: ${stderr.trimEnd().replaceAll("\n", "\n            ")}${
    stdout === "" ? "" : `\n    stdout: ${stdout.trimEnd().slice(0, 400)}`
  }`;
}

/** A captured packet in a few words: addresses, ports and payload, or its bytes. */
function describe(record: CaptureRecord): string {
  const datagram = linkPayload(record);
  try {
    const packet = decodePacket(datagram ?? record.data);
    return `${packet.ip.src}.${packet.tcp.srcPort} > ${packet.ip.dst}.${packet.tcp.dstPort} ${
      new TextDecoder().decode(packet.tcp.payload)
    }`;
  } catch {
    return `not TCP: ${formatHex(datagram ?? record.data)}`;
  }
}

async function writeFixtures(dir: string): Promise<void> {
  await Deno.mkdir(`${dir}/folder`);
  for (const [name, bytes] of Object.entries(FIXTURES)) {
    await Deno.writeFile(`${dir}/${name}`, bytes);
  }
}

Deno.test({
  name:
    `every command refuses bad input with one line and the right exit code, and sends nothing${gate.suffix}`,
  ignore: gate.ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-bad-input-" });
    try {
      await writeFixtures(dir);
      await withNetwork(async (network) => {
        const { a, b } = network;
        // No resolver can be reached from a: names fail at once.
        await network.etc(a, {
          "resolv.conf": "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
          "hosts": "127.0.0.1 localhost\n",
        });
        const capture = await network.capture(
          b,
          b.ifaces[0]!,
          `src host ${a.ipv4} or src host ${a.ipv6}`,
          { count: 1, timeoutMs: 5000 },
        );
        const rows = allRows({
          peer: b.ipv4,
          peer6: b.ipv6,
          self: a.ipv4,
          dir,
        });
        const failures: string[] = [];
        let next = 0;
        const started = Date.now();
        await Promise.all(
          Array.from({ length: PARALLEL }, async () => {
            while (next < rows.length) {
              const outcome = await runRow(network, rows[next++]!);
              const failure = judge(outcome);
              if (failure !== undefined) failures.push(failure);
              if (Deno.env.get("BAD_INPUT_SHOW") === "1") {
                console.log(
                  `${outcome.code} ${outcome.row.args.join(" ")}\n   ${
                    (outcome.stderr + outcome.stdout).trimEnd().split("\n")[0]
                  }`,
                );
              }
            }
          }),
        );
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        // The control: one packet, deliberately, after every row.
        const control = await runRow(network, {
          args: [
            "send",
            b.ipv4,
            "-p",
            "9",
            "-s",
            String(CONTROL_SPORT),
            "--data",
            CONTROL_DATA,
            "-q",
          ],
          code: 0,
          line: /^/,
        });
        assert.equal(control.code, 0, control.stderr);
        await capture.result();
        const { records } = readCaptureBytes(await Deno.readFile(capture.file));
        // tcpdump stopped at the first packet from a: it must be the control.
        const expected =
          `${a.ipv4}.${CONTROL_SPORT} > ${b.ipv4}.9 ${CONTROL_DATA}`;
        const first = records[0] === undefined
          ? "nothing, not even the control"
          : describe(records[0]);
        if (first !== expected) {
          failures.push(`b saw from a, before the control: ${first}`);
        }
        assert.deepEqual(
          failures,
          [],
          `${failures.length} failures in ${rows.length} rows (${seconds} s):\n${
            failures.join("\n")
          }`,
        );
        console.log(`${rows.length} rows in ${seconds} s`);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
