/**
 * Holding back the kernel's resets for a TCP flow it does not know: the
 * flow of a session made by hand. When the peer answers our SYN, the
 * kernel finds no socket for the SYN-ACK and sends a RST, which would end
 * the session before it starts; the same happens to every segment after.
 *
 * The hold is one nftables rule in a table of this process's own, named
 * after it (`inet tcpcraft_<pid>_<start time>`), that drops exactly those
 * resets: from our address and port to the peer's address and port, with
 * RST set and ACK not set (the kernel's answer to a segment that carries
 * an ACK, which every segment of the peer's does). A session's own abort
 * sends RST with ACK, which passes. The table has nothing else in it.
 *
 * Nothing lasts: a rule goes when its hold is released (sessions do it in
 * `finally`: on close, abort, errors), the table with the last rule; on
 * Ctrl-C (SIGINT) or SIGTERM while a hold exists, the table is deleted
 * before the signal takes its course (the listener is removed and the
 * signal raised again, so the process ends as it would have); on
 * `Deno.exit()` and a normal end, at `unload`. A process killed with
 * SIGKILL cannot clean up: the next hold (or
 * {@linkcode removeStaleResetTables}) deletes every `tcpcraft_` table
 * whose process is gone.
 *
 * Needs the `nft` command (nftables), root or `CAP_NET_ADMIN`, and from
 * Deno `--allow-run=nft` and `--allow-read=/proc` (to tell a stale table).
 * Where it cannot, the error says so in one line.
 *
 * A process that gives up its privileges while it still holds sessions to
 * come (`scan --banners`) calls {@linkcode prepareResetHolds} first, while
 * it may: stale tables are removed then, and an `nft` process of its own
 * (`nft --echo --handle -i`, still root) takes every later command on a
 * pipe until the function it returns ends it. That helper does nothing but
 * read nftables commands from this process, and lives no longer than the
 * work that needs it.
 *
 * @module
 */

import type { NetFlow, NetResetHold } from "../src/host/net.ts";
import { isDenoPermissionError } from "./errors.ts";

/**
 * The kernel's resets could not be held back: `nft` is missing, not
 * permitted, or refused the rule. The message says which and what to do.
 *
 * @example
 * ```ts
 * import { ResetHoldError } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ResetHoldError("Cannot hold back the kernel's resets: the nft command is not installed (install nftables)", "missing");
 * assert.equal(error.kind, "missing");
 * ```
 */
export class ResetHoldError extends Error {
  /** `"missing"`, `"permission"` or `"refused"`. */
  readonly kind: "missing" | "permission" | "refused";

  /**
   * Create the error.
   *
   * @param message The whole message.
   * @param kind Why.
   */
  constructor(message: string, kind: "missing" | "permission" | "refused") {
    super(message);
    this.name = "ResetHoldError";
    this.kind = kind;
  }
}

const ACTION = "Cannot hold back the kernel's resets";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The table of this process: `tcpcraft_<pid>_<start time in clock ticks>`. */
let tableName: string | undefined;
/** Rule handles held, by hold. */
const held = new Map<object, number>();
/** Holds are made and released one at a time. */
let queue: Promise<unknown> = Promise.resolve();
let staleChecked = false;
let listening = false;

function startTime(pid: number | string): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Field 22, counting from the first after the command name's ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function table(): string {
  tableName ??= `tcpcraft_${Deno.pid}_${startTime("self") ?? "0"}`;
  return tableName;
}

/**
 * The nftables rule (without table and chain) that drops the kernel's
 * resets for one flow.
 *
 * @param flow The flow, from our end.
 * @returns The rule's text.
 *
 * @example
 * ```ts
 * import { resetRule } from "./resets.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   resetRule({ family: 4, local: "192.0.2.42", localPort: 40000, remote: "192.0.2.1", remotePort: 80 }),
 *   "ip saddr 192.0.2.42 ip daddr 192.0.2.1 tcp sport 40000 tcp dport 80 tcp flags & (rst | ack) == rst drop",
 * );
 * ```
 */
export function resetRule(flow: NetFlow): string {
  const ip = flow.family === 4 ? "ip" : "ip6";
  for (const port of [flow.localPort, flow.remotePort]) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new RangeError(`${ACTION}: port ${port} is not in 0..65535`);
    }
  }
  for (const address of [flow.local, flow.remote]) {
    if (!/^[0-9a-fA-F.:]+$/.test(address)) {
      throw new RangeError(`${ACTION}: ${address} is not an address`);
    }
  }
  return `${ip} saddr ${flow.local} ${ip} daddr ${flow.remote} tcp sport ${flow.localPort} tcp dport ${flow.remotePort} tcp flags & (rst | ack) == rst drop`;
}

/** The marker command after each of the helper's commands, and its one line of output. */
const MARK = "describe meta length";
const MARK_LINE = /^meta expression, datatype /;

/** An `nft -i` process started before the drop: commands in, their echo out. */
class NftHelper {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  #errors = "";
  readonly #drained: Promise<void>;

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = lines(child.stdout)[Symbol.asyncIterator]();
    this.#drained = (async () => {
      for await (const chunk of child.stderr) {
        this.#errors += decoder.decode(chunk, { stream: true });
      }
    })().catch(() => {});
  }

  /** Run commands, one a line; returns what nft echoed, and what it said on standard error meanwhile. */
  async run(commands: string[]): Promise<{ out: string; errors: string }> {
    this.#errors = "";
    await this.#writer.write(
      encoder.encode(`${[...commands, MARK].join("\n")}\n`),
    );
    const out: string[] = [];
    // Bounded: nft answers each command with a few lines.
    for (let i = 0; i < 10000; i++) {
      const next = await this.#lines.next();
      if (next.done === true) {
        throw new ResetHoldError(`${ACTION}: the nft helper ended`, "refused");
      }
      if (MARK_LINE.test(next.value)) break;
      out.push(next.value);
    }
    return { out: out.join("\n"), errors: this.#errors };
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#child.status;
    await this.#drained;
  }
}

async function* lines(stream: ReadableStream<Uint8Array>) {
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const parts = pending.split("\n");
    pending = parts.pop()!;
    yield* parts;
  }
}

let helper: NftHelper | undefined;

/** An nft command line as the helper takes it: the words after the flags. */
function helperCommands(args: string[], stdin?: string): string[] {
  if (args[0] === "-f") {
    return (stdin ?? "").split("\n").filter((line) => line.trim() !== "");
  }
  return [args.filter((arg) => !arg.startsWith("--")).join(" ")];
}

async function nftThroughHelper(
  running: NftHelper,
  args: string[],
  stdin?: string,
): Promise<string> {
  const commands = helperCommands(args, stdin);
  const { out, errors } = await running.run(commands);
  // Adds echo themselves when they succeed; a missing echo is a refusal.
  const adds = commands.filter((command) => command.startsWith("add "));
  const echoed = out.split("\n").filter((line) => line.startsWith("add "));
  if (echoed.length < adds.length) {
    const said = (errors.split("\n").find((l) => l.startsWith("Error:")) ??
      "").replace(/^Error: /, "");
    const permission = /Operation not permitted|Permission denied/i.test(
      said,
    );
    throw new ResetHoldError(
      permission
        ? `${ACTION}: nft was not permitted (run as root or with CAP_NET_ADMIN)`
        : `${ACTION}: nft refused: ${said || "no answer"}`,
      permission ? "permission" : "refused",
    );
  }
  return out;
}

/**
 * Start what later holds need while the process may (see the module
 * documentation): stale tables are removed, and an `nft` process of this
 * process's own takes every later command, so that holds work after the
 * process has given up its privileges. Call the function returned when no
 * more holds will be made (it waits for those being released).
 *
 * @returns A function that ends the helper.
 * @throws {ResetHoldError} When `nft` is missing or not permitted.
 *
 * @example Before a privilege drop (needs root and nft)
 * ```ts ignore
 * import { dropPrivileges, holdKernelResets, prepareResetHolds } from "./mod.ts";
 *
 * const stop = await prepareResetHolds();
 * dropPrivileges();
 * // … sessions with held resets …
 * await stop();
 * ```
 */
export async function prepareResetHolds(): Promise<() => Promise<void>> {
  await serial(async () => {
    if (!staleChecked) {
      await removeStaleResetTables();
      staleChecked = true;
    }
  });
  const started = await serial(async () => {
    if (helper !== undefined) return undefined;
    await nft(["list", "tables"]); // nft is there and allowed
    let child;
    try {
      child = new Deno.Command("nft", {
        args: ["--echo", "--handle", "-i"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      throw spawnError(error);
    }
    helper = new NftHelper(child);
    return helper;
  });
  return async () => {
    // Sessions release their holds as they end, some a moment after their
    // work: wait for them (bounded), then delete what is left with the table.
    for (let i = 0; i < 50 && held.size > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await serial(async () => {
      if (started === undefined || helper !== started) return;
      if (held.size > 0 && tableName !== undefined) {
        held.clear();
        stopListening();
        await started.run([`delete table inet ${tableName}`]).catch(() => {});
      }
      helper = undefined;
      await started.close();
    });
  };
}

function spawnError(error: unknown): unknown {
  if (error instanceof Deno.errors.NotFound) {
    return new ResetHoldError(
      `${ACTION}: the nft command is not installed (install nftables)`,
      "missing",
    );
  }
  if (isDenoPermissionError(error)) {
    return new ResetHoldError(
      `${ACTION}: Deno needs --allow-run=nft (and --allow-read=/proc)`,
      "permission",
    );
  }
  return error;
}

async function nft(args: string[], stdin?: string): Promise<string> {
  if (helper !== undefined) return await nftThroughHelper(helper, args, stdin);
  let child;
  try {
    child = new Deno.Command("nft", {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw spawnError(error);
  }
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(encoder.encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const stderr = decoder.decode(output.stderr).trim();
  if (!output.success) {
    const permission = /Operation not permitted|Permission denied/i.test(
      stderr,
    );
    throw new ResetHoldError(
      permission
        ? `${ACTION}: nft was not permitted (run as root or with CAP_NET_ADMIN)`
        : `${ACTION}: nft refused: ${stderr.split("\n")[0] ?? ""}`,
      permission ? "permission" : "refused",
    );
  }
  return decoder.decode(output.stdout);
}

function deleteTableNow(): void {
  if (tableName === undefined || held.size === 0) return;
  held.clear();
  try {
    new Deno.Command("nft", {
      args: ["delete", "table", "inet", tableName],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync();
  } catch {
    // Nothing more can be done on the way out; the next run cleans up.
  }
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

async function onSignal(signal: typeof SIGNALS[number]): Promise<void> {
  if (helper !== undefined && tableName !== undefined && held.size > 0) {
    // The process may have given up the right to run nft itself.
    held.clear();
    const running = helper;
    await Promise.race([
      running.run([`delete table inet ${tableName}`]).catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 1000)),
    ]);
  }
  deleteTableNow();
  stopListening();
  // The signal takes its course, as if we had never listened for it.
  try {
    Deno.kill(Deno.pid, signal);
  } catch {
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  }
}

const handlers = {
  SIGINT: () => void onSignal("SIGINT"),
  SIGTERM: () => void onSignal("SIGTERM"),
};

function startListening(): void {
  if (listening) return;
  listening = true;
  for (const signal of SIGNALS) {
    Deno.addSignalListener(signal, handlers[signal]);
  }
  globalThis.addEventListener("unload", deleteTableNow);
}

function stopListening(): void {
  if (!listening) return;
  listening = false;
  for (const signal of SIGNALS) {
    Deno.removeSignalListener(signal, handlers[signal]);
  }
  globalThis.removeEventListener("unload", deleteTableNow);
}

/**
 * Delete the `tcpcraft_` tables of processes that are gone (killed with
 * SIGKILL, or by a power cut, before they could clean up). A table whose
 * process cannot be checked is left alone.
 *
 * @returns The tables deleted.
 * @throws {ResetHoldError} When `nft` is missing or not permitted.
 *
 * @example After a process holding a session was killed (needs root and nft)
 * ```ts ignore
 * import { removeStaleResetTables } from "./mod.ts";
 *
 * console.log(await removeStaleResetTables()); // ["tcpcraft_4242_1234567"]
 * ```
 */
export async function removeStaleResetTables(): Promise<string[]> {
  const listing = await nft(["list", "tables"]);
  const removed: string[] = [];
  for (
    const match of listing.matchAll(/^table inet (tcpcraft_(\d+)_(\d+))$/gm)
  ) {
    const [, name, pid, start] = match;
    if (name === tableName) continue;
    let alive: boolean;
    try {
      Deno.statSync(`/proc/${pid}`);
      const now = startTime(pid!);
      alive = now === undefined || start === "0" || now === start;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) continue;
      alive = false;
    }
    if (alive) continue;
    await nft(["delete", "table", "inet", name!]).catch(() => {});
    removed.push(name!);
  }
  return removed;
}

function serial<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => {});
  return next;
}

/**
 * Drop the kernel's resets for one flow until the hold is released: a rule
 * in this process's table (made with the first hold, deleted with the
 * last). Stale tables of dead processes are deleted first, once per
 * process.
 *
 * @param flow The flow, from our end.
 * @returns The hold.
 * @throws {ResetHoldError} When `nft` is missing, not permitted, or
 *   refuses; nothing is left behind.
 * @throws {RangeError} For a flow that is not addresses and ports.
 *
 * @example (needs root and nft)
 * ```ts ignore
 * import { holdKernelResets } from "./resets.ts";
 *
 * const hold = await holdKernelResets({
 *   family: 4, local: "192.0.2.42", localPort: 40000, remote: "192.0.2.1", remotePort: 80,
 * });
 * try {
 *   // … a session made by hand …
 * } finally {
 *   await hold.release();
 * }
 * ```
 */
export function holdKernelResets(flow: NetFlow): Promise<NetResetHold> {
  const rule = resetRule(flow);
  return serial(async () => {
    if (!staleChecked) {
      await removeStaleResetTables();
      staleChecked = true;
    }
    const name = table();
    if (held.size === 0) {
      await nft(
        ["-f", "-"],
        [
          `add table inet ${name}`,
          `add chain inet ${name} output { type filter hook output priority 0 ; policy accept ; }`,
          "",
        ].join("\n"),
      );
    }
    let handle: number;
    try {
      const echoed = await nft([
        "--echo",
        "--handle",
        "add",
        "rule",
        "inet",
        name,
        "output",
        ...rule.split(" "),
      ]);
      const found = /# handle (\d+)/.exec(echoed);
      if (found === null) {
        throw new ResetHoldError(
          `${ACTION}: nft gave no rule handle`,
          "refused",
        );
      }
      handle = Number(found[1]);
    } catch (error) {
      if (held.size === 0) {
        await nft(["delete", "table", "inet", name]).catch(() => {});
      }
      throw error;
    }
    const token = {};
    held.set(token, handle);
    startListening();
    const description = `nft table inet ${name}: ${rule}`;
    let released = false;
    return {
      description,
      release: () =>
        serial(async () => {
          if (released) return;
          released = true;
          if (!held.has(token)) return; // deleted on the way out already
          held.delete(token);
          if (held.size === 0) {
            stopListening();
            await nft(["delete", "table", "inet", name]);
          } else {
            await nft([
              "delete",
              "rule",
              "inet",
              name,
              "output",
              "handle",
              String(handle),
            ]);
          }
        }),
    };
  });
}
