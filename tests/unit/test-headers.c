/*
 * test-headers.c - headers_check(), headers_add_protocols(),
 * headers_protocol_offered() and headers_basic_auth() against tables.
 */
#include <stdbool.h>
#include <string.h>

#include "headers.h"
#include "tap.h"

static const struct check_row {
	const char *line;
	bool ok;
	const char *why;        // substring of the error, for rejects
} check_rows[] = {
	{ "X-Foo: bar", true, NULL },
	{ "X-Foo:bar", true, NULL },
	{ "X-Foo:", true, NULL },
	{ "X-Foo: a: b", true, NULL },
	{ "Authorization: Bearer abc.def", true, NULL },
	{ "!#$%&'*+-.^_`|~09azAZ: v", true, NULL },
	{ "X-Foo: caf\xc3\xa9", true, NULL },
	{ "X-Foo bar", false, "Name: value" },
	{ "X-Foo", false, "Name: value" },
	{ "", false, "Name: value" },
	{ ": bar", false, "empty header name" },
	{ ":", false, "empty header name" },
	{ "X-Foo: a\rb", false, "CR or LF" },
	{ "X-Foo: a\nb", false, "CR or LF" },
	{ "X-Foo: bar\r\n", false, "CR or LF" },
	{ "X-Foo: a\r\nX-Evil: 1", false, "CR or LF" },
	{ "X-Foo\r: bar", false, "CR or LF" },
	{ "X\nFoo", false, "CR or LF" },
	{ "X Foo: bar", false, "invalid character" },
	{ "X-Foo : bar", false, "invalid character" },
	{ " X-Foo: bar", false, "invalid character" },
	{ "X(Foo): bar", false, "invalid character" },
	{ "X/Foo: bar", false, "invalid character" },
	{ "X\"Foo\": bar", false, "invalid character" },
	{ "X\tFoo: bar", false, "invalid character" },
	{ "X@Foo: bar", false, "invalid character" },
	{ "X\x7f: bar", false, "invalid character" },
	{ "Caf\xc3\xa9: bar", false, "invalid character" },
};

static const struct proto_row {
	const char *before;     // buf contents before the call
	size_t size;            // buf size given (0: the whole buffer)
	const char *list;
	bool ok;
	const char *want;       // buf after success, or why substring
} proto_rows[] = {
	{ "", 0, "chat", true, "chat" },
	{ "", 0, "chat,superchat", true, "chat,superchat" },
	{ "", 0, "chat, superchat", true, "chat,superchat" },
	{ "", 0, "  chat  ,  superchat  ", true, "chat,superchat" },
	{ "", 0, "a,b,c", true, "a,b,c" },
	{ "chat", 0, "superchat", true, "chat,superchat" },
	{ "chat", 0, "chat", true, "chat" },
	{ "chat", 0, "superchat, chat", true, "chat,superchat" },
	{ "", 0, "a,a", true, "a" },
	{ "", 0, "a, b ,a,b", true, "a,b" },
	{ "chat", 0, "cha", true, "chat,cha" },
	{ "chat", 0, "Chat", true, "chat,Chat" },
	{ "", 0, "v1.json.example.com", true, "v1.json.example.com" },
	{ "", 0, "", false, "empty" },
	{ "", 0, " ", false, "empty" },
	{ "", 0, ",", false, "empty" },
	{ "", 0, "a,,b", false, "empty" },
	{ "", 0, "a,", false, "empty" },
	{ "", 0, ",a", false, "empty" },
	{ "", 0, "a, ,b", false, "empty" },
	{ "", 0, "a b", false, "invalid character" },
	{ "", 0, "a;b", false, "invalid character" },
	{ "", 0, "a/b", false, "invalid character" },
	{ "", 0, "a\tb", false, "invalid character" },
	{ "", 0, "a\r\nX: y", false, "invalid character" },
	{ "", 0, "\"chat\"", false, "invalid character" },
	{ "", 0, "caf\xc3\xa9", false, "invalid character" },
	{ "", 5, "abcd", true, "abcd" },
	{ "", 4, "abcd", false, "too many" },
	{ "abc", 9, "defg", true, "abc,defg" },
	{ "abc", 8, "defg", false, "too many" },
	{ "abc", 8, "abc", true, "abc" },
};

static const struct offered_row {
	const char *list;
	const char *name;
	bool want;
} offered_rows[] = {
	{ "chat", "chat", true },
	{ "chat,superchat", "chat", true },
	{ "chat,superchat", "superchat", true },
	{ "chat,superchat", "super", false },
	{ "chat,superchat", "chatx", false },
	{ "chat,superchat", "cha", false },
	{ "chat,superchat", "Chat", false },
	{ "chat,superchat", "chat,superchat", false },
	{ "chat", "", false },
	{ "", "chat", false },
	{ NULL, "chat", false },
	{ "a,b,c", "c", true },
	{ "a,b,c", "b", true },
};

static const struct auth_row {
	const char *user;
	const char *pass;
	size_t size;
	bool ok;
	const char *want;
} auth_rows[] = {
	{ "Aladdin", "open sesame", 64, true, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==" },
	// lws_b64_encode_string() wants one spare byte: 6 + 28 + NUL + 1
	{ "Aladdin", "open sesame", 36, true, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==" },
	{ "Aladdin", "open sesame", 34, false, NULL },
	{ "Aladdin", "open sesame", 6, false, NULL },
	{ "u", NULL, 64, true, "Basic dTo=" },
	{ "u", "", 64, true, "Basic dTo=" },
	{ "", "", 64, true, "Basic Og==" },
	{ "user", "p:w", 64, true, "Basic dXNlcjpwOnc=" },
	{ "\xc3\xa9", "x", 64, true, "Basic w6k6eA==" },
};

static void test_check(const struct check_row *r)
{
	const char *why = NULL;
	bool got = headers_check(r->line, &why);
	const char *line = tap_esc(r->line);

	if (r->ok) {
		if (!ok(got, "check accepts \"%s\"", line)) {
			diag("why: %s", why ? why : "(null)");
		}
		return;
	}
	if (ok(!got, "check rejects \"%s\"", line)) {
		ok(why && strstr(why, r->why), "\"%s\": why \"%s\" holds \"%s\"",
			line, why ? why : "(null)", r->why);
	}
}

static void test_protocols(const struct proto_row *r)
{
	char buf[256];
	const char *why = NULL;
	const char *list = tap_esc(r->list), *before = tap_esc(r->before);
	bool got;

	strcpy(buf, r->before);
	got = headers_add_protocols(buf, r->size ? r->size : sizeof(buf),
		r->list, &why);
	if (r->ok) {
		if (ok(got, "add \"%s\" to \"%s\" (size %zu)", list, before,
				r->size)) {
			is_str(buf, r->want, "add \"%s\" to \"%s\": list", list,
				before);
		} else {
			diag("why: %s", why ? why : "(null)");
		}
		return;
	}
	if (ok(!got, "add \"%s\" to \"%s\" (size %zu) fails", list,
			before, r->size)) {
		ok(why && strstr(why, r->want), "add \"%s\": why \"%s\" holds \"%s\"",
			list, why ? why : "(null)", r->want);
	}
}

static void test_long_name(void)
{
	char buf[512] = "", name[200];
	const char *why = NULL;

	memset(name, 'p', 127);
	name[127] = '\0';
	ok(headers_add_protocols(buf, sizeof(buf), name, &why) &&
		!strcmp(buf, name), "127-byte subprotocol name accepted");
	buf[0] = '\0';
	memset(name, 'p', 128);
	name[128] = '\0';
	ok(!headers_add_protocols(buf, sizeof(buf), name, &why) &&
		strstr(why, "too long"), "128-byte subprotocol name rejected");
}

static void test_auth(const struct auth_row *r)
{
	char out[64];
	const char *user = tap_esc(r->user), *pass = tap_esc(r->pass);
	bool got;

	memset(out, 0, sizeof(out));
	got = headers_basic_auth(r->user, r->pass, out, r->size);
	if (!r->ok) {
		ok(!got, "basic auth \"%s\":\"%s\" into %zu bytes fails", user,
			pass, r->size);
		return;
	}
	if (ok(got, "basic auth \"%s\":\"%s\" into %zu bytes", user, pass,
			r->size)) {
		is_str(out, r->want, "basic auth \"%s\":\"%s\" into %zu bytes: "
			"value", user, pass, r->size);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(check_rows) / sizeof(check_rows[0]); i++) {
		test_check(&check_rows[i]);
	}
	for (size_t i = 0; i < sizeof(proto_rows) / sizeof(proto_rows[0]); i++) {
		test_protocols(&proto_rows[i]);
	}
	test_long_name();
	for (size_t i = 0; i < sizeof(offered_rows) / sizeof(offered_rows[0]);
			i++) {
		const struct offered_row *r = &offered_rows[i];

		is_int(headers_protocol_offered(r->list, r->name), r->want,
			"\"%s\" offered in \"%s\"", r->name, tap_esc(r->list));
	}
	for (size_t i = 0; i < sizeof(auth_rows) / sizeof(auth_rows[0]); i++) {
		test_auth(&auth_rows[i]);
	}
	return done_testing();
}
