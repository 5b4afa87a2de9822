/**
 * What a call into the C library costs on the hot paths, and a check that
 * FAILS (this module throws, `deno bench` exits non-zero) when one of them
 * falls off Deno's fast call path.
 *
 * The hot symbols are the ones called per packet or per batch of packets:
 * `sendmmsg` (`RawSocket.sendMany`, the send slots of floods and scans),
 * `sendto` (`RawSocket.send`), `recvmsg` (the receive loop) and `recvmmsg`
 * (the scan's drains). Each is measured three ways, all on fd -1
 * so that the kernel fails at once with `EBADF`:
 *
 * - **library**: through `libc()` of `ffi/_libc.ts`, as tcpcraft calls it;
 * - **direct**: the same symbol opened here with its declaration from
 *   `LINUX_SYMBOLS`, called with the argument kinds Deno's fast path takes
 *   (numbers for 32-bit integers, BigInts for 64-bit ones, `Uint8Array`s
 *   for buffers);
 * - **signature**: `abs(3)` opened under the hot symbol's declared
 *   parameters and result (on x86-64 and AArch64 a callee ignores the
 *   argument registers it does not read), so what is timed is Deno's call
 *   path for that signature alone, without a system call.
 *
 * References in the same run: `abs` declared as it is (`i32 -> i32`), the
 * fast call at its cheapest; and a known slow call, `abs` under `sendto`'s
 * signature given a JS number where `usize` is declared. A signature whose
 * overhead over the fast reference is more than half the slow reference's,
 * or a library call that costs that much more than the direct one, is off
 * the fast path. Once a call in the process has fallen to the slow path
 * (a JS number given for a library's 64-bit parameter, say), Deno runs the
 * fast reference itself a few times slower (~2.5x): that fails too. A hot
 * symbol declared `nonblocking` fails without timing. `poll` is declared
 * `nonblocking` on purpose (a worker thread: it waits) and is reported,
 * not checked.
 *
 * Run: `deno bench -A bench/ffi_bench.ts`.
 *
 * @module
 */

import { libc, LINUX_SYMBOLS } from "../ffi/_libc.ts";

const HOT = ["sendmmsg", "sendto", "recvmsg", "recvmmsg"] as const;
type Hot = typeof HOT[number];

/** A case: a loop of `n` calls, written out as its own function. */
type Loop = (n: number) => void;

/**
 * Nanoseconds per call of each case: every case is timed once per run,
 * round robin, so that a noisy moment of the machine falls on all of them;
 * the median of `runs` runs of `calls` calls.
 *
 * Each case is its own loop function, so V8 optimizes each alone: a case
 * that deoptimizes (the slow reference does, by design) cannot take the
 * others off the fast path with it, as one shared timing loop would.
 */
function nsPerCall<K extends string>(
  cases: Record<K, Loop>,
  calls: number,
  runs = 9,
): Record<K, number> {
  const entries = Object.entries(cases) as [K, Loop][];
  for (const [, loop] of entries) loop(calls);
  const times = new Map<K, number[]>(entries.map(([k]) => [k, []]));
  for (let r = 0; r < runs; r++) {
    for (const [k, loop] of entries) {
      const start = performance.now();
      loop(calls);
      times.get(k)!.push(((performance.now() - start) * 1e6) / calls);
    }
  }
  const out = {} as Record<K, number>;
  for (const [k, list] of times) {
    list.sort((a, b) => a - b);
    out[k] = list[runs >> 1]!;
  }
  return out;
}

function skipReason(): string | undefined {
  if (Deno.build.os !== "linux") return `needs Linux, this is ${Deno.build.os}`;
  if (!["x86_64", "aarch64"].includes(Deno.build.arch)) {
    return `needs x86_64 or aarch64, this is ${Deno.build.arch}`;
  }
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return "needs --allow-ffi";
  }
  return undefined;
}

/** `abs` under each hot symbol's declared signature, plus the references. */
function openProbes() {
  const probe = <N extends Hot>(name: N) => {
    const { parameters, result } = LINUX_SYMBOLS[name];
    return { name: "abs", parameters, result };
  };
  return Deno.dlopen(
    "libc.so.6",
    {
      fast: { name: "abs", parameters: ["i32"], result: "i32" },
      sendmmsg: probe("sendmmsg"),
      sendto: probe("sendto"),
      recvmsg: probe("recvmsg"),
      recvmmsg: probe("recvmmsg"),
      slow: probe("sendto"),
    } as const satisfies Deno.ForeignLibraryInterface,
  );
}

interface Row {
  name: string;
  library: number;
  direct: number;
  signature: number;
}

function measure(calls: number) {
  const c = libc();
  const probes = openProbes().symbols;
  const direct = Deno.dlopen("libc.so.6", {
    sendmmsg: LINUX_SYMBOLS.sendmmsg,
    sendto: LINUX_SYMBOLS.sendto,
    recvmsg: LINUX_SYMBOLS.recvmsg,
    recvmmsg: LINUX_SYMBOLS.recvmmsg,
  }).symbols;
  const buffer = new Uint8Array(1024);
  const address = new Uint8Array(16);
  const vector = new Uint8Array(64 * 64);
  const msghdr = new Uint8Array(64);
  const len = 40n;
  const dontWait = c.constants.MSG_DONTWAIT;
  // One literal closure per case: a call site shared by several symbols
  // would be polymorphic and not what the library's call sites are.
  const t = nsPerCall({
    fast: (n) => {
      for (let i = 0; i < n; i++) probes.fast(-1);
    },
    slow: (n) => {
      for (let i = 0; i < n; i++) {
        probes.slow(-1, buffer, 40 as unknown as bigint, 0, address, 16);
      }
    },
    close: (n) => {
      for (let i = 0; i < n; i++) c.close(-1);
    },
    errno: (n) => {
      for (let i = 0; i < n; i++) c.errno();
    },
    sendmmsgLibrary: (n) => {
      for (let i = 0; i < n; i++) c.sendmmsg!(-1, vector, 64, 0);
    },
    sendmmsgDirect: (n) => {
      for (let i = 0; i < n; i++) direct.sendmmsg(-1, vector, 64, 0);
    },
    sendmmsgSignature: (n) => {
      for (let i = 0; i < n; i++) probes.sendmmsg(-1, vector, 64, 0);
    },
    sendtoLibrary: (n) => {
      for (let i = 0; i < n; i++) c.sendto(-1, buffer, 40, 0, address, 16);
    },
    sendtoDirect: (n) => {
      for (let i = 0; i < n; i++) {
        direct.sendto(-1, buffer, len, 0, address, 16);
      }
    },
    sendtoSignature: (n) => {
      for (let i = 0; i < n; i++) {
        probes.sendto(-1, buffer, len, 0, address, 16);
      }
    },
    recvmsgLibrary: (n) => {
      for (let i = 0; i < n; i++) c.recvmsg(-1, msghdr, dontWait);
    },
    recvmsgDirect: (n) => {
      for (let i = 0; i < n; i++) direct.recvmsg(-1, msghdr, dontWait);
    },
    recvmsgSignature: (n) => {
      for (let i = 0; i < n; i++) probes.recvmsg(-1, msghdr, 0);
    },
    recvmmsgLibrary: (n) => {
      for (let i = 0; i < n; i++) c.recvmmsg!(-1, vector, 64, dontWait);
    },
    recvmmsgDirect: (n) => {
      for (let i = 0; i < n; i++) {
        direct.recvmmsg(-1, vector, 64, dontWait, null);
      }
    },
    recvmmsgSignature: (n) => {
      for (let i = 0; i < n; i++) probes.recvmmsg(-1, vector, 64, 0, null);
    },
  }, calls);
  const rows: Row[] = HOT.map((name) => ({
    name,
    library: t[`${name}Library`],
    direct: t[`${name}Direct`],
    signature: t[`${name}Signature`],
  }));
  const { fast, slow, close, errno } = t;
  return { fast, slow, close, errno, rows };
}

async function pollMicros(): Promise<number> {
  const c = libc();
  // struct pollfd { int fd = -1 (ignored by poll); short events; short revents; }
  const pollfd = new Uint8Array(8);
  new DataView(pollfd.buffer).setInt32(0, -1, true);
  const calls = 2000;
  for (let i = 0; i < 200; i++) await c.poll(pollfd, 1, 0);
  const start = performance.now();
  for (let i = 0; i < calls; i++) await c.poll(pollfd, 1, 0);
  return ((performance.now() - start) * 1000) / calls;
}

function verdicts(m: ReturnType<typeof measure>) {
  const slowOverhead = m.slow - m.fast;
  const threshold = slowOverhead / 2;
  return m.rows.map((row) => {
    const signatureOverhead = row.signature - m.fast;
    const wrapperExcess = row.library - row.direct;
    const problems: string[] = [];
    if (signatureOverhead > threshold) {
      problems.push(
        `its declared signature costs ${
          signatureOverhead.toFixed(0)
        } ns over the fast reference`,
      );
    }
    if (wrapperExcess > threshold) {
      problems.push(
        `libc().${row.name} costs ${
          wrapperExcess.toFixed(0)
        } ns more than a direct fast call`,
      );
    }
    return { row, signatureOverhead, wrapperExcess, problems };
  });
}

async function checkFastPath(): Promise<void> {
  const skip = skipReason();
  if (skip !== undefined) {
    console.log(`FFI call cost skipped: ${skip}`);
    return;
  }
  // A nonblocking symbol runs on a worker thread (~20 µs a call): no
  // timing needed to know it is off the fast path.
  const nonblocking = HOT.filter((name) =>
    (LINUX_SYMBOLS[name] as { nonblocking?: boolean }).nonblocking === true
  );
  if (nonblocking.length > 0) {
    throw new Error(
      `Hot FFI calls are off Deno's fast call path: ${
        nonblocking.join(", ")
      } declared nonblocking in ffi/_libc.ts (a worker thread per call)`,
    );
  }
  let m = measure(100_000);
  let v = verdicts(m);
  // A noisy moment can push one case up: measure again before failing.
  for (
    let retry = 0;
    retry < 2 && v.some((x) => x.problems.length > 0);
    retry++
  ) {
    m = measure(100_000);
    v = verdicts(m);
  }
  const poll = await pollMicros();
  const threshold = (m.slow - m.fast) / 2;
  const f = (ns: number) => `${ns.toFixed(1)} ns`.padStart(9);
  const lines = [
    "FFI call cost (ns per call, fd -1: the kernel fails with EBADF at once; median of 9 interleaved runs of 100000 calls)",
    `  fast reference  abs(i32) -> i32                         ${f(m.fast)}`,
    `  slow reference  abs as sendto, a number for usize       ${f(m.slow)}  (${
      (m.slow / m.fast).toFixed(1)
    }x the fast reference)`,
    `  syscall reference  libc().close(-1)                     ${f(m.close)}`,
    `  threshold: overhead over the fast reference > half the slow one's = ${
      threshold.toFixed(1)
    } ns`,
    "  symbol    library  direct  wrapper excess  signature  overhead  fast path",
    ...v.map(({ row, signatureOverhead, wrapperExcess, problems }) =>
      `  ${row.name.padEnd(8)} ${f(row.library)} ${f(row.direct)} ${
        f(wrapperExcess).padStart(15)
      } ${f(row.signature).padStart(10)} ${f(signatureOverhead)}  ${
        problems.length === 0 ? "yes" : "NO"
      }`
    ),
    `  errno()   ${
      f(m.errno)
    }  (UnsafePointerView.getInt32 of __errno_location, read after a failed call)`,
    `  poll      ${
      poll.toFixed(1)
    } µs per awaited call with timeout 0: declared nonblocking (a worker thread), off the fast path by design; the scan's fast path never calls it (it drains with recvmmsg between batches), only the slower receive loops do`,
  ];
  console.log(lines.join("\n"));
  if (m.slow - m.fast < 40) {
    console.log(
      `  warning: the slow reference is only ${
        (m.slow - m.fast).toFixed(1)
      } ns slower than the fast one; this Deno may have no slow path left for it, and the check cannot tell`,
    );
  }
  // Normally the slow reference costs 20-40 times the fast one. When a
  // call somewhere in the process has fallen to the slow path, Deno takes
  // the others with it: abs(i32) itself then costs a few times more.
  if (m.slow < 4 * m.fast) {
    throw new Error(
      `Hot FFI calls are off Deno's fast call path: even the fast reference abs(i32) costs ${
        m.fast.toFixed(1)
      } ns, ${(m.slow / m.fast).toFixed(1)}x less than the slow one; ${
        v.filter((x) => x.problems.length > 0).map((x) => x.row.name).join(
          ", ",
        ) || "no single symbol stands out"
      }; see ffi/_libc.ts (64-bit parameters need BigInt arguments)`,
    );
  }
  const failed = v.filter((x) => x.problems.length > 0);
  if (failed.length > 0) {
    throw new Error(
      `Hot FFI calls are off Deno's fast call path: ${
        failed.map((x) => `${x.row.name} (${x.problems.join("; ")})`).join(
          ", ",
        )
      }; see ffi/_libc.ts (64-bit parameters need BigInt arguments, and no hot symbol may be nonblocking)`,
    );
  }
}

await checkFastPath();

if (skipReason() === undefined) {
  const c = libc();
  const vector = new Uint8Array(64 * 64);
  const buffer = new Uint8Array(1024);
  const address = new Uint8Array(16);
  const msghdr = new Uint8Array(64);
  Deno.bench("libc().close(-1): syscall reference", {
    group: "ffi",
    baseline: true,
  }, () => {
    c.close(-1);
  });
  Deno.bench("libc().sendmmsg(-1, …, 64)", { group: "ffi" }, () => {
    c.sendmmsg!(-1, vector, 64, 0);
  });
  Deno.bench("libc().sendto(-1, …)", { group: "ffi" }, () => {
    c.sendto(-1, buffer, 40, 0, address, 16);
  });
  Deno.bench("libc().recvmsg(-1, …)", { group: "ffi" }, () => {
    c.recvmsg(-1, msghdr, c.constants.MSG_DONTWAIT);
  });
}
