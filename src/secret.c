/*
 * secret.c - read a password from /dev/tty with echo off. Used only by
 * --auth USER without a password; never reads stdin (that is message data).
 */
#include "secret.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

char *secret_ask(const char *prompt)
{
	struct termios saved, quiet;
	char buf[512];
	size_t n = 0;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	char *ret = NULL;

	if (fd < 0) {
		return NULL;
	}
	if (tcgetattr(fd, &saved) != 0) {
		close(fd);
		return NULL;
	}
	quiet = saved;
	quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	dprintf(fd, "%s", prompt);
	tcsetattr(fd, TCSAFLUSH, &quiet);
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r <= 0) {
			break;
		}
		if (c == '\n' || c == '\r') {
			ret = buf;
			break;
		}
		if (n < sizeof(buf) - 1) {
			buf[n++] = c;
		}
	}
	buf[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &saved);
	dprintf(fd, "\n");
	close(fd);
	if (ret) {
		ret = strdup(buf);
	}
	explicit_bzero(buf, sizeof(buf));
	return ret;
}
