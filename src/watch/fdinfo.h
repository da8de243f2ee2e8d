/* What /proc says about another process's open files, parsed from text, and which of them -d
 * watches. Pure: the caller reads the files (procfd.h), so every case is tested on text. */
#ifndef TP_FDINFO_H
#define TP_FDINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /proc/PID/fdinfo/FD: where one open file is. */
struct tp_fdinfo {
	uint64_t pos;      /* the file position: how far the process has read (or written) */
	unsigned flags;    /* its open flags (O_ACCMODE, O_APPEND ...) when has_flags */
	bool has_flags;
};

/* Parses the text of an fdinfo file (len bytes, not NUL-terminated). 0, or -EINVAL when there
 * is no "pos:" line, or a "pos:" or "flags:" line whose value is not a number. Lines it does
 * not know (mnt_id, ino, eventfd-count, inotify ...) are skipped. */
int tp_fdinfo_parse(const char *text, size_t len, struct tp_fdinfo *fi);

/* Whether the file's size is the end its position moves towards: not for a file opened only
 * for writing, whose size grows with the position (no total, so no bar or ETA then). */
bool tp_fdinfo_size_is_total(const struct tp_fdinfo *fi);

/* /proc/PID/stat: the process's state letter ('R', 'S', 'Z' ...) and start time (clock
 * ticks since boot, so that a later process given the same PID is told apart). 0, or -EINVAL
 * (no ")" closing the command name, fewer fields, or a start time that is not a number). */
int tp_proc_stat_parse(const char *text, size_t len, char *state, uint64_t *start);

/* Whether a state letter means the process has ended: a zombie (Z) or dead (X). */
bool tp_proc_state_ended(char state);

/* What an open descriptor is, for -d: only files with a size and a position show progress. */
enum tp_fd_kind {
	TP_FD_OTHER,   /* a pipe, socket, terminal, /dev/null, anon inode ...: not watched */
	TP_FD_FILE,    /* a regular file: its size from stat */
	TP_FD_BLOCK,   /* a block device: its size from BLKGETSIZE64 */
};

/* From the stat mode of /proc/PID/fd/FD (the file it is open on) and the link's target:
 * a target that is not a path ("pipe:[12]", "anon_inode:[eventfd]") is never a file, whatever
 * its mode says. */
enum tp_fd_kind tp_fd_classify(unsigned mode, const char *target);

#endif
