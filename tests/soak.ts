/**
 * `deno task soak [--packets N] [--sockets N]`: the load of
 * tests/_soak.ts at full size (default a million packets out and about as
 * many in, ten thousand sockets), in a private namespace pair: prints each
 * sample (descriptors, resident set) and the verdict of each phase; exits
 * 1 when a phase is not flat or something is left open. Run as root.
 *
 * @module
 */

import { flatness, type LoadResult, SOAK_V8_FLAGS } from "./_soak.ts";
import { netnsSkipReason, withNetwork } from "./_netns.ts";

function flag(name: string, fallback: number): number {
  const at = Deno.args.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(Deno.args[at + 1]!.replaceAll("_", ""));
}

const skip = netnsSkipReason();
if (skip !== undefined) {
  console.error(`soak: ${skip}`);
  Deno.exit(2);
}
const packets = flag("packets", 1_000_000);
const sockets = flag("sockets", 10_000);
const result = await withNetwork((net) =>
  net.agent<LoadResult>(
    net.a,
    new URL("./_soak.ts", import.meta.url).href,
    "load",
    {
      src: net.a.ipv4,
      dst: net.b.ipv4,
      dst6: net.b.ipv6,
      packets,
      sockets,
      samples: 50,
    },
    30 * 60_000,
    [SOAK_V8_FLAGS],
  )
);
if ("agentError" in result) {
  console.error(result);
  Deno.exit(1);
}
console.log(
  `soak: ${result.sent} packets sent, ${result.received} received, ${result.dropped} dropped by the kernel, ${result.polls} polls; ${result.socketsOpened} sockets opened and closed; ${
    result.seconds.toFixed(1)
  } s`,
);
console.log("phase     done      fds  VmRSS KiB");
for (const s of result.samples) {
  console.log(
    `${s.phase.padEnd(8)} ${String(s.done).padStart(8)} ${
      String(s.fds).padStart(6)
    } ${String(s.rssKiB).padStart(10)}`,
  );
}
let ok = true;
for (const phase of ["packets", "sockets"] as const) {
  const f = flatness(result.samples, phase);
  ok &&= f.flat;
  console.log(
    `${phase}: fds ${f.fdsFirst} -> ${f.fdsLast} (max ${f.fdsMax}); VmRSS ${f.rssWarm} KiB after warm-up -> ${f.rssLast} KiB at the end (max ${f.rssMax}): ${
      f.flat ? "flat" : "NOT FLAT"
    }`,
  );
}
console.log(
  `descriptors ${result.fdsBefore} before, ${result.fdsAfter} after (new: ${
    result.newFds.join(", ") || "none"
  }); sockets left ${
    JSON.stringify(result.left)
  }; nonblocking calls holding buffers: ${result.inFlight}`,
);
ok &&= result.fdsAfter <= result.fdsBefore + 2 && result.inFlight === 0 &&
  result.left.raw + result.left.raw6 + result.left.packet === 0;
Deno.exit(ok ? 0 : 1);
