#include "config.h"
#include "safe.h"

#include <stdbool.h>
#include <stdint.h>

/* The length of the well-formed UTF-8 sequence at s (at most n bytes) and its code point, or
 * 0 if it is not one (overlong forms, surrogates and past U+10FFFF are not). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (s[0] >= 0xf5 || len == 0 || len > n)
		return 0;
	uint32_t v = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < least[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

size_t tp_safe_text(char *dst, size_t len, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t in = 0, out = 0;

	while (in < n && s[in]) {
		uint32_t cp = s[in];
		size_t k = s[in] < 0x80 ? 1 : utf8_seq(s + in, n - in, &cp);
		/* Whatever cannot be shown as it is (a character or a stray byte) is one '?'. */
		bool ok = k && cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0);
		size_t w = ok ? k : 1;
		if (out + w >= len)
			break;
		for (size_t i = 0; i < w; i++)
			dst[out + i] = ok ? (char)s[in + i] : '?';
		out += w;
		in += k ? k : 1;
	}
	dst[out] = 0;
	return out;
}
