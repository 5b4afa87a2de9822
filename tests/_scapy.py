"""scapy side of tests/scapy_diff_test.ts: the independent oracle.

Run with /usr/bin/python3 (python3-scapy 2.5). Reads JSON lines on stdin
and writes exactly one JSON line on stdout per input line, in order:

  {"op": "build", ...fields...}
      -> {"hex": <bytes(IP(...)/TCP(...)/Raw(...)) or IPv6(...)>,
          "dissect": <scapy's dissection of those bytes>}
  {"op": "random", "seed": n, "v": 4|6}
      -> {"hex": ..., "dissect": ...} for a packet whose fields scapy's own
         random value classes (RandIP, RandShort, RandTCPOptions...) chose,
         with random.seed(n) so that a run can be repeated.

The dissection is expressed in tcpcraft's plain-object model (field names
of DecodedIpv4Header / DecodedIpv6Header / DecodedTcpSegment, options as
the TcpOption union) with byte strings as lowercase hex and addresses as
the hex of their bytes. The mapping from scapy's option tuples to that
model is written here, from scapy's TCPOptions table, without looking at
tcpcraft's code.
"""

import json
import random
import socket
import struct
import sys

from scapy.layers.inet import IP, TCP, RandTCPOptions, TCPAOValue, TCPOptionsField
from scapy.layers.inet6 import IPv6
from scapy.packet import NoPayload, Raw
from scapy.volatile import RandBin, RandByte, RandInt, RandIP, RandIP6, RandNum, RandShort


def unhex(text):
    return bytes.fromhex(text)


# ---------------------------------------------------------------- building


def scapy_option(opt):
    """One option of tcpcraft's JSON model -> scapy's (name or kind, value)."""
    kind = opt["kind"]
    if kind == "eol":
        return ("EOL", None)
    if kind == "nop":
        return ("NOP", None)
    if kind == "mss":
        return ("MSS", opt["value"])
    if kind == "wscale":
        return ("WScale", opt["shift"])
    if kind == "sackOk":
        return ("SAckOK", b"")
    if kind == "sack":
        return ("SAck", tuple(edge for block in opt["blocks"] for edge in block))
    if kind == "timestamp":
        return ("Timestamp", (opt["value"], opt["echo"]))
    if kind == "md5":
        return ("MD5", unhex(opt["digest"]))
    if kind == "userTimeout":
        g = 0x8000 if opt["granularity"] == "minutes" else 0
        return ("UTO", g | opt["timeout"])
    if kind == "tcpAo":
        return (
            "AO",
            TCPAOValue(keyid=opt["keyId"], rnextkeyid=opt["rNextKeyId"], mac=unhex(opt["mac"])),
        )
    if kind == "fastOpen":
        # scapy's "TFO" format is "!II", but a bytes value is written as is.
        return ("TFO", unhex(opt["cookie"]))
    if kind == "mptcp":
        return (30, unhex(opt["data"]))
    if kind == "experimental":
        return (opt["type"], struct.pack("!H", opt["exid"]) + unhex(opt["data"]))
    if kind == "unknown":
        return (opt["type"], unhex(opt["data"]))
    raise ValueError("no scapy form for option kind %r" % kind)


def build(req):
    tcp = TCP(
        sport=req["srcPort"],
        dport=req["dstPort"],
        seq=req["seq"],
        ack=req["ack"],
        flags=req["flags"],
        reserved=req["reserved"],
        window=req["window"],
        urgptr=req["urgentPointer"],
        options=[scapy_option(o) for o in req["options"]],
    )
    if req.get("checksum") is not None:
        tcp.chksum = req["checksum"]
    if req.get("dataOffset") is not None:
        tcp.dataofs = req["dataOffset"]
    if req["v"] == 4:
        ip = IP(
            src=req["src"],
            dst=req["dst"],
            ttl=req["ttl"],
            id=req["id"],
            tos=req["tos"],
            flags="DF" if req["dontFragment"] else 0,
        )
        if req.get("ipOptions"):
            # Raw option bytes (IPOption would re-dissect them, and cannot
            # always); scapy pads them with zeros to a multiple of 4.
            ip.options = [Raw(unhex(req["ipOptions"]))]
    else:
        ip = IPv6(
            src=req["src"],
            dst=req["dst"],
            hlim=req["hopLimit"],
            fl=req["flowLabel"],
            tc=req["trafficClass"],
        )
    return bytes(ip / tcp / Raw(unhex(req["payload"])))


# ---------------------------------------------------------------- random


def random_options():
    """scapy's RandTCPOptions, redrawn until the options fit in 40 bytes.

    Two of its choices are dropped: AO, which RandTCPOptions gives an empty
    value (a 2-byte option; RFC 5925 section 2.2 requires length >= 4), and
    Mood (kind 25, format "!p"), whose dissection loses the byte it holds,
    so scapy's own reading of it could not be the oracle.
    """
    while True:
        opts = [o for o in RandTCPOptions()._fix() if o[0] not in ("AO", "Mood")]
        if len(TCPOptionsField("options", "").i2m(None, opts)) <= 40:
            return opts


def random_packet(req):
    random.seed(req["seed"])
    tcp = TCP(
        sport=RandShort(),
        dport=RandShort(),
        seq=RandInt(),
        ack=RandInt(),
        flags=RandNum(0, 0x1FF),
        reserved=RandNum(0, 7),
        window=RandShort(),
        urgptr=RandShort(),
        options=random_options(),
    )
    if random.random() < 0.2:
        tcp.chksum = RandShort()  # a checksum that is (most likely) wrong
    payload = Raw(bytes(RandBin(RandNum(0, 1460))))
    if req["v"] == 4:
        ip = IP(
            src=RandIP(),
            dst=RandIP(),
            ttl=RandByte(),
            id=RandShort(),
            tos=RandByte(),
            flags=random.choice([0, "DF", "evil", "DF+evil"]),  # no MF: not a fragment
        )
    else:
        ip = IPv6(src=RandIP6(), dst=RandIP6(), hlim=RandByte(), fl=RandNum(0, 0xFFFFF), tc=RandByte())
    # bytes() fixes every volatile value once; the dissection reads those bytes.
    return bytes(ip / tcp / payload)


# ---------------------------------------------------------------- dissecting


# scapy's names for the kinds tcpcraft has no name for, and the struct
# format scapy dissects their value with (its TCPOptions table).
SCAPY_ONLY_KINDS = {"AltChkSum": (14, "!BH"), "AltChkSumOpt": (15, None)}


def model_option(name, value):
    """scapy's dissected (name, value) -> (tcpcraft JSON option, wire length)."""
    if name == "EOL":
        return {"kind": "eol"}, 1
    if name == "NOP":
        return {"kind": "nop"}, 1
    if name == "MSS" and isinstance(value, int):
        return {"kind": "mss", "value": value}, 4
    if name == "WScale" and isinstance(value, int):
        return {"kind": "wscale", "shift": value}, 3
    if name == "SAckOK" and value == b"":
        return {"kind": "sackOk"}, 2
    if name == "SAck" and isinstance(value, (tuple, int)):
        edges = value if isinstance(value, tuple) else (value,)
        if len(edges) % 2 == 0:
            blocks = [[edges[i], edges[i + 1]] for i in range(0, len(edges), 2)]
            return {"kind": "sack", "blocks": blocks}, 2 + 4 * len(edges)
    if name == "Timestamp" and isinstance(value, tuple):
        return {"kind": "timestamp", "value": value[0], "echo": value[1]}, 10
    if name == "MD5" and isinstance(value, bytes) and len(value) == 16:
        return {"kind": "md5", "digest": value.hex()}, 18
    if name == "UTO" and isinstance(value, int):
        return {
            "kind": "userTimeout",
            "granularity": "minutes" if value & 0x8000 else "seconds",
            "timeout": value & 0x7FFF,
        }, 4
    if name == "AO" and isinstance(value, TCPAOValue) and len(value.original) >= 2:
        return {
            "kind": "tcpAo",
            "keyId": value.keyid,
            "rNextKeyId": value.rnextkeyid,
            "mac": value.mac.hex(),
        }, 2 + len(value.original)
    if name == "TFO":
        cookie = struct.pack("!II", *value) if isinstance(value, tuple) else value
        return {"kind": "fastOpen", "cookie": cookie.hex()}, 2 + len(cookie)
    if isinstance(name, int):
        kind, data = name, value
    elif name in SCAPY_ONLY_KINDS:
        kind, fmt = SCAPY_ONLY_KINDS[name]
        data = value if isinstance(value, bytes) else struct.pack(fmt, *value)
    else:
        raise ValueError("cannot map scapy option %r %r" % (name, value))
    if kind == 30:
        return {"kind": "mptcp", "data": data.hex()}, 2 + len(data)
    if kind in (253, 254) and len(data) >= 2:
        return {
            "kind": "experimental",
            "type": kind,
            "exid": struct.unpack("!H", data[:2])[0],
            "data": data[2:].hex(),
        }, 2 + len(data)
    return {"kind": "unknown", "type": kind, "data": data.hex()}, 2 + len(data)


def model_options(opts, area):
    """scapy's option list -> tcpcraft's, applying the documented padding rule.

    scapy stops at the first EOL and shows the zero padding as one. The
    tcpcraft model drops an EOL that sits where the encoder's own padding
    would be (offset not a multiple of 4) and keeps, as `padding`, bytes
    after an EOL that are not all zero.
    """
    out = []
    offset = 0
    padding = None
    for name, value in opts:
        option, length = model_option(name, value)
        if option["kind"] == "eol":
            rest = area[offset + 1:]
            if any(rest):
                padding = rest.hex()
            if offset % 4 != 0 and padding is None:
                break
        out.append(option)
        offset += length
        if option["kind"] == "eol":
            break
    return out, padding


def addr(family, text):
    return socket.inet_pton(family, text).hex()


def dissect(raw, version):
    pkt = IP(raw) if version == 4 else IPv6(raw)
    if version == 4:
        hlen = pkt.ihl * 4
        ip = {
            "version": 4,
            "ihl": pkt.ihl,
            "tos": pkt.tos,
            "totalLength": pkt.len,
            "id": pkt.id,
            "reservedBit": bool(int(pkt.flags) & 4),
            "dontFragment": bool(int(pkt.flags) & 2),
            "moreFragments": bool(int(pkt.flags) & 1),
            "fragmentOffset": pkt.frag,
            "ttl": pkt.ttl,
            "protocol": pkt.proto,
            "checksum": pkt.chksum,
            "src": addr(socket.AF_INET, pkt.src),
            "dst": addr(socket.AF_INET, pkt.dst),
            "options": raw[20:hlen].hex(),
        }
    else:
        hlen = 40
        ip = {
            "version": 6,
            "trafficClass": pkt.tc,
            "flowLabel": pkt.fl,
            "payloadLength": pkt.plen,
            "nextHeader": pkt.nh,
            "hopLimit": pkt.hlim,
            "src": addr(socket.AF_INET6, pkt.src),
            "dst": addr(socket.AF_INET6, pkt.dst),
        }
    t = pkt[TCP]
    area = raw[hlen + 20:hlen + t.dataofs * 4]
    options, padding = model_options(t.options, area)
    pay = t.payload
    if isinstance(pay, NoPayload):
        payload = b""
    elif isinstance(pay, Raw):
        payload = pay.load
    else:
        raise ValueError("scapy dissected the payload as %s" % pay.name)
    tcp = {
        "srcPort": t.sport,
        "dstPort": t.dport,
        "seq": t.seq,
        "ack": t.ack,
        "dataOffset": t.dataofs,
        "reserved": t.reserved,
        "flags": int(t.flags),
        "window": t.window,
        "checksum": t.chksum,
        "urgentPointer": t.urgptr,
        "options": options,
        "payload": payload.hex(),
    }
    if padding is not None:
        tcp["padding"] = padding
    return {"ip": ip, "tcp": tcp}


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req["op"] == "build":
            raw = build(req)
        elif req["op"] == "random":
            raw = random_packet(req)
        else:
            raise ValueError("unknown op %r" % req["op"])
        out.write(json.dumps({"hex": raw.hex(), "dissect": dissect(raw, req["v"])}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
