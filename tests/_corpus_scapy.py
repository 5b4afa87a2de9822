"""Crafted captures for the tcpdump comparison corpus
(tests/_tcpdump_corpus.ts), made by scapy 2.5, independent of tcpcraft:

    _corpus_scapy.py OUT_PREFIX SEED COUNT

writes OUT_PREFIX_eth.pcap: COUNT TCP packets over IPv4 and IPv6 with
random fields, every TCP option kind tcpdump names (MPTCP subtypes, MD5,
TCP-AO, Fast Open, experimental, user timeout, the old kinds), IPv4
options, IPv6 hop-by-hop, destination options and routing headers (types
0 and 4), and IPv4 and IPv6 fragments; then the first datagrams of it
behind the other link headers tcpcraft reads (PPP 9, PPP serial 50,
C_HDLC 104, SLIP 8, Frame Relay 107, raw 101, NULL 0, Linux SLL 113) in
OUT_PREFIX_ltN.pcap, and over MPLS on Ethernet in OUT_PREFIX_mpls.pcap.
"""
import random
import sys

from scapy.all import (IP, TCP, Ether, IPOption_RR, PcapWriter, fragment,
                       wrpcap, conf)
from scapy.contrib.mpls import MPLS
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                IPv6ExtHdrSegmentRouting, RouterAlert,
                                fragment6)

conf.verb = 0
out, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
A4, B4, A6, B6 = "10.9.0.1", "10.9.0.2", "fd09::1", "fd09::2"


def eth():
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")

OPTIONS = [
    [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)],
    [("NOP", None), ("NOP", None), ("Timestamp", (123, 456))],
    [("SAck", (1, 2, 3, 4)), ("NOP", None), ("NOP", None)],
    [(19, b"\x11" * 16)],
    [(29, b"\x01\x02" + b"\xaa" * 12)],
    [(30, b"\x01\x81")], [(30, b"\x01\x81" + bytes(range(8)))],
    [(30, b"\x01\x01" + bytes(range(16)))], [(30, b"\x01\x01" + bytes(range(18)))],
    [(30, b"\x10\x05" + bytes(range(8)))], [(30, b"\x10\x05" + bytes(range(12)))],
    [(30, b"\x10\x00" + bytes(range(20)))],
    [(30, b"\x20\x01\x00\x00\x00\x05")], [(30, b"\x20\x05" + bytes(range(14)))],
    [(30, b"\x20\x0f" + bytes(range(26)))],
    [(30, b"\x30\x03\x0a\x09\x00\x02")], [(30, b"\x31\x03\x0a\x09\x00\x02\x1f\x90")],
    [(30, b"\x40\x01\x02")], [(30, b"\x50\x01")], [(30, b"\x50\x01\x07")],
    [(30, b"\x60\x00" + bytes(8))], [(30, b"\x70\x00" + bytes(range(8)))], [(30, b"\x80\x00")],
    [(34, b"")], [(34, b"abcdefgh")], [(34, b"abc")],
    [(254, b"\x12\x34\xab")], [(254, b"\xf9\x89")], [(254, b"\xf9\x89abcd")], [(254, b"\xf9\x89abc")],
    [(253, b"\x12\x34\x56")], [(28, b"\x80\x05")], [(28, b"\x00\x1e")],
    [(6, b"\x00\x00\x00\x05")], [(7, b"\x00\x00\x00\x06")], [(11, b"\x00\x00\x00\x01")],
    [(12, b"\x00\x00\x00\x02")], [(13, b"\x00\x00\x00\x05")], [(20, b"\x01\x02")],
    [(99, b"\x01\x02\x03")], [(100, b"")], [("MSS", 536), ("EOL", None)], [],
]
FLAGS = ["S", "SA", "A", "PA", "FA", "R", "RA", "SEC", "FPU", "", "SE"]
PORTS = [22, 80, 179, 443, 5001, 8080, 40000]


def tcp():
    options = rng.choice(OPTIONS)
    size = rng.choice([0, 0, 1, 10, 55, 200, 1000])
    return TCP(sport=rng.randint(1, 65535), dport=rng.choice(PORTS),
               seq=rng.getrandbits(32), ack=rng.getrandbits(32),
               flags=rng.choice(FLAGS), window=rng.randint(0, 65535),
               urgptr=rng.choice([0, 0, 7]), options=options) / bytes(
                   rng.getrandbits(8) for _ in range(size))


frames = []
while len(frames) < count:
    t = tcp()
    kind = rng.choice(["v4", "v4", "v6", "v6", "hbh", "dst", "rt0", "rt4", "v4opt", "frag4", "frag6"])
    if kind == "v4":
        frames.append(eth() / IP(src=A4, dst=B4) / t)
    elif kind == "v4opt":
        frames.append(eth() / IP(src=A4, dst=B4, options=[IPOption_RR(routers=["192.0.2.9"])]) / t)
    elif kind == "v6":
        frames.append(eth() / IPv6(src=A6, dst=B6) / t)
    elif kind == "hbh":
        frames.append(eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / t)
    elif kind == "dst":
        frames.append(eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrDestOpt() / t)
    elif kind == "rt0":
        frames.append(eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrRouting(addresses=["fd09::3"], segleft=rng.choice([0, 1])) / t)
    elif kind == "rt4":
        frames.append(eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrSegmentRouting(addresses=["fd09::3", "fd09::4"]) / t)
    elif kind == "frag4":
        for piece in fragment(IP(src=A4, dst=B4) / t, fragsize=rng.choice([8, 16, 24, 48])):
            frames.append(eth() / piece)
    else:
        try:
            pieces = fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment() / t, rng.choice([64, 80, 120]))
        except Exception:  # too small to fragment
            continue
        frames.extend(eth() / piece for piece in pieces)
wrpcap(f"{out}_eth.pcap", frames)

datagrams = [bytes(frame.payload) for frame in frames[:max(20, count // 3)]]


def link_header(link_type, datagram):
    v6 = datagram[0] >> 4 == 6
    return {
        9: b"\xff\x03\x00\x57" if v6 else b"\xff\x03\x00\x21",
        50: b"\xff\x03\x00\x57" if v6 else b"\xff\x03\x00\x21",
        104: b"\x0f\x00\x86\xdd" if v6 else b"\x0f\x00\x08\x00",
        8: bytes(16),
        107: b"\x18\x41\x03\x8e" if v6 else b"\x18\x41\x03\xcc",
        101: b"",
        0: b"\x1e\x00\x00\x00" if v6 else b"\x02\x00\x00\x00",
        113: b"\x00\x00\x00\x01\x00\x06" + bytes(8) + (b"\x86\xdd" if v6 else b"\x08\x00"),
    }[link_type]


for link_type in [9, 50, 104, 8, 107, 101, 0, 113]:
    with PcapWriter(f"{out}_lt{link_type}.pcap", linktype=link_type, sync=True) as writer:
        for datagram in datagrams:
            writer.write(link_header(link_type, datagram) + datagram)
wrpcap(f"{out}_mpls.pcap", [
    eth() / MPLS(label=100, s=0) / MPLS(label=200, s=1) / frame.payload
    for frame in frames[:count // 3] if IP in frame and frame.type == 0x800
])
