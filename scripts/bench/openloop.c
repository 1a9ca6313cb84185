// openloop: the benchmark's workload. One thread opens and closes PATH
// (O_RDONLY, through libc's open, which is openat(2)) as fast as it can for
// SECONDS, then prints one machine-readable line:
//
//	openloop opens=5945210 seconds=5.000 opens_per_sec=1189042 cpu_seconds=4.998
//
// cpu_seconds is its own user+system time: with it the caller can tell how
// much of the machine something else was using meanwhile.
//
// Usage: openloop PATH SECONDS
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: openloop PATH SECONDS\n");
		return 2;
	}
	const char *path = argv[1];
	double seconds = atof(argv[2]);
	if (seconds <= 0) {
		fprintf(stderr, "openloop: SECONDS must be positive, not %s\n", argv[2]);
		return 2;
	}

	unsigned long long opens = 0;
	double start = now(), end = start + seconds, t = start;
	while (t < end) {
		// Reading the clock every 256 opens keeps it out of the rate.
		for (int i = 0; i < 256; i++) {
			int fd = open(path, O_RDONLY);
			if (fd < 0) {
				fprintf(stderr, "openloop: opening %s: %s\n", path, strerror(errno));
				return 1;
			}
			close(fd);
		}
		opens += 256;
		t = now();
	}
	double took = t - start;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("openloop opens=%llu seconds=%.3f opens_per_sec=%.0f cpu_seconds=%.3f\n", opens, took, opens / took, cpu);
	return 0;
}
