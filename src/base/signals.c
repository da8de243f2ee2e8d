#include "config.h"
#include "signals.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t status_requested;
static volatile sig_atomic_t line_open;
/* Each writer thread's own flag (one per output), set by the main thread before it sends
 * the wake-up (never by the handler: a stray SIGURG from outside must not end a writer), so
 * giving up on one output leaves the others writing. */
static __thread volatile sig_atomic_t *writer_abandoned;
static sigset_t wait_mask;
/* Added by the main thread, read by the handler: each slot is filled before the count
 * grows, and a pointer store is one instruction. */
static void (*volatile exit_hooks[TP_SIGNALS_EXIT_HOOKS])(void);
static volatile sig_atomic_t n_exit_hooks;
/* The same: a file the second signal removes (the control socket), or NULL. */
static const char *volatile exit_unlink;

static void on_stop(int sig)
{
	if (stop_signal) {
		/* The second one: the user does not want to wait for the buffer to drain. */
		if (line_open && write(STDERR_FILENO, "\n", 1) < 0) {
			/* nothing more we can do on the way out */
		}
		/* A serial line is left as it was found, the -P file removed. */
		for (int i = 0; i < n_exit_hooks; i++)
			exit_hooks[i]();
		const char *path = exit_unlink;
		if (path)
			unlink(path); /* no socket left behind for a PID that is gone */
		_exit(128 + sig);
	}
	stop_signal = sig;
}

static void on_status(int sig)
{
	status_requested = 1;
}

static void on_wake(int sig)
{
	/* Nothing: being delivered is the point (the writer's blocking call returns EINTR). */
}

int tp_signals_init(void)
{
	struct sigaction sa;
	sigset_t ours;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	sa.sa_handler = on_status;
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return -errno;
	sa.sa_handler = on_wake; /* no SA_RESTART: it must interrupt */
	if (sigaction(TP_SIGNAL_WAKE, &sa, NULL) < 0)
		return -errno;
	/* A vanished reader shows up as EPIPE from the write, in whichever thread wrote. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	/* Drawing progress from the background must never stop the process (TOSTOP). */
	if (sigaction(SIGTTOU, &sa, NULL) < 0)
		return -errno;

	sigemptyset(&ours);
	sigaddset(&ours, SIGINT);
	sigaddset(&ours, SIGTERM);
	sigaddset(&ours, SIGUSR1);
	sigaddset(&ours, TP_SIGNAL_WAKE);
	int err = pthread_sigmask(SIG_BLOCK, &ours, &wait_mask);
	if (err)
		return -err;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGUSR1);
	sigaddset(&wait_mask, TP_SIGNAL_WAKE); /* the writer's alone */
	return 0;
}

void tp_signals_add_exit_hook(void (*hook)(void))
{
	for (int i = 0; i < n_exit_hooks; i++)
		if (exit_hooks[i] == hook)
			return;
	assert(n_exit_hooks < TP_SIGNALS_EXIT_HOOKS);
	exit_hooks[n_exit_hooks] = hook;
	n_exit_hooks++;
}

void tp_signals_set_exit_unlink(const char *path)
{
	exit_unlink = path;
}

void tp_signals_set_line_open(bool open)
{
	line_open = open;
}

void tp_signals_let_in(bool let_in)
{
	static sigset_t blocked;

	if (let_in)
		pthread_sigmask(SIG_SETMASK, &wait_mask, &blocked);
	else
		pthread_sigmask(SIG_SETMASK, &blocked, NULL);
}

const sigset_t *tp_signals_wait_mask(void)
{
	return &wait_mask;
}

int tp_signals_stop_requested(void)
{
	return stop_signal;
}

bool tp_signals_take_status_request(void)
{
	if (!status_requested)
		return false;
	status_requested = 0;
	return true;
}

void tp_signals_writer_init(volatile sig_atomic_t *abandoned)
{
	writer_abandoned = abandoned;
	sigset_t wake;

	sigemptyset(&wake);
	sigaddset(&wake, TP_SIGNAL_WAKE);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
}

void tp_signals_abandon_writer(pthread_t writer, volatile sig_atomic_t *abandoned)
{
	*abandoned = 1;
	pthread_kill(writer, TP_SIGNAL_WAKE);
}

bool tp_signals_writer_abandoned(void)
{
	return writer_abandoned && *writer_abandoned;
}
