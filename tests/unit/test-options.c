/*
 * test-options.c - the number parsers behind every numeric option and the
 * --listen address parser. Table rows name their input; the form-feed row
 * is the input libFuzzer found (strtod skips leading spaces and takes a
 * sign).
 */
#include "tap.h"

#include "optionvalue.h"

static const struct {
	const char *in;
	bool inf;
	bool ok;
	long ms;
} secs[] = {
	{ "10", false, true, 10000 },
	{ "1.5", false, true, 1500 },
	{ ".25", false, true, 250 },
	{ "0", false, true, 0 },
	{ "inf", true, true, -1 },
	{ "inf", false, false, 0 },
	{ "-1", false, false, 0 },
	{ "+1", false, false, 0 },
	{ " 1", false, false, 0 },
	{ "\f-44444", false, false, 0 },    // found by fuzz-options
	{ "1e3", false, true, 1000000 },
	{ "0x10", false, false, 0 },
	{ "nan", false, false, 0 },
	{ "1s", false, false, 0 },
	{ "", false, false, 0 },
	{ "99999999999", false, false, 0 },
};

static const struct {
	const char *in;
	bool ok;
	unsigned long long v;
} uints[] = {
	{ "1", true, 1 },
	{ "65535", true, 65535 },
	{ "65536", false, 0 },
	{ "0", false, 0 },
	{ "-1", false, 0 },
	{ "\t5", false, 0 },
	{ "5x", false, 0 },
	{ "", false, 0 },
};

// a host of 128 bytes: one more than WSC_LISTEN_HOST_MAX holds
#define HOST32 "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
#define HOST128 HOST32 HOST32 HOST32 HOST32

static const struct {
	const char *in;
	bool ok;
	const char *host;
	int port;
} listens[] = {
	{ "8080", true, "127.0.0.1", 8080 },
	{ "0", true, "127.0.0.1", 0 },
	{ "localhost:65535", true, "localhost", 65535 },
	{ "0.0.0.0:1", true, "0.0.0.0", 1 },
	{ "[::1]:0", true, "::1", 0 },
	{ "[fe80::1%lo]:80", true, "fe80::1%lo", 80 },
	{ "65536", false, NULL, 0 },
	{ "-1", false, NULL, 0 },
	{ "abc", false, NULL, 0 },
	{ "", false, NULL, 0 },
	{ ":80", false, NULL, 0 },
	{ "host:", false, NULL, 0 },
	{ "[]:80", false, NULL, 0 },
	{ "::1", false, NULL, 0 },          // no IPv6 host without brackets
	{ "::1:0", false, NULL, 0 },
	{ "[::1]", false, NULL, 0 },
	{ "[::1]:", false, NULL, 0 },
	{ HOST128 ":80", false, NULL, 0 },
};


int main(void)
{
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		long ms = 0;
		const char *why = NULL;
		bool ok = options_parse_secs(secs[i].in, secs[i].inf, &ms, &why);

		is_int(ok, secs[i].ok, "secs '%s' (inf %d): accepted",
			tap_esc(secs[i].in), secs[i].inf);
		if (ok && secs[i].ok) {
			is_int(ms, secs[i].ms, "secs '%s': milliseconds",
				tap_esc(secs[i].in));
		}
		if (!ok) {
			ok(why && *why, "secs '%s': a reason", tap_esc(secs[i].in));
		}
	}
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		unsigned long long v = 0;
		const char *why = NULL;
		bool ok = options_parse_uint(uints[i].in, 1, 65535, &v, &why);

		is_int(ok, uints[i].ok, "uint '%s' in 1..65535: accepted",
			tap_esc(uints[i].in));
		if (ok && uints[i].ok) {
			is_int(v, uints[i].v, "uint '%s': value", tap_esc(uints[i].in));
		}
	}
	for (size_t i = 0; i < sizeof(listens) / sizeof(listens[0]); i++) {
		char host[WSC_LISTEN_HOST_MAX] = "";
		int port = -1;
		bool ok = options_parse_listen(listens[i].in, host, sizeof(host),
			&port);

		is_int(ok, listens[i].ok, "listen '%s': accepted",
			tap_esc(listens[i].in));
		if (ok && listens[i].ok) {
			is_str(host, listens[i].host, "listen '%s': host",
				tap_esc(listens[i].in));
			is_int(port, listens[i].port, "listen '%s': port",
				tap_esc(listens[i].in));
		}
	}
	return done_testing();
}
