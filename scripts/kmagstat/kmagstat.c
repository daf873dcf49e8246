// SPDX-License-Identifier: GPL-2.0
/*
 * kmagstat: slabtop for kmag. Reads kmag's debugfs files `stats` (one
 * "name value" per line) and `slabinfo` (a header line naming the columns,
 * then one row per cache) and shows the totals and the top caches, sorted
 * by the memory their spans hold or by operations per second.
 *
 * Both files are parsed by name: unknown names and columns are ignored,
 * missing ones are shown as '-'.
 *
 * Interactive (stdout a terminal, no -o): refreshed every -d seconds;
 * keys 'm' (sort by memory), 'o' (by ops/s), 'q' (quit). Otherwise one
 * snapshot: two reads one interval apart (one with -d 0, rates '-').
 *
 * Exit status: 0, 1 when the files cannot be read, 2 on bad options.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_DIR	"/sys/kernel/debug/kmag"
#define NOVAL		LLONG_MIN	/* a value the file did not have */
#define NAME_MAX_LEN	64
#define CACHE_NAME_LEN	256	/* 63 characters, each perhaps a \ooo escape */

/* slabinfo columns kmagstat uses, found by their header name. */
enum col {
	COL_SIZE, COL_OBJECT_SIZE, COL_SPANS, COL_LIVE, COL_TOTAL,
	COL_MALLOCS, COL_FREES, COL_INUSE, COL_IDLE, COL_SPAN_BYTES,
	NR_COLS
};

static const char *const col_names[NR_COLS] = {
	[COL_SIZE] = "size",
	[COL_OBJECT_SIZE] = "object_size",
	[COL_SPANS] = "spans",
	[COL_LIVE] = "live_objects",
	[COL_TOTAL] = "total_objects",
	[COL_MALLOCS] = "mallocs",
	[COL_FREES] = "frees",
	[COL_INUSE] = "inuse_bytes",
	[COL_IDLE] = "idle_bytes",
	[COL_SPAN_BYTES] = "span_bytes",
};

struct cache_row {
	char name[CACHE_NAME_LEN];
	long long v[NR_COLS];
	double ops;		/* (mallocs + frees) per second, < 0: unknown */
};

struct stat_item {
	char name[NAME_MAX_LEN];
	long long value;
};

struct snapshot {
	struct stat_item *stats;
	int nr_stats;
	struct cache_row *rows;
	int nr_rows;
	struct timespec when;
};

enum sort_key { SORT_MEM, SORT_OPS };

static const char *dir = DEFAULT_DIR;
static bool raw_bytes;
static enum sort_key sort_key = SORT_MEM;

static struct termios saved_tio;
static bool tio_saved;
static volatile sig_atomic_t stop;

static void usage(void)
{
	fprintf(stderr,
		"usage: kmagstat [-o] [-b] [-d SECONDS] [-n N] [-s m|o] [-D DIR]\n"
		"  -o          print one snapshot and exit (also when stdout is not a terminal)\n"
		"  -b          raw bytes instead of KiB/MiB/GiB\n"
		"  -d SECONDS  refresh interval, default 1; with -o, 0 reads once (ops/s '-')\n"
		"  -n N        show at most N caches (default: the terminal's height; all with -o)\n"
		"  -s m|o      sort by memory held (span_bytes, default) or by ops/s\n"
		"  -D DIR      kmag's debugfs directory (default " DEFAULT_DIR ")\n"
		"keys: m sort by memory, o sort by ops/s, q quit\n");
	exit(2);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("kmagstat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void restore_tty(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = false;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static FILE *open_kmag_file(const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s (is debugfs mounted and kmag loaded?)", path,
		    strerror(errno));
	return f;
}

/* A decimal value, or NOVAL if @s is not one. */
static long long parse_value(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return NOVAL;
	return v;
}

static void *grow(void *p, int nr, int *cap, size_t size)
{
	if (nr < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	p = realloc(p, *cap * size);
	if (!p)
		die("out of memory");
	return p;
}

static void read_stats(struct snapshot *s)
{
	FILE *f = open_kmag_file("stats");
	char line[256], name[NAME_MAX_LEN], val[64];
	int cap = 0;

	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %63s", name, val) != 2)
			continue;
		s->stats = grow(s->stats, s->nr_stats, &cap, sizeof(*s->stats));
		strcpy(s->stats[s->nr_stats].name, name);
		s->stats[s->nr_stats].value = parse_value(val);
		s->nr_stats++;
	}
	fclose(f);
}

#define MAX_FIELDS	64

static int split(char *line, char **field)
{
	int n = 0;
	char *tok;

	for (tok = strtok(line, " \t\n"); tok && n < MAX_FIELDS;
	     tok = strtok(NULL, " \t\n"))
		field[n++] = tok;
	return n;
}

static void read_slabinfo(struct snapshot *s)
{
	FILE *f = open_kmag_file("slabinfo");
	int idx[NR_COLS], name_idx = -1, cap = 0, n, i, c;
	char line[1024], *field[MAX_FIELDS];
	struct cache_row *r;

	if (!fgets(line, sizeof(line), f))
		die("%s/slabinfo: empty", dir);
	n = split(line, field);
	for (c = 0; c < NR_COLS; c++)
		idx[c] = -1;
	for (i = 0; i < n; i++) {
		if (!strcmp(field[i], "name"))
			name_idx = i;
		for (c = 0; c < NR_COLS; c++)
			if (!strcmp(field[i], col_names[c]))
				idx[c] = i;
	}
	if (name_idx < 0)
		die("%s/slabinfo: no 'name' column in its header", dir);

	while (fgets(line, sizeof(line), f)) {
		n = split(line, field);
		if (n <= name_idx)
			continue;
		s->rows = grow(s->rows, s->nr_rows, &cap, sizeof(*s->rows));
		r = &s->rows[s->nr_rows++];
		snprintf(r->name, sizeof(r->name), "%s", field[name_idx]);
		for (c = 0; c < NR_COLS; c++)
			r->v[c] = idx[c] >= 0 && idx[c] < n ?
				parse_value(field[idx[c]]) : NOVAL;
		r->ops = -1;
	}
	fclose(f);
}

static void read_snapshot(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	read_stats(s);
	read_slabinfo(s);
}

static void free_snapshot(struct snapshot *s)
{
	free(s->stats);
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

/* The first of the names (NULL-terminated) that @s has. */
static long long stat_of(const struct snapshot *s, ...)
{
	const char *name;
	va_list ap;
	int i;

	va_start(ap, s);
	while ((name = va_arg(ap, const char *))) {
		for (i = 0; i < s->nr_stats; i++) {
			if (!strcmp(s->stats[i].name, name) &&
			    s->stats[i].value != NOVAL) {
				va_end(ap);
				return s->stats[i].value;
			}
		}
	}
	va_end(ap);
	return NOVAL;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Rates of @cur against @prev (NULL: unknown). */
static void compute_ops(struct snapshot *cur, const struct snapshot *prev)
{
	double dt;
	int i, j;

	if (!prev)
		return;
	dt = seconds_between(&prev->when, &cur->when);
	if (dt <= 0)
		return;
	for (i = 0; i < cur->nr_rows; i++) {
		struct cache_row *r = &cur->rows[i];
		long long now, then;

		if (r->v[COL_MALLOCS] == NOVAL || r->v[COL_FREES] == NOVAL)
			continue;
		now = r->v[COL_MALLOCS] + r->v[COL_FREES];
		then = 0;	/* a cache made since: everything is new */
		for (j = 0; j < prev->nr_rows; j++) {
			const struct cache_row *p = &prev->rows[j];

			if (strcmp(p->name, r->name) || p->v[COL_MALLOCS] == NOVAL ||
			    p->v[COL_FREES] == NOVAL)
				continue;
			then = p->v[COL_MALLOCS] + p->v[COL_FREES];
			break;
		}
		/* Destroyed and made again under the same name: since then. */
		r->ops = (now >= then ? now - then : now) / dt;
	}
}

static long long sort_value(const struct cache_row *r)
{
	return r->v[COL_SPAN_BYTES] == NOVAL ? -1 : r->v[COL_SPAN_BYTES];
}

static int cmp_rows(const void *a, const void *b)
{
	const struct cache_row *x = a, *y = b;

	if (sort_key == SORT_OPS && x->ops != y->ops)
		return x->ops < y->ops ? 1 : -1;
	if (sort_value(x) != sort_value(y))
		return sort_value(x) < sort_value(y) ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Bytes, as raw bytes (-b) or in B/KiB/MiB/GiB; '-' when unknown. */
static const char *fmt_bytes(char *buf, size_t len, long long v)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double d = v;
	int u = -1;

	if (v == NOVAL)
		return "-";
	if (raw_bytes || (v < 1024 && v > -1024)) {
		snprintf(buf, len, raw_bytes ? "%lld" : "%lldB", v);
		return buf;
	}
	while ((d >= 1024 || d <= -1024) && u < 3) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%s", d, unit[u]);
	return buf;
}

static const char *fmt_num(char *buf, size_t len, long long v)
{
	if (v == NOVAL)
		return "-";
	snprintf(buf, len, "%lld", v);
	return buf;
}

static const char *fmt_rate(char *buf, size_t len, double r)
{
	if (r < 0)
		return "-";
	snprintf(buf, len, "%.0f", r);
	return buf;
}

static double delta_rate(const struct snapshot *cur, const struct snapshot *prev,
			 const char *name)
{
	long long a, b;
	double dt;

	if (!prev)
		return -1;
	a = stat_of(prev, name, NULL);
	b = stat_of(cur, name, NULL);
	dt = seconds_between(&prev->when, &cur->when);
	if (a == NOVAL || b == NOVAL || dt <= 0 || b < a)
		return -1;
	return (b - a) / dt;
}

/* Magazine hit ratio over the interval, or since load without one. */
static void print_hits(const struct snapshot *cur, const struct snapshot *prev)
{
	long long h = stat_of(cur, "magazine_hits", NULL);
	long long m = stat_of(cur, "magazine_misses", NULL);
	const char *since = "since load";

	if (h == NOVAL || m == NOVAL) {
		printf("magazine hits -");
		return;
	}
	if (prev) {
		long long h0 = stat_of(prev, "magazine_hits", NULL);
		long long m0 = stat_of(prev, "magazine_misses", NULL);

		if (h0 != NOVAL && m0 != NOVAL && h - h0 + m - m0 > 0) {
			h -= h0;
			m -= m0;
			since = "interval";
		}
	}
	if (h + m > 0)
		printf("magazine hits %.1f%% (%s)", 100.0 * h / (h + m), since);
	else
		printf("magazine hits - (%s)", since);
}

static void print_totals(const struct snapshot *cur, const struct snapshot *prev)
{
	char b[6][32];

	printf("Objects: %s live, %s mallocs/s, %s frees/s, ",
	       fmt_num(b[0], 32, stat_of(cur, "live_objects", "heap_objects", NULL)),
	       fmt_rate(b[1], 32, delta_rate(cur, prev, "mallocs")),
	       fmt_rate(b[2], 32, delta_rate(cur, prev, "frees")));
	print_hits(cur, prev);
	printf("\n");
	printf("Heap: %s alloc, %s sys, %s inuse, %s idle, %s released\n",
	       fmt_bytes(b[0], 32, stat_of(cur, "alloc_bytes", "heap_alloc", NULL)),
	       fmt_bytes(b[1], 32, stat_of(cur, "sys_bytes", "heap_sys", NULL)),
	       fmt_bytes(b[2], 32, stat_of(cur, "inuse_bytes", "heap_inuse", NULL)),
	       fmt_bytes(b[3], 32, stat_of(cur, "idle_bytes", "heap_idle", NULL)),
	       fmt_bytes(b[4], 32, stat_of(cur, "heap_released_bytes", "heap_released",
					   NULL)));
	printf("Cached: %s magazines, %s depots, %s free spans, %s metadata\n",
	       fmt_bytes(b[0], 32, stat_of(cur, "magazine_bytes", NULL)),
	       fmt_bytes(b[1], 32, stat_of(cur, "depot_bytes", NULL)),
	       fmt_bytes(b[2], 32, stat_of(cur, "free_span_bytes", NULL)),
	       fmt_bytes(b[3], 32, stat_of(cur, "metadata_bytes", NULL)));
}

/* Print the totals and at most @max rows (< 0: all) sorted by sort_key. */
static void print_screen(struct snapshot *cur, const struct snapshot *prev,
			 int max, bool interactive)
{
	char b[10][32];
	int i, w = 4, shown;

	print_totals(cur, prev);
	qsort(cur->rows, cur->nr_rows, sizeof(*cur->rows), cmp_rows);
	shown = max < 0 || max > cur->nr_rows ? cur->nr_rows : max;
	for (i = 0; i < shown; i++)
		if ((int)strlen(cur->rows[i].name) > w)
			w = strlen(cur->rows[i].name);
	printf("\n%d caches, %d shown, sorted by %s%s\n", cur->nr_rows, shown,
	       sort_key == SORT_MEM ? "memory" : "ops/s",
	       interactive ? " (keys: m memory, o ops/s, q quit)" : "");
	printf("%-*s %6s %7s %6s %9s %9s %4s %9s %9s %9s %9s\n", w, "NAME", "SIZE",
	       "OBJSIZE", "SPANS", "LIVE", "TOTAL", "USE%", "SPAN_MEM", "INUSE",
	       "IDLE", "OPS/S");
	for (i = 0; i < shown; i++) {
		const struct cache_row *r = &cur->rows[i];
		long long live = r->v[COL_LIVE], total = r->v[COL_TOTAL];
		char use[8] = "-";

		if (live != NOVAL && total != NOVAL && total > 0)
			snprintf(use, sizeof(use), "%lld", live * 100 / total);
		printf("%-*s %6s %7s %6s %9s %9s %4s %9s %9s %9s %9s\n", w, r->name,
		       fmt_num(b[0], 32, r->v[COL_SIZE]),
		       fmt_num(b[1], 32, r->v[COL_OBJECT_SIZE]),
		       fmt_num(b[2], 32, r->v[COL_SPANS]),
		       fmt_num(b[3], 32, live), fmt_num(b[4], 32, total), use,
		       fmt_bytes(b[5], 32, r->v[COL_SPAN_BYTES]),
		       fmt_bytes(b[6], 32, r->v[COL_INUSE]),
		       fmt_bytes(b[7], 32, r->v[COL_IDLE]),
		       fmt_rate(b[8], 32, r->ops));
	}
}

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

static int once(double interval, int max)
{
	struct snapshot prev, cur;

	read_snapshot(&cur);
	if (interval > 0) {
		prev = cur;
		sleep_seconds(interval);
		read_snapshot(&cur);
		compute_ops(&cur, &prev);
		print_screen(&cur, &prev, max, false);
		free_snapshot(&prev);
	} else {
		print_screen(&cur, NULL, max, false);
	}
	free_snapshot(&cur);
	return 0;
}

static int terminal_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row == 0)
		return 24;
	return ws.ws_row;
}

static void setup_tty(void)
{
	struct termios tio;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	tio = saved_tio;
	tio.c_lflag &= ~(ICANON | ECHO);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio))
		return;
	tio_saved = true;
	atexit(restore_tty);
}

/* Wait up to @s seconds for a key; true if the screen must be redrawn. */
static bool wait_key(double s)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, (int)(s * 1000)) <= 0 || !(pfd.revents & POLLIN))
		return false;
	if (read(STDIN_FILENO, &c, 1) != 1) {
		/* stdin closed: wait the interval out. */
		sleep_seconds(s);
		return false;
	}
	switch (c) {
	case 'q': case 'Q':
		stop = 1;
		return false;
	case 'm': case 'M':
		sort_key = SORT_MEM;
		return true;
	case 'o': case 'O':
		sort_key = SORT_OPS;
		return true;
	}
	return false;
}

static int interactive(double interval, int max)
{
	struct snapshot prev = { 0 }, cur;
	bool have_prev = false, redraw;
	int rows;

	if (interval < 0.1)
		interval = 0.1;
	setup_tty();
	read_snapshot(&cur);
	while (!stop) {
		/* Totals (3), a blank line, the caption, the header, a spare. */
		rows = max >= 0 ? max : terminal_rows() - 7;
		if (rows < 1)
			rows = 1;
		printf("\033[H\033[2J");
		print_screen(&cur, have_prev ? &prev : NULL, rows, true);
		fflush(stdout);
		redraw = wait_key(interval);
		if (stop)
			break;
		if (redraw)
			continue;	/* same data, new order */
		free_snapshot(&prev);
		prev = cur;
		have_prev = true;
		read_snapshot(&cur);
		compute_ops(&cur, &prev);
	}
	restore_tty();
	free_snapshot(&prev);
	free_snapshot(&cur);
	return 0;
}

static int parse_int(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > INT_MAX)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	bool one = false;
	double interval = 1;
	int max = -1, opt;
	char *end;

	while ((opt = getopt(argc, argv, "obd:n:s:D:h")) != -1) {
		switch (opt) {
		case 'o':
			one = true;
			break;
		case 'b':
			raw_bytes = true;
			break;
		case 'd':
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno || end == optarg || *end || interval < 0 ||
			    interval > 3600)
				usage();
			break;
		case 'n':
			max = parse_int(optarg);
			break;
		case 's':
			if (!strcmp(optarg, "m"))
				sort_key = SORT_MEM;
			else if (!strcmp(optarg, "o"))
				sort_key = SORT_OPS;
			else
				usage();
			break;
		case 'D':
			dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (one || !isatty(STDOUT_FILENO))
		return once(interval, max);
	return interactive(interval, max);
}
