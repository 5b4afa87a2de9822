/**
 * `send --allow-broadcast`, judged by a real kernel and tcpdump: in two
 * private namespaces joined by a veth pair (tests/_netns.ts), namespace a
 * sends to the directed broadcast address of the subnet both share
 * (10.200.0.255), and tcpdump in namespace b says what reached the wire.
 * Nothing is sent anywhere else.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Host,
  netnsTestGate,
  type TestNetwork,
  withNetwork,
} from "./_netns.ts";
import { cliLine } from "./_cli_line.ts";

/** The broadcast address of the namespaces' /24 (10.200.0.0/24). */
const BROADCAST = "10.200.0.255";

/** Run `tcpcraft send` inside a namespace, as root. */
function sendIn(net: TestNetwork, host: Host, args: string[]) {
  return net.run(host, cliLine(["send", ...args]), {
    check: false,
    timeoutMs: 30000,
  });
}

const gate = netnsTestGate("tcpdump", "ethtool");

Deno.test({
  name:
    "send to the subnet's directed broadcast address: refused without --allow-broadcast (exit 2, nothing on the wire); with it the SYN reaches the peer's link (tcpdump)" +
    gate.suffix,
  ignore: gate.ignore,
  async fn() {
    await withNetwork(async (net) => {
      // Two packets at most can show up: the refused run's (which must
      // not) and the allowed run's. tcpdump waits for a second one until
      // its time is up.
      const capture = await net.capture(
        net.b,
        net.b.ifaces[0]!,
        `tcp and dst host ${BROADCAST}`,
        { count: 2, timeoutMs: 4000 },
      );
      const without = await sendIn(net, net.a, [
        `${BROADCAST}:7010`,
        "-s",
        "41001",
        "--seq",
        "1",
      ]);
      assert.equal(without.code, 2, without.stderr);
      assert.equal(without.stdout, "");
      assert.equal(
        without.stderr.split("\n")[0],
        `tcpcraft send: Cannot send to ${BROADCAST}: it is the broadcast address of a subnet of this host, which reaches every host on that subnet (give --allow-broadcast if that is what you want)`,
      );
      const allowed = await sendIn(net, net.a, [
        `${BROADCAST}:7010`,
        "-s",
        "41002",
        "--seq",
        "1",
        "--allow-broadcast",
      ]);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stdout, /\n1 packet, 40 bytes sent in /);
      const lines = await capture.result();
      const packets = lines.filter((line) => / > 10\.200\.0\.255\./.test(line));
      assert.equal(packets.length, 1, lines.join("\n"));
      assert.match(
        packets[0]!,
        /10\.200\.0\.1\.41002 > 10\.200\.0\.255\.7010: Flags \[S\], cksum 0x[0-9a-f]{4} \(correct\), seq 1,/,
      );
    });
  },
});
