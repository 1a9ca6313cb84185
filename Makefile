# The two commands a new machine needs: `make run` and `make test` (as root).
GO ?= go
ARGS ?=

.PHONY: setup build run test vet clean bench bench-probe

setup:
	./scripts/setup.sh

build: setup
	PATH="$$PATH:/usr/local/go/bin" $(GO) build -ldflags "-X github.com/gosnoop/gosnoop/cmd.buildVersion=$$(git describe --always --dirty 2>/dev/null)" -o gosnoop .

# make run ARGS="-x -T"
run: build
	./gosnoop open $(ARGS)

# Packages run one at a time: the end-to-end tests trace the whole system,
# and trace_pipe has a single reader.
test: setup
	PATH="$$PATH:/usr/local/go/bin" $(GO) vet ./...
	PATH="$$PATH:/usr/local/go/bin" $(GO) test -p 1 -count=1 ./...

# gosnoop open against bpftrace and python-bcc; BENCH_ARGS="-d 10"
bench:
	./scripts/bench-open.sh $(BENCH_ARGS)

# probe's count() against streaming the same events
bench-probe:
	./scripts/bench-probe.sh $(BENCH_ARGS)

clean:
	rm -f gosnoop
