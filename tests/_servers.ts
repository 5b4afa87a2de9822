/**
 * Servers for tests, started inside a namespace and stopped by their own
 * process handle: a Python script that prints `READY` once it listens,
 * and serves every connection on a thread of its own, so a peer that
 * resets a connection (nmap's connect scan does) cannot stop it.
 *
 * @module
 */

import type { Host } from "./_netns.ts";

/** A server started by {@linkcode startServer}. */
export interface Server {
  /** What the server printed on standard error so far (for failures). */
  stderr(): Promise<string>;
  /** Kill it and wait for it. */
  stop(): Promise<void>;
}

/**
 * Start a Python server in a namespace and wait until it prints `READY`.
 *
 * @param host The namespace.
 * @param script The Python program.
 * @param args Its arguments.
 * @returns The server.
 */
export async function startServer(
  host: Host,
  script: string,
  args: string[] = [],
): Promise<Server> {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      host.ns,
      "/usr/bin/python3",
      "-u",
      "-c",
      script,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors: string[] = [];
  const errPump = (async () => {
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      errors.push(chunk);
    }
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
  }, 15_000);
  while (!seen.includes("READY")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  clearTimeout(timer);
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await reader.cancel().catch(() => {});
    await child.status;
    await errPump.catch(() => {});
  };
  if (!seen.includes("READY")) {
    await stop();
    throw new Error(`Server did not start: ${seen}${errors.join("")}`);
  }
  // Keep draining standard output so the server never blocks on it.
  (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) {
      // drain
    }
  })();
  return { stderr: () => Promise.resolve(errors.join("")), stop };
}

/**
 * A dual-stack server that accepts connections on the given ports and
 * closes each at once (or after `greeting`, when given, is sent).
 */
export const ACCEPT_SCRIPT = String.raw`
import socket, sys, threading
greeting = sys.argv[1].encode().decode("unicode_escape").encode("latin-1")
def serve(server):
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        try:
            if greeting:
                conn.sendall(greeting)
            conn.close()
        except OSError:
            pass
for port in sys.argv[2:]:
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("::", int(port)))
    server.listen(128)
    threading.Thread(target=serve, args=(server,), daemon=True).start()
print("READY", flush=True)
threading.Event().wait()
`;
