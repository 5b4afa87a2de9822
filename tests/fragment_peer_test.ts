/**
 * A Linux peer's reassembly verdicts on the fragments `tcpcraft send`
 * makes, seen with tcpdump on the peer's interface and counted by its
 * kernel, in private namespaces: a SYN (with data, so that an IPv6 first
 * fragment can hold the whole TCP header) to a listening port is answered
 * with a SYN-ACK when the peer reassembles the true segment.
 *
 * What Linux does, and so what is asserted:
 * - in order, reversed, shuffled, with a duplicate: reassembled, answered;
 * - the last fragment left out: never complete, no answer;
 * - decoys overlapping whole fragments: Linux takes a fragment lying
 *   within one it holds as a duplicate and keeps the first copy, as a
 *   `first` target: decoys after the true fragments are answered, decoys
 *   before them make a segment whose TCP checksum is wrong (`InCsumErrors`);
 * - a tiny first fragment (8 bytes): IPv4 reassembles it, IPv6 answers
 *   with an ICMPv6 parameter problem (RFC 8200 §4.5: the first fragment
 *   must hold the whole header chain).
 *
 * `explain --pcap` reads the same fragments and says the same: its "first"
 * reassembly has a right checksum, its "last" one a wrong one.
 */

import assert from "node:assert/strict";
import {
  type Host,
  netnsTestGate,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const PORT = 7400;
const DATA = "x".repeat(40);

function cliIn(net: TestNetwork, host: Host, args: string[]) {
  return net.run(host, [
    "env",
    "DENO_NO_UPDATE_CHECK=1",
    "NO_COLOR=1",
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${CONFIG}`,
    "--allow-ffi",
    "--allow-read",
    "--allow-write",
    CLI,
    ...args,
  ], { check: false, timeoutMs: 30000 });
}

/** What the peer did: its first reply seen with tcpdump, and its counters' changes. */
interface Verdict {
  reply: string;
  counters: Record<string, number>;
}

async function sendFragments(
  net: TestNetwork,
  dst: string,
  args: string[],
): Promise<Verdict> {
  const before = await net.counters(net.b);
  const capture = await net.capture(
    net.b,
    net.b.ifaces[0]!,
    `(tcp and src port ${PORT}) or (icmp6 and ip6[40] == 4) or (icmp and icmp[0] == 12)`,
    { count: 1, timeoutMs: 1500 },
  );
  const sent = await cliIn(net, net.a, [
    "send",
    `${dst}:${PORT}`,
    "--data",
    DATA,
    "-q",
    ...args,
  ]);
  assert.equal(sent.code, 0, `${args.join(" ")}: ${sent.stderr}`);
  const reply = (await capture.result()).join(" ");
  const after = await net.counters(net.b);
  const counters: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    const change = value - (before[name] ?? 0);
    if (change !== 0 && /Reasm|InCsumErrors/.test(name)) {
      counters[name] = change;
    }
  }
  return { reply, counters };
}

const SYN_ACK = /Flags \[S\.\]/;

const gate = netnsTestGate("tcpdump");

Deno.test({
  name:
    "a Linux peer reassembles tcpcraft's fragments in any order, keeps the first of overlapping copies, and refuses what RFC 8200 refuses" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await net.listen(net.b, PORT, { lifetimeMs: 90000 });
      try {
        for (
          const [dst, v] of [[net.b.ipv4, "Ip"], [
            `[${net.b.ipv6}]`,
            "Ip6",
          ]] as const
        ) {
          const answered = async (args: string[]) => {
            const verdict = await sendFragments(net, dst, [
              "--frag",
              "24",
              ...args,
            ]);
            assert.match(verdict.reply, SYN_ACK, `${dst} ${args.join(" ")}`);
            assert.equal(
              verdict.counters[`${v}ReasmOKs`],
              1,
              `${dst} ${args.join(" ")}`,
            );
            return verdict;
          };
          await answered([]);
          await answered(["--frag-order", "reverse"]);
          await answered(["--frag-order", "random"]);
          await answered(["--frag-order", "3,1,2"]);
          await answered(["--frag-dup", "2"]);
          await answered(["--frag-overlap", "first"]);

          const missing = await sendFragments(net, dst, [
            "--frag",
            "24",
            "--frag-drop-last",
          ]);
          assert.equal(missing.reply, "", `${dst} drop last`);
          assert.equal(missing.counters[`${v}ReasmOKs`], undefined);

          const decoyFirst = await sendFragments(net, dst, [
            "--frag",
            "24",
            "--frag-overlap",
            "last",
          ]);
          assert.equal(
            decoyFirst.reply,
            "",
            `${dst} overlap last: ${decoyFirst.reply}`,
          );
          assert.equal(decoyFirst.counters[`${v}ReasmOKs`], 1);
          assert.equal(
            decoyFirst
              .counters[v === "Ip" ? "TcpInCsumErrors" : "Tcp6InCsumErrors"] ??
              decoyFirst.counters["TcpInCsumErrors"],
            1,
            JSON.stringify(decoyFirst.counters),
          );

          const tiny = await sendFragments(net, dst, [
            "--frag",
            "24",
            "--frag-tiny",
            "8",
          ]);
          if (v === "Ip") {
            assert.match(tiny.reply, SYN_ACK);
          } else {
            assert.match(
              tiny.reply,
              /ICMP6, parameter problem, incomplete header chain/,
            );
          }
        }
      } finally {
        await listener.close();
      }
    });
  },
});

Deno.test({
  name:
    "explain --pcap reassembles the same fragments and gives each policy's verdict" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tcpcraft-frag-" });
    try {
      for (const policy of ["first", "last"]) {
        const file = `${dir}/${policy}.pcap`;
        const built = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--quiet",
            "-A",
            CLI,
            "build",
            "192.0.2.1:80",
            "--src",
            "192.0.2.42",
            "--data",
            DATA,
            "--frag",
            "24",
            "--frag-overlap",
            policy,
            "--pcap",
            file,
          ],
          stdout: "null",
          stderr: "piped",
        }).output();
        assert.ok(built.success, new TextDecoder().decode(built.stderr));
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--quiet",
            "-A",
            CLI,
            "explain",
            "--pcap",
            file,
            "--format",
            "json",
          ],
          stdout: "piped",
        }).output();
        const records = new TextDecoder().decode(out.stdout).trim().split("\n")
          .map((line) => JSON.parse(line));
        const whole = records.find((r) => r.reassembledFrom !== undefined);
        assert.ok(whole !== undefined);
        const tcp = whole.checksums.find((c: { kind: string }) =>
          c.kind === "tcp"
        );
        // The "first" reassembly is what Linux answered above.
        assert.equal(tcp.status, policy === "first" ? "correct" : "wrong");
        assert.match(
          whole.notes[1],
          /a "last" target .* TCP checksum (wrong|correct)/,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
