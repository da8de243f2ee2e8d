/* The files -d is watching: which are open, where each one is, and its rates. Pure: the watch
 * loop (watch.c) scans /proc and tells this list what it found; the list says what was
 * closed and turns each file into a progress view. One thread only (the main one). */
#ifndef TP_WATCHLIST_H
#define TP_WATCHLIST_H

#include <stdbool.h>
#include <stdint.h>
#include "view.h"

/* The most files watched at once: a process with more has the rest left out. */
#define TP_WATCH_MAX_FILES 128
/* The longest line name (watchname.h shortens paths to fit). */
#define TP_WATCH_LABEL 256

struct tp_watch_file {
	int pid, fd;
	uint64_t dev, ino;          /* which file: a descriptor reopened on another one is new */
	uint64_t size;              /* the total: 0 when unknown (a file only written) */
	uint64_t pos;               /* at the last sample */
	uint64_t first_pos;         /* at the first sample: the average rate counts from there */
	uint64_t first_ns, last_ns; /* the first and last samples' times */
	uint64_t rate_pos, rate_ns; /* where the current rate was last measured */
	double rate;                /* that measurement */
	bool seen;                  /* found open in the scan going on */
	bool closed;                /* no longer open (or its process ended): one last line due */
	bool drawn;                 /* the watch loop's: a line was drawn for it ... */
	uint64_t drawn_pos;         /* ... showing this position */
	char label[TP_WATCH_LABEL];
};

struct tp_watch_list {
	struct tp_watch_file f[TP_WATCH_MAX_FILES];
	unsigned n;                 /* in the order they were first found */
};

/* One file found open by a scan. */
struct tp_watch_sample {
	int pid, fd;
	uint64_t dev, ino, size, pos;
	const char *label;          /* copied (shortened to TP_WATCH_LABEL - 1 bytes) */
};

void tp_watch_list_init(struct tp_watch_list *l);
/* A scan starts: every open file is unseen until tp_watch_list_see finds it again. */
void tp_watch_list_begin_scan(struct tp_watch_list *l);
/* A file found open at now_ns (nanoseconds on any steady clock). The file it names is updated,
 * or added; a descriptor now on another file closes the one it was on. Returns the file, or
 * NULL when the list is full (the file is not watched). */
struct tp_watch_file *tp_watch_list_see(struct tp_watch_list *l, const struct tp_watch_sample *s,
					uint64_t now_ns);
/* The scan is over: every open file it did not see was closed. Returns how many were. */
unsigned tp_watch_list_end_scan(struct tp_watch_list *l);
/* Files still open. */
unsigned tp_watch_list_open(const struct tp_watch_list *l);
/* Forgets the closed files (once their last line is drawn), keeping the others' order. */
void tp_watch_list_sweep(struct tp_watch_list *l);

/* The file at its last sample: the position, the size, the time since it was first seen, the
 * average rate since then, and the current rate over the span since the last view (the one
 * before stands over a span under 50 ms; a position that went back counts as 0). */
void tp_watch_file_view(struct tp_watch_file *f, struct tp_progress_view *v);

#endif
