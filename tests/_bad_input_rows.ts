/**
 * The table of `tests/bad_input_test.ts`: command lines every command must
 * refuse, each with the exit code and the one line it must print.
 *
 * - exit 2, a usage error: the command line itself is wrong (a value out of
 *   range, of the wrong kind, empty, an unknown name, options that
 *   conflict, a file named that does not exist or is not a file). The line
 *   is `tcpcraft COMMAND: why`, followed by the fixed hint line
 *   `Try 'tcpcraft COMMAND --help'.`
 * - exit 1, a run-time error: the command line is fine but this run cannot
 *   do it (Deno withholds a permission, an interface does not exist, a name
 *   does not resolve, no route leads there, the bytes or the capture are
 *   damaged). The line is `error: why`.
 * - exit 0: a capture whose records are impossible is still explained, the
 *   record named for what it is (a zero-length record, an impossible
 *   original length) on the one line of `--brief`.
 *
 * The rows are lines of {@linkcode TABLE}; the number options, whose checks
 * the option table drives, get generated rows ({@linkcode numberRows}):
 * every number option of every command, one bad value each, the kinds
 * (negative, too large, not a number, empty, a fraction) taken in turn.
 *
 * @module
 */

import type { OptionSpec } from "../src/cli/args.ts";
import type { Command } from "../src/cli/command.ts";
import { COMMANDS } from "../src/cli/main.ts";

/** Where the rows run: the peer's addresses and the fixtures' folder. */
export interface RowContext {
  /** The peer's IPv4 address (namespace b). */
  peer: string;
  /** The peer's IPv6 address. */
  peer6: string;
  /** This namespace's IPv4 address (namespace a). */
  self: string;
  /** The folder of the fixtures ({@linkcode FIXTURES}). */
  dir: string;
}

/** One command line and what it must end with. */
export interface BadInputRow {
  /** The arguments after `cli.ts`. */
  args: string[];
  /** 2 usage, 1 run time, 0 explained (capture records). */
  code: 0 | 1 | 2;
  /** The line on standard error (exit 1 and 2) or standard output (exit 0). */
  line: RegExp;
  /** The `deno run` permission flags (default `-A`). */
  allow?: string[];
}

/** A SYN from 10.0.0.1:20 to 10.0.0.2:80, as `build` makes it. */
export const SYN_HEX =
  "4500002800010000400666cd0a0000010a000002001400500000000000000000500220007b7c0000";

const bytesOf = (hex: string) =>
  new Uint8Array(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
const text = (value: string) => new TextEncoder().encode(value);

/** Files the rows read, written by the test into {@linkcode RowContext.dir}. */
export const FIXTURES: Record<string, Uint8Array> = {
  "data.bin": new Uint8Array([1, 2, 3, 4, 5]),
  "empty": new Uint8Array(),
  // More payload than an IPv4 datagram can carry.
  "big.bin": new Uint8Array(70000),
  "garbage.pcap": text("this is not a capture file\n"),
  "short.pcap": pcapHeader().subarray(0, 10),
  // A record whose captured and original lengths are 0.
  "zero-record.pcap": concat(pcapHeader(), recordHeader(0, 0)),
  // The SYN, its record saying the frame was 4 GiB long.
  "huge-orig.pcap": concat(
    pcapHeader(),
    recordHeader(40, 0xffffffff),
    bytesOf(SYN_HEX),
  ),
  // A record that says 4 GiB were captured.
  "huge-incl.pcap": concat(
    pcapHeader(),
    recordHeader(0xffffffff, 0xffffffff),
    bytesOf(SYN_HEX),
  ),
  "bad.resume": text("{ not a resume file\n"),
  "targets-bad.txt": text("# targets\n300.1.2.3\n"),
  "exclude-bad.txt": text("10.0.0.0/33\n"),
};

function pcapHeader(): Uint8Array {
  const bytes = new Uint8Array(24);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 65535, true);
  view.setUint32(20, 101, true); // LINKTYPE_RAW
  return bytes;
}

function recordHeader(captured: number, original: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, captured, true);
  view.setUint32(12, original, true);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The rows, one a line: `EXIT PERMISSIONS COMMAND LINE => LINE`.
 *
 * - EXIT: 2 (the line follows `tcpcraft COMMAND: `), 1 (follows
 *   `error: `) or 0 (standard output, as it is).
 * - PERMISSIONS: `A` (`-A`), `none`, `A-ffi-write` (every permission but
 *   these), or flags separated by commas (`--allow-read=DIR/folder`).
 * - COMMAND LINE: words separated by spaces; `'…'` quotes one word (`''` is
 *   the empty one); PEER, PEER6, SELF, DIR and SYN stand for the peer's
 *   addresses, this namespace's, the fixtures' folder and a SYN in hex.
 * - LINE: a regular expression, anchored at the start.
 *
 * Messages that depend on the command line (paths, addresses) are matched
 * loosely; the rest word for word.
 */
const TABLE = String.raw`
# Values of the packet options (build, send, probe, trace: see packetRows)
2 A send PEER --frag 8 --mtu 100             => --mtu: conflicts with --frag; give one$
2 A send PEER --mtu 20                       => --mtu: 20 bytes leave no room for 8 bytes of data after each fragment's 20-byte header$
2 A probe PEER --frag 7                      => --frag: 7 is not a multiple of 8 bytes of at least 8
2 A build PEER --src SELF --frag-order 0,1   => --frag-order: "0" is out of range \(1\.\.8192\)$
2 A send PEER --frag-order sideways          => --frag-order: "sideways" is not in-order, reverse, random or a list
2 A send PEER --frag 8 --frag-order 9        => --frag-order: there is no fragment 9: the datagram makes 3 fragments$
2 A probe PEER --frag 8 --frag-dup 4         => --frag-dup: there is no fragment 4: the datagram makes 3 fragments$
2 A build PEER --src SELF --frag-overlap middle --frag 8 => --frag-overlap: "middle" is not one of first, last$
2 A send PEER --frag-order reverse           => --frag-order: needs --frag SIZE or --mtu BYTES$
2 A send PEER --frag-drop-last               => --frag-drop-last: needs --frag SIZE or --mtu BYTES$
2 A probe PEER --frag-tiny 8                 => --frag-tiny: needs --frag SIZE or --mtu BYTES$
2 A build PEER --src SELF --frag 8 --df      => --frag: the packet has DF set
2 A send PEER --frag 8 --frag-id 5           => --frag-id: applies to IPv6 only
2 A build PEER --src SELF --ip-opt rr=0      => --ip-opt: "rr=0": rr takes 1 to 9 addresses
2 A send PEER --ip-opt bogus                 => --ip-opt: "bogus": unknown IPv4 option; use
2 A probe PEER --ip-opt ''                   => --ip-opt: 
2 A build PEER --src SELF --ext hbh          => --ext: applies to IPv6 only, and TARGET [0-9.]+ is IPv4 \(use --ip-opt\)$
2 A send PEER6 --ext bogus                   => --ext: "bogus": unknown extension header; use
2 A probe PEER --rand-dest 10.0.0.0/33       => --rand-dest: "10\.0\.0\.0/33" is not a CIDR block
2 A build --rand-dest 10.0.0.0/33 --src SELF => --rand-dest: "10\.0\.0\.0/33" is not a CIDR block
2 A send --rand-dest ''                      => --rand-dest: "" is not a CIDR block
2 A send PEER --frag-overlap middle --frag 8 => --frag-overlap: "middle" is not one of first, last$
2 A probe PEER --frag-overlap first          => --frag-overlap: needs --frag SIZE or --mtu BYTES$
2 A probe PEER --frag 8 --frag-order sideways => --frag-order: "sideways" is not in-order, reverse, random or a list
2 A probe PEER6 --ext hbh=padn=300          => --ext: "hbh=padn=300": padn "300" is out of range \(0\.\.255\)$
2 A send PEER --rand-source 10.0.0.0/40      => --rand-source: "10\.0\.0\.0/40" is not a CIDR block
2 A send PEER --rand-source 10.0.0.0/8 --src SELF => --rand-source: conflicts with --src; give one$
2 A build PEER --rand-source 10.0.0.0/8 --src SELF => --rand-source: conflicts with --src; give one$
2 A probe PEER --rand-source                 => --rand-source: replies to a drawn source address go to that address
2 A send PEER --hop-limit 1                  => --hop-limit: applies to IPv6 only, and TARGET [0-9.]+ is IPv4 \(use --ttl\)$
2 A send PEER6 --ttl 1                       => --ttl: applies to IPv4 only, and TARGET fd00:200::2 is IPv6 \(use --hop-limit\)$
2 A probe PEER6 --id 5                       => --id: applies to IPv4 only
2 A build PEER --src SELF --flow-label 5     => --flow-label: applies to IPv6 only
2 A build PEER --src SELF -p http            => --dport: "http" is not a port \(0\.\.65535\)$
2 A probe PEER -p ''                         => --dport: "" is not a port \(0\.\.65535\)$
2 A send PEER -p ++70000                     => --dport: "70000" is not a port \(0\.\.65535\)$
2 A trace PEER -p ++80                       => --dport: "\+\+80" is not a port \(0\.\.65535\)$
2 A send PEER --sport-step 1 --frag 8        => --sport-step: steps are patched into one encoded packet
2 A build PEER --src SELF -o sack=1-2,3-4,5-6,7-8,9-10 => --option: the options take 42 bytes, more than the 40 a TCP header holds
2 A send PEER --md5-key k --ao-key k         => --ao-key: conflicts with --md5-key; a segment carries one signature$
2 A build PEER --src SELF --data-file DIR/big.bin => --data-file: 70000 bytes of data make a 70040-byte IPv4 datagram, more than 65535$
2 A send PEER --dry-run --src SELF --data-file DIR/big.bin => --data-file: 70000 bytes of data make a 70040-byte IPv4 datagram
2 A build PEER --src SELF --data-file ''     => --data-file: the file name is empty$
# Targets
2 A build                                    => missing TARGET \(an IPv4 or IPv6 address, not a host name
2 A build '' --src SELF                      => TARGET: empty; give an IPv4 or IPv6 address$
2 A build example.com --src SELF             => TARGET: "example\.com" is a host name; give an IPv4 or IPv6 address \(this command resolves no names\)$
2 A build PEER:70000 --src SELF              => TARGET: "[0-9.]+:70000": "70000" is not a port \(0\.\.65535\)$
2 A build PEER --src fd00:200::1             => --src: fd00:200::1 is IPv6 but TARGET [0-9.]+ is IPv4$
2 A build PEER PEER --src SELF               => unexpected argument "[0-9.]+"; only TARGET is expected$
2 A send                                     => missing TARGET
2 A send ''                                  => TARGET: empty; give an IPv4 or IPv6 address or a host name$
2 A send PEER:-1                             => TARGET: "[0-9.]+:-1": "-1" is not a port
2 A send PEER --src PEER6                    => --src: fd00:200::2 is IPv6 but TARGET [0-9.]+ is IPv4$
2 A send PEER -4 -6                          => -4: conflicts with -6; give one$
2 A send PEER6 -4                            => -4: TARGET fd00:200::2 is an IPv6 address$
2 A probe                                    => missing TARGET
2 A probe 10.0.0.0/24                        => TARGET: cannot parse address "10\.0\.0\.0/24"
2 A probe PEER -4 -6                         => -4: conflicts with -6; give one$
2 A trace                                    => missing TARGET
2 A trace [fd00:200::2                       => TARGET: "\[fd00:200::2" has "\[" without "\]"$
2 A trace PEER -6                            => -6: TARGET [0-9.]+ is an IPv4 address$
1 A send nonexistent.invalid                 => Cannot resolve host "nonexistent\.invalid": [^"]*$
1 A probe nonexistent.invalid                => Cannot resolve host "nonexistent\.invalid": [^"]*$
1 A trace nonexistent.invalid                => Cannot resolve host "nonexistent\.invalid": [^"]*$
1 A scan nonexistent.invalid -p 9            => Cannot resolve host "nonexistent\.invalid": [^"]*$
1 A send 192.0.2.1 --src SELF                => Cannot find a source address for 192\.0\.2\.1: network is unreachable \(ENETUNREACH\); no route leads
1 A send 192.0.2.1 --dry-run                 => Cannot find the source address for 192\.0\.2\.1 \(give --src ADDR to print the packets without asking\): network is unreachable
1 A probe 192.0.2.1                          => Cannot probe 192\.0\.2\.1: network is unreachable \(ENETUNREACH\); no route leads
1 A trace 192.0.2.1                          => Cannot trace 192\.0\.2\.1: network is unreachable \(ENETUNREACH\); no route leads
1 A scan 192.0.2.1 -p 9                      => Cannot find a source address for 192\.0\.2\.1: network is unreachable \(ENETUNREACH\); no route leads
# send
2 A send PEER -i -1s                         => --interval: "-1s" is not a duration
2 A send PEER -i fast                        => --interval: "fast" is not a duration
2 A send PEER -i ''                          => --interval: "" is not a duration
2 A send PEER --rate 0                       => --rate: "0" is not a rate \(packets per second above 0, at most 1000000; faster: --flood\)$
2 A send PEER --rate -5                      => --rate: "-5" is not a rate
2 A send PEER --rate 10 -i 1s                => --rate: conflicts with --interval; give one$
2 A send PEER --flood --rate 10              => --flood: needs --count
2 A send PEER --flood -c 5 --rate 10         => --flood: conflicts with --rate; give one$
2 A send PEER --format xml                   => --format: "xml" is not one of text, hex, json$
2 A send PEER --format ''                    => --format: "" is not one of text, hex, json$
2 A send PEER --pcap DIR/missing/out.pcap    => --pcap: cannot write ".*": no such file or directory$
2 A send PEER --pcap DIR/folder              => --pcap: cannot write ".*": it is a directory$
2 A send PEER --pcap ''                      => --pcap: the file name is empty$
2 A send PEER -I ''                          => --interface: the interface name is empty$
2 A send PEER -I eth0:1                      => --interface: "eth0:1" is not an interface name
1 A send PEER -I nosuch0                     => Cannot send on nosuch0 to [0-9.]+: no interface nosuch0$
2 A send PEER -q --bogus                     => unknown option --bogus$
# probe
2 A probe PEER -i 0                          => --interval: "0" is out of range \(1ms\.\.24h\)$
2 A probe PEER -i soon                       => --interval: "soon" is not a duration
2 A probe PEER --timeout -1s                 => --timeout: "-1s" is not a duration
2 A probe PEER --timeout ''                  => --timeout: "" is not a duration
2 A probe PEER --format csv                  => --format: "csv" is not one of text, json, ndjson$
2 A probe PEER --pcap DIR/missing/out.pcap   => --pcap: cannot write ".*": no such file or directory$
2 A probe PEER --dry-run                     => unknown option --dry-run$
# trace
2 A trace PEER --first-hop 10 -m 5           => --first-hop: 10 is above --max-hops 5$
2 A trace PEER --timeout forever             => --timeout: "forever" is not a duration
2 A trace PEER --format ndjson               => --format: "ndjson" is not one of text, json \(did you mean json\?\)$
2 A trace PEER --pcap DIR/missing/out.pcap   => --pcap: cannot write ".*": no such file or directory$
2 A trace PEER --ttl 5                       => --ttl: trace sets the TTL of each probe itself
2 A trace PEER --md5-key k                   => unknown option --md5-key$
# scan
2 A scan PEER                                => missing -p/--ports
2 A scan -p 9                                => missing TARGETS \(addresses, blocks, ranges or names; or --targets-file\)$
2 A scan PEER -p ''                          => --ports: cannot parse ports "": the list is empty$
2 A scan PEER -p 70000                       => --ports: cannot parse ports "70000": 70000 is not a port \(0\.\.65535\)$
2 A scan PEER -p 9-1                         => --ports: cannot parse ports "9-1": the range 9-1 ends before it starts$
2 A scan PEER -p 1-2-3                       => --ports: cannot parse ports "1-2-3"
2 A scan PEER -p ,                           => --ports: cannot parse ports ",": an empty item between commas$
2 A scan PEER -p nosuchservice               => --ports: cannot parse ports "nosuchservice"
2 A scan '' -p 9                             => TARGETS: cannot parse target "": it is empty$
2 A scan PEER:80 -p 9                        => TARGETS: cannot parse target "[0-9.]+:80": a target takes no port; the ports are given apart \(-p 80\)$
2 A scan 10.200.0.0/33 -p 9                  => TARGETS: cannot parse target "10\.200\.0\.0/33": prefix "33" is not a number in 0\.\.32$
2 A scan fd00::/64 -p 9                      => TARGETS: cannot parse target "fd00::/64": 2\^64 addresses, more than the 2\^24
2 A scan 10.200.0.9-10.200.0.1 -p 9          => TARGETS: cannot parse target "10\.200\.0\.9-10\.200\.0\.1": the range ends before it starts$
2 A scan PEER -p 9 --scan stealth            => --scan: "stealth" is not one of syn, fin, null, xmas, ack, window, maimon, connect$
2 A scan PEER -p 9 --scan connect -f SA      => --flags: does not apply to --scan connect
2 A scan PEER -p 9 --banners --scan fin      => --banners: needs a SYN or connect scan
2 A scan PEER -p 9 -T 6                      => --timing: "6" is not a timing template
2 A scan PEER -p 9 -T fast                   => --timing: "fast" is not a timing template
2 A scan PEER -p 9 --min-rate -1             => --min-rate: "-1" is not a rate
2 A scan PEER -p 9 --max-rate 0              => --max-rate: "0" is not a rate \(packets per second above 0, at most 1000000\)$
2 A scan PEER -p 9 --min-rate 100 --max-rate 10 => --min-rate: above --max-rate$
2 A scan PEER -p 9 --host-timeout x          => --host-timeout: "x" is not a duration
2 A scan PEER -p 9 --initial-rtt-timeout -1ms => --initial-rtt-timeout: "-1ms" is not a duration
2 A scan PEER -p 9 --min-rtt-timeout 2s --max-rtt-timeout 1s => --min-rtt-timeout: above the greatest RTT timeout
2 A scan PEER -p 9 --scan-delay ''           => --scan-delay: "" is not a duration
2 A scan PEER -p 9 --timeout 0               => --timeout: "0" is out of range \(1ms\.\.1m\)$
2 A scan PEER -p 9 --rate fast               => --rate: "fast" is not a rate \(packets per second above 0, at most 1000000\)$
2 A scan PEER -p 9 --rate 100 -T 4           => -T: conflicts with --rate
2 A scan PEER -p 9 --seed -1                 => --seed: cannot parse seed "-1": expected an integer from 0 to
2 A scan PEER -p 9 --shard 1/2               => --shard: needs --seed \(every shard must walk the same order\)$
2 A scan PEER -p 9 --seed 1 --shard 3/2      => --shard: cannot parse shard "3/2": the shard index 3 must be 1\.\.2$
2 A scan PEER -p 9 --seed 1 --shard 0/0      => --shard: cannot parse shard "0/0": the number of shards must be at least 1$
2 A scan PEER -p 9 --format xml              => --format: "xml" is not one of nmap, table, json, ndjson, csv$
2 A scan PEER -p 9 --src fd00:200::1         => TARGETS: "[0-9.]+" is IPv4, but only IPv6 is scanned
2 A scan PEER -p 9 -6 --src SELF             => --src: [0-9.]+ is IPv4, but -6 was given$
2 A scan PEER -p 9 --src ''                  => --src: cannot parse address ""
2 A scan PEER -p 9 --os amiga                => --os: "amiga" is not one of linux, windows, macos, freebsd$
2 A scan PEER -p 9 -4 -6                     => -4: conflicts with -6; give one$
2 A scan PEER -p 9 --progress --no-progress  => --progress: conflicts with --no-progress; give one$
2 A scan PEER -p 9 --exclude 10.0.0.0/33     => --exclude: cannot parse target "10\.0\.0\.0/33"
2 A scan PEER -p 9 --exclude ''              => --exclude: cannot parse target list "": it is empty$
2 A scan PEER -p 9 --exclude PEER            => TARGETS: every target is excluded; nothing to scan$
2 A scan PEER -p 9 --targets-file DIR/missing/t.txt => --targets-file: cannot read ".*": no such file or directory$
2 A scan PEER -p 9 --targets-file DIR/folder => --targets-file: cannot read ".*": it is a directory$
2 A scan PEER -p 9 --targets-file DIR/targets-bad.txt => --targets-file: cannot parse target "300\.1\.2\.3"
2 A scan PEER -p 9 --targets-file ''         => --targets-file: the file name is empty$
2 A scan PEER -p 9 --exclude-file DIR/exclude-bad.txt => --exclude-file: cannot parse target "10\.0\.0\.0/33"
2 A scan PEER -p 9 --exclude-file DIR/missing/e.txt => --exclude-file: cannot read ".*": no such file or directory$
2 A scan PEER -p 9 --output-xml DIR/missing/o.xml => -oX: cannot write ".*": no such file or directory$
2 A scan PEER -p 9 -oN DIR/folder            => -oN: cannot write ".*": it is a directory$
2 A scan PEER -p 9 --output-normal DIR/folder => -oN: cannot write ".*": it is a directory$
2 A scan PEER -p 9 --output-grepable ''      => --output-grepable: the file name is empty$
2 A scan PEER -p 9 --output-all DIR/missing/base => -oA: cannot write ".*/base\.nmap": no such file or directory$
2 A scan PEER -p 9 --pcap DIR/missing/o.pcap => --pcap: cannot write ".*": no such file or directory$
2 A scan PEER -p 9 --dry-run --pcap DIR/o.pcap => --pcap: conflicts with --dry-run, which sends nothing to capture$
2 A scan PEER -p 9 --resume-file DIR/missing/r => --resume-file: cannot write ".*": no such file or directory$
2 A scan --resume DIR/missing/r              => --resume: cannot resume from ".*": the file does not exist$
2 A scan --resume DIR/bad.resume             => --resume: cannot resume from ".*": the file is corrupt
2 A scan --resume DIR/empty                  => --resume: cannot resume from ".*": the file is empty
2 A scan --resume DIR/bad.resume PEER -p 9   => --resume: cannot resume from ".*": the file is corrupt
2 A scan --resume ''                         => --resume: the file name is empty$
2 A scan PEER -p 9 -I ''                     => --interface: the interface name is empty$
1 A scan PEER -p 9 -I nosuch0                => Cannot send on nosuch0 to [0-9.]+: no interface nosuch0$
# listen
2 A listen --host 10.0.0.0/33                => --host: "10\.0\.0\.0/33": the prefix length must be 0\.\.32 for IPv4$
2 A listen --src ''                          => --src: "" is not an address or CIDR block$
2 A listen --dst nowhere                     => --dst: "nowhere" is not an address or CIDR block$
2 A listen -p 70000                          => --port: cannot parse ports "70000": 70000 is not a port \(0\.\.65535\)$
2 A listen --sport 9-1                       => --sport: cannot parse ports "9-1": the range 9-1 ends before it starts$
2 A listen --dport ''                        => --dport: cannot parse ports "": the list is empty$
2 A listen -f Q                              => --flags: cannot parse flags "Q"
2 A listen --without-flags bogus             => --without-flags: cannot parse flags "bogus"
2 A listen -f S --without-flags SA           => --without-flags: S is also in --flags; no packet has a flag both set and clear$
2 A listen --host PEER6 -4                   => --host: fd00:200::2 is IPv6, but -4 leaves only IPv4; no packet can match$
2 A listen --src SELF --dst PEER6            => --dst: fd00:200::2 is IPv6, but --src leaves only IPv4; no packet can match$
2 A listen -4 -6                             => -4 and -6 exclude each other: give one or neither$
2 A listen --timeout -1s                     => --timeout: "-1s" is not a duration
2 A listen --format hex                      => --format: "hex" is not one of text, ndjson, json$
2 A listen --pcap DIR/missing/l.pcap         => --pcap: cannot write ".*": no such file or directory$
2 A listen PEER                              => unexpected argument "[0-9.]+"$
2 A listen -I ''                             => --interface: the interface name is empty$
2 A listen -I a/b                            => --interface: "a/b" is not an interface name
1 A listen -I nosuch0 -c 1                   => Cannot sniff on interface "nosuch0": there is no such interface \(see ip link\)$
# explain
2 A explain                                  => standard input holds no hex bytes$
2 A explain zz                               => HEX: cannot parse hex bytes "zz": "z" is not a hex digit$
2 A explain ''                               => HEX: no hex bytes given$
1 A explain 45                               => Cannot decode IPv4 header: 
2 A explain SYN --pcap DIR/garbage.pcap      => --pcap: conflicts with the HEX argument
2 A explain --pcap DIR/missing/x.pcap        => --pcap: cannot read ".*": no such file or directory$
2 A explain --pcap DIR/folder                => --pcap: cannot read ".*": it is a directory$
2 A explain --pcap ''                        => --pcap: the file name is empty$
1 A explain --pcap DIR/empty                 => Cannot decode capture file: magic number at byte 0 is truncated: 0 bytes, expected 4$
1 A explain --pcap DIR/garbage.pcap          => Cannot decode capture file: magic number 0x74686973 at byte 0 is neither pcap
1 A explain --pcap DIR/short.pcap            => Cannot decode pcap file: file header at byte 0 is truncated: 10 bytes, expected 24$
1 A explain --pcap DIR/huge-incl.pcap        => Cannot decode pcap file: captured length 4294967295 at byte 32 is more than the maximum \d+$
0 A explain --pcap DIR/zero-record.pcap --brief => 1 \[an empty record \(0 bytes\): skipped\]$
0 A explain --pcap DIR/huge-orig.pcap --brief => 1 IP 10\.0\.0\.1\.20 > 10\.0\.0\.2\.80: .* \[original length 4294967295 at byte 36 is impossible: no link carries a frame of more than \d+ bytes\]
1 A explain --pcap DIR/huge-orig.pcap --index 2 => --index 2: the capture has only 1 packet$
2 A explain --pcap DIR/huge-orig.pcap --tcp  => --tcp: a capture holds whole packets
2 A explain SYN --index 1                    => --index: only for the packets of a capture
2 A explain SYN --src SELF                   => --src: only with --tcp \(an IP datagram carries its own addresses\)$
2 A explain SYN --tcp --src SELF             => --dst: missing; the pseudo-header needs both --src and --dst$
2 A explain SYN --tcp --src SELF --dst PEER6 => --dst: fd00:200::2 is IPv6 but --src [0-9.]+ is IPv4$
2 A explain SYN --dst nowhere                => --dst: cannot parse address "nowhere"
2 A explain SYN --filter 'colour blue'       => --filter: unknown term "colour"
2 A explain SYN --filter ''                  => --filter: empty filter
2 A explain SYN --format ndjson              => --format: "ndjson" is not one of text, json \(did you mean json\?\)$
2 A explain SYN --html DIR/missing/p.html    => --html: cannot write ".*": no such file or directory$
2 A explain SYN --html DIR/p.html --format json => --html: conflicts with --format json; the page is the output$
2 A explain SYN --html DIR/p.html --brief    => --html: conflicts with --brief
2 A explain SYN --md5-key ''                 => --md5-key: the key is empty$
2 A explain SYN --ao-key hex:0               => --ao-key: cannot parse hex bytes "0": odd number of hex digits \(1\)$
2 A explain SYN --ao-alg md5                 => --ao-alg: "md5" is not one of hmac-sha-1-96, aes-128-cmac-96$
2 A explain SYN --ao-isn x:y                 => --ao-isn: "x" is not an integer
# build
2 A build PEER --src SELF --format pcap      => --format: "pcap" is not one of text, hex, json$
2 A build PEER --src SELF --pcap DIR/missing/b.pcap => --pcap: cannot write ".*": no such file or directory$
2 A build PEER --src SELF --pcap -           => --pcap: give a file name; a capture is not written to standard output$
2 A build PEER --src SELF --html DIR/folder  => --html: cannot write ".*": it is a directory$
2 A build PEER --src SELF --html ''          => --html: the file name is empty$
# completions, and no command at all
2 A                                          => missing command \(one of build, send, explain, probe, scan, trace, listen, completions\)$
2 A sned                                     => unknown command "sned" \(did you mean send\?\)$
2 A --bogus                                  => unknown option --bogus; options go after the command$
2 A help bogus                               => unknown command "bogus"$
2 A completions                              => missing SHELL \(bash, zsh or fish\)$
2 A completions powershell                   => SHELL: "powershell" is not one of bash, zsh, fish$
2 A completions bash zsh                     => unexpected argument "zsh"; only SHELL is expected$
2 A completions bash --bogus                 => unknown option --bogus$
# Permissions Deno withholds: said as that, before anything else
1 A-ffi send PEER --src SELF                 => Cannot send packets: Deno needs --allow-ffi \(run: deno run --allow-ffi cli\.ts \.\.\.\)$
1 none send PEER                             => Cannot send packets: Deno needs --allow-ffi \(
1 A-ffi-write send PEER --pcap DIR/p.pcap    => Cannot send packets: Deno needs --allow-ffi and --allow-write \(run: deno run --allow-ffi --allow-write cli\.ts \.\.\.\)$
1 A-write send PEER --dry-run --src SELF --pcap DIR/p.pcap => Cannot make the packets: Deno needs --allow-write \(
1 --allow-read=DIR/folder send PEER --dry-run --src SELF --data-file DIR/data.bin => Cannot make the packets: Deno needs --allow-read \(
1 A-ffi probe PEER --src SELF                => Cannot probe: Deno needs --allow-ffi \(
1 A-write probe PEER --pcap DIR/p.pcap       => Cannot probe: Deno needs --allow-write \(
1 none probe PEER --data-file DIR/data.bin   => Cannot probe: Deno needs --allow-ffi and --allow-read \(
1 A-ffi trace PEER --src SELF                => Cannot trace: Deno needs --allow-ffi \(
1 A-write trace PEER --pcap DIR/p.pcap       => Cannot trace: Deno needs --allow-write \(
1 A-ffi scan PEER -p 9                       => Cannot scan: Deno needs --allow-ffi \(
1 none scan PEER -p 9 --src SELF             => Cannot scan: Deno needs --allow-ffi \(
1 --allow-net scan nonexistent.invalid -p 9 --scan connect => Cannot scan: Deno needs --allow-ffi \(
1 A-net scan PEER -p 9 --scan connect        => Cannot scan: Deno needs --allow-net \(run: deno run --allow-net cli\.ts \.\.\.\)$
1 A-write scan PEER -p 9 -oX DIR/p.xml       => Cannot scan: Deno needs --allow-write \(
1 A-read scan PEER -p 9 --targets-file DIR/data.bin => Cannot scan: Deno needs --allow-read \(
1 A-read scan --resume DIR/bad.resume        => Cannot scan: Deno needs --allow-read \(
1 none scan PEER -p 9 --dry-run --exclude-file DIR/data.bin => Cannot scan: Deno needs --allow-read \(
1 A-ffi listen -c 1                          => Cannot listen: Deno needs --allow-ffi \(
1 A-write listen -c 1 --pcap DIR/p.pcap      => Cannot listen: Deno needs --allow-write \(
1 A-read explain --pcap DIR/zero-record.pcap => Cannot explain: Deno needs --allow-read \(run: deno run --allow-read cli\.ts \.\.\.\)$
1 --allow-read=DIR/folder explain --pcap DIR/zero-record.pcap => Cannot explain: Deno needs --allow-read \(
1 none explain SYN --html DIR/p.html         => Cannot explain: Deno needs --allow-write \(
1 none build PEER --src SELF --pcap DIR/p.pcap => Cannot build: Deno needs --allow-write \(run: deno run --allow-write cli\.ts \.\.\.\)$
1 --allow-write=DIR/folder build PEER --src SELF --html DIR/p.html => Cannot build: Deno needs --allow-write \(
1 none build PEER --src SELF --data-file DIR/data.bin => Cannot build: Deno needs --allow-read \(
`;

/** The words of a command line; `'…'` quotes one word. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** Every permission flag but the ones named (`A-ffi-write`). */
function permissions(spec: string, c: RowContext): string[] | undefined {
  if (spec === "A") return undefined;
  if (spec === "none") return [];
  if (spec.startsWith("A-")) {
    const missing = spec.slice(2).split("-").map((name) => `--allow-${name}`);
    return [
      "--allow-ffi",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-sys",
    ].filter((flag) => !missing.includes(flag));
  }
  return spec.split(",").map((flag) => flag.replaceAll("DIR", c.dir));
}

/**
 * The rows of {@linkcode TABLE}, and for the packet commands one row per
 * shared option value of {@linkcode PACKET_VALUES}.
 *
 * @param c Where the rows run.
 * @returns The rows.
 */
export function tableRows(c: RowContext): BadInputRow[] {
  const stand: Record<string, string> = {
    PEER: c.peer,
    PEER6: c.peer6,
    SELF: c.self,
    SYN: SYN_HEX,
  };
  const rows: BadInputRow[] = [];
  const lines = TABLE.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of [...lines, ...packetLines()]) {
    const match = /^([012]) (\S+) (.*?)\s*=> (.*)$/.exec(line);
    if (match === null) throw new Error(`Bad row: ${line}`);
    const [, code, allow, command, pattern] = match;
    const args = words(command!).map((word) =>
      (stand[word] ?? word).replace(
        /^(PEER|DIR)\b/,
        (w) => w === "PEER" ? c.peer : c.dir,
      )
    );
    const prefix = code === "0"
      ? "^"
      : code === "1"
      ? "^error: "
      : COMMANDS.some((command) => command.name === args[0])
      ? `^tcpcraft ${args[0]}: `
      : "^tcpcraft: ";
    const granted = permissions(allow!, c);
    rows.push({
      args,
      code: Number(code) as 0 | 1 | 2,
      line: new RegExp(prefix + pattern),
      ...(granted === undefined ? {} : { allow: granted }),
    });
  }
  return rows;
}

/** Values of the options build, send, probe and trace share, each refused by all four. */
const PACKET_VALUES = String.raw`
--src ''                   => --src: cannot parse address "": expected an IPv4 address
--src 10.0.0.256           => --src: cannot parse IPv4 address "10\.0\.0\.256": part 4 is 256, must be 0\.\.255$
--src not-an-address       => --src: cannot parse address "not-an-address"
-f Q                       => --flags: cannot parse flags "Q": use names
-f ''                      => --flags: cannot parse flags "": empty
--os beos                  => --os: "beos" is not one of linux, windows, macos, freebsd$
-o mss=70000               => --option: "mss=70000": mss value "70000" is out of range \(0\.\.65535\)$
-o bogus=1                 => --option: "bogus=1": unknown TCP option; use
-o ''                      => --option: "": unknown TCP option; use
-o wscale=-1               => --option: "wscale=-1": wscale shift "-1" is out of range
--data-hex zz              => --data-hex: cannot parse hex bytes "zz": "z" is not a hex digit$
--data-file DIR/missing/f  => --data-file: cannot read ".*": no such file or directory$
--data-file DIR/folder     => --data-file: cannot read ".*": it is a directory$
--data x --data-hex 00     => --data-hex: conflicts with --data; give one data source$
--ip-options zz            => --ip-options: cannot parse hex bytes "zz"
--ip-options ${
  "00".repeat(41)
} => --ip-options: 41 bytes, more than the 40 an IPv4 header holds$
--md5-key ''               => --md5-key: the key is empty$
--ao-key hex:zz            => --ao-key: cannot parse hex bytes "zz"
--ao-alg sha256            => --ao-alg: "sha256" is not one of hmac-sha-1-96, aes-128-cmac-96$
--ao-isn 1                 => --ao-isn: "1" is not LOCAL:REMOTE
--bogus                    => unknown option --bogus$
--ttl                      => --ttl: missing value \(N\)$
`;

/** {@linkcode PACKET_VALUES} as table lines for each packet command that has the option. */
function packetLines(): string[] {
  const lines: string[] = [];
  for (const command of ["build", "send", "probe", "trace"]) {
    const target = command === "build" ? "PEER --src SELF" : "PEER";
    for (const line of PACKET_VALUES.split("\n").filter((l) => l !== "")) {
      const [given, pattern] = line.split(/\s*=> /);
      // trace signs nothing: it has no --md5-key or --ao-*.
      if (!takes(command, words(given!)[0]!)) continue;
      lines.push(`2 A ${command} ${target} ${given} => ${pattern}`);
    }
  }
  return lines;
}

/** Whether a command has an option (`--md5-key`, `-o`); unknown ones count as had. */
function takes(command: string, flag: string): boolean {
  if (flag === "--bogus") return true;
  const options = COMMANDS.find((c) => c.name === command)?.options ?? {};
  return Object.entries(options).some(([key, spec]) =>
    flag === `--${longName(key, spec)}` ||
    (spec.short !== undefined && flag === `-${spec.short}`)
  );
}

/** The long option of a key of an option table. */
export function longName(key: string, spec: OptionSpec): string {
  return spec.long ?? key.replace(/[A-Z]/g, (l) => `-${l.toLowerCase()}`);
}

/** What each command needs before a bad number option: its TARGET and so on. */
function baseArgs(command: string, c: RowContext): string[] {
  switch (command) {
    case "build":
      return [c.peer, "--src", c.self];
    case "scan":
      return [c.peer, "-p", "9"];
    case "explain":
      return [SYN_HEX];
    case "listen":
      return [];
    default:
      return [c.peer];
  }
}

const BAD_NUMBER_KINDS = ["negative", "large", "word", "empty", "fraction"];

/** A bad value of a kind for a number option. */
function badNumber(
  spec: OptionSpec & { kind: "number" },
  kind: string,
): string {
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  switch (kind) {
    case "negative":
      return min === 0 ? "-1" : String(min - 1);
    case "large":
      return max >= Number.MAX_SAFE_INTEGER ? "1e999" : String(max + 1);
    case "word":
      return "twelve";
    case "empty":
      return "";
    default:
      return "1.5";
  }
}

/**
 * A row for every number option of every command (see the module
 * documentation): `--flag: "VALUE" is …`, exit 2.
 *
 * @param commands The registry.
 * @param c Where the rows run.
 * @returns The rows.
 */
export function numberRows(
  commands: readonly Command[],
  c: RowContext,
): BadInputRow[] {
  const rows: BadInputRow[] = [];
  let turn = 0;
  for (const command of commands) {
    for (const [key, spec] of Object.entries(command.options ?? {})) {
      if (spec.kind !== "number") continue;
      const long = longName(key, spec);
      const value = badNumber(spec, BAD_NUMBER_KINDS[turn++ % 5]!);
      rows.push({
        args: [command.name, ...baseArgs(command.name, c), `--${long}`, value],
        code: 2,
        line: new RegExp(
          `^tcpcraft ${command.name}: --${long}: "${
            value.replace(/[.+]/g, "\\$&")
          }" is (not an integer|not a port|out of range) \\(`,
        ),
      });
    }
  }
  return rows;
}
