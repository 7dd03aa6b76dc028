# Wasmbed: the system under test (sut/), the device firmware (firmware/) and
# the scenario harness (harness/, scenarios/). See README.md.
#
#   make run    boot the embedded default environment and run the default scenarios
#   make test   unit tests, the Docker and QEMU package tests, the smoke scenarios (what CI runs)
#   make nightly  everything a nightly job runs, one report (README, Nightly)

SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO          ?= go
# Evaluated once: every target of one make invocation writes to the same
# reports/<run-id>/.
ifeq ($(origin RUN_ID),undefined)
RUN_ID      := $(shell date +%Y%m%d-%H%M%S)
endif
REPORTS     := reports/$(RUN_ID)
GINKGO      := $(GO) tool ginkgo
CONTROLLER_GEN := $(GO) tool controller-gen
BIN         := $(CURDIR)/bin

# The default scenarios: everything the embedded default environment (a
# local control plane, process devices, the built-in vehicle simulator)
# can run. The containers specs need Docker and run with `make run-docker`;
# the kind specs are not written (README, Labels).
RUN_LABELS  ?= !kind && !containers
TEST_LABELS ?= smoke
UNIT_PKGS   := ./sut/... ./firmware/... ./harness/... ./fixtures/... ./qemu-images/...

export WASMBED_BIN_DIR := $(BIN)

.PHONY: all run run-docker test unit engine-tests smoke generate verify-generated tools deps build bench fmt vet lint clean help fixtures rules-test nightly report-test lint-workflows

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

tools: ## install ginkgo into GOBIN and prefetch the pinned Go tools
	$(GO) install github.com/onsi/ginkgo/v2/ginkgo
	$(GO) build -o /dev/null sigs.k8s.io/controller-tools/cmd/controller-gen

deps: ## install missing system packages (Debian); run as root or with sudo
	@.ci/deps

generate: ## regenerate deep-copy code, CRDs and RBAC from the API types and markers
	$(CONTROLLER_GEN) object paths=./sut/api/... \
		crd paths=./sut/api/... output:crd:artifacts:config=sut/config/crd
	$(CONTROLLER_GEN) rbac:roleName=wasmbed-gateway paths="./sut/gateway/...;./sut/vehiclebridge/..." output:rbac:dir=sut/config/rbac/gateway
	$(CONTROLLER_GEN) rbac:roleName=wasmbed-controller paths=./sut/controller/... output:rbac:dir=sut/config/rbac/controller
	$(GO) test ./sut/config/prometheus -run '^TestPrometheusRuleIsGenerated$$' -update

verify-generated: ## fail if generated files are stale
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(CONTROLLER_GEN) object paths=./sut/api/... output:object:dir=$$tmp \
		crd paths=./sut/api/... output:crd:dir=$$tmp/crd; \
	$(CONTROLLER_GEN) rbac:roleName=wasmbed-gateway paths="./sut/gateway/...;./sut/vehiclebridge/..." output:rbac:dir=$$tmp/rbac/gateway; \
	$(CONTROLLER_GEN) rbac:roleName=wasmbed-controller paths=./sut/controller/... output:rbac:dir=$$tmp/rbac/controller; \
	if ! diff -q $$tmp/zz_generated.deepcopy.go sut/api/v1alpha1/zz_generated.deepcopy.go >/dev/null || \
	   ! diff -qr $$tmp/crd sut/config/crd >/dev/null || \
	   ! diff -qr $$tmp/rbac/gateway sut/config/rbac/gateway >/dev/null || \
	   ! diff -qr $$tmp/rbac/controller sut/config/rbac/controller >/dev/null; then \
		echo "generated files are stale: run 'make generate' and commit the result"; \
		diff -ru sut/config/crd $$tmp/crd | head -40 || true; exit 1; fi; \
	echo "generated files are up to date"

fixtures: ## rebuild fixtures/apps/*.wasm from their sources (needs wabt: make deps)
	$(GO) run ./fixtures/apps/cmd/build-fixtures -dir fixtures/apps

build: ## build the gateway, controller and device binaries into bin/
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./sut/cmd/gateway ./sut/cmd/controller ./firmware/cmd/device ./harness/cmd/harness

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

vet: ## gofmt check and go vet
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...

# build: harness/prometheus's test runs the SUT's binaries (WASMBED_BIN_DIR).
unit: build ## unit tests
	$(GO) test -count=1 $(UNIT_PKGS)

# The SUT's Prometheus rules (sut/config/prometheus): promtool, from
# Debian's prometheus package (make deps), checks them and runs each
# rule's unit tests. `make unit` checks that the PrometheusRule is
# generated from them and that every rule has a test here.
RULES_DIR := sut/config/prometheus
rules-test: ## check the SUT's alerting and recording rules and run their promtool unit tests
	promtool check rules $(RULES_DIR)/wasmbed.rules.yaml
	promtool test rules $(RULES_DIR)/tests/*.test.yaml

# The smoke scenarios' QEMU variants boot arm64 guests only: one kernel to
# fetch and the fastest boot under TCG.
smoke: build ## the smoke scenarios
	@mkdir -p $(REPORTS)
	WASMBED_RUN_ID=$(RUN_ID) WASMBED_QEMU_PROFILES=$${WASMBED_QEMU_PROFILES:-arm64-virt} $(GINKGO) run --label-filter='$(TEST_LABELS)' \
		--junit-report=junit.xml --json-report=report.json --output-dir=$(REPORTS) ./scenarios
	$(BIN)/harness report $(REPORTS)

# The package tests that build images and run containers, or boot QEMU
# guests and build guest images, skip unless WASMBED_DOCKER_TESTS /
# WASMBED_QEMU_TESTS is set. make test sets each where what it needs is
# there (a Docker engine that answers; the three qemu-system binaries) and
# says so when it is not. All of them run: about 45 s (Docker) and 2.5 min
# (QEMU) here with warm caches; make docker-test and make qemu-test run the
# same tests unconditionally. The kind provider's tests, which boot a kind
# cluster (about 5 minutes, more with a node image to build), also need
# WASMBED_KIND_TESTS: make kind-test, make docker-test and make nightly set
# it; make test leaves it out to stay within its time budget.
DOCKER_TEST_PKGS := ./harness/images/... ./harness/containers/... ./harness/cluster/kind/... ./harness/kindnode/...
QEMU_TEST_PKGS   := ./qemu-images/... ./harness/qemu/...

engine-tests: build ## the Docker and QEMU package tests, each where its engine is present
	@if docker info >/dev/null 2>&1; then \
		echo "engine-tests: a Docker engine answers: WASMBED_DOCKER_TESTS=1"; \
		WASMBED_DOCKER_TESTS=1 $(GO) test -count=1 -timeout=30m $(DOCKER_TEST_PKGS); \
	else echo "engine-tests: no Docker engine answers (docker info): the Docker package tests skip"; fi
	@if command -v qemu-system-aarch64 >/dev/null && command -v qemu-system-riscv64 >/dev/null && command -v qemu-system-x86_64 >/dev/null; then \
		echo "engine-tests: QEMU is installed: WASMBED_QEMU_TESTS=1"; \
		WASMBED_QEMU_TESTS=1 $(GO) test -count=1 -timeout=30m $(QEMU_TEST_PKGS); \
	else echo "engine-tests: QEMU is not installed (make deps): the QEMU package tests skip"; fi

test: deps verify-generated vet rules-test lint-workflows unit engine-tests fuzz-short report-test smoke ## what CI runs: generated files, vet, rule tests, workflow lint, unit tests, the Docker and QEMU package tests, a short fuzz of each target, the report in a browser, smoke scenarios

run: deps build ## boot the embedded default environment and run the default scenarios
	@mkdir -p $(REPORTS)
	WASMBED_RUN_ID=$(RUN_ID) $(GINKGO) run --label-filter='$(RUN_LABELS)' --keep-going \
		--junit-report=junit.xml --json-report=report.json --output-dir=$(REPORTS) ./scenarios \
		|| status=$$?; $(BIN)/harness report $(REPORTS); exit $${status:-0}

run-docker: deps build ## the scenarios that need Docker: the SUT and devices as containers
	@mkdir -p $(REPORTS)
	WASMBED_RUN_ID=$(RUN_ID) $(GINKGO) run --label-filter='containers' --keep-going \
		--junit-report=junit.xml --json-report=report.json --output-dir=$(REPORTS) ./scenarios \
		|| status=$$?; $(BIN)/harness report $(REPORTS); exit $${status:-0}

BENCH_TIMEOUT ?= 90m
bench: build ## benchmarks; prints the figures each issue targets and saves them in reports/bench/ (Go's benchmark format)
	@mkdir -p reports/bench
	$(GO) test -run='^$$' -bench=. -benchtime=1x -count=1 -timeout=$(BENCH_TIMEOUT) ./harness/bench/... | tee reports/bench/$(RUN_ID).txt
	$(GO) test -run='^$$' -bench=HostCall -count=1 ./firmware/apps/ | tee -a reports/bench/$(RUN_ID).txt

# Nightly (harness nightly; README, Nightly): every label with flake
# re-runs, the smoke specs repeated, kind and PX4 SITL where they can run,
# the chaos label once it exists, each fuzz target for NIGHTLY_FUZZTIME with
# FUZZ_TOOLCHAIN, every benchmark against the previous runs and the
# targets, and the report in a browser; one report, reports/<run>/index.html.
NIGHTLY_BUDGET   ?= 90m
NIGHTLY_REPEAT   ?= 3
NIGHTLY_FUZZTIME ?= 2m
# The seeded fault plans' label: empty until the chaos label exists (the
# nightly report says so).
CHAOS_LABEL      ?=
# Stages to leave out, comma-separated (reported as skipped).
NIGHTLY_SKIP     ?=
ACTIONLINT       := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

nightly: deps build ## everything a nightly job runs, bounded by NIGHTLY_BUDGET; one report: reports/<run-id>/index.html
	$(BIN)/harness nightly --run-id=$(RUN_ID) --budget=$(NIGHTLY_BUDGET) --repeat=$(NIGHTLY_REPEAT) \
		--fuzz-targets='$(FUZZ_TARGETS)' --fuzz-time=$(NIGHTLY_FUZZTIME) --fuzz-toolchain=$(FUZZ_TOOLCHAIN) \
		--chaos-label='$(CHAOS_LABEL)' --skip='$(NIGHTLY_SKIP)'

report-test: ## the run report of a deliberately red run, checked in headless Chromium (needs make deps)
	WASMBED_BROWSER_TESTS=1 $(GO) test -count=1 -run='^TestTheReport' ./harness/runreport/

lint-workflows: ## actionlint on .github/workflows (through the Go module proxy)
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml

clean: ## remove build output (the cache in ~/.cache/wasmbed stays)
	rm -rf $(BIN)

# Fuzzing: the frame and message decoders (sut/protocol) and CSR parsing
# (sut/pki), each starting from its committed seed corpus in fixtures/fuzz/.
# go test -fuzz runs one target at a time.
#
# make test fuzzes each target for a fixed number of executions
# (-fuzztime=Nx), never for a duration: a duration budget goes through a
# context deadline that Go's fuzz coordinator races at the boundary
# (golang/go#75804, fixed in Go 1.27), failing a loaded machine's run with
# a bare "context deadline exceeded" and no input. A count budget never
# sets that deadline, and it is the same work on a fast or a slow machine.
# The seed corpora also run as plain tests in `make unit`. `make fuzz`
# (a duration, for long runs) uses Go 1.27 for the same reason.
.PHONY: fuzz fuzz-short
FUZZTIME       ?= 30s
FUZZ_TOOLCHAIN ?= go1.27.3
# target:executions for make test (about 5 s each on this 2-core machine)
FUZZ_TARGETS   := ./sut/protocol:FuzzReadFrame:150000 ./sut/protocol:FuzzDecode:150000 ./sut/pki:FuzzParseCSR:25000

fuzz: ## run each fuzz target for FUZZTIME (default 30s) with Go $(FUZZ_TOOLCHAIN)
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; \
		echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
		GOTOOLCHAIN=$(FUZZ_TOOLCHAIN) $(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

fuzz-short: ## each fuzz target for a fixed execution count: the CI variant
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; n=$${rest#*:}; \
		echo "fuzz $$name in $$pkg for $$n executions"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$${n}x $$pkg || exit 1; \
	done

# QEMU devices (qemu-images/, harness/qemu): images are cached by content in
# ~/.cache/wasmbed; FIRMWARE picks the Go main package built as /init.
.PHONY: qemu-images qemu-images-lock qemu-test qemu-bench
FIRMWARE ?= ./firmware/cmd/device

qemu-images: ## build the QEMU guest images (Debian kernel + firmware initramfs) for every profile
	$(GO) run ./harness/cmd/harness qemu-images --firmware $(FIRMWARE)

qemu-images-lock: ## pin the newest Debian kernel per QEMU profile in qemu-images/kernels.lock
	$(GO) run ./harness/cmd/harness qemu-images --refresh-lock

qemu-test: ## boot tests of every QEMU profile (slow: real guests under TCG)
	WASMBED_QEMU_TESTS=1 $(GO) test -count=1 -timeout=30m -v $(QEMU_TEST_PKGS)

qemu-bench: ## boot-to-first-byte per QEMU profile, median of 5 boots
	WASMBED_QEMU_TESTS=1 $(GO) test -count=1 -run='^$$' -bench=BootToFirstByte -benchtime=1x ./harness/qemu/

# Containers and kind (harness/images, harness/containers, harness/cluster/kind,
# harness/kindnode): images are FROM scratch, built through the Docker API
# and tagged by content digest, so a second run builds nothing.
.PHONY: images kind-node-image docker-test kind-test

images: ## build the gateway, controller and device images (FROM scratch, no registry)
	$(GO) run ./harness/cmd/harness images

kind-node-image: ## build the kind node image offline: debootstrap base + Kubernetes from source (needs root)
	$(GO) run ./harness/cmd/harness kind-node-image

kind-test: ## boot a kind cluster with the SUT and check it (needs Docker; fails if kind cannot come up here)
	WASMBED_DOCKER_TESTS=1 WASMBED_KIND_TESTS=1 $(GO) test -count=1 -timeout=45m -v -run '^(TestCreate|TestKeptClusterIsReused|TestInterruptedCreateLeavesNothing|TestEngineProbeTriesWhatItReports)$$' ./harness/cluster/kind/

docker-test: ## tests that build images and run containers, kind's included (needs a Docker engine)
	WASMBED_DOCKER_TESTS=1 WASMBED_KIND_TESTS=1 $(GO) test -count=1 -timeout=30m -v $(DOCKER_TEST_PKGS)
