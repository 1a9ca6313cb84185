// readloop: bench-top's workload. One thread reads one byte of PATH with
// pread(2), RATE times a second (in batches every millisecond), for SECONDS,
// then prints one machine-readable line:
//
//	readloop reads=500000 seconds=5.000 reads_per_sec=100000 cpu_seconds=0.412
//
// cpu_seconds is its own user+system time: what each read costs it, which
// a tracer's probes add to.
//
// Usage: readloop PATH RATE SECONDS
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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
	if (argc != 4) {
		fprintf(stderr, "usage: readloop PATH RATE SECONDS\n");
		return 2;
	}
	long rate = atol(argv[2]);
	double seconds = atof(argv[3]);
	if (rate < 1000 || seconds <= 0) {
		fprintf(stderr, "readloop: RATE must be 1000 or more and SECONDS positive\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror("readloop: open");
		return 1;
	}
	long per_ms = rate / 1000;
	unsigned long long reads = 0;
	char c;
	double start = now(), end = start + seconds;
	struct timespec tick;
	clock_gettime(CLOCK_MONOTONIC, &tick);
	while (now() < end) {
		for (long i = 0; i < per_ms; i++) {
			if (pread(fd, &c, 1, 0) != 1) {
				perror("readloop: pread");
				return 1;
			}
			reads++;
		}
		tick.tv_nsec += 1000000;
		if (tick.tv_nsec >= 1000000000) {
			tick.tv_nsec -= 1000000000;
			tick.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
	}
	double took = now() - start;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("readloop reads=%llu seconds=%.3f reads_per_sec=%.0f cpu_seconds=%.3f\n", reads, took, reads / took, cpu);
	return 0;
}
