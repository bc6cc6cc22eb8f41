/*
 * cat_static.c - cat(1) with nothing to load: linked statically by
 * bench/run, so an exec per connection costs the kernel's fork and exec
 * and not the dynamic linker's work (most of the cost of starting
 * /bin/cat on the machine of bench/RESULTS.md).  The inetd section runs
 * both, so that what a server spends per connection shows beside the
 * program's own start-up.  Not part of the sockipc build.
 */
#include <unistd.h>

int main(void)
{
	static char buf[65536];
	ssize_t n;

	while ((n = read(0, buf, sizeof buf)) > 0) {
		for (char *p = buf; n > 0;) {
			ssize_t w = write(1, p, (size_t)n);

			if (w <= 0)
				return 1;
			p += w;
			n -= w;
		}
	}
	return n < 0;
}
