/*
 * Shared by the C baselines of bench/net.ts: the same SYN tcpcraft's
 * `send` writes by default (20-byte TCP header, window 8192, no options),
 * its checksum, RFC 1624 incremental updates, and a monotonic clock.
 *
 * Each program sends COUNT packets in batches of BATCH messages per
 * sendmmsg(2) call, then prints one line: `sent N packets in S s`.
 */
#ifndef FLOOD_H
#define FLOOD_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 64
#define TCP_LEN 20
#define IP_LEN 20

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One's complement sum of big-endian 16-bit words, not folded. */
static uint32_t sum_words(const uint8_t *p, size_t n, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += (uint32_t)p[n - 1] << 8;
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word of the
 * segment changed from m to m'.
 */
static uint16_t csum_update(uint16_t check, uint16_t old, uint16_t new_) {
  uint32_t sum = (uint16_t)~check + (uint16_t)~old + new_;
  return (uint16_t)~fold(sum);
}

/* Write the SYN and its checksum over the IPv4 pseudo-header. */
static void build_syn(uint8_t *tcp, struct in_addr src, struct in_addr dst,
                      uint16_t sport, uint16_t dport, uint32_t seq) {
  memset(tcp, 0, TCP_LEN);
  put16(tcp, sport);
  put16(tcp + 2, dport);
  put16(tcp + 4, seq >> 16);
  put16(tcp + 6, seq & 0xffff);
  tcp[12] = 5 << 4; /* data offset: 5 words */
  tcp[13] = 0x02;   /* SYN */
  put16(tcp + 14, 8192);
  uint8_t pseudo[12];
  memcpy(pseudo, &src, 4);
  memcpy(pseudo + 4, &dst, 4);
  pseudo[8] = 0;
  pseudo[9] = 6; /* TCP */
  put16(pseudo + 10, TCP_LEN);
  uint32_t sum = sum_words(pseudo, sizeof pseudo, 0);
  put16(tcp + 16, (uint16_t)~fold(sum_words(tcp, TCP_LEN, sum)));
}

/*
 * Move a SYN `by` steps on: source port + by, seq + by, updating the
 * checksum incrementally (three words change: the port and the two halves
 * of the sequence number).
 */
static inline void step_syn(uint8_t *tcp, uint16_t by) {
  uint16_t check = get16(tcp + 16);
  uint16_t port = get16(tcp);
  uint32_t seq = (uint32_t)get16(tcp + 4) << 16 | get16(tcp + 6);
  uint32_t next = seq + by;
  check = csum_update(check, port, (uint16_t)(port + by));
  check = csum_update(check, seq >> 16, next >> 16);
  check = csum_update(check, seq & 0xffff, next & 0xffff);
  put16(tcp, (uint16_t)(port + by));
  put16(tcp + 4, next >> 16);
  put16(tcp + 6, next & 0xffff);
  put16(tcp + 16, check);
}

static void report(unsigned long sent, double start) {
  double seconds = now_seconds() - start;
  printf("sent %lu packets in %.3f s (%.0f pps)\n", sent, seconds,
         sent / seconds);
}

#endif
