"""scapy side of bench/encode_bench.ts: time N builds and N dissections of
the same IPv4 SYN (MSS, SACK permitted, timestamps, NOP, window scale) that
the Deno side encodes, and print one JSON line with packets per second.

Run with /usr/bin/python3 (python3-scapy): `_scapy_bench.py [N]`.
"""

import json
import sys
import time

from scapy.layers.inet import IP, TCP

OPTIONS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]


def build(seq):
    return bytes(
        IP(src="192.0.2.42", dst="192.0.2.1", id=1, ttl=64)
        / TCP(sport=40000, dport=80, seq=seq, flags="S", window=64240, options=OPTIONS)
    )


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    for i in range(200):  # warm up
        raw = build(i)
    start = time.perf_counter()
    for i in range(n):
        raw = build(i)
    built = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(n):
        pkt = IP(raw)
        pkt[TCP].options  # noqa: B018 (make sure the options are dissected)
    dissected = time.perf_counter() - start
    print(json.dumps({
        "packets": n,
        "buildPerSecond": n / built,
        "dissectPerSecond": n / dissected,
        "hex": raw.hex(),
    }))


if __name__ == "__main__":
    main()
