"""Traffic for the tcpdump comparison corpus (tests/_tcpdump_corpus.ts):
one TCP conversation between two namespaces, made by the kernel.

    _corpus_traffic.py server|client KIND SERVER CLIENT PORT

KIND is plain, md5 (TCP-MD5 signatures, RFC 2385, as BGP speakers use
them) or mptcp (Multipath TCP). The client sends chunks of several sizes,
the server answers each, then both close.
"""
import socket
import struct
import sys
import time

role, kind, server, client, port = sys.argv[1:6]
port = int(port)
family = socket.AF_INET6 if ":" in server else socket.AF_INET
proto = 262 if kind == "mptcp" else 0  # IPPROTO_MPTCP
SIZES = [1, 55, 300, 1000, 3000, 19, 4000]


def md5_key(sock, peer):
    # struct tcp_md5sig: sockaddr_storage, flags, prefixlen, keylen, ifindex, key[80]
    if family == socket.AF_INET:
        addr = struct.pack("=H", family) + struct.pack("!H4s", 0, socket.inet_pton(family, peer))
    else:
        addr = struct.pack("=H", family) + struct.pack("!HI16sI", 0, 0, socket.inet_pton(family, peer), 0)
    key = b"corpus-md5-key"
    value = addr.ljust(128, b"\0") + struct.pack("=BBHI", 0, 0, len(key), 0) + key.ljust(80, b"\0")
    sock.setsockopt(socket.IPPROTO_TCP, 14, value)  # TCP_MD5SIG


sock = socket.socket(family, socket.SOCK_STREAM, proto)
if role == "server":
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if kind == "md5":
        md5_key(sock, client)
    sock.bind((server, port))
    sock.listen(1)
    print("READY", flush=True)
    sock.settimeout(20)
    conn, _ = sock.accept()
    conn.settimeout(20)
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(b"y" * (len(data) % 700 + 1))
    conn.close()
else:
    if kind == "md5":
        md5_key(sock, server)
    sock.settimeout(20)
    sock.connect((server, port))
    for size in SIZES:
        sock.sendall(b"x" * size)
        time.sleep(0.05)
        sock.recv(65536)
    time.sleep(0.3)  # MPTCP: let the second subflow join
    sock.shutdown(socket.SHUT_WR)
    sock.recv(16)
    sock.close()
    time.sleep(0.2)
