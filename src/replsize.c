/*
 * replsize.c - the prompt and the typed line drawn again after the
 * terminal is resized.
 *
 * readline's own redraw (rl_resize_terminal) climbs from the cursor as
 * many rows as the line took at the old width, clears them and draws the
 * line anew. That holds where the terminal keeps its rows as they were
 * (xterm). Terminals that reflow wrapped text on a resize (tmux, VTE,
 * kitty) re-wrap the line and move the cursor with it: readline then
 * climbs too far when the window grows, erasing what was printed above
 * the prompt, or not far enough when it shrinks, leaving a stale copy of
 * the prompt's first row. readline cannot know which kind of terminal it
 * has; the terminal can say where its cursor is.
 *
 * So, when the line takes more than one row, the terminal is asked
 * (ESC [ 6 n) and answers on the input (ESC [ row ; col R). The line's
 * layout at both widths, as readline draws it, tells the cursor's column
 * on a terminal that reflowed and on one that did not; the column the
 * terminal gives says which it is (a reflow when both could be), and its
 * row where the prompt now starts. Each row from there down is erased
 * and readline draws the prompt and the line again. Keys typed while the answer is awaited
 * are kept and given to readline after, in order. A terminal that does
 * not answer in time gets readline's redraw, and is not asked again until
 * its late answer shows up (that answer is taken out of the input).
 */
#include "replsize.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <readline/readline.h>

#include "wsc.h"

#define ANSWER_MS 500     // how long the terminal is given to answer
#define ANSWER_DIGITS 5   // a longer number is not a row or column

/* --- where readline puts the prompt and the line --- */

struct layout {
	int rows;       // the screen rows they take
	int row;        // the cursor's row among them, from 0
	int col;        // and its column, from 0
};

static bool variable_on(const char *name)
{
	const char *v = rl_variable_value(name);

	return v && !strcmp(v, "on");
}

// One character's columns: *n its bytes; a byte that starts no character
// takes one column, as readline shows it.
static int char_width(const char *s, size_t len, size_t *n, mbstate_t *st)
{
	wchar_t wc;
	size_t r = mbrtowc(&wc, s, len, st);
	int w;

	if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
		memset(st, 0, sizeof(*st));
		*n = 1;
		return 1;
	}
	*n = r;
	w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

// The prompt's width in columns (its invisible parts left out); -1 when
// it has a line break.
static int prompt_width(const char *p)
{
	size_t len = strlen(p);
	bool hidden = false;
	int width = 0;
	mbstate_t st;

	memset(&st, 0, sizeof(st));
	while (len) {
		size_t n = 1;
		int w = 0;

		if (*p == '\n') {
			return -1;
		}
		if (*p == RL_PROMPT_START_IGNORE || *p == RL_PROMPT_END_IGNORE) {
			hidden = *p == RL_PROMPT_START_IGNORE;
		} else {
			w = char_width(p, len, &n, &st);
		}
		width += hidden ? 0 : w;
		p += n;
		len -= n;
	}
	return width;
}

/*
 * The prompt (prompt columns wide) and the line at width columns, as
 * readline's rl_redisplay() lays them out: a row is full at width
 * columns; a tab reaches the next multiple of 8; a line break starts a
 * row; a control character shows as ^X; a wide character is not split
 * (the row is padded); with output-meta off a byte above 127 shows as
 * \ooo.
 */
static struct layout lay_out(int prompt, int width)
{
	const char *s = rl_line_buffer;
	size_t end = (size_t)rl_end;
	size_t point = (size_t)rl_point;
	bool meta = variable_on("output-meta");
	struct layout l = { 0, -1, 0 };
	int row = prompt / width;
	int col = prompt % width;
	mbstate_t st;
	size_t i = 0;

	memset(&st, 0, sizeof(st));
	while (i < end) {
		unsigned char c = (unsigned char)s[i];
		size_t n = 1;
		int w;

		if (i == point) {
			l.row = row;
			l.col = col;
		}
		if (c == '\n') {
			row++;
			col = 0;
			i++;
			continue;
		}
		if (c == '\t') {
			w = 8 - col % 8;
			row += col + w >= width;
			col = col + w >= width ? col + w - width : col + w;
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			w = 2;
		} else if (c < 0x80) {
			w = 1;
		} else if (!meta) {
			w = 4;
		} else {
			w = MB_CUR_MAX > 1 ? char_width(s + i, end - i, &n, &st) : 1;
			if (col + w > width && w <= width) {
				row++;          // not split: the row is padded
				col = 0;
				if (i == point) {
					l.row = row;
					l.col = col;
				}
			}
		}
		for (col += w; col >= width; col -= width) {
			row++;
		}
		i += n;
	}
	if (l.row < 0) {
		l.row = row;
		l.col = col;
	}
	l.rows = row + 1;
	return l;
}

/* --- the terminal's answer, among typed keys --- */

/*
 * b (len bytes, b[0] ESC) as the answer ESC [ row ; col R: its length
 * with *row and *col set; 0 when it is not one; -1 when b may begin one.
 */
static int match_answer(const unsigned char *b, size_t len, int *row,
		int *col)
{
	int v[2] = { 0, 0 };
	size_t i = 2;

	if (len < 2) {
		return -1;
	}
	if (b[1] != '[') {
		return 0;
	}
	for (int k = 0; k < 2; k++) {
		size_t start = i;

		while (i < len && b[i] >= '0' && b[i] <= '9' &&
				i - start < ANSWER_DIGITS) {
			v[k] = v[k] * 10 + (b[i++] - '0');
		}
		if (i == len) {
			return -1;
		}
		if (i == start || b[i] != (k ? 'R' : ';')) {
			return 0;
		}
		i++;
	}
	*row = v[0];
	*col = v[1];
	return (int)i;
}

/*
 * The answer in the kept input: 1 with *at, *len, *row and *col set; -1
 * when one may begin at *at (the input ends there); 0 when none is there.
 */
static int find_answer(const struct replsize *rs, size_t *at, size_t *len,
		int *row, int *col)
{
	for (size_t i = rs->kept_off; i < rs->kept_len; i++) {
		int m;

		if (rs->kept[i] != 0x1b) {
			continue;
		}
		m = match_answer(rs->kept + i, rs->kept_len - i, row, col);
		*at = i;
		if (m) {
			*len = m > 0 ? (size_t)m : 0;
			return m > 0 ? 1 : -1;
		}
	}
	return 0;
}

// Take the answer out of the kept input; false when it is not there.
static bool take_answer(struct replsize *rs, int *row, int *col)
{
	size_t at, len;

	if (find_answer(rs, &at, &len, row, col) != 1) {
		return false;
	}
	memmove(rs->kept + at, rs->kept + at + len, rs->kept_len - at - len);
	rs->kept_len -= len;
	return true;
}

/*
 * Read what the terminal sends within ms milliseconds (0: what is there
 * now) into the kept input: 1 when something came, 0 when nothing did,
 * -1 at its end or when there is no room left.
 */
static int read_more(struct replsize *rs, int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t room = sizeof(rs->kept) - rs->kept_len;
	ssize_t n;
	int r;

	if (!room) {
		return -1;
	}
	r = poll(&p, 1, ms);
	if (r <= 0) {
		return r < 0 && errno != EINTR ? -1 : 0;
	}
	n = read(fd, rs->kept + rs->kept_len, room);
	if (n < 0) {
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	}
	if (n == 0) {
		return -1;
	}
	rs->kept_len += (size_t)n;
	return 1;
}

/*
 * Give readline the kept input (readline reads it through
 * replsize_getc()), but for what may begin a late answer: that waits for
 * the bytes that follow it.
 */
static void feed(struct wsc *w)
{
	struct replsize *rs = &w->rs;
	size_t end = rs->kept_len;
	size_t at, len;
	int row, col;

	if (rs->owed && find_answer(rs, &at, &len, &row, &col) == -1) {
		end = at;
	}
	while (w->repl_active && rs->kept_off < end) {
		size_t before = rs->kept_off;

		rl_callback_read_char();
		if (rs->kept_off == before) {
			break;  // readline waits for more: it reads the rest
		}
	}
	if (!w->repl_active) {
		rs->kept_off = rs->kept_len = 0;  // closing: typed keys are not sent
		return;
	}
	memmove(rs->kept, rs->kept + rs->kept_off, rs->kept_len - rs->kept_off);
	rs->kept_len -= rs->kept_off;
	rs->kept_off = 0;
}

// Ask the terminal where its cursor is (row and column from 1).
static bool ask_cursor(struct wsc *w, int *row, int *col)
{
	struct replsize *rs = &w->rs;
	int fd = fileno(rl_instream);
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fputs("\033[6n", rl_outstream);
	fflush(rl_outstream);
	while (!take_answer(rs, row, col)) {
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ANSWER_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
			(t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || read_more(rs, fd, (int)left) < 0) {
			rs->owed = true;
			return false;
		}
	}
	return true;
}

/* --- the redraw --- */

// readline wraps the line over rows (else it scrolls it sideways)
static bool wraps(void)
{
	const char *up = rl_get_termcap("up");

	return up && *up && !variable_on("horizontal-scroll-mode");
}

/*
 * readline's own redraw, as before the size was read here: it draws only
 * when the size it knows changes, so it is given back the old one first.
 */
static void redraw_as_readline(int height, int width)
{
	rl_set_screen_size(height, width);
	rl_resize_terminal();
}

void replsize_resized(struct wsc *w)
{
	int height, width, rows, after, prompt, row, col, climb, stayed;
	struct layout was, now;

	rl_get_screen_size(&height, &width);
	rl_reset_screen_size();
	rl_get_screen_size(&rows, &after);
	prompt = prompt_width(rl_display_prompt);
	if (after == width || width < 1 || after < 1 || prompt < 0 ||
			w->rs.owed || !wraps() || !isatty(fileno(rl_outstream))) {
		redraw_as_readline(height, width);
		return;
	}
	was = lay_out(prompt, width);
	now = lay_out(prompt, after);
	// on one row the line stays where readline expects it
	if ((was.rows == 1 && now.rows == 1) || !ask_cursor(w, &row, &col)) {
		redraw_as_readline(height, width);
		feed(w);
		return;
	}
	/*
	 * A terminal that did not reflow left the cursor in its column (or
	 * at the right margin): the prompt starts as many rows up as before.
	 * One that reflowed put it where the new layout has it.
	 */
	stayed = was.col < after ? was.col : after - 1;
	climb = col - 1 == stayed && col - 1 != now.col ? was.row : now.row;
	row = row > rows ? rows : row;
	row = row - climb < 1 ? 1 : row - climb;
	// each row erased, not the screen from the prompt down (tmux keeps a
	// screen erased from its top left corner in its history), the last
	// the prompt's first
	for (int r = rows; r >= row; r--) {
		fprintf(rl_outstream, "\033[%d;1H\033[2K", r);
	}
	rl_forced_update_display();
	feed(w);
}

void replsize_input(struct wsc *w)
{
	struct replsize *rs = &w->rs;
	int row, col;
	int r = read_more(rs, fileno(rl_instream), 0);

	if (take_answer(rs, &row, &col)) {
		rs->owed = false;       // the late answer: dropped
	}
	if (r < 0) {
		// the terminal's end (or a full buffer): readline reads as before
		rs->owed = false;
		feed(w);
		if (w->repl_active) {
			rl_callback_read_char();
		}
		return;
	}
	feed(w);
}

int replsize_getc(struct replsize *rs, FILE *in)
{
	if (rs->kept_off < rs->kept_len) {
		return rs->kept[rs->kept_off++];
	}
	return rl_getc(in);
}
