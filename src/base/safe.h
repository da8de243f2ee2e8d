/* Text that came from outside (a file name, a name from the far side, -N) made safe to print
 * on a terminal: it can never carry a control sequence. Pure. */
#ifndef TP_SAFE_H
#define TP_SAFE_H

#include <stddef.h>

/* Copies the first n bytes of src (fewer at a NUL) into dst (len bytes of room, len > 0,
 * always NUL-terminated): printable ASCII and well-formed UTF-8 of printable characters
 * as they are; a C0 control, DEL, a C1 control (U+0080-U+009F), and each byte that is not
 * well-formed UTF-8 (a lone 0x9b, which some terminals take as CSI) become one '?'. Cuts
 * only between characters. Returns the length written. */
size_t tp_safe_text(char *dst, size_t len, const char *src, size_t n);

#endif
