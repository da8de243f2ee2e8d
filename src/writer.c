#include "config.h"
#include "writer.h"

#include <errno.h>
#include <signal.h>

/* Keeps the engine fed: queue chunks while it can take more, otherwise wait for the oldest to
 * be written and give it back. Ends when the reader has closed and everything is out. */
static int writer_loop(struct tp_handoff *h, struct tp_engine *eng)
{
	for (;;) {
		struct tp_chunk *chunk;

		if (eng->inflight < eng->max_inflight) {
			/* Sleep for work only when nothing is in flight; otherwise go reap. */
			int err = tp_handoff_take(h, eng->inflight == 0, &chunk);
			if (err == 0) {
				int rc = tp_engine_submit(eng, chunk);
				if (rc < 0)
					return rc;
				if (rc == TP_ENGINE_DONE)
					tp_handoff_release(h, chunk);
				continue;
			}
			if (err == -ENODATA && eng->inflight == 0)
				return 0;
		}
		int rc = tp_engine_reap(eng, &chunk);
		if (rc < 0)
			return rc;
		tp_handoff_release(h, chunk);
	}
}

static void *writer_main(void *arg)
{
	struct tp_writer *w = arg;

	w->error = writer_loop(w->handoff, w->engine);
	tp_handoff_writer_exit(w->handoff);
	return NULL;
}

int tp_writer_start(struct tp_writer *w, struct tp_handoff *h, struct tp_engine *eng)
{
	w->handoff = h;
	w->engine = eng;
	w->error = 0;
	/* The thread inherits the caller's signal mask, in which our signals are blocked. */
	return -pthread_create(&w->thread, NULL, writer_main, w);
}

int tp_writer_join(struct tp_writer *w)
{
	pthread_join(w->thread, NULL);
	return w->error;
}
