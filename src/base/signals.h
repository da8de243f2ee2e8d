/* Signals are blocked in every thread and let in only while the main thread waits in ppoll(),
 * so they are handled in one place, between reads, never in the middle of one. */
#ifndef TP_SIGNALS_H
#define TP_SIGNALS_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

/* Installs the handlers, ignores SIGPIPE (EPIPE is handled as an error code), and blocks
 * SIGINT, SIGTERM and SIGUSR1 in the calling thread. Call before starting threads. */
int tp_signals_init(void);
/* Lets our signals in (true) or blocks them again (false) around a call that may block
 * outside ppoll(), such as opening a FIFO nobody has opened yet: such a call then fails with
 * EINTR when a signal arrives. */
void tp_signals_let_in(bool let_in);
/* The mask to pass to ppoll(): the original one, with our signals let in. */
const sigset_t *tp_signals_wait_mask(void);
/* The first SIGINT or SIGTERM received (0 if none). A second one exits at once. */
int tp_signals_stop_requested(void);
/* Adds what the second SIGINT or SIGTERM runs before it exits at once: serial.c puts its
 * lines' settings back, pidfile.c removes the -P file. Hooks run in the handler, in the order
 * added, so they may make async-signal-safe calls only. Adding one again does nothing. */
#define TP_SIGNALS_EXIT_HOOKS 4
void tp_signals_add_exit_hook(void (*hook)(void));
/* A file the second SIGINT or SIGTERM removes before it exits at once (NULL: none): the
 * control socket (ctl_server.h). The string must stay until it is set to NULL again. */
void tp_signals_set_exit_unlink(const char *path);
/* Whether a progress line is open on the terminal: a signal that ends us at once ends the
 * line first, so the shell's prompt starts on a clean line. */
void tp_signals_set_line_open(bool open);
/* True once per SIGUSR1. */
bool tp_signals_take_status_request(void);

/* The writer thread's one signal, TP_SIGNAL_WAKE: blocked everywhere else, let in by the
 * writer (tp_signals_writer_init) with a handler that does nothing and no SA_RESTART, so that
 * it interrupts a write that blocks (EINTR) without ending the process. */
#define TP_SIGNAL_WAKE SIGURG
/* In a writer thread, at its start: abandoned is its flag (below), which the thread only
 * reads. */
void tp_signals_writer_init(volatile sig_atomic_t *abandoned);
/* The main thread gives up on a writer thread (the drain after SIGINT or SIGTERM took longer
 * than --drain-timeout, or its output stalled): sets that thread's flag, then the signal
 * interrupts what it waits in. Call again until the writer ends: a signal that came just
 * before a blocking call does not stop it. */
void tp_signals_abandon_writer(pthread_t writer, volatile sig_atomic_t *abandoned);
/* In a writer thread: whether to give up (after every EINTR, and between pieces); each
 * writer thread has a flag of its own. */
bool tp_signals_writer_abandoned(void);

#endif
