/* -d/--watchfd PID[:FD]: the progress of other processes through their open files, read from
 * /proc (the position from fdinfo, the size from the file), until they close them or end. */
#ifndef TP_WATCH_H
#define TP_WATCH_H

#include "cli.h"

/* Watches every -d of o until each is over, drawing as a transfer would (-i -w -H -n -q -f,
 * the display letters and --format). Returns the exit status: 0 when the files were closed
 * or the processes ended, 1 after an error said on stderr (no such process, not ours, no such
 * descriptor, not a file), 128 + N after signal N (SIGINT, SIGTERM). */
int tp_watch_run(const struct tp_options *o);

#endif
