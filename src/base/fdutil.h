/* Small facts about file descriptors. */
#ifndef TP_FDUTIL_H
#define TP_FDUTIL_H

#include <stdbool.h>

/* Raises a pipe's capacity towards /proc/sys/fs/pipe-max-size; quietly does nothing for
 * other files or when refused (a bigger pipe is an optimisation, never a requirement). */
void tp_fd_grow_pipe(int fd);
bool tp_fd_is_pipe(int fd);
/* /proc/sys/fs/pipe-max-size, or 1 MiB (its default) when it cannot be read. */
long tp_fd_pipe_max_size(void);

/* Call first thing: a standard descriptor closed by our parent would otherwise be reused by
 * our own open() (the output file turning up as fd 2 and catching error messages). Each closed
 * one is filled with /dev/null and remembered. 0 or -errno. */
int tp_fd_guard_std(void);
/* Whether standard descriptor fd (0, 1, 2) was closed when we started. */
bool tp_fd_std_was_closed(int fd);

#endif
