/**
 * The kernel decides whether tcpcraft's signatures are right: in a pair of
 * private namespaces, a Linux listener holds a key for host a's address
 * (`TCP_MD5SIG`, or `TCP_AO_ADD_KEY` on kernels built with TCP-AO), and
 * `tcpcraft probe` from a sends signed SYNs. A rightly signed SYN is
 * answered with a SYN-ACK; a wrongly signed one is dropped, and the
 * listener's `TCPMD5Failure` (`TCPAOBad`) counter rises; an unsigned one is
 * dropped as `TCPMD5NotFound` (`TCPAORequired`). Signed SYNs sent as IP
 * fragments are answered too: the kernel reassembles, then checks.
 */

import assert from "node:assert/strict";
import {
  type Host,
  netnsTestGate,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";
import { PYTHON } from "./_peers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const KEY = "tcpcraft-test-key";

/**
 * A listener holding a key for one peer: IPv4 and IPv6 sockets on `port`,
 * the key set for the peer's addresses. It writes `ready` (or the error of
 * its setsockopt) to a file, and exits when the file `stop` appears or its
 * lifetime ends. `kind` is `md5` or `ao-hmac(sha1)`, `ao-cmac(aes128)`.
 */
const KEYED_LISTENER = String.raw`
import os, socket, struct, sys, time
port, kind, key, peer4, peer6, status, stop = sys.argv[1:8]
key = key.encode()
TCP_MD5SIG, TCP_AO_ADD_KEY = 14, 38

def sockaddr(family, address):
    if family == socket.AF_INET:
        raw = struct.pack("=H", family) + struct.pack("!H", 0) + socket.inet_pton(family, address)
    else:
        raw = struct.pack("=H", family) + struct.pack("!HI", 0, 0) + socket.inet_pton(family, address) + struct.pack("=I", 0)
    return raw.ljust(128, b"\0")

def add_key(s, family, address):
    if kind == "md5":
        # struct tcp_md5sig: address, flags, prefixlen, keylen, ifindex, key[80]
        opt = sockaddr(family, address) + struct.pack("=BBHi", 0, 0, len(key), 0) + key.ljust(80, b"\0")
        s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, opt)
    else:
        alg = kind[3:].encode()
        # struct tcp_ao_add: address, alg_name[64], ifindex, set_current:1 set_rnext:1,
        # reserved2, prefix, sndid, rcvid, maclen, keyflags, keylen, key[80]
        prefix = 32 if family == socket.AF_INET else 128
        opt = (sockaddr(family, address) + alg.ljust(64, b"\0") + struct.pack("=iIHBBBBBB", 0, 0, 0, prefix, 100, 100, 12, 0, len(key))
               + key.ljust(80, b"\0"))
        opt = opt.ljust((len(opt) + 7) // 8 * 8, b"\0")
        s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, opt)

sockets = []
try:
    for family, address in ((socket.AF_INET, peer4), (socket.AF_INET6, peer6)):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        add_key(s, family, address)
        s.bind(("0.0.0.0" if family == socket.AF_INET else "::", int(port)))
        s.listen(16)
        sockets.append(s)
    open(status, "w").write("ready")
except OSError as e:
    open(status, "w").write("error " + os.strerror(e.errno))
    sys.exit(0)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not os.path.exists(stop):
    time.sleep(0.05)
`;

/** Why TCP-AO cannot be tried on this kernel, or undefined when it can. */
function tcpAoSkipReason(): string | undefined {
  const script = String.raw`
import errno, socket
s = socket.socket()
try:
    s.setsockopt(socket.IPPROTO_TCP, 38, b"\0" * 8)
    print("ok")
except OSError as e:
    print("no" if e.errno == errno.ENOPROTOOPT else "ok")
`;
  try {
    const out = new Deno.Command(PYTHON, {
      args: ["-c", script],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const answer = new TextDecoder().decode(out.stdout).trim();
    return answer === "no"
      ? "this kernel has no TCP-AO (setsockopt TCP_AO_ADD_KEY: ENOPROTOOPT; CONFIG_TCP_AO, Linux 6.7 or newer)"
      : undefined;
  } catch {
    return "no /usr/bin/python3";
  }
}

/** A keyed listener in host b, until `stop()`. */
async function keyedListener(
  net: TestNetwork,
  port: number,
  kind: string,
): Promise<{ stop(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-keyed-" });
  const status = `${dir}/status`;
  const stop = `${dir}/stop`;
  const running = net.run(net.b, [
    PYTHON,
    "-c",
    KEYED_LISTENER,
    String(port),
    kind,
    KEY,
    net.a.ipv4,
    net.a.ipv6,
    status,
    stop,
  ], { check: false, timeoutMs: 70000 });
  for (let i = 0; i < 200; i++) {
    const text = await Deno.readTextFile(status).catch(() => "");
    if (text === "ready") {
      return {
        async stop() {
          await Deno.writeTextFile(stop, "");
          await running;
          await Deno.remove(dir, { recursive: true });
        },
      };
    }
    if (text.startsWith("error")) {
      await running;
      await Deno.remove(dir, { recursive: true });
      throw new Error(`keyed listener: ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("keyed listener did not start in 10 s");
}

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
    CLI,
    ...args,
  ], { check: false, timeoutMs: 30000 });
}

/** The probe's reply lines. */
function replies(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line.startsWith("len="));
}

async function counter(net: TestNetwork, name: string): Promise<number> {
  return (await net.counters(net.b))[name] ?? 0;
}

/**
 * Probe the keyed listener with a right key, a wrong one and none; the
 * right one (also in fragments) is answered, the others dropped and
 * counted. Returns how many SYNs each case sent, for the report.
 */
async function checkSignatures(
  net: TestNetwork,
  port: number,
  sign: (key: string) => string[],
  counters: { bad: string; missing: string },
): Promise<void> {
  for (const dst of [net.b.ipv4, `[${net.b.ipv6}]`]) {
    const target = `${dst}:${port}`;
    const common = [
      "probe",
      target,
      "-c",
      "2",
      "-i",
      "100ms",
      "--timeout",
      "500ms",
    ];
    const right = await cliIn(net, net.a, [...common, ...sign(KEY)]);
    assert.equal(
      right.code,
      0,
      `${target} right key: ${right.stdout}${right.stderr}`,
    );
    assert.equal(replies(right.stdout).length, 2, right.stdout);
    for (const line of replies(right.stdout)) assert.match(line, / flags=SA /);

    // Signed and sent as fragments, reassembled by the peer before it
    // checks the signature; seen with tcpdump. The first fragment holds
    // the whole TCP header (Linux refuses an IPv6 first fragment that does
    // not: RFC 8200 §4.5, an incomplete header chain), so the SYN carries
    // data, which probe would not match a SYN-ACK to: it is sent.
    const capture = await net.capture(
      net.b,
      net.b.ifaces[0]!,
      `tcp and src port ${port}`,
      { count: 1, timeoutMs: 5000 },
    );
    const sent = await cliIn(net, net.a, [
      "send",
      target,
      ...sign(KEY),
      "--data",
      "x".repeat(40),
      "--frag",
      "40",
      "--frag-order",
      "reverse",
      "-q",
    ]);
    assert.equal(sent.code, 0, `${target} fragments: ${sent.stderr}`);
    // tcpdump -vv: a packet's first line, then indented ones.
    const answers = (await capture.result()).join("\n").split(/\n(?!\s)/);
    assert.equal(answers.length, 1, answers.join("\n"));
    // The SYN-ACK is signed too.
    assert.match(answers[0]!, /Flags \[S\.\].*options \[nop,nop,md5 /s);

    const bad = await counter(net, counters.bad);
    const wrong = await cliIn(net, net.a, [...common, ...sign(`${KEY}x`)]);
    assert.equal(wrong.code, 1, `${target} wrong key: ${wrong.stdout}`);
    assert.equal(replies(wrong.stdout).length, 0);
    assert.equal(await counter(net, counters.bad) - bad, 2, counters.bad);

    const missing = await counter(net, counters.missing);
    const none = await cliIn(net, net.a, common);
    assert.equal(none.code, 1, `${target} no key: ${none.stdout}`);
    assert.equal(
      await counter(net, counters.missing) - missing,
      2,
      counters.missing,
    );
  }
}

const gate = netnsTestGate(PYTHON);

Deno.test({
  name:
    "Linux answers SYNs signed with --md5-key and drops wrongly signed ones (TCPMD5Failure), IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      const listener = await keyedListener(net, 7179, "md5");
      try {
        await checkSignatures(net, 7179, (key) => ["--md5-key", key], {
          bad: "TcpExtTCPMD5Failure",
          missing: "TcpExtTCPMD5NotFound",
        });
      } finally {
        await listener.stop();
      }
    });
  },
});

const aoReason = gate.ignore ? undefined : tcpAoSkipReason();

for (
  const [alg, kernelAlg] of [["hmac-sha-1-96", "hmac(sha1)"], [
    "aes-128-cmac-96",
    "cmac(aes128)",
  ]]
) {
  Deno.test({
    name:
      `Linux answers SYNs signed with --ao-key (${alg}) and drops wrongly signed ones (TCPAOBad), IPv4 and IPv6` +
      (gate.ignore
        ? gate.suffix
        : aoReason === undefined
        ? ""
        : ` (skipped: ${aoReason})`),
    ignore: gate.ignore || aoReason !== undefined,
    async fn() {
      await withNetwork(async (net) => {
        const listener = await keyedListener(net, 7180, `ao-${kernelAlg}`);
        try {
          await checkSignatures(
            net,
            7180,
            (key) => [
              "--ao-key",
              key,
              "--ao-alg",
              alg!,
              "--ao-key-id",
              "100",
              "--ao-rnext-id",
              "100",
            ],
            { bad: "TcpExtTCPAOBad", missing: "TcpExtTCPAORequired" },
          );
        } finally {
          await listener.stop();
        }
      });
    },
  });
}
