// firstevent: how long a tracer takes from exec to its first event.
//
// It starts COMMAND with stdout on a pipe, opens MARKER every 5 ms from the
// moment before exec, and reads the pipe until a line contains MARKER. It
// then prints
//
//	firstevent ms=612.4
//
// (or "firstevent ms=timeout"), stops COMMAND with SIGINT (SIGKILL after 10 s)
// and exits 0 either way. COMMAND's stderr is left as it is.
//
// Usage: firstevent MARKER TIMEOUT_SECONDS COMMAND [ARG...]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OPEN_EVERY 0.005

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void open_marker(const char *marker)
{
	int fd = open(marker, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

// stop interrupts the tracer and waits for it, reading (and dropping) what
// it still writes so that it never blocks on a full pipe.
static void stop(pid_t child, int rfd)
{
	char buf[65536];
	kill(child, SIGINT);
	double deadline = now() + 10;
	for (;;) {
		if (waitpid(child, NULL, WNOHANG) == child)
			return;
		if (now() > deadline) {
			fprintf(stderr, "firstevent: tracer ignored SIGINT for 10 s; killing it\n");
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			return;
		}
		struct pollfd p = { .fd = rfd, .events = POLLIN };
		if (rfd >= 0 && poll(&p, 1, 20) > 0) {
			if (read(rfd, buf, sizeof(buf)) <= 0) {
				close(rfd);
				rfd = -1;
			}
		} else if (rfd < 0) {
			usleep(20000);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: firstevent MARKER TIMEOUT_SECONDS COMMAND [ARG...]\n");
		return 2;
	}
	const char *marker = argv[1];
	double timeout = atof(argv[2]);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		perror("firstevent: pipe");
		return 1;
	}

	double start = now();
	pid_t child = fork();
	if (child < 0) {
		perror("firstevent: fork");
		return 1;
	}
	if (child == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execvp(argv[3], &argv[3]);
		fprintf(stderr, "firstevent: exec %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	int rfd = pfd[0];

	// Lines are matched whole; a line longer than the buffer is matched in pieces.
	char line[8192];
	size_t n = 0;
	double next_open = start, found = -1;
	while (found < 0) {
		double t = now();
		if (t - start > timeout)
			break;
		if (t >= next_open) {
			open_marker(marker);
			next_open += OPEN_EVERY;
			continue;
		}
		struct pollfd p = { .fd = rfd, .events = POLLIN };
		int wait_ms = (int)((next_open - t) * 1000) + 1;
		if (poll(&p, 1, wait_ms) <= 0)
			continue;
		char buf[65536];
		ssize_t got = read(rfd, buf, sizeof(buf));
		if (got <= 0) {
			fprintf(stderr, "firstevent: tracer closed its stdout before the first event\n");
			break;
		}
		double at = now();
		for (ssize_t i = 0; i < got && found < 0; i++) {
			if (buf[i] != '\n' && n < sizeof(line) - 1) {
				line[n++] = buf[i];
				continue;
			}
			line[n] = 0;
			if (strstr(line, marker))
				found = at;
			n = 0;
			if (buf[i] != '\n')
				line[n++] = buf[i];
		}
	}
	if (found >= 0)
		printf("firstevent ms=%.1f\n", (found - start) * 1000);
	else
		printf("firstevent ms=timeout\n");
	fflush(stdout);
	stop(child, rfd);
	return 0;
}
