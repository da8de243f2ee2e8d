/* Small facts about file descriptors. */
#ifndef TP_FDUTIL_H
#define TP_FDUTIL_H

#include <stdbool.h>

/* Raises a pipe's capacity towards /proc/sys/fs/pipe-max-size; quietly does nothing for
 * other files or when refused (a bigger pipe is an optimisation, never a requirement). */
void tp_fd_grow_pipe(int fd);
bool tp_fd_is_pipe(int fd);

#endif
