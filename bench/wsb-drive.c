/*
 * wsb-drive.c - runs one client once and measures it, so that the Python
 * script never sits in a timed path.
 *
 *   wsb-drive [-t SECS] [-g N:S | -H] [-c N:S | -k] -- CMD ARGS...
 *       throughput: stdin gets N generated pattern lines of S bytes then EOF
 *       (-g), or stays open and silent until the client exits (-H), or is
 *       /dev/null; stdout is checked to be exactly N pattern lines of S
 *       bytes (-c) or captured (-k, last 4 KiB reported).
 *   wsb-drive [-t SECS] -L N:S -- CMD...
 *       latency: N times, write one line of S bytes, wait until the same
 *       line comes back on stdout; then close stdin and wait for the exit.
 *   wsb-drive [-t SECS] -C -- CMD...
 *       cold start: exec, write one line and close stdin at once; time to
 *       the first echoed line and to the exit.
 *
 * Prints one JSON object: wall_ns (exec to exit and end of stdout),
 * first_ns, exit, signal, timeout, maxrss_kb (the client's peak RSS from
 * wait4), utime_us, stime_us, lines, bad, bytes, first_bad, out (captured),
 * lat_ns (latency samples).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wsb.h"

#define CHUNK (256 * 1024)

static pid_t child;
static uint64_t t0, deadline;
static int timed_out;

/* generator: N lines of S bytes */
static uint64_t g_n, g_s, g_i;
static unsigned char *g_buf;
static size_t g_off, g_len;

/* checker */
static uint64_t c_n, c_s;
static uint64_t c_lines, c_bytes, c_bad, c_pos, c_first_bad = UINT64_MAX;
static int c_mbad;
static char c_dig[24];
static size_t c_dlen;

/* capture */
static char cap[4096];
static size_t cap_len;

static void gen_fill(void)
{
	g_off = g_len = 0;
	while (g_i < g_n && g_len + 32 + g_s < CHUNK) {
		char d[24];
		size_t dl = wsb_utoa(g_i, d);
		size_t len = g_s > dl ? g_s : dl;

		wsb_pattern(g_buf + g_len, d, dl, 0, len);
		g_buf[g_len + len] = '\n';
		g_len += len + 1;
		g_i++;
	}
}

// A line longer than CHUNK is produced in pieces.
static uint64_t big_pos;
static void gen_fill_big(void)
{
	char d[24];
	size_t dl = wsb_utoa(g_i, d);
	uint64_t len = g_s > dl ? g_s : dl;
	size_t k = len - big_pos < CHUNK ? (size_t)(len - big_pos) : CHUNK - 1;

	g_off = 0;
	wsb_pattern(g_buf, d, dl, big_pos, k);
	g_len = k;
	big_pos += k;
	if (big_pos == len) {
		g_buf[g_len++] = '\n';
		big_pos = 0;
		g_i++;
	}
}

static void check(const unsigned char *p, size_t len)
{
	c_bytes += len;
	while (len) {
		uint64_t mlen;
		const unsigned char *nl;
		size_t k;

		if (c_pos == 0) {
			c_dlen = wsb_utoa(c_lines, c_dig);
		}
		mlen = c_s > c_dlen ? c_s : c_dlen;
		nl = memchr(p, '\n', len);
		k = nl ? (size_t)(nl - p) : len;
		if (!c_mbad && (c_pos + k > mlen ||
				!wsb_pattern_ok(p, c_dig, c_dlen, c_pos, k))) {
			c_mbad = 1;
		}
		c_pos += k;
		p += k;
		len -= k;
		if (nl) {
			if (c_mbad || c_pos != mlen || c_lines >= c_n) {
				c_bad++;
				if (c_first_bad == UINT64_MAX) {
					c_first_bad = c_lines;
				}
			}
			c_lines++;
			c_pos = 0;
			c_mbad = 0;
			p++;
			len--;
		}
	}
}

static void capture(const unsigned char *p, size_t len)
{
	if (len >= sizeof(cap)) {
		p += len - sizeof(cap);
		len = sizeof(cap);
	}
	if (cap_len + len > sizeof(cap)) {
		size_t drop = cap_len + len - sizeof(cap);

		memmove(cap, cap + drop, cap_len - drop);
		cap_len -= drop;
	}
	memcpy(cap + cap_len, p, len);
	cap_len += len;
}

static void json_str(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			printf("\\%c", ch);
		} else if (ch < 0x20 || ch >= 0x7f) {
			printf("\\u%04x", ch);
		} else {
			putchar(ch);
		}
	}
	putchar('"');
}

static int remaining_ms(void)
{
	uint64_t now = wsb_now_ns();

	if (now >= deadline) {
		return 0;
	}
	return (int)((deadline - now) / 1000000 + 1);
}

static void kill_child(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
	}
	timed_out = 1;
}

// Writes all of p to the non-blocking fd, within the deadline.
static int write_fully(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		ssize_t n = write(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return 0;
		}
		if (poll(&pfd, 1, remaining_ms()) <= 0) {
			kill_child();
			return 0;
		}
	}
	return 1;
}

static pid_t spawn(char **argv, int in_fd, int out_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);   // never outlive the driver
		if (in_fd != 0) {
			dup2(in_fd, 0);
		}
		dup2(out_fd, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	int opt, hold = 0, keep = 0, cold = 0, in_p[2] = { -1, -1 }, out_p[2];
	uint64_t lat_n = 0, lat_s = 0, first_ns = 0, wall_ns;
	uint64_t *lat = NULL;
	double timeout = 60;
	int status = 0, out_open = 1, in_open;
	struct rusage ru;
	unsigned char *rb;

	while ((opt = getopt(argc, argv, "+t:g:Hc:kL:C")) != -1) {
		switch (opt) {
		case 't':
			timeout = atof(optarg);
			break;
		case 'g':
			sscanf(optarg, "%" SCNu64 ":%" SCNu64, &g_n, &g_s);
			g_buf = malloc(CHUNK + 64);
			break;
		case 'H':
			hold = 1;
			break;
		case 'c':
			sscanf(optarg, "%" SCNu64 ":%" SCNu64, &c_n, &c_s);
			c_n = c_n ? c_n : 1;
			break;
		case 'k':
			keep = 1;
			break;
		case 'L':
			sscanf(optarg, "%" SCNu64 ":%" SCNu64, &lat_n, &lat_s);
			lat = calloc(lat_n + 1, sizeof(*lat));
			break;
		case 'C':
			cold = 1;
			break;
		default:
			fprintf(stderr, "usage: see the comment in wsb-drive.c\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "wsb-drive: no command\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	rb = malloc(CHUNK);
	if (pipe2(out_p, O_CLOEXEC) < 0) {
		return 1;
	}
	if (g_buf || lat || cold || hold) {
		if (pipe2(in_p, O_CLOEXEC) < 0) {
			return 1;
		}
	} else {
		in_p[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	in_open = in_p[1] >= 0;
	if (in_open) {
		// never block on the child's stdin: it may be blocked on its stdout
		fcntl(in_p[1], F_SETFL, O_NONBLOCK);
	}

	t0 = wsb_now_ns();
	deadline = t0 + (uint64_t)(timeout * 1e9);
	child = spawn(argv + optind, in_p[0], out_p[1]);
	close(in_p[0]);
	close(out_p[1]);
	if (child < 0) {
		return 1;
	}

	if (lat || cold) {
		/* lock-step: one line out, the same line back */
		uint64_t rounds = cold ? 1 : lat_n, s = cold ? 16 : lat_s;
		unsigned char *line = malloc(s + 32), *got = malloc(s + 32);
		size_t have = 0;

		for (uint64_t i = 0; i < rounds && !timed_out; i++) {
			char d[24];
			size_t dl = wsb_utoa(i, d), len = s > dl ? s : dl;
			uint64_t ts;

			wsb_pattern(line, d, dl, 0, len);
			line[len] = '\n';
			ts = wsb_now_ns();
			if (!write_fully(in_p[1], line, len + 1)) {
				break;
			}
			if (cold) {
				close(in_p[1]);
				in_open = 0;
			}
			have = 0;
			while (!memchr(got, '\n', have)) {
				struct pollfd pfd = { out_p[0], POLLIN, 0 };
				ssize_t n;

				if (poll(&pfd, 1, remaining_ms()) <= 0) {
					kill_child();
					break;
				}
				n = read(out_p[0], got + have, len + 1 - have);
				if (n <= 0) {
					out_open = 0;
					break;
				}
				have += (size_t)n;
			}
			if (!memchr(got, '\n', have)) {
				break;
			}
			if (i == 0) {
				first_ns = wsb_now_ns() - t0;
			}
			if (lat) {
				lat[i] = wsb_now_ns() - ts;
			}
			c_lines++;
			if (have != len + 1 || memcmp(got, line, len + 1)) {
				c_bad++;
			}
		}
		free(line);
		free(got);
		if (in_open) {
			close(in_p[1]);
			in_open = 0;
		}
	}

	/* the rest: feed stdin, drain stdout, until the child is done */
	if (g_buf) {
		g_s > CHUNK / 2 ? gen_fill_big() : gen_fill();
	}
	while (out_open && !timed_out) {
		struct pollfd pfd[2];
		int nfd = 1, ms = remaining_ms();

		pfd[0].fd = out_p[0];
		pfd[0].events = POLLIN;
		if (g_buf && in_open) {
			pfd[1].fd = in_p[1];
			pfd[1].events = POLLOUT;
			nfd = 2;
		}
		if (ms == 0 || poll(pfd, (nfds_t)nfd, ms) == 0) {
			kill_child();
			break;
		}
		if (pfd[0].revents) {
			ssize_t n = read(out_p[0], rb, CHUNK);

			if (n <= 0) {
				if (n < 0 && errno == EINTR) {
					continue;
				}
				out_open = 0;
			} else if (c_s || c_n) {
				check(rb, (size_t)n);
			} else {
				c_bytes += (uint64_t)n;
				if (keep) {
					capture(rb, (size_t)n);
				}
			}
		}
		if (nfd == 2 && pfd[1].revents) {
			ssize_t n = write(in_p[1], g_buf + g_off, g_len - g_off);

			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				close(in_p[1]);   // the client stopped reading
				in_open = 0;
			} else if (n > 0) {
				g_off += (size_t)n;
				if (g_off == g_len) {
					if (g_i < g_n) {
						g_s > CHUNK / 2 ? gen_fill_big() :
							gen_fill();
					}
					if (g_off == g_len) {
						close(in_p[1]);
						in_open = 0;
					}
				}
			}
		}
	}
	/* stdout closed: reap the child, still within the deadline */
	{
		int pfd = (int)syscall(SYS_pidfd_open, child, 0);

		if (pfd >= 0 && !timed_out) {
			struct pollfd p = { pfd, POLLIN, 0 };

			if (poll(&p, 1, remaining_ms()) <= 0) {
				kill_child();
			}
		} else if (!timed_out) {
			for (;;) {
				siginfo_t si;

				si.si_pid = 0;
				if (!waitid(P_PID, (id_t)child, &si, WEXITED |
						WNOHANG | WNOWAIT) && si.si_pid) {
					break;
				}
				if (remaining_ms() == 0) {
					kill_child();
					break;
				}
				usleep(100);
			}
		}
		wait4(child, &status, 0, &ru);
		if (pfd >= 0) {
			close(pfd);
		}
	}
	wall_ns = wsb_now_ns() - t0;
	if (in_open) {
		close(in_p[1]);   // -H: the child has gone, stdin may go too
	}

	printf("{\"wall_ns\":%" PRIu64 ",\"first_ns\":%" PRIu64
		",\"exit\":%d,\"signal\":%d,\"timeout\":%s,\"maxrss_kb\":%ld"
		",\"utime_us\":%ld,\"stime_us\":%ld,\"lines\":%" PRIu64
		",\"bad\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"first_bad\":%" PRId64,
		wall_ns, first_ns, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		timed_out ? "true" : "false", ru.ru_maxrss,
		(long)(ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec),
		(long)(ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec),
		c_lines, c_bad + (c_pos ? 1 : 0), c_bytes,
		c_first_bad == UINT64_MAX ? (int64_t)-1 : (int64_t)c_first_bad);
	printf(",\"out\":");
	json_str(cap, cap_len);
	if (lat) {
		printf(",\"lat_ns\":[");
		for (uint64_t i = 0; i < c_lines && i < lat_n; i++) {
			printf("%s%" PRIu64, i ? "," : "", lat[i]);
		}
		printf("]");
	}
	printf("}\n");
	return 0;
}
