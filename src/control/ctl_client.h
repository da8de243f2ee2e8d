/* -R PID and -Q PID: the client's end of the control channel (ctl_server.h is the other).
 * -R sends the settings given and waits for the ack; -Q shows the other tpipe's progress
 * here, one line redrawn every -i, until it ends. Before anything, /proc/PID says whether
 * there is such a process and whether it is ours (root may reach anyone's); the socket's
 * peer (SO_PEERCRED) must then be that very process. Main thread; no transfer of its own. */
#ifndef TP_CTL_CLIENT_H
#define TP_CTL_CLIENT_H

#include "cli.h"

/* How long a tpipe may take to answer: it answers from its ppoll, within a wait. */
#define TP_CTL_ANSWER_MS 5000

/* Runs -R or -Q (o->remote_pid or o->query_pid); returns the exit status: 0, 1 (a runtime
 * error: no such process, not ours, not a tpipe, refused, said in one line), or 2 (a value
 * -R cannot send: a -N or --format too long). */
int tp_ctl_client_run(const struct tp_options *o);

#endif
