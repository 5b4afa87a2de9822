/**
 * The nmap state table. The live oracle is nmap itself, run against a
 * namespace in tests/cli_scan_test.ts; these tests pin the whole table,
 * including the replies a Linux peer never sends (a bare SYN, a RST with a
 * window), as nmap 7.9x's scan_engine_raw.cc and portreasons.cc read them.
 */

import assert from "node:assert/strict";
import {
  encodePacket,
  icmpReason,
  icmpVerdict,
  makeTcpPacket,
  noResponseVerdict,
  parseAddress,
  PORT_STATES,
  type Probe,
  ReplyMatcher,
  replyVerdict,
  SCAN_TYPE_FLAGS,
  SCAN_TYPES,
  type ScanType,
  TCP_FLAGS,
  tcpVerdict,
} from "../mod.ts";

const { fin, syn, rst, psh, ack, urg } = TCP_FLAGS;

Deno.test("SCAN_TYPE_FLAGS are nmap's probes: S, F, none, FPU, A, A, FA", () => {
  assert.deepEqual(SCAN_TYPE_FLAGS, {
    syn,
    fin,
    null: 0,
    xmas: fin | psh | urg,
    ack,
    window: ack,
    maimon: fin | ack,
  });
  assert.deepEqual([...SCAN_TYPES], [
    "syn",
    "fin",
    "null",
    "xmas",
    "ack",
    "window",
    "maimon",
  ]);
  assert.deepEqual([...PORT_STATES], [
    "open",
    "closed",
    "filtered",
    "unfiltered",
    "open|filtered",
  ]);
});

Deno.test("tcpVerdict() reads each reply as nmap does, per scan type", () => {
  // [scan, flags, window, state or undefined, reason]
  const table: [ScanType, number, number, string | undefined, string?][] = [
    ["syn", syn | ack, 64240, "open", "syn-ack"],
    ["syn", syn | ack | rst, 0, "open", "syn-ack"], // SYN+ACK is checked first
    ["syn", rst | ack, 0, "closed", "reset"],
    ["syn", rst, 0, "closed", "reset"],
    ["syn", syn, 1024, "open", "split-handshake-syn"],
    ["syn", ack, 0, undefined],
    ["fin", rst | ack, 0, "closed", "reset"],
    ["fin", syn | ack, 0, undefined],
    ["null", rst | ack, 0, "closed", "reset"],
    ["xmas", rst | ack, 0, "closed", "reset"],
    ["xmas", syn, 0, undefined],
    ["ack", rst, 0, "unfiltered", "reset"],
    ["ack", rst, 512, "unfiltered", "reset"],
    ["ack", syn | ack, 0, undefined],
    ["window", rst, 0, "closed", "reset"],
    ["window", rst, 1, "open", "reset"],
    ["window", rst | ack, 65535, "open", "reset"],
    ["window", ack, 512, undefined],
  ];
  for (const [scan, flags, window, state, reason] of table) {
    const verdict = tcpVerdict(scan, flags, window);
    const label = `${scan} flags 0x${flags.toString(16)} window ${window}`;
    if (state === undefined) assert.equal(verdict, undefined, label);
    else assert.deepEqual(verdict, { state, reason }, label);
  }
});

Deno.test("icmpVerdict() makes ICMP unreachable codes 0-3, 9, 10, 13 and time exceeded filtered", () => {
  const reasons: Record<number, string> = {
    0: "net-unreach",
    1: "host-unreach",
    2: "proto-unreach",
    3: "port-unreach",
    9: "net-prohibited",
    10: "host-prohibited",
    13: "admin-prohibited",
  };
  for (const scan of SCAN_TYPES) {
    for (let code = 0; code < 16; code++) {
      const verdict = icmpVerdict(scan, 4, 3, code);
      const reason = reasons[code];
      if (reason === undefined) {
        assert.equal(verdict, undefined, `${scan} 3/${code}`);
      } else {
        assert.deepEqual(
          verdict,
          { state: "filtered", reason },
          `${scan} 3/${code}`,
        );
      }
    }
    assert.deepEqual(icmpVerdict(scan, 4, 11, 0), {
      state: "filtered",
      reason: "time-exceeded",
    });
    assert.equal(icmpVerdict(scan, 4, 4, 0), undefined); // source quench
    assert.equal(icmpVerdict(scan, 4, 12, 0), undefined); // parameter problem
  }
});

Deno.test("icmpVerdict() reads ICMPv6 unreachable and parameter problem as nmap does", () => {
  const reasons = [
    "no-route",
    "admin-prohibited",
    "beyond-scope",
    "host-unreach",
    "port-unreach",
    "admin-prohibited",
    "reject-route",
  ];
  reasons.forEach((reason, code) => {
    assert.deepEqual(icmpVerdict("syn", 6, 1, code), {
      state: "filtered",
      reason,
    });
  });
  assert.equal(icmpVerdict("syn", 6, 1, 7), undefined);
  assert.deepEqual(icmpVerdict("syn", 6, 4, 0), {
    state: "open",
    reason: "param-problem",
  });
  assert.deepEqual(icmpVerdict("ack", 6, 4, 1), {
    state: "filtered",
    reason: "param-problem",
  });
  assert.equal(icmpVerdict("syn", 6, 4, 2), undefined);
  assert.equal(icmpVerdict("syn", 6, 3, 0), undefined); // time exceeded: not read
  assert.equal(icmpVerdict("syn", 6, 2, 0), undefined); // packet too big
});

Deno.test("icmpReason() names what nmap's icmp_to_reason names", () => {
  assert.equal(icmpReason(4, 3, 4), "dest-unreach");
  assert.equal(icmpReason(4, 0, 0), "echo-reply");
  assert.equal(icmpReason(4, 4, 0), "source-quench");
  assert.equal(icmpReason(4, 42, 0), "unknown-response");
  assert.equal(icmpReason(6, 1, 9), "dest-unreach");
  assert.equal(icmpReason(6, 3, 1), "time-exceeded");
  assert.equal(icmpReason(6, 129, 0), "echo-reply");
});

Deno.test("noResponseVerdict() is open|filtered for FIN, NULL, Xmas, Maimon and filtered otherwise", () => {
  for (const scan of SCAN_TYPES) {
    assert.deepEqual(noResponseVerdict(scan), {
      state: scan === "fin" || scan === "null" || scan === "xmas" ||
          scan === "maimon"
        ? "open|filtered"
        : "filtered",
      reason: "no-response",
    });
  }
});

function probe(flags: number, family: 4 | 6 = 4): Probe {
  return {
    id: 1,
    family,
    src: family === 4 ? "192.0.2.42" : "2001:db8::42",
    dst: family === 4 ? "192.0.2.1" : "2001:db8::1",
    srcPort: 50000,
    dstPort: 22,
    seq: 1000,
    ack: 5000,
    flags,
    payloadLength: 0,
    sentAt: 0,
  };
}

Deno.test("replyVerdict() reads matched TCP replies: RST to an ACK probe carries no ACK", () => {
  const matcher = new ReplyMatcher();
  matcher.add(probe(ack));
  const reset = encodePacket(makeTcpPacket({
    src: "192.0.2.1",
    dst: "192.0.2.42",
    srcPort: 22,
    dstPort: 50000,
    seq: 5000,
    ack: 0,
    flags: rst,
    window: 0,
  }));
  const reply = matcher.matchTcp(reset, 2);
  assert.ok(reply !== undefined);
  assert.deepEqual(replyVerdict("ack", reply), {
    state: "unfiltered",
    reason: "reset",
  });
  assert.deepEqual(replyVerdict("window", reply), {
    state: "closed",
    reason: "reset",
  });
});

Deno.test("replyVerdict() reads a matched ICMPv6 administratively prohibited as filtered", () => {
  const matcher = new ReplyMatcher();
  matcher.add(probe(syn, 6));
  const quoted = encodePacket(makeTcpPacket({
    src: "2001:db8::42",
    dst: "2001:db8::1",
    srcPort: 50000,
    dstPort: 22,
    seq: 1000,
    flags: syn,
  }));
  const icmp = new Uint8Array(8 + quoted.length);
  icmp[0] = 1; // destination unreachable
  icmp[1] = 1; // administratively prohibited
  icmp.set(quoted, 8);
  const datagram = new Uint8Array(40 + icmp.length);
  datagram[0] = 0x60;
  datagram[4] = icmp.length >> 8;
  datagram[5] = icmp.length & 0xff;
  datagram[6] = 58;
  datagram[7] = 64;
  datagram.set(parseAddress("2001:db8::1").bytes, 8);
  datagram.set(parseAddress("2001:db8::42").bytes, 24);
  datagram.set(icmp, 40);
  const reply = matcher.matchIcmp(datagram, 3, 6);
  assert.ok(reply !== undefined);
  assert.deepEqual(replyVerdict("syn", reply), {
    state: "filtered",
    reason: "admin-prohibited",
  });
});
