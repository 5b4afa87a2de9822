/**
 * SYN presets judged by others: each preset's SYN, printed by tcpdump,
 * against the p0f signature it cites (layout, window, scale, TTL, DF), and
 * the Linux preset against the SYN the kernel's own `connect()` sends in a
 * namespace, IPv4 and IPv6.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  applySynPreset,
  encodePacket,
  makeTcpPacket,
  SYN_PRESET_OSES,
  SYN_PRESETS,
  synPresetFields,
} from "../mod.ts";
import { netnsTestGate, withNetwork } from "./_netns.ts";
import { TCPDUMP } from "./_peers.ts";

/** tcpdump's `-nn -vv` text of raw IP packets (a pcap of link type RAW). */
async function tcpdumpText(packets: Uint8Array[]): Promise<string[]> {
  const parts: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(24));
  header.setUint32(0, 0xa1b2c3d4, true);
  header.setUint16(4, 2, true);
  header.setUint16(6, 4, true);
  header.setUint32(16, 65535, true);
  header.setUint32(20, 101, true); // LINKTYPE_RAW
  parts.push(new Uint8Array(header.buffer));
  for (const packet of packets) {
    const record = new DataView(new ArrayBuffer(16));
    record.setUint32(8, packet.length, true);
    record.setUint32(12, packet.length, true);
    parts.push(new Uint8Array(record.buffer), packet);
  }
  const file = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    await Deno.writeFile(file, bytes);
    const out = await new Deno.Command("tcpdump", {
      args: ["-r", file, "-nn", "-vv", "-t"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return joinLines(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(file);
  }
}

/** tcpdump's two lines per IPv4 packet joined into one. */
function joinLines(text: string): string[] {
  return text.replace(/\n\s+/g, " ").split("\n").filter((l) => l !== "");
}

/** What p0f reads from a SYN, from tcpdump's text of it. */
interface SynShape {
  ttl: number;
  df: boolean;
  mss: number;
  window: number;
  scale: number;
  layout: string[];
}

function shape(line: string): SynShape {
  const options = /options \[([^\]]*)\]/.exec(line)![1]!.split(",");
  const layout = options.map((o) => {
    if (o.startsWith("mss")) return "mss";
    if (o === "sackOK") return "sok";
    if (o.startsWith("TS")) return "ts";
    if (o.startsWith("wscale")) return "ws";
    return o; // nop, eol
  });
  return {
    ttl: Number(/(?:ttl|hlim) (\d+)/.exec(line)![1]),
    df: /flags \[DF\]/.test(line),
    mss: Number(/mss (\d+)/.exec(line)![1]),
    window: Number(/win (\d+)/.exec(line)![1]),
    scale: Number(/wscale (\d+)/.exec(line)?.[1] ?? 0),
    layout,
  };
}

Deno.test({
  name: "each preset's SYN, printed by tcpdump, is the p0f signature it cites" +
    (TCPDUMP ? "" : " (skipped: needs tcpdump)"),
  ignore: !TCPDUMP,
  async fn() {
    const packets = SYN_PRESET_OSES.map((os) =>
      encodePacket(makeTcpPacket(
        applySynPreset(
          {
            src: "192.0.2.42",
            dst: "192.0.2.1",
            srcPort: 40000,
            dstPort: 80,
            seq: 1,
          },
          os,
          { timestamp: 123 },
        ),
      ))
    );
    const lines = await tcpdumpText(packets);
    assert.equal(lines.length, SYN_PRESET_OSES.length);
    SYN_PRESET_OSES.forEach((os, i) => {
      const seen = shape(lines[i]!);
      const p0f = SYN_PRESETS[os].sources[0]!.text.split(":");
      const [wsize, scale] = p0f[4]!.split(",");
      assert.equal(seen.ttl, Number(p0f[1]), `${os} TTL`);
      assert.equal(seen.df, p0f[6]!.split(",").includes("df"), `${os} DF`);
      assert.equal(seen.scale, Number(scale), `${os} scale`);
      assert.deepEqual(
        seen.layout,
        p0f[5]!.replace("eol+1", "eol").split(","),
        `${os} layout`,
      );
      if (os !== "linux") {
        assert.equal(seen.window, Number(wsize), `${os} window`);
      }
      assert.equal(seen.mss, 1460);
      assert.match(lines[i]!, /Flags \[S\]/);
    });
    // macOS: eol+1 is 24 bytes of options, so a 64-byte IPv4 packet.
    assert.match(lines[SYN_PRESET_OSES.indexOf("macos")]!, /length 64\b/);
  },
});

Deno.test("synPresetFields() over IPv6: MSS 20 less, no DF, the hop limit", () => {
  for (const os of SYN_PRESET_OSES) {
    const fields = synPresetFields(os, { family: 6 });
    assert.deepEqual(fields.options[0], { kind: "mss", value: 1440 });
    assert.equal(fields.dontFragment, undefined);
    const packet = makeTcpPacket(
      applySynPreset(
        { src: "2001:db8::1", dst: "2001:db8::2", hopLimit: 3 },
        os,
      ),
    );
    assert.equal(
      packet.ip.version === 6 && packet.ip.hopLimit,
      SYN_PRESETS[os].ttl,
    );
  }
});

const gate = netnsTestGate("tcpdump", "/usr/bin/python3");

Deno.test({
  name:
    "the linux preset is the SYN of the kernel's own connect(), IPv4 and IPv6" +
    gate.suffix,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withNetwork(async (network) => {
      const { a, b } = network;
      // The kernel's default buffer limit, which decides the window scale
      // (this machine's may be raised, and namespaces inherit it).
      await network.run(a, [
        "sysctl",
        "-qw",
        "net.ipv4.tcp_rmem=4096 131072 6291456",
      ]);
      const rmemMax = Number(
        (await network.run(a, ["sysctl", "-n", "net.core.rmem_max"])).stdout,
      );
      // Linux: the scale is log2 of the larger of tcp_rmem[2] and rmem_max, less 15.
      const kernelScale = Math.max(
        0,
        Math.floor(Math.log2(Math.max(6291456, rmemMax))) - 15,
      );
      const listener = await network.listen(b, 7300, { lifetimeMs: 30_000 });
      const capture = await network.capture(
        a,
        a.ifaces[0]!,
        "tcp dst port 7300 and (tcp[tcpflags] == tcp-syn or ip6)",
        { count: 2, timeoutMs: 15_000 },
      );
      for (const target of [b.ipv4, b.ipv6]) {
        await network.run(a, [
          "/usr/bin/python3",
          "-c",
          `import socket; s = socket.create_connection(("${target}", 7300), 5); s.close()`,
        ]);
      }
      const kernel = joinLines((await capture.result()).join("\n"));
      await listener.close();
      const ours = await tcpdumpText([
        encodePacket(
          makeTcpPacket(
            applySynPreset(
              { src: a.ipv4, dst: b.ipv4, dstPort: 7300 },
              "linux",
            ),
          ),
        ),
        encodePacket(
          makeTcpPacket(
            applySynPreset(
              { src: a.ipv6, dst: b.ipv6, dstPort: 7300 },
              "linux",
            ),
          ),
        ),
      ]);
      assert.equal(kernel.length, 2, kernel.join("\n"));
      for (let i = 0; i < 2; i++) {
        const seen = shape(kernel[i]!);
        const expected = shape(ours[i]!);
        assert.deepEqual(
          { ...seen, scale: 0 },
          { ...expected, scale: 0 },
          `${kernel[i]}\n${ours[i]}`,
        );
        assert.equal(seen.scale, kernelScale);
        if (kernelScale === 7) assert.equal(expected.scale, 7);
      }
    });
  },
});
