/* no-uring: runs a command under a seccomp filter that refuses io_uring_setup, as Docker's
 * default profile or kernel.io_uring_disabled do.
 *   no-uring [EPERM|ENOSYS|EINVAL] -- COMMAND [ARG...] */
#include "config.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int err = EPERM, i = 1;

	if (i < argc && strcmp(argv[i], "--") != 0) {
		const char *name = argv[i++];
		err = strcmp(name, "ENOSYS") == 0 ? ENOSYS : strcmp(name, "EINVAL") == 0 ? EINVAL : EPERM;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: no-uring [EPERM|ENOSYS|EINVAL] -- COMMAND [ARG...]\n");
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(io_uring_setup), 0) < 0 ||
	    seccomp_load(ctx) < 0) {
		fprintf(stderr, "no-uring: cannot install the seccomp filter\n");
		return 1;
	}
	seccomp_release(ctx);
	execvp(argv[i], argv + i);
	fprintf(stderr, "no-uring: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
