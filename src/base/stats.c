#include "config.h"
#include "stats.h"

#include <stdio.h>

/* Three significant digits in steps of `base`: "999 B", "1.50 KiB", "20.0 MB". Rounding is
 * looked ahead so a value never shows as "1024 KiB" or "1000 kB". */
static char *format_scaled(char *buf, size_t len, double v, double base,
			   const char *const *units, unsigned n_units)
{
	unsigned u = 0;

	if (!(v >= 0) || v > 1e300) /* NaN, negative, infinite: nothing sensible to show */
		v = 0;
	while (v >= base - 0.5 && u + 1 < n_units) {
		v /= base;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", v, units[0]);
	else
		snprintf(buf, len, "%.*f %s", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, units[u]);
	return buf;
}

char *tp_format_bytes(char *buf, size_t len, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

	return format_scaled(buf, len, bytes, 1024, units, sizeof(units) / sizeof(units[0]));
}

char *tp_format_decimal(char *buf, size_t len, double bytes)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };

	return format_scaled(buf, len, bytes, 1000, units, sizeof(units) / sizeof(units[0]));
}

const char *tp_format_hold(enum tp_hold hold)
{
	switch (hold) {
	case TP_HOLD_FILLING: return "filling";
	case TP_HOLD_DRAINING: return "draining";
	default: return NULL;
	}
}

int tp_format_status(char *buf, size_t len, const char *name, const struct tp_snapshot *snap)
{
	char done[32], rate[32], pct[16] = "", hold[16] = "";
	double avg = snap->elapsed > 0 ? (double)snap->bytes_out / snap->elapsed : 0;
	const char *word = tp_format_hold(snap->hold);

	if (snap->total)
		snprintf(pct, sizeof(pct), " %.0f%%,", 100.0 * (double)snap->bytes_out / (double)snap->total);
	if (word)
		snprintf(hold, sizeof(hold), ", %s", word);
	if (snap->lines)
		return snprintf(buf, len, "%s%s%llu lines in %.1f s, %.0f lines/s,%s ring %u/%u full%s",
				name ? name : "", name ? ": " : "", (unsigned long long)snap->bytes_out,
				snap->elapsed, avg, pct, snap->ring_used, snap->ring_depth, hold);
	tp_format_bytes(done, sizeof(done), (double)snap->bytes_out);
	tp_format_bytes(rate, sizeof(rate), avg);
	return snprintf(buf, len, "%s%s%s (%llu bytes) in %.1f s, %s/s,%s ring %u/%u full%s",
			name ? name : "", name ? ": " : "", done,
			(unsigned long long)snap->bytes_out, snap->elapsed, rate, pct,
			snap->ring_used, snap->ring_depth, hold);
}
