/*
 * test-admit.c - the room's admission rules: the Origin rule (admit.h),
 * the client limits drawn from the descriptor limit, and the line budget
 * for joins and leaves (linebudget.h).
 */
#include <stdbool.h>
#include <string.h>

#include "admit.h"
#include "linebudget.h"
#include "tap.h"

static const struct origin_row {
	const char *origin, *host, *listen;
	bool ok;
} origin_rows[] = {
	// no Origin: not a browser
	{ NULL, "127.0.0.1:8081", "127.0.0.1", true },
	{ NULL, NULL, "127.0.0.1", true },
	// the page's own origin, by the Host the browser used
	{ "http://127.0.0.1:8081", "127.0.0.1:8081", "127.0.0.1", true },
	{ "http://localhost:8081", "localhost:8081", "127.0.0.1", true },
	{ "HTTP://LocalHost:8081", "localhost:8081", "127.0.0.1", true },
	{ "http://[::1]:8081", "[::1]:8081", "::1", true },
	{ "http://192.0.2.7:8081", "192.0.2.7:8081", "0.0.0.0", true },
	{ "http://chat.example:8081", "chat.example:8081", "chat.example", true },
	{ "http://localhost", "localhost", "127.0.0.1", true },
	// another site
	{ "http://evil.example", "127.0.0.1:8081", "127.0.0.1", false },
	{ "http://127.0.0.1:9999", "127.0.0.1:8081", "127.0.0.1", false },
	{ "https://127.0.0.1:8081", "127.0.0.1:8081", "127.0.0.1", false },
	{ "http://localhost:8081", "127.0.0.1:8081", "127.0.0.1", false },
	{ "null", "127.0.0.1:8081", "127.0.0.1", false },
	{ "http://127.0.0.1:8081", NULL, "127.0.0.1", false },
	{ "http://127.0.0.1:8081/", "127.0.0.1:8081", "127.0.0.1", false },
	// DNS rebinding: a name that is not the room's, pointing at it
	{ "http://rebind.example:8081", "rebind.example:8081", "127.0.0.1", false },
	{ "http://[::1", "[::1", "::1", false },
	{ "http://", "", "127.0.0.1", false },
};

static void test_origin(void)
{
	static const char *const allow[] = { "http://app.example:3000" };
	static const char *const any[] = { "http://x.example", "*" };

	for (size_t i = 0; i < sizeof(origin_rows) / sizeof(*origin_rows); i++) {
		const struct origin_row *r = &origin_rows[i];

		ok(admit_origin(r->origin, r->host, r->listen, NULL, 0) == r->ok,
			"origin %s, host %s, listening on %s: %s",
			r->origin ? r->origin : "(none)", r->host ? r->host : "(none)",
			r->listen, r->ok ? "in" : "out");
	}
	ok(admit_origin("http://app.example:3000", "127.0.0.1:8081",
		"127.0.0.1", allow, 1), "--allow-origin lets its origin in");
	ok(admit_origin("HTTP://APP.example:3000", "127.0.0.1:8081",
		"127.0.0.1", allow, 1), "--allow-origin ignores case");
	ok(!admit_origin("http://app.example:3001", "127.0.0.1:8081",
		"127.0.0.1", allow, 1), "--allow-origin is exact");
	ok(admit_origin("http://127.0.0.1:8081", "127.0.0.1:8081",
		"127.0.0.1", allow, 1), "the own origin stays in with it");
	ok(admit_origin("http://evil.example", "127.0.0.1:8081", "127.0.0.1",
		any, 2), "--allow-origin '*' lets any in");
	ok(admit_origin("null", "127.0.0.1:8081", "127.0.0.1", any, 2),
		"'*' takes 'null' too");
}

static void test_limits(void)
{
	struct admit_limits l;
	char why[200];

	ok(admit_limits(1024, 10, 0, &l, why, sizeof(why)), "hard 1024");
	is_int(l.nofile, 1024, "the hard limit when below %d", ADMIT_NOFILE);
	is_int(l.spare, 62, "1/16 spare");
	is_int(l.max_clients + l.spare + 10 + ADMIT_TRANSIENT, 1024,
		"every descriptor counted");

	ok(admit_limits(1048576, 10, 0, &l, why, sizeof(why)), "hard 1 Mi");
	is_int(l.nofile, ADMIT_NOFILE, "not more than %d by default",
		ADMIT_NOFILE);
	is_int(l.spare, 64, "at most 64 spare");
	is_int(l.max_clients, ADMIT_NOFILE - 10 - ADMIT_TRANSIENT - 64,
		"the rest are clients");

	ok(admit_limits(64, 15, 0, &l, why, sizeof(why)), "hard 64");
	is_int(l.nofile, 64, "64");
	is_int(l.spare, 2, "at least 2 spare");
	is_int(l.max_clients, 64 - 15 - ADMIT_TRANSIENT - 2, "clients");

	ok(!admit_limits(20, 15, 0, &l, why, sizeof(why)), "hard 20: none");
	ok(strstr(why, "ulimit -Hn: 20") != NULL, "says why: %s", why);

	ok(admit_limits(1048576, 10, 100000, &l, why, sizeof(why)),
		"--max-clients 100000");
	is_int(l.max_clients, 100000, "as asked");
	is_int(l.nofile, 10 + ADMIT_TRANSIENT + 100000 + 64, "what it needs");

	ok(admit_limits(1048576, 10, 3, &l, why, sizeof(why)),
		"--max-clients 3");
	is_int(l.max_clients, 3, "as asked");
	is_int(l.spare, 2, "2 spare");
	is_int(l.nofile, ADMIT_NOFILE, "the default descriptor limit");

	ok(!admit_limits(1024, 10, 2000, &l, why, sizeof(why)),
		"--max-clients over the hard limit");
	is_str(why, "--max-clients 2000 needs 2082 open files; the hard limit "
		"(ulimit -Hn) is 1024", "says why");
}

static void test_budget(void)
{
	struct linebudget b;
	int n = 0;

	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 1000; i++) {
		n += linebudget_take(&b, 5000);
	}
	is_int(n, LINEBUDGET_BURST, "a burst of %d at once", LINEBUDGET_BURST);
	ok(!linebudget_take(&b, 5099), "none before 1/%d s", LINEBUDGET_RATE);
	ok(linebudget_take(&b, 5100), "one after it");
	ok(!linebudget_take(&b, 5150), "then none");
	n = 0;
	for (long long t = 6000; t < 16000; t++) {
		n += linebudget_take(&b, t);
	}
	ok(n >= LINEBUDGET_RATE * 10 && n <= LINEBUDGET_RATE * 10 + 10,
		"%d a second under churn: %d in 10 s", LINEBUDGET_RATE, n);
	n = 0;
	for (int i = 0; i < 1000; i++) {
		n += linebudget_take(&b, 100000);
	}
	is_int(n, LINEBUDGET_BURST, "a quiet spell refills the burst only");
}

int main(void)
{
	test_origin();
	test_limits();
	test_budget();
	return done_testing();
}
