// Scratch: profile one scan in the bench network (not committed).
import { BenchNetwork, ProcessSet } from "./_net_env.ts";
const processes = new ProcessSet();
const net = await BenchNetwork.create(processes, 8);
try {
  for (const port of [22, 80]) {
    await net.net.listen(net.b, port, { connections: 1, lifetimeMs: 600_000 });
  }
  const args = Deno.args;
  const t = performance.now();
  const out = await new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      net.a.ns,
      Deno.execPath(),
      "run",
      "-A",
      ...(args.includes("--prof")
        ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"]
        : []),
      "/work/wt-perf/cli.ts",
      ...args.filter((a) => a !== "--prof").map((a) =>
        a === "IFACE" ? net.aIface : a
      ),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  console.log(
    "lines",
    text.split("\n").length,
    "secs",
    ((performance.now() - t) / 1000).toFixed(2),
  );
  console.log(new TextDecoder().decode(out.stderr).slice(-2000));
} finally {
  await processes.stopAll();
  await net.destroy();
}
