/*
 * A scan's sending at C speed, the same-path baseline of `tcpcraft scan`:
 * SYNs to every port of a run of hosts, in the order host, then port, as
 * fast as sendmmsg(2) takes them, BATCH messages per call, each with its
 * own destination. Every probe reaches a port that exists, so the peer
 * answers each one (a RST from a closed port, a SYN-ACK from an open one)
 * exactly as it answers the scan: the work of the path is the same.
 *
 *   raw_scan SRC FIRST_HOST HOSTS PORTS COUNT
 *
 * FIRST_HOST and the HOSTS - 1 addresses after it; ports 1..PORTS; COUNT
 * probes (the space is walked again when COUNT is larger). The kernel
 * writes the IP header, as for tcpcraft's default socket; each TCP
 * checksum is written whole (20 bytes and the pseudo-header).
 */
#include "flood.h" /* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: raw_scan SRC FIRST_HOST HOSTS PORTS COUNT\n");
    return 2;
  }
  struct in_addr src, first;
  if (!inet_pton(AF_INET, argv[1], &src) ||
      !inet_pton(AF_INET, argv[2], &first)) {
    fprintf(stderr, "raw_scan: bad address\n");
    return 2;
  }
  unsigned long hosts = strtoul(argv[3], NULL, 10);
  unsigned long ports = strtoul(argv[4], NULL, 10);
  unsigned long count = strtoul(argv[5], NULL, 10);
  if (hosts == 0 || ports == 0 || ports > 65535) {
    fprintf(stderr, "raw_scan: HOSTS and PORTS must be 1 or more, PORTS at most 65535\n");
    return 2;
  }

  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
  if (fd < 0) {
    perror("raw_scan: socket");
    return 1;
  }
  static uint8_t packets[BATCH][TCP_LEN];
  static struct sockaddr_in to[BATCH];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    to[i].sin_family = AF_INET;
    iov[i].iov_base = packets[i];
    iov[i].iov_len = TCP_LEN;
    msgs[i].msg_hdr.msg_name = &to[i];
    msgs[i].msg_hdr.msg_namelen = sizeof to[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  double start = now_seconds();
  unsigned long sent = 0;
  uint32_t base = ntohl(first.s_addr);
  while (sent < count) {
    unsigned int n = count - sent < BATCH ? (unsigned int)(count - sent) : BATCH;
    for (unsigned int i = 0; i < n; i++) {
      unsigned long k = (sent + i) % (hosts * ports);
      struct in_addr dst = {.s_addr = htonl(base + (uint32_t)(k % hosts))};
      to[i].sin_addr = dst;
      build_syn(packets[i], src, dst, 40000, (uint16_t)(1 + k / hosts), 1);
    }
    int done = sendmmsg(fd, msgs, n, 0);
    if (done < 0) {
      if (errno == ENOBUFS || errno == EINTR) continue;
      perror("raw_scan: sendmmsg");
      return 1;
    }
    sent += (unsigned long)done;
  }
  report(sent, start);
  close(fd);
  return 0;
}
