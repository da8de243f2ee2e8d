#include "config.h"
#include "stats.h"

#include <stdio.h>

char *tp_format_bytes(char *buf, size_t len, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (bytes >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", bytes);
	else
		snprintf(buf, len, "%.*f %s", bytes < 10 ? 2 : bytes < 100 ? 1 : 0, bytes, units[u]);
	return buf;
}

int tp_format_status(char *buf, size_t len, const char *name, const struct tp_snapshot *snap)
{
	char done[32], rate[32], pct[16] = "";
	double avg = snap->elapsed > 0 ? (double)snap->bytes_out / snap->elapsed : 0;

	tp_format_bytes(done, sizeof(done), (double)snap->bytes_out);
	tp_format_bytes(rate, sizeof(rate), avg);
	if (snap->total)
		snprintf(pct, sizeof(pct), " %.0f%%,", 100.0 * (double)snap->bytes_out / (double)snap->total);
	return snprintf(buf, len, "%s%s%s (%llu bytes) in %.1f s, %s/s,%s ring %u/%u full",
			name ? name : "", name ? ": " : "", done,
			(unsigned long long)snap->bytes_out, snap->elapsed, rate, pct,
			snap->ring_used, snap->ring_depth);
}
