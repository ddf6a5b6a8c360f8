// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmarks for nfscope's per-packet and per-call costs; run inside
 * the VM by bench scripts, printing nanoseconds per operation.
 *
 *   netbench getpeername-server ADDR PORT N  accept one connection, time N getpeername()
 *   netbench pingpong-server ADDR PORT       echo 1-byte messages until EOF
 *   netbench pingpong-client ADDR PORT N     time N 1-byte round trips
 *   netbench udp-blast ADDR PORT N           time N 64-byte sendto() (veth delivers
 *                                            in the sender's softirq: both ends' hooks)
 *   netbench stream-server ADDR PORT         read and discard until EOF
 *   netbench stream-client ADDR PORT MB      time sending MB megabytes, print MB/s
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "bad address %s\n", addr);
	exit(2);
}

static int listen_accept(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fam = sockaddr_of(addr, port, &ss, &len);
	int s = socket(fam, SOCK_STREAM, 0), c;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, len) || listen(s, 1)) {
		perror("bind/listen");
		exit(1);
	}
	printf("ready\n");
	fflush(stdout);
	c = accept(s, NULL, NULL);
	if (c < 0) {
		perror("accept");
		exit(1);
	}
	close(s);
	return c;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "getpeername-server")) {
		long n = atol(argv[4]), i;
		int c = listen_accept(argv[2], atoi(argv[3]));
		struct sockaddr_storage ss;
		char buf[4096], text[64];
		socklen_t len = sizeof(ss);
		double t0 = now_ns(), t;

		for (i = 0; i < n; i++) {
			len = sizeof(ss);
			getpeername(c, (struct sockaddr *)&ss, &len);
		}
		t = (now_ns() - t0) / n;
		inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
			  (void *)&((struct sockaddr_in *)&ss)->sin_addr :
			  (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr, text, sizeof(text));
		printf("getpeername_ns %.1f peer %s\n", t, text);
		fflush(stdout);
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "pingpong-server")) {
		int c = listen_accept(argv[2], atoi(argv[3]));
		char b;

		while (read(c, &b, 1) == 1)
			if (write(c, &b, 1) != 1)
				break;
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "pingpong-client")) {
		struct sockaddr_storage ss;
		socklen_t len;
		int one = 1, fam = sockaddr_of(argv[2], atoi(argv[3]), &ss, &len);
		int s = socket(fam, SOCK_STREAM, 0);
		long n = atol(argv[4]), i;
		double t0;
		char b = 'x';

		if (connect(s, (struct sockaddr *)&ss, len)) {
			perror("connect");
			return 1;
		}
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		t0 = now_ns();
		for (i = 0; i < n; i++)
			if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1) {
				perror("pingpong");
				return 1;
			}
		printf("roundtrip_ns %.1f\n", (now_ns() - t0) / n);
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "udp-blast")) {
		struct sockaddr_storage ss;
		socklen_t len;
		int fam = sockaddr_of(argv[2], atoi(argv[3]), &ss, &len);
		int s = socket(fam, SOCK_DGRAM, 0);
		long n = atol(argv[4]), i;
		char buf[64] = { 0 };
		double t0 = now_ns();

		for (i = 0; i < n; i++)
			sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&ss, len);
		printf("sendto_ns %.1f\n", (now_ns() - t0) / n);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "stream-server")) {
		int c = listen_accept(argv[2], atoi(argv[3]));
		static char buf[1 << 16];

		while (read(c, buf, sizeof(buf)) > 0)
			;
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "stream-client")) {
		struct sockaddr_storage ss;
		socklen_t len;
		int fam = sockaddr_of(argv[2], atoi(argv[3]), &ss, &len);
		int s = socket(fam, SOCK_STREAM, 0);
		long mb = atol(argv[4]), left = mb << 20;
		static char buf[1 << 16];
		double t0;

		if (connect(s, (struct sockaddr *)&ss, len)) {
			perror("connect");
			return 1;
		}
		t0 = now_ns();
		while (left > 0) {
			ssize_t w = write(s, buf, left < (long)sizeof(buf) ? left : (long)sizeof(buf));

			if (w <= 0) {
				perror("write");
				return 1;
			}
			left -= w;
		}
		close(s);
		printf("stream_mbps %.1f\n", mb / ((now_ns() - t0) / 1e9));
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of netbench.c\n");
	return 2;
}
