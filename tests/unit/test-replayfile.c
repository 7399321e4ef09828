/*
 * test-replayfile.c - a recording read back: what the -j formatter
 * (jsonl.c) writes decodes to the same bytes, text (every escape, UTF-8
 * of every length, escaped surrogate pairs) and binary (every length's
 * base64 padding); the order of sent and received messages is kept; a
 * line that is not a recording's is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "replayfile.h"
#include "tap.h"

static char line[1 << 16];

// A "sent" line with text s as -j writes it.
static const char *text_line(const char *s, size_t n)
{
	char q[8192];

	jsonl_quote(s, n, q, sizeof(q));
	snprintf(line, sizeof(line), "{\"ts\":1.0,\"t\":0.5,\"event\":\"sent\","
		"\"type\":\"text\",\"data\":%s}\n", q);
	return line;
}

static const char *binary_line(const unsigned char *p, size_t n)
{
	char enc[4096];
	unsigned char carry[2];
	size_t ncarry = 0, o;

	o = jsonl_base64(p, n, true, carry, &ncarry, enc);
	enc[o] = '\0';
	snprintf(line, sizeof(line), "{\"event\":\"message\",\"type\":\"binary\","
		"\"data\":\"%s\",\"t\":2}\n", enc);
	return line;
}

static bool parse(struct replay_file *f, const char *text)
{
	return replayfile_parse(f, "test", text, strlen(text));
}

int main(void)
{
	static const char *const texts[] = {
		"", "plain", "quote \" backslash \\ slash /",
		"tab\tcr\rnl\nbs\bff\fbell\x07 del\x7f esc\x1b",
		"\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x8e\x89 \xe2\x80\xa8",
	};
	unsigned char all[256];
	struct replay_file f;

	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		ok(parse(&f, text_line(texts[i], strlen(texts[i]))), "text %zu reads",
			i);
		ok(f.sent.n == 1 && !f.sent.m[0].binary && f.sent.m[0].t == 0.5,
			"text %zu is one sent text at 0.5", i);
		if (f.sent.n == 1) {
			is_mem(f.sent.m[0].data, f.sent.m[0].len, texts[i],
				strlen(texts[i]), "text %zu round-trips", i);
		}
		replayfile_free(&f);
	}
	for (int i = 0; i < 256; i++) {
		all[i] = (unsigned char)(255 - i);
	}
	for (size_t n = 0; n <= 6; n++) {
		ok(parse(&f, binary_line(all + 250 - n * 40, n)) && f.rx.n == 1,
			"binary of %zu bytes reads", n);
		if (f.rx.n == 1) {
			is_mem(f.rx.m[0].data, f.rx.m[0].len, all + 250 - n * 40, n,
				"binary of %zu bytes round-trips", n);
		}
		replayfile_free(&f);
	}
	ok(parse(&f, binary_line(all, 256)) && f.rx.n == 1 &&
		f.rx.m[0].len == 256 && !memcmp(f.rx.m[0].data, all, 256),
		"every byte value round-trips");
	replayfile_free(&f);

	ok(parse(&f, "{\"event\":\"message\",\"type\":\"text\",\"data\":"
		"\"\\ud83c\\udf89\\u00e9\\u0000\\/\"}"), "escapes read");
	is_mem(f.rx.m[0].data, f.rx.m[0].len, "\xf0\x9f\x8e\x89\xc3\xa9\0/", 8,
		"a surrogate pair, \\u00e9, NUL and \\/ decode");
	replayfile_free(&f);

	ok(parse(&f, "{\"event\":\"open\",\"t\":0.25,\"nested\":{\"t\":9}}\n"
		"{\"event\":\"message\",\"type\":\"text\",\"data\":\"a\"}\n"
		"{\"event\":\"state\",\"data\":[1,2]}\n"
		"{\"event\":\"sent\",\"t\":1,\"type\":\"text\",\"data\":\"b\"}\n"
		"\n"
		"{\"event\":\"message\",\"type\":\"text\",\"data\":\"c\"}"),
		"a conversation reads");
	ok(f.t_open == 0.25, "the open's t, not a nested one");
	ok(f.rx.n == 2 && f.sent.n == 1 && f.sent.m[0].rx_before == 1,
		"the sent message came after one received");
	replayfile_free(&f);

	ok(!parse(&f, "{\"event\":\"sent\",\"t\":1,\"type\":\"text\","
		"\"data\":\"\\udc00\"}"), "a lone low surrogate is refused");
	ok(!parse(&f, "{\"event\":\"sent\",\"t\":1,\"type\":\"binary\","
		"\"data\":\"QQ=A\"}"), "padding inside base64 is refused");
	ok(!parse(&f, "{\"event\":\"sent\",\"t\":1,\"type\":\"text\","
		"\"data\":\"\xff\"}"), "text that is not UTF-8 is refused");
	ok(!parse(&f, "[\"event\"]"), "an array is refused");
	ok(!parse(&f, "{\"event\":\"sent\",\"t\":\"1\",\"type\":\"text\","
		"\"data\":\"a\"}"), "a t that is a string is refused");
	return done_testing();
}
