/**
 * The independent peers the CLI tests ask: scapy (through Debian's
 * `/usr/bin/python3`) and tcpdump, with whether each is installed. Tests
 * that need one are ignored when it is missing, and say so once here.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Debian's Python, which has python3-scapy (the one on PATH may not). */
export const PYTHON = "/usr/bin/python3";

/** Whether `command args` runs and exits 0. */
export function runs(command: string, args: string[]): boolean {
  try {
    return new Deno.Command(command, { args, stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** scapy can be imported. */
export const SCAPY: boolean = runs(PYTHON, ["-c", "import scapy.all"]);
/** tcpdump is installed. */
export const TCPDUMP: boolean = runs("tcpdump", ["--version"]);
if (!SCAPY) {
  console.log("scapy tests skipped: /usr/bin/python3 cannot import scapy");
}
if (!TCPDUMP) console.log("tcpdump tests skipped: tcpdump is not installed");

/** Run a Python script with `input` as JSON on its standard input; its standard output. */
export async function python(script: string, input: unknown): Promise<string> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  assert.ok(success, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout);
}
