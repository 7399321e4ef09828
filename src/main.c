/*
 * main.c - parse options, set up signals, run the session, return its
 * exit status. The only place the process ends.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "check.h"
#include "client.h"
#include "log.h"
#include "options.h"
#include "server.h"
#include "state.h"

// Keep 0, 1 and 2 taken, so no socket can land on them.
static void reserve_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0) {
			int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);

			if (n >= 0 && n != fd) {
				close(n);
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct wsc_opts opts;
	enum wsc_parse parsed;
	sigset_t mask;
	int sigfd, ret;

	reserve_std_fds();
	parsed = options_parse(argc, argv, &opts);
	if (parsed != WSC_PARSE_OK) {
		options_finish(&opts);
		return parsed == WSC_PARSE_EXIT_OK ? WSC_EXIT_OK : WSC_EXIT_USAGE;
	}
	log_init(opts.quiet, opts.color_err);
	if (opts.check) {
		signal(SIGPIPE, SIG_IGN);
		ret = check_run(&opts);
		options_finish(&opts);
		return ret;
	}

	// SIGINT, SIGTERM and SIGWINCH become loop events; EPIPE replaces
	// SIGPIPE.
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

	ret = opts.listen ? server_run(&opts, sigfd) : client_run(&opts, sigfd);
	options_finish(&opts);
	return ret;
}
