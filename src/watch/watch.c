/* The -d loop: every 100 ms (or -i when shorter) a scan of /proc for each watched process, the
 * lines redrawn every -i, and a last line for every file as it closes. One thread: signals
 * are let in only while it waits in ppoll(), as in a transfer. */
#include "config.h"
#include "watch.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "format.h"
#include "procfd.h"
#include "progress.h"
#include "report.h"
#include "screen.h"
#include "signals.h"
#include "stats.h"
#include "watchlist.h"

/* The longest a file goes unsampled: how late a close is seen, and so how old the position
 * on its last line can be. */
#define TP_WATCH_SAMPLE_NS 100000000ull
/* One rendered line. */
#define TP_WATCH_LINE 4096
/* The most descriptors looked at in one process (a process with more has the rest left out). */
#define TP_WATCH_MAX_FDS 4096

/* One -d. */
struct target {
	int pid, fd;          /* fd -1: every file it has open */
	uint64_t start;       /* the process's start time: a later process with its PID is not it */
	uint64_t dev, ino;    /* with fd: the file it was open on at the start */
	bool done;            /* closed (fd) or ended (the process) */
};

/* The main thread's alone. */
struct watch {
	const struct tp_options *o;
	struct target t[TP_MAX_WATCH];
	int n;
	bool single;          /* one -d PID:FD: its line has -N's name, or none (as pv's) */
	bool with_pid;        /* several processes: line names start with the PID */
	bool show;            /* lines are drawn (not -q) */
	struct tp_format format;
	bool use_format;      /* display letters or --format; else tpipe's own line */
	struct tp_units units;
	struct tp_screen screen;
	int status;
	int fds[TP_WATCH_MAX_FDS];
	struct tp_watch_list list;
	char lines[TP_WATCH_MAX_FILES][TP_WATCH_LINE];
	const char *finals[TP_WATCH_MAX_FILES], *live[TP_WATCH_MAX_FILES];
	char out[TP_WATCH_MAX_FILES * (TP_WATCH_LINE + 16)];
};

static void end_lines(void *arg)
{
	struct watch *w = arg;

	if (w->screen.in_place && w->screen.height) {
		fputc('\n', stderr);
		w->screen.height = 0;
		tp_signals_set_line_open(false);
	}
}

/* A background job must neither draw over the shell's prompt nor be stopped for trying. */
static bool in_foreground(void)
{
	pid_t fg = tcgetpgrp(STDERR_FILENO);
	return fg < 0 || fg == getpgrp();
}

static void term_size(const struct tp_options *o, unsigned *width, unsigned *height)
{
	struct winsize ws = { 0 };
	bool got = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0;

	*width = o->width ? o->width : got && ws.ws_col ? ws.ws_col : 80;
	*height = o->height ? o->height : got && ws.ws_row ? ws.ws_row : 25;
}

static double wall_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "PID" or "PID:FD", for messages. */
static const char *what(const struct target *t, char *buf, size_t len)
{
	if (t->fd >= 0)
		snprintf(buf, len, "--watchfd: %d:%d", t->pid, t->fd);
	else
		snprintf(buf, len, "--watchfd: %d", t->pid);
	return buf;
}

/* One line for an error about a target. */
static void report(const struct target *t, int err, const char *target_path)
{
	char buf[96], why[PATH_MAX + 64];

	if (err == -ESRCH) {
		snprintf(why, sizeof(why), "no process %d", t->pid);
		tp_report("--watchfd", why);
		return;
	}
	if (err == -EACCES || err == -EPERM)
		snprintf(why, sizeof(why), "permission denied");
	else if (err == -ENOENT)
		snprintf(why, sizeof(why), "no such file descriptor");
	else if (err == -EMEDIUMTYPE)  /* check_target's: open, but not on a file */
		snprintf(why, sizeof(why), "%s: not a regular file or block device", target_path);
	else
		snprintf(why, sizeof(why), "%s", strerror(-err));
	tp_report(what(t, buf, sizeof(buf)), why);
}

/* Before the watch: the process runs and is ours, and a FD given is open on a file. */
static int check_target(struct target *t)
{
	struct tp_proc_fd pf = { .target = "" };
	int err = tp_proc_check(t->pid, &t->start);

	for (int tries = 0; !err && t->fd >= 0 && tries < 3; tries++) {
		err = tp_proc_fd_read(t->pid, t->fd, &pf);
		if (err == -EAGAIN)
			continue;  /* reopened while read: read again */
		if (!err && pf.kind == TP_FD_OTHER)
			err = -EMEDIUMTYPE;
		t->dev = pf.dev;
		t->ino = pf.ino;
		break;
	}
	if (err)
		report(t, err, pf.target);
	return err;
}

/* One descriptor of t found open: into the list if it is a file (and, for a FD given, still
 * the file it was). */
static void see_fd(struct watch *w, struct target *t, int fd, unsigned label_room, uint64_t now)
{
	struct tp_proc_fd pf;
	int err = tp_proc_fd_read(t->pid, fd, &pf);

	if (t->fd >= 0 && (err == -ENOENT || err == -EAGAIN ||
			   (!err && (pf.dev != t->dev || pf.ino != t->ino)))) {
		t->done = true;  /* closed, or on another file now */
		return;
	}
	if (err == -EACCES || err == -EPERM) {
		/* It became another user's (it ran a set-user-ID program). */
		report(t, err, NULL);
		w->status = 1;
		t->done = true;
		return;
	}
	if (err || pf.kind == TP_FD_OTHER)
		return;  /* gone since the listing, or nothing to watch */

	struct tp_watch_sample s = {
		.pid = t->pid, .fd = fd, .dev = pf.dev, .ino = pf.ino, .pos = pf.info.pos,
		.size = tp_fdinfo_size_is_total(&pf.info) ? pf.size : 0,
	};
	char label[TP_WATCH_LABEL];
	tp_watch_label(label, sizeof(label), t->pid, fd, pf.target, w->with_pid, label_room);
	s.label = label;
	/* A block device's size, once: its own file in the list keeps it. */
	if (pf.kind == TP_FD_BLOCK) {
		bool known = false;

		for (unsigned i = 0; i < w->list.n && !known; i++) {
			const struct tp_watch_file *f = &w->list.f[i];

			if (!f->closed && f->pid == s.pid && f->fd == fd && f->dev == s.dev &&
			    f->ino == s.ino) {
				s.size = f->size;
				known = true;
			}
		}
		if (!known && tp_proc_block_size(t->pid, fd, s.dev, s.ino, &s.size) < 0)
			s.size = 0;  /* no total: the position and rate still show */
	}
	tp_watch_list_see(&w->list, &s, now);
}

static void scan(struct watch *w, unsigned width, uint64_t now)
{
	unsigned label_room = width / 3 > 12 ? width / 3 : 12;

	tp_watch_list_begin_scan(&w->list);
	for (int i = 0; i < w->n; i++) {
		struct target *t = &w->t[i];
		uint64_t start;
		unsigned n = 0;

		if (t->done)
			continue;
		int err = tp_proc_check(t->pid, &start);
		if (!err && start != t->start)
			err = -ESRCH;  /* it ended, and its PID went to another process */
		if (!err && t->fd < 0)
			err = tp_proc_fds(t->pid, w->fds, TP_WATCH_MAX_FDS, &n);
		if (err) {
			if (err != -ESRCH) {
				report(t, err, NULL);
				w->status = 1;
			}
			t->done = true;
			continue;
		}
		if (t->fd >= 0)
			see_fd(w, t, t->fd, label_room, now);
		for (unsigned k = 0; k < n; k++)
			see_fd(w, t, w->fds[k], label_room, now);
	}
	tp_watch_list_end_scan(&w->list);
}

/* One file's line. */
static void render(struct watch *w, struct tp_watch_file *f, unsigned width, char *buf)
{
	const struct tp_options *o = w->o;
	struct tp_progress_view v;
	const char *name = w->single ? o->name : f->label;

	tp_watch_file_view(f, &v);
	v.name = name;  /* %A and %L: no bytes pass through us, so nothing to show */
	v.no_ring = true;
	if (o->numeric) {
		char num[TP_WATCH_LINE / 2];

		if (w->use_format)
			tp_format_render(&w->format, &w->units, &v, wall_clock(), num, sizeof(num),
					 sizeof(num));
		else
			tp_format_numeric(o->display, &v, num, sizeof(num));
		/* pv's -n has no names; with several files the numbers need one. */
		if (w->single)
			snprintf(buf, TP_WATCH_LINE, "%s", num);
		else
			snprintf(buf, TP_WATCH_LINE, "%s: %s", f->label, num);
	} else if (w->use_format) {
		tp_format_render(&w->format, &w->units, &v, wall_clock(), buf, TP_WATCH_LINE,
				 width);
	} else {
		tp_progress_render(buf, TP_WATCH_LINE, width, name, &v);
	}
	f->drawn = true;
	f->drawn_pos = f->pos;
}

/* Draws the files' lines: the closed ones' last lines, then the open ones' (all of them as
 * last lines when `last`; as plain lines only on the interval's tick). Then forgets the
 * closed ones. */
static void draw(struct watch *w, unsigned width, unsigned height, bool last, bool tick)
{
	unsigned nf = 0, nl = 0, room = w->screen.in_place && height > 1 ? height - 1 : 1;

	if (w->show && (!w->screen.in_place || in_foreground())) {
		for (unsigned i = 0; i < w->list.n; i++) {
			struct tp_watch_file *f = &w->list.f[i];
			bool final = f->closed || last;

			/* Plain lines: a last one only if it says something new. */
			if (final && !w->screen.in_place && f->drawn && f->pos == f->drawn_pos)
				continue;
			if (!final && (w->screen.in_place ? nl >= room : !tick))
				continue;  /* more files than the terminal has lines, or not yet */
			char *line = w->lines[nf + nl];
			render(w, f, width, line);
			if (final)
				w->finals[nf++] = line;
			else
				w->live[nl++] = line;
		}
		/* The lines were rendered in the list's order: finals first on the screen. */
		size_t n = tp_screen_compose(&w->screen, w->finals, nf, w->live, nl, w->out,
					     sizeof(w->out));
		fwrite(w->out, 1, n, stderr);
		fflush(stderr);
		tp_signals_set_line_open(w->screen.in_place && w->screen.height);
	}
	tp_watch_list_sweep(&w->list);
}

static bool all_done(const struct watch *w)
{
	for (int i = 0; i < w->n; i++)
		if (!w->t[i].done)
			return false;
	return tp_watch_list_open(&w->list) == 0;
}

static void set_up(struct watch *w, const struct tp_options *o)
{
	bool tty = isatty(STDERR_FILENO);
	char why[160];

	w->o = o;
	w->n = o->n_watch;
	for (int i = 0; i < w->n; i++) {
		w->t[i] = (struct target){ .pid = o->watch[i].pid, .fd = o->watch[i].fd };
		w->with_pid |= w->t[i].pid != w->t[0].pid;
	}
	w->single = w->n == 1 && w->t[0].fd >= 0;
	w->show = o->numeric || o->progress == TP_SHOW_ALWAYS ||
		  (o->progress == TP_SHOW_AUTO && tty);
	w->screen.in_place = tty && !o->numeric;
	w->units = (struct tp_units){ .bits = o->bits, .si = o->si, .numeric = o->numeric };
	if (o->format)
		tp_format_parse(&w->format, o->format, why, sizeof(why)); /* checked by cli.c */
	else if (o->display && !o->numeric)
		tp_format_from_letters(&w->format, o->display, o->last_written,
				       !w->single || o->name);
	w->use_format = w->format.n > 0;
}

int tp_watch_run(const struct tp_options *o)
{
	struct watch *w = calloc(1, sizeof(*w));
	int err = w ? tp_signals_init() : -ENOMEM;
	unsigned width, height;

	tp_report_set_name(o->name);
	if (err) {
		tp_report_errno(w ? "signals" : "--watchfd", err);
		free(w);
		return 1;
	}
	set_up(w, o);
	for (int i = 0; i < w->n && !err; i++)
		err = check_target(&w->t[i]);
	if (err) {
		free(w);
		return 1;
	}
	tp_report_set_hook(end_lines, w);
	uint64_t next_draw = tp_clock_ns();
	for (;;) {
		uint64_t now = tp_clock_ns();

		term_size(o, &width, &height);
		scan(w, width, now);
		bool over = all_done(w) || tp_signals_stop_requested();
		bool closed = tp_watch_list_open(&w->list) < w->list.n;
		if (over || closed || now >= next_draw)
			draw(w, width, height, over, now >= next_draw);
		if (over)
			break;
		if (now >= next_draw) {
			next_draw += o->interval_ns;
			if (next_draw <= now)  /* held up: the next interval starts now */
				next_draw = now + o->interval_ns;
		}
		uint64_t wait = next_draw - now < TP_WATCH_SAMPLE_NS ? next_draw - now
								      : TP_WATCH_SAMPLE_NS;
		struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000u),
				       .tv_nsec = (long)(wait % 1000000000u) };
		ppoll(NULL, 0, &ts, tp_signals_wait_mask());
		(void)tp_signals_take_status_request();  /* SIGUSR1: the lines say it all */
	}
	int status = tp_signals_stop_requested() ? 128 + tp_signals_stop_requested() : w->status;
	tp_report_set_hook(NULL, NULL);
	free(w);
	return status;
}
