/* Pure parsers for the command line's values: sizes, rates, durations.
 * No I/O, no global state; each returns 0 or -EINVAL (malformed) / -ERANGE (too big). */
#ifndef TP_PARSE_H
#define TP_PARSE_H

#include <stdint.h>

/* SIZE: digits with an optional fraction and an optional suffix.
 * K M G T are powers of 1024 (as pv and mbuffer read them), kB MB GB TB powers of 1000.
 * The result must be a whole number of bytes that fits in uint64_t.
 * Rejected: empty, sign, whitespace, hex, unknown suffix ("12Q"), "1.5" without suffix. */
int tp_parse_size(const char *text, uint64_t *bytes);

/* RATE: a SIZE per second, optionally ending in "/s"; also kbit Mbit Gbit (bits per second,
 * powers of 1000). Stored in bytes per second, rounded down; 0 means unlimited. */
int tp_parse_rate(const char *text, uint64_t *bytes_per_sec);

/* DURATION: seconds with an optional fraction and an optional unit: "ms", "s", "m".
 * Stored in nanoseconds. */
int tp_parse_duration(const char *text, uint64_t *nsec);

#endif
