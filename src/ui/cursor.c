#include "config.h"
#include "cursor.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

int tp_cursor_join(struct tp_cursor *c, int fd)
{
	char path[256];
	struct shmid_ds ds;
	key_t key;
	int err = 0;

	c->shared = NULL;
	if (!isatty(fd) || ttyname_r(fd, path, sizeof(path)) != 0)
		return -ENOTTY;
	key = ftok(path, 't');
	if (key == -1)
		return -errno;
	c->shm_id = shmget(key, 2 * sizeof(uint32_t), IPC_CREAT | 0600);
	if (c->shm_id < 0)
		return -errno;
	/* Someone else's segment on our key could move our lines about: not used. */
	if (shmctl(c->shm_id, IPC_STAT, &ds) != 0)
		err = -errno;
	else if (ds.shm_perm.uid != geteuid() || ds.shm_perm.cuid != geteuid() ||
		 (ds.shm_perm.mode & 077))
		err = -EPERM; /* cuid too: a creator who gave it to us keeps its access */
	if (!err) {
		void *at = shmat(c->shm_id, NULL, 0);
		if (at == (void *)-1)
			err = -errno;
		else
			c->shared = at;
	}
	if (err)
		return err;
	c->slot = __atomic_fetch_add(&c->shared[0], 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&c->shared[1], 1, __ATOMIC_ACQ_REL);
	return 0;
}

unsigned tp_cursor_up(const struct tp_cursor *c)
{
	uint32_t joined = __atomic_load_n(&c->shared[0], __ATOMIC_ACQUIRE);
	uint32_t up = joined - c->slot; /* unsigned: right across a wrap too */

	return up ? up : 1;
}

void tp_cursor_moved(struct tp_cursor *c, unsigned n)
{
	if (c->shared)
		__atomic_fetch_add(&c->shared[0], n, __ATOMIC_ACQ_REL);
}

void tp_cursor_leave(struct tp_cursor *c)
{
	if (!c->shared)
		return;
	if (__atomic_sub_fetch(&c->shared[1], 1, __ATOMIC_ACQ_REL) == 0)
		shmctl(c->shm_id, IPC_RMID, NULL);
	shmdt(c->shared);
	c->shared = NULL;
}
