#include "config.h"
#include "ctl_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory's path: room left for "/PID". */
#define DIR_MAX (TP_CTL_PATH_MAX - 12)

/* A directory of ours: no symlink, our uid, mode 0700 or less. */
static bool ours(const char *dir, bool private, const char **why)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		*why = "cannot be looked at";
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		*why = S_ISLNK(st.st_mode) ? "is a symbolic link, not a directory"
					   : "is not a directory";
		return false;
	}
	if (st.st_uid != geteuid()) {
		*why = "belongs to another user";
		return false;
	}
	if (private && (st.st_mode & 077)) {
		*why = "is open to group or others (it must be 0700)";
		return false;
	}
	return true;
}

/* $XDG_RUNTIME_DIR, if it is set and usable: absolute, a directory of ours, short enough to
 * hold "/tpipe/PID" in a socket's name. NULL otherwise. */
static const char *runtime_dir(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *why;

	if (!xdg || xdg[0] != '/' || strlen(xdg) + sizeof("/tpipe") > DIR_MAX)
		return NULL;
	return ours(xdg, false, &why) ? xdg : NULL;
}

int tp_ctl_own_path(char path[TP_CTL_PATH_MAX], pid_t pid, const char **why)
{
	const char *xdg = runtime_dir();
	char dir[DIR_MAX];

	if (xdg)
		snprintf(dir, sizeof(dir), "%s/tpipe", xdg);
	else
		snprintf(dir, sizeof(dir), "/tmp/tpipe-%u", (unsigned)geteuid());
	int err = mkdir(dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
	if (err)
		*why = "cannot be made";
	else if (!ours(dir, true, why))
		err = -EPERM;
	if (err) {
		snprintf(path, TP_CTL_PATH_MAX, "%s", dir);
		return err;
	}
	snprintf(path, TP_CTL_PATH_MAX, "%s/%d", dir, (int)pid);
	return 0;
}

unsigned tp_ctl_paths_for(char paths[3][TP_CTL_PATH_MAX], pid_t pid, uid_t uid)
{
	const char *xdg = uid == geteuid() ? runtime_dir() : NULL;
	unsigned n = 0;

	if (xdg)
		snprintf(paths[n++], TP_CTL_PATH_MAX, "%s/tpipe/%d", xdg, (int)pid);
	snprintf(paths[n], TP_CTL_PATH_MAX, "/run/user/%u/tpipe/%d", (unsigned)uid, (int)pid);
	if (n == 0 || strcmp(paths[0], paths[n]) != 0)
		n++;
	snprintf(paths[n++], TP_CTL_PATH_MAX, "/tmp/tpipe-%u/%d", (unsigned)uid, (int)pid);
	return n;
}
