/*
 * Raw-socket SYN flood, the baseline of tcpcraft's `send --flood`: the
 * same socket tcpcraft opens by default (SOCK_RAW, IPPROTO_TCP, the kernel
 * writes the IP header), the same 20-byte SYN, BATCH messages per
 * sendmmsg(2).
 *
 *   raw_flood SRC DST DPORT COUNT [step]
 *
 * With `step`, every packet gets the next source port and sequence number
 * (as `--sport-step 1 --seq-step 1`), each of the BATCH buffers patched
 * in place with an incremental checksum update before each call.
 */
#include "flood.h" /* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: raw_flood SRC DST DPORT COUNT [step]\n");
    return 2;
  }
  struct in_addr src, dst;
  if (!inet_pton(AF_INET, argv[1], &src) || !inet_pton(AF_INET, argv[2], &dst)) {
    fprintf(stderr, "raw_flood: bad address\n");
    return 2;
  }
  uint16_t dport = (uint16_t)atoi(argv[3]);
  unsigned long count = strtoul(argv[4], NULL, 10);
  int step = argc > 5 && strcmp(argv[5], "step") == 0;

  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
  if (fd < 0) {
    perror("raw_flood: socket");
    return 1;
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};

  /* Plain: every message points at one SYN. Step: one SYN per message,
   * message i starting i steps on. */
  static uint8_t packets[BATCH][TCP_LEN];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    build_syn(packets[i], src, dst, 40000, dport, 1);
    if (step) step_syn(packets[i], (uint16_t)i);
    iov[i].iov_base = packets[step ? i : 0];
    iov[i].iov_len = TCP_LEN;
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  double start = now_seconds();
  unsigned long sent = 0;
  while (sent < count) {
    unsigned int n = count - sent < BATCH ? (unsigned int)(count - sent) : BATCH;
    int done = sendmmsg(fd, msgs, n, 0);
    if (done < 0) {
      if (errno == ENOBUFS || errno == EINTR) continue;
      perror("raw_flood: sendmmsg");
      return 1;
    }
    sent += (unsigned long)done;
    /* The next batch starts where this one ended: move each packet on by
     * the number just sent (BATCH, or fewer on a short send). */
    if (step)
      for (int i = 0; i < BATCH; i++) step_syn(packets[i], (uint16_t)done);
  }
  report(sent, start);
  close(fd);
  return 0;
}
