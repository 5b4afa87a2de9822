/**
 * Safe defaults (`src/cli/safe_targets.ts`), through the memory host and a
 * fake network that records what is resolved, routed and opened: `send`,
 * `probe`, `trace` and `scan` refuse broadcast, multicast and unspecified
 * destinations without `--allow-broadcast` (exit 2, one line, nothing
 * routed, opened or sent), let them through with it (and ask for
 * `SO_BROADCAST`), and a scan of more than 65,536 addresses needs `--yes`
 * or `--exclude-file`. The defaults that keep a run gentle are pinned too.
 *
 * @module
 */

import assert from "node:assert/strict";
import type {
  CliNet,
  CliRawSocketOptions,
  CliReceiverOptions,
  MemoryHost,
} from "../src/cli/host.ts";
import { createMemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import { parseArgs } from "../src/cli/args.ts";
import { SCAN_OPTIONS, scanSettings } from "../src/cli/scan_options.ts";
import { scanPace } from "../src/cli/scan_timing.ts";
import { TIMING_TEMPLATES } from "../src/engine/scan/timing.ts";
import { refusedKind } from "../src/cli/safe_targets.ts";

const META = { version: "test" };
/** This host's subnet in the fake network, and its broadcast address. */
const OWN_BROADCAST = "10.9.0.255";
const GO_ON = "(give --allow-broadcast if that is what you want)";

interface Seen {
  host: MemoryHost;
  resolved: string[];
  routed: { dst: string; options: unknown }[];
  sockets: CliRawSocketOptions[];
  receivers: { family: 4 | 6; options: CliReceiverOptions | undefined }[];
  packets: Uint8Array[];
}

/**
 * A host whose network records every call: raw sockets and receivers that
 * take packets and never answer, names from `names`, this host's subnet
 * 10.9.0.0/24.
 */
function fakeHost(names: Record<string, string[]> = {}): Seen {
  const host = createMemoryHost();
  const seen: Seen = {
    host,
    resolved: [],
    routed: [],
    sockets: [],
    receivers: [],
    packets: [],
  };
  const take = (packets: Uint8Array[]) => {
    seen.packets.push(...packets.map((p) => p.slice()));
    return packets.length;
  };
  const net: CliNet = {
    openRawSocket(options) {
      seen.sockets.push(options);
      return {
        send: (packet) => (take([packet]), packet.length),
        sendMany: (packets) => take(packets),
        receive: () => Promise.resolve([]),
        close() {},
      };
    },
    routeSource(dst, options) {
      seen.routed.push({ dst, options });
      return dst.includes(":") ? "2001:db8::42" : "10.9.0.1";
    },
    resolveHost(name) {
      seen.resolved.push(name);
      const found = names[name];
      return found === undefined
        ? Promise.reject(new Error(`Cannot resolve host "${name}"`))
        : Promise.resolve(found);
    },
    wallClock: () => 1_700_000_000_000 + host.now(),
    openReceiver(family, options) {
      seen.receivers.push({ family, options });
      return {
        send: (packet) => (take([packet]), packet.length),
        sendMany: (packets) => take(packets),
        async poll(timeoutMs) {
          await host.sleep(timeoutMs);
          return { tcp: [], icmp: [] };
        },
        close() {},
      };
    },
    broadcastAddresses: () => [OWN_BROADCAST],
  };
  Object.assign(host, { net });
  return seen;
}

/** Nothing was routed, opened or sent. */
function assertUntouched(seen: Seen, label: string): void {
  assert.deepEqual(seen.routed, [], `${label}: routed`);
  assert.deepEqual(seen.sockets, [], `${label}: sockets`);
  assert.deepEqual(seen.receivers, [], `${label}: receivers`);
  assert.equal(seen.packets.length, 0, `${label}: packets`);
}

/** A usage error: the one line, the hint, exit 2, nothing on stdout. */
async function refused(
  seen: Seen,
  args: string[],
  message: string,
): Promise<void> {
  const command = args[0]!;
  const code = await runCli(args, seen.host, META);
  const label = args.join(" ");
  assert.equal(code, 2, `${label}: ${seen.host.err}`);
  assert.equal(seen.host.out, "", label);
  assert.equal(
    seen.host.err,
    `tcpcraft ${command}: ${message}\nTry 'tcpcraft ${command} --help'.\n`,
    label,
  );
  assertUntouched(seen, label);
}

/** Each refused class, as a destination and the reason the line gives. */
const REFUSED: readonly [string, string][] = [
  [
    "255.255.255.255",
    "it is the limited broadcast address, which reaches every host on the link",
  ],
  ["0.0.0.0", "it is the unspecified address, which names no host"],
  [
    "0.20.30.40",
    'it is an address of 0.0.0.0/8 ("this network"), which names no host',
  ],
  [
    "224.0.0.1",
    "it is a multicast address, which reaches every host that joined its group",
  ],
  [
    "239.255.255.250",
    "it is a multicast address, which reaches every host that joined its group",
  ],
  [
    OWN_BROADCAST,
    "it is the broadcast address of a subnet of this host, which reaches every host on that subnet",
  ],
  [
    "ff02::1",
    "it is a multicast address, which reaches every host that joined its group",
  ],
  ["::", "it is the unspecified address, which names no host"],
];

/** TARGET text for an address (IPv6 in brackets, so a port may follow). */
function targetText(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

Deno.test("refusedKind() draws the line at the edges of each refused block", () => {
  const cases: [string, string | undefined][] = [
    ["0.0.0.0", "unspecified"],
    ["0.255.255.255", "this-network"],
    ["1.0.0.0", undefined],
    ["223.255.255.255", undefined],
    ["224.0.0.0", "multicast"],
    ["239.255.255.255", "multicast"],
    ["240.0.0.0", undefined],
    ["255.255.255.254", undefined],
    ["255.255.255.255", "limited-broadcast"],
    ["::", "unspecified"],
    ["::1", undefined],
    ["feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", undefined],
    ["ff00::", "multicast"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"],
    ["10.9.0.255", undefined],
  ];
  for (const [address, kind] of cases) {
    assert.equal(refusedKind(address), kind, address);
  }
  assert.equal(refusedKind("10.9.0.255", ["10.9.0.255"]), "directed-broadcast");
});

Deno.test("send refuses every broadcast, multicast and unspecified class with exit 2 and one line, before routing or opening anything, dry runs too", async () => {
  for (const [address, reason] of REFUSED) {
    for (const dry of [[], ["--dry-run"]]) {
      await refused(
        fakeHost(),
        ["send", targetText(address, 80), ...dry],
        `Cannot send to ${address}: ${reason} ${GO_ON}`,
      );
    }
  }
});

Deno.test("send refuses a host name that resolves to a broadcast address, naming both", async () => {
  const seen = fakeHost({ "all.test": ["255.255.255.255"] });
  await refused(
    seen,
    ["send", "all.test:80"],
    `Cannot send to all.test (255.255.255.255): it is the limited broadcast address, which reaches every host on the link ${GO_ON}`,
  );
});

Deno.test("send --rand-dest refuses a block that holds a refused address, since a draw may be it", async () => {
  await refused(
    fakeHost(),
    ["send", "--rand-dest", "224.0.0.0/4", "-p", "80"],
    `Cannot send to 224.0.0.0/4: it holds 224.0.0.0, a multicast address, which reaches every host that joined its group, and a drawn destination may be it ${GO_ON}`,
  );
  await refused(
    fakeHost(),
    ["send", "--rand-dest", "10.9.0.0/24", "-p", "80", "--dry-run"],
    `Cannot send to 10.9.0.0/24: it holds 10.9.0.255, the broadcast address of a subnet of this host, which reaches every host on that subnet, and a drawn destination may be it ${GO_ON}`,
  );
  // A block without one is drawn from as before.
  const seen = fakeHost();
  const code = await runCli(
    ["send", "--rand-dest", "10.8.0.0/24", "-p", "80", "-c", "3", "--dry-run"],
    seen.host,
    META,
  );
  assert.equal(code, 0, seen.host.err);
});

Deno.test("send --allow-broadcast lets every class through: a dry run prints the packet, nothing opened", async () => {
  for (const [address] of REFUSED) {
    const seen = fakeHost();
    const code = await runCli(
      ["send", targetText(address, 80), "--allow-broadcast", "--dry-run"],
      seen.host,
      META,
    );
    assert.equal(code, 0, `${address}: ${seen.host.err}`);
    assert.match(
      seen.host.out,
      /\n1 packet, \d+ bytes \(dry run: nothing sent\)\n$/,
    );
    assert.deepEqual(seen.sockets, []);
  }
});

Deno.test("send --allow-broadcast asks for SO_BROADCAST and a broadcast route lookup; without it neither", async () => {
  const allowed = fakeHost();
  const code = await runCli(
    ["send", `${OWN_BROADCAST}:9`, "--allow-broadcast", "-s", "4000"],
    allowed.host,
    META,
  );
  assert.equal(code, 0, allowed.host.err);
  assert.deepEqual(allowed.sockets, [{
    family: 4,
    headerIncluded: false,
    broadcast: true,
  }]);
  assert.deepEqual(allowed.routed, [{
    dst: OWN_BROADCAST,
    options: { broadcast: true },
  }]);
  assert.equal(allowed.packets.length, 1);
  const plain = fakeHost();
  assert.equal(await runCli(["send", "10.9.0.7:9"], plain.host, META), 0);
  assert.deepEqual(plain.sockets, [{ family: 4, headerIncluded: false }]);
  assert.deepEqual(plain.routed, [{
    dst: "10.9.0.7",
    options: { broadcast: false },
  }]);
});

Deno.test("probe and trace refuse every class with exit 2 and open no receiver", async () => {
  for (const [address, reason] of REFUSED) {
    await refused(
      fakeHost(),
      ["probe", targetText(address, 80), "-c", "1"],
      `Cannot probe ${address}: ${reason} ${GO_ON}`,
    );
    await refused(
      fakeHost(),
      ["trace", targetText(address, 80), "-q", "1", "-m", "1"],
      `Cannot trace ${address}: ${reason} ${GO_ON}`,
    );
  }
  await refused(
    fakeHost({ "group.test": ["ff02::fb"] }),
    ["probe", "group.test"],
    `Cannot probe group.test (ff02::fb): it is a multicast address, which reaches every host that joined its group ${GO_ON}`,
  );
});

Deno.test("probe and trace --allow-broadcast send, the receiver's socket opened with SO_BROADCAST", async () => {
  const args = [
    ["probe", `${OWN_BROADCAST}:80`, "-c", "1", "--timeout", "10ms"],
    ["trace", `${OWN_BROADCAST}:80`, "-q", "1", "-m", "1", "--timeout", "10ms"],
  ];
  for (const command of args) {
    const seen = fakeHost();
    const code = await runCli(
      [...command, "--allow-broadcast"],
      seen.host,
      META,
    );
    // No answer comes back: exit 1, as for any silent destination.
    assert.equal(code, 1, seen.host.err);
    assert.deepEqual(seen.receivers, [{
      family: 4,
      options: { headerIncluded: true, broadcast: true },
    }]);
    assert.deepEqual(seen.routed, [{
      dst: OWN_BROADCAST,
      options: { broadcast: true },
    }]);
    assert.equal(seen.packets.length, 1);
  }
});

Deno.test("scan refuses a target that is a refused address, a name resolving to one, or a block of nothing else", async () => {
  for (const [address, reason] of REFUSED) {
    await refused(
      fakeHost(),
      ["scan", address, "-p", "80"],
      `Cannot scan ${address}: ${reason} ${GO_ON}`,
    );
  }
  await refused(
    fakeHost({ "all.test": ["255.255.255.255"] }),
    ["scan", "192.0.2.1", "all.test", "-p", "80", "--dry-run"],
    `Cannot scan all.test (255.255.255.255): it is the limited broadcast address, which reaches every host on the link ${GO_ON}`,
  );
  const blocks: [string, string][] = [
    [
      "224.0.0.0/24",
      "multicast addresses, which reach every host that joined their group",
    ],
    [
      "ff02::/120",
      "multicast addresses, which reach every host that joined their group",
    ],
    [
      "0.0.0.0/8",
      'addresses of 0.0.0.0/8 ("this network"), which name no host',
    ],
  ];
  for (const [block, what] of blocks) {
    await refused(
      fakeHost(),
      ["scan", "192.0.2.0/30", block, "-p", "80", "--dry-run"],
      `Cannot scan ${block}: it holds only ${what} ${GO_ON}`,
    );
  }
});

Deno.test("scan leaves refused addresses out of a block that holds others, with a note; --allow-broadcast scans them", async () => {
  const seen = fakeHost();
  assert.equal(
    await runCli(
      ["scan", "10.9.0.0/24", "-p", "80", "--dry-run", "--seed", "1"],
      seen.host,
      META,
    ),
    0,
  );
  const lines = seen.host.out.trimEnd().split("\n");
  assert.equal(lines.length, 255);
  assert.ok(!lines.includes(`${OWN_BROADCAST} 80`));
  assert.equal(
    seen.host.err,
    `note: leaving out ${OWN_BROADCAST}, the broadcast address of a subnet of this host (--allow-broadcast scans it)\n` +
      "255 probes (dry run: nothing sent; seed 1, shard 1/1)\n",
  );
  const many = fakeHost();
  assert.equal(
    await runCli(
      ["scan", "223.255.255.0-224.0.0.255", "-p", "80", "--dry-run"],
      many.host,
      META,
    ),
    0,
  );
  assert.match(
    many.host.err,
    /^note: leaving out 256 addresses of TARGETS: multicast \(--allow-broadcast scans them\)\n256 probes/,
  );
  const allowed = fakeHost();
  assert.equal(
    await runCli(
      ["scan", "10.9.0.0/24", "-p", "80", "--dry-run", "--allow-broadcast"],
      allowed.host,
      META,
    ),
    0,
  );
  assert.ok(allowed.host.out.includes(`${OWN_BROADCAST} 80\n`));
  assert.match(allowed.host.err, /^256 probes \(dry run/);
});

Deno.test("scan --allow-broadcast opens its receivers with SO_BROADCAST and looks up broadcast routes", async () => {
  const seen = fakeHost();
  const net = seen.host.net!;
  const openReceiver = net.openReceiver!;
  // Stop at the first receiver: what it was asked for is what matters.
  net.openReceiver = (family, options) => {
    openReceiver(family, options);
    throw new Error("no more");
  };
  const code = await runCli(
    ["scan", OWN_BROADCAST, "-p", "80", "--allow-broadcast", "--rate", "10"],
    seen.host,
    META,
  );
  assert.equal(code, 1);
  assert.equal(seen.receivers[0]?.options?.broadcast, true);
  assert.deepEqual(seen.routed, [{
    dst: OWN_BROADCAST,
    options: { broadcast: true },
  }]);
  assert.equal(seen.packets.length, 0);
});

Deno.test("scan of more than 65,536 addresses needs --yes or --exclude-file; nothing is opened without", async () => {
  await refused(
    fakeHost(),
    ["scan", "11.0.0.0/8", "-p", "80"],
    "Cannot scan 16,777,216 addresses without --yes: more than 65,536 hosts is a sweep of whole networks; give --yes to go on, or --exclude-file FILE to leave out what must not be scanned",
  );
  // Addresses, not probes: 65,537 hosts is one too many, whatever the ports.
  await refused(
    fakeHost(),
    ["scan", "11.0.0.0-11.1.0.0", "-p", "1"],
    "Cannot scan 65,537 addresses without --yes: more than 65,536 hosts is a sweep of whole networks; give --yes to go on, or --exclude-file FILE to leave out what must not be scanned",
  );
  const settings = async (args: string[], files = {}) => {
    const { values, positionals } = parseArgs(args, SCAN_OPTIONS);
    const host = createMemoryHost({ files });
    return (await scanSettings(values, positionals, host)).plan.space;
  };
  assert.equal(
    (await settings(["10.0.0.0/16", "-p", "1-1024"])).addressCount,
    65536,
  );
  assert.equal(
    (await settings(["10.0.0.0/8", "-p", "80", "--yes"])).addressCount,
    2 ** 24,
  );
  assert.equal(
    (await settings(
      ["10.0.0.0/8", "-p", "80", "--exclude-file", "skip.txt"],
      { "skip.txt": "10.1.0.0/16\n" },
    )).addressCount,
    2 ** 24 - 2 ** 16,
  );
  // A dry run sends nothing: it needs neither.
  assert.equal(
    (await settings(["10.0.0.0/8", "-p", "80", "--dry-run"])).addressCount,
    2 ** 24,
  );
});

Deno.test("safe defaults hold: send one packet a second, --flood only with --count, scans at nmap's -T3 or 100 probes a second", async () => {
  const seen = fakeHost();
  const times: number[] = [];
  const net = seen.host.net!;
  const open = net.openRawSocket.bind(net);
  net.openRawSocket = (options) => {
    const socket = open(options);
    return {
      ...socket,
      send(packet, destination) {
        times.push(seen.host.now());
        return socket.send(packet, destination);
      },
    };
  };
  assert.equal(
    await runCli(["send", "10.9.0.7:9", "-c", "3"], seen.host, META),
    0,
  );
  assert.deepEqual(times.map((t) => t - times[0]!), [0, 1000, 2000]);
  await refused(
    fakeHost(),
    ["send", "10.9.0.7:9", "--flood"],
    "--flood: needs --count (how many packets to send as fast as possible)",
  );
  assert.deepEqual(scanPace({}), {
    mode: "adaptive",
    timing: TIMING_TEMPLATES[3],
  });
  assert.deepEqual(scanPace({ retries: 1 }), {
    mode: "stateless",
    rate: 100,
    retries: 1,
    timeoutMs: 1000,
  });
});
