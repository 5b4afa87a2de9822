/**
 * The adaptive scan against nmap on a peer with the kernel's DEFAULT ICMP
 * rate limits (Linux: a burst of 6 errors, then one a second per peer over
 * IPv4; four a second over an IPv6 /64 route): 8 open, 8 closed, 4 dropped
 * and 4 ICMP-rejected ports, every scan type, IPv4 and IPv6, with nmap
 * `-T4 --max-retries 2` as the oracle and tcpcraft run with the same
 * options. Every port's state must equal nmap's; the reason too, but for
 * a rejected port of a scan where silence also means filtered (SYN, ACK,
 * window), whose ICMP error the limiter may hold back from either
 * scanner's every try. nmap's `ndiff` finds no port difference between
 * nmap's XML and ours, and our wall time stays within nmap's (a gross
 * bound on this shared machine; the numbers are printed).
 *
 * Before each run of FIN, NULL and Xmas over IPv4 the peer's ICMP budget
 * is spent (ten connection attempts to a rejected port) and left to refill
 * for 2.5 s, so nmap and tcpcraft start with the same budget, two or three
 * errors: fewer than the rejected ports, so a scanner that does not space
 * its retries a second apart and allow more of them reads a rejected port
 * as open|filtered (what the issue saw).
 *
 * A second peer drops one probe in eight at random (nftables `numgen`),
 * on top of the rate limits: there nmap `-T4` (6 retries) is a noisy
 * oracle (it too may see every try of a closed port dropped), so each
 * port's state must equal nmap's or, where they differ, the state the
 * peer's rules give (nmap's was the misreading).
 *
 * @module
 */

import assert from "node:assert/strict";
import { netnsTestGate, type TestNetwork, withNetwork } from "./_netns.ts";
import { parseNmapXml } from "./_nmap.ts";
import { ACCEPT_SCRIPT, startServer } from "./_servers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const gate = netnsTestGate("nft", "nmap", "ndiff", "/usr/bin/python3");

const OPEN = [7201, 7202, 7203, 7204, 7205, 7206, 7207, 7208];
const REJECTED = [7221, 7222, 7223, 7224];
const PORTS = "7201-7224";

function rules(dropShare?: number): string {
  return `
table inet tcpcraft_oracle {
  chain input {
    type filter hook input priority 0; policy accept;
    ${
    dropShare === undefined
      ? ""
      : `tcp dport ${PORTS} numgen random mod ${dropShare} == 0 drop`
  }
    tcp dport 7217-7220 drop
    meta nfproto ipv4 tcp dport 7221-7222 reject with icmp type admin-prohibited
    meta nfproto ipv4 tcp dport 7223-7224 reject with icmp type port-unreachable
    meta nfproto ipv6 tcp dport 7221-7222 reject with icmpv6 type admin-prohibited
    meta nfproto ipv6 tcp dport 7223-7224 reject with icmpv6 type port-unreachable
  }
}`;
}

/** Spends the peer's ICMP budget toward us: ten SYNs to a rejected port. */
const DRAIN = `
import socket, sys, time
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
held = []
for _ in range(10):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect((sys.argv[1], ${REJECTED[0]}))
    except OSError:
        pass
    held.append(s)
time.sleep(0.05)
for s in held:
    s.close()
`;

/** The state the peer's rules give a port, as each scan type reads it. */
function truthOf(type: string, port: number): string {
  const silent = ["fin", "null", "xmas"].includes(type)
    ? "open|filtered"
    : "filtered";
  if (REJECTED.includes(port)) return "filtered";
  if (port >= 7217) return silent;
  const open = OPEN.includes(port);
  switch (type) {
    case "syn":
      return open ? "open" : "closed";
    case "ack":
      return "unfiltered";
    case "window":
      return "closed";
    default:
      return open ? "open|filtered" : "closed";
  }
}

const NMAP_FLAG: Record<string, string> = {
  syn: "-sS",
  fin: "-sF",
  null: "-sN",
  xmas: "-sX",
  ack: "-sA",
  window: "-sW",
};

interface Run {
  verdicts: Map<number, string>;
  seconds: number;
  xml: string;
}

async function nmapRun(
  network: TestNetwork,
  target: string,
  type: string,
  timing: string[],
): Promise<Run> {
  const started = performance.now();
  const nmap = await network.run(network.a, [
    "nmap",
    ...(target.includes(":") ? ["-6"] : []),
    "-n",
    "-Pn",
    "--reason",
    NMAP_FLAG[type]!,
    ...timing,
    "-p",
    PORTS,
    "-oX",
    "-",
    target,
  ], { timeoutMs: 120_000 });
  const seconds = (performance.now() - started) / 1000;
  const host = parseNmapXml(nmap.stdout).hosts[0]!;
  return {
    verdicts: new Map(
      host.ports.map((p) => [p.port, `${p.state} ${p.reason}`]),
    ),
    seconds,
    xml: nmap.stdout,
  };
}

async function ourRun(
  network: TestNetwork,
  target: string,
  type: string,
  timing: string[],
  dir: string,
): Promise<Run> {
  const file = `${dir}/ours-${type}-${target.includes(":") ? 6 : 4}.xml`;
  const started = performance.now();
  const ours = await network.run(network.a, [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    CLI,
    "scan",
    target,
    "-p",
    PORTS,
    "--scan",
    type,
    ...timing,
    "-oX",
    file,
    "--format",
    "ndjson",
  ], { timeoutMs: 120_000 });
  const seconds = (performance.now() - started) / 1000;
  const rows = ours.stdout.trim().split("\n").map((l) =>
    JSON.parse(l) as { port: number; state: string; reason: string }
  );
  return {
    verdicts: new Map(rows.map((r) => [r.port, `${r.state} ${r.reason}`])),
    seconds,
    xml: await Deno.readTextFile(file),
  };
}

/** Spend the peer's ICMP budget toward host a and let it refill a little. */
async function condition(network: TestNetwork, target: string): Promise<void> {
  await network.run(network.a, ["/usr/bin/python3", "-c", DRAIN, target]);
  await new Promise((r) => setTimeout(r, 2500));
}

/** Port lines ndiff reports as different (`-7221/tcp …`, `+7221/tcp …`). */
async function ndiffPorts(
  dir: string,
  nmapXml: string,
  ours: string,
): Promise<string[]> {
  // nmap-services names many ports "unknown" (seen open in the wild, no
  // service known); IANA's registry just has no name for them. Both say
  // nothing about the port.
  await Deno.writeTextFile(
    `${dir}/nmap.xml`,
    nmapXml.replaceAll('<service name="unknown" method="table" conf="3"/>', ""),
  );
  await Deno.writeTextFile(`${dir}/ours.xml`, ours);
  const out = await new Deno.Command("ndiff", {
    args: [`${dir}/nmap.xml`, `${dir}/ours.xml`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(
    out.code === 0 || out.code === 1,
    new TextDecoder().decode(out.stderr),
  );
  return text.split("\n").filter((l) => /^[-+]\d+\/tcp/.test(l));
}

async function withPeer(
  dropShare: number | undefined,
  fn: (network: TestNetwork, dir: string) => Promise<void>,
): Promise<void> {
  await withNetwork(async (network) => {
    await network.run(network.b, ["nft", "-f", "-"], {
      stdin: rules(dropShare),
    });
    const server = await startServer(
      network.b,
      ACCEPT_SCRIPT,
      ["", ...OPEN.map(String)],
    );
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-oracle-" });
    try {
      await fn(network, dir);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test({
  name:
    "scan agrees with nmap -T4 --max-retries 2 on a peer with the default ICMP rate limits: six types, IPv4 and IPv6, ndiff clean, no slower" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withPeer(undefined, async (network, dir) => {
      const timing = ["-T4", "--max-retries", "2"];
      const disagreements: string[] = [];
      const report: string[] = [];
      for (const target of [network.b.ipv4, network.b.ipv6]) {
        const family = target.includes(":") ? "IPv6" : "IPv4";
        for (const type of Object.keys(NMAP_FLAG)) {
          const silenceOpen = ["fin", "null", "xmas"].includes(type);
          const limited = silenceOpen && family === "IPv4";
          if (limited) await condition(network, target);
          const nmap = await nmapRun(network, target, type, timing);
          if (limited) await condition(network, target);
          const ours = await ourRun(network, target, type, timing, dir);
          let agree = 0;
          let reasons = 0;
          for (let port = 7201; port <= 7224; port++) {
            const theirs = nmap.verdicts.get(port) ?? "missing";
            const mine = ours.verdicts.get(port) ?? "missing";
            const [theirState, theirReason] = theirs.split(" ");
            const [myState, myReason] = mine.split(" ");
            const lenient = !silenceOpen && REJECTED.includes(port);
            if (theirState === myState) agree++;
            else {
              disagreements.push(
                `${family} ${type} ${port}: nmap ${theirs}, tcpcraft ${mine}`,
              );
            }
            if (theirReason === myReason) reasons++;
            else if (!lenient) {
              disagreements.push(
                `${family} ${type} ${port}: nmap ${theirs}, tcpcraft ${mine}`,
              );
            }
          }
          const ndiff = await ndiffPorts(dir, nmap.xml, ours.xml);
          disagreements.push(
            ...ndiff.map((l) => `${family} ${type} ndiff ${l}`),
          );
          report.push(
            `${family} ${
              type.padEnd(6)
            } states ${agree}/24, reasons ${reasons}/24, ndiff ${ndiff.length} port lines, nmap ${
              nmap.seconds.toFixed(2)
            } s, tcpcraft ${ours.seconds.toFixed(2)} s`,
          );
          // No slower than nmap, give or take the runtime's start and a
          // loaded machine.
          assert.ok(
            ours.seconds <= nmap.seconds * 1.5 + 1.5,
            `${family} ${type}: tcpcraft ${ours.seconds} s, nmap ${nmap.seconds} s`,
          );
          if (type === "fin" || type === "syn") {
            // The oracle itself must have seen what the peer does.
            const expected = type === "syn"
              ? "open syn-ack"
              : "open|filtered no-response";
            assert.equal(nmap.verdicts.get(OPEN[0]!), expected);
            assert.match(nmap.verdicts.get(REJECTED[0]!)!, /^filtered/);
          }
        }
      }
      console.log(report.join("\n"));
      assert.deepEqual(disagreements, []);
    });
  },
});

Deno.test({
  name:
    "scan agrees with nmap -T4 on a peer that drops one probe in eight at random" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withPeer(8, async (network, dir) => {
      const report: string[] = [];
      const disagreements: string[] = [];
      let totalOurs = 0;
      let totalNmap = 0;
      for (const target of [network.b.ipv4, network.b.ipv6]) {
        const family = target.includes(":") ? "IPv6" : "IPv4";
        for (const type of ["syn", "fin"]) {
          const nmap = await nmapRun(network, target, type, ["-T4"]);
          const ours = await ourRun(network, target, type, ["-T4"], dir);
          let agree = 0;
          let nmapRight = 0;
          let oursRight = 0;
          for (let port = 7201; port <= 7224; port++) {
            const truth = truthOf(type, port);
            const theirs = nmap.verdicts.get(port)?.split(" ")[0];
            const mine = ours.verdicts.get(port)?.split(" ")[0];
            if (theirs === truth) nmapRight++;
            if (mine === truth) oursRight++;
            if (theirs === mine) agree++;
            else if (mine !== truth) {
              // A difference is ours only when nmap read the port right.
              disagreements.push(
                `${family} ${type} ${port}: nmap ${theirs}, tcpcraft ${mine}, the peer ${truth}`,
              );
            }
          }
          totalOurs += oursRight;
          totalNmap += nmapRight;
          report.push(
            `drops 1/8 ${family} ${
              type.padEnd(4)
            } states equal ${agree}/24, right nmap ${nmapRight}/24 tcpcraft ${oursRight}/24, nmap ${
              nmap.seconds.toFixed(2)
            } s, tcpcraft ${ours.seconds.toFixed(2)} s`,
          );
        }
      }
      console.log(report.join("\n"));
      // Drops at random can take every try of a port, nmap's as ours: a
      // SYN to an open port dropped on each try reads filtered. Each misreads
      // about one port in a few runs here (once both in the same run, on
      // different ports). Up to two ports in the 96 where nmap happened to
      // be right and tcpcraft unlucky is chance; more, or two fewer ports
      // right than nmap overall, is tcpcraft's doing.
      assert.ok(disagreements.length <= 2, disagreements.join("\n"));
      assert.ok(
        totalOurs >= totalNmap - 2,
        `right: tcpcraft ${totalOurs}/96, nmap ${totalNmap}/96`,
      );
    });
  },
});
