/* -P FILE: tpipe's process ID and a newline in FILE while it runs, for scripts that signal it
 * (kill -USR1 "$(cat FILE)"). Main thread only, but for the removal a second SIGINT or
 * SIGTERM runs in its handler (signals.h). */
#ifndef TP_PIDFILE_H
#define TP_PIDFILE_H

/* Creates or truncates path (mode 0644 before the umask) and writes the PID into it. 0, or
 * -errno and then no file is left (ENAMETOOLONG for a path of PATH_MAX or more). Once. */
int tp_pidfile_write(const char *path);

/* Removes the file, if one was written and it still holds our PID (another process may have
 * taken the name since). Async-signal-safe; does nothing the second time. */
void tp_pidfile_remove(void);

#endif
