# Hookwire — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

MODULES   := pkg services/registry services/ingest services/dispatcher services/console cmd/hookwire
BIN       := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
# Tests start one embedded JetStream and one redis-server each; two cores.
TEST_FLAGS ?= -race -shuffle=on -count=1 -timeout 15m -p 2
GO_TEST   ?= go test

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: ## Build the pinned buf and protoc plugins (deploy/tools/go.mod) into bin/
	@cd deploy/tools && GOWORK=off GOFLAGS=-mod=mod go build -o $(BIN)/ \
		github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc

.PHONY: generate
generate: tools ## Regenerate Go code from proto/ into pkg/gen, and the commented descriptors reflection serves
	buf generate
	buf build --exclude-imports -o pkg/grpcserver/descriptors.binpb

.PHONY: lint
lint: tools ## gofmt, go vet on every module, buf lint
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^pkg/gen/')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES) bench; do (cd $$m && go vet ./...) || exit 1; done
	buf lint

.PHONY: redis-server
redis-server: ## Install redis-server with apt when it is missing (tests need it)
	@if ! command -v redis-server >/dev/null 2>&1 && [ -z "$$HOOKWIRE_REDIS_SERVER" ]; then \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "redis-server not found: installing it with apt-get"; \
			SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
			$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null || exit 1; \
		else \
			echo "redis-server is required by the tests: install it (e.g. brew install redis) or set HOOKWIRE_REDIS_SERVER"; exit 1; \
		fi; \
	fi

.PHONY: postgresql
postgresql: ## Install PostgreSQL with apt when it is missing (delivery-log tests start private servers)
	@if [ -z "$$HOOKWIRE_PG_BIN" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "PostgreSQL not found: installing it with apt-get"; \
			SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
			$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql >/dev/null || exit 1; \
		else \
			echo "PostgreSQL is required by the tests: install it (e.g. brew install postgresql@15) or set HOOKWIRE_PG_BIN to the directory holding initdb and postgres"; exit 1; \
		fi; \
	fi

.PHONY: chromium
chromium: ## Install Debian's chromium with apt when it is missing (the console's browser tests need it)
	@if ! command -v chromium >/dev/null 2>&1 && [ -z "$$HOOKWIRE_CHROMIUM" ]; then \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "chromium not found: installing it with apt-get"; \
			SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
			$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null || exit 1; \
		else \
			echo "chromium is required by the console's browser tests: install Chromium or Chrome and set HOOKWIRE_CHROMIUM to its path"; exit 1; \
		fi; \
	fi

.PHONY: firefox
firefox: ## Install Debian's firefox-esr with apt when it is missing (the console's Firefox check needs it)
	@if ! command -v firefox-esr >/dev/null 2>&1 && ! command -v firefox >/dev/null 2>&1 && [ -z "$$HOOKWIRE_FIREFOX" ]; then \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "firefox-esr not found: installing it with apt-get"; \
			SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
			$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq firefox-esr >/dev/null || exit 1; \
		else \
			echo "Firefox is required by the console's Firefox check: install it and set HOOKWIRE_FIREFOX to its path"; exit 1; \
		fi; \
	fi

.PHONY: test
test: redis-server postgresql chromium firefox ## Run every test of every module (real JetStream, redis-server and PostgreSQL)
	@for m in $(MODULES); do echo "== $$m"; (cd $$m && $(GO_TEST) $(TEST_FLAGS) ./...) || exit 1; done

# Flags of hookwire dev, e.g. ARGS='--grpc-addr 127.0.0.1:60051 --http-addr 127.0.0.1:8091 --nats-port 4333'.
ARGS ?=

FUZZTIME ?= 30s

.PHONY: fuzz
fuzz: ## Run every go test -fuzz target in the repo for FUZZTIME each (default 30s); seeds also run in make test
	@for m in $(MODULES); do \
		for pkg in $$(cd $$m && go list ./...); do \
			for f in $$(cd $$m && go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
				echo "== $$pkg $$f ($(FUZZTIME))"; \
				(cd $$m && go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg) || exit 1; \
			done; \
		done; \
	done

.PHONY: run
run: ## Start everything in one process: hookwire dev (embedded NATS + Redis); ARGS='--grpc-addr …' passes flags
	@echo "Building hookwire (the first build downloads and compiles the dependencies: a minute or two) …"
	@go build -o $(BIN)/hookwire ./cmd/hookwire
	$(BIN)/hookwire dev $(ARGS)

BENCH_FLAGS ?= -run '^$$' -bench . -benchmem -count=1

# Flags of the end-to-end benchmark, e.g. BENCH_ARGS='-w1-events 100000 -w4-backlog 1000000';
# W6 (10M retained deliveries, about 4 of the run's minutes) is scaled by W6_RECORDS
# (W6_RECORDS=1000000 for a quick run; -workloads without 6 skips it).
BENCH_ARGS ?=
W6_RECORDS ?= 10000000

.PHONY: bench
bench: redis-server postgresql ## End-to-end benchmark: W1, W2, W4 on each delivery log store (embedded, PostgreSQL), W3, W5, W6 (10M retained deliveries); results in bench/results (BENCH_ARGS=-h lists flags)
	go build -o $(BIN)/hookwire-bench ./bench
	$(BIN)/hookwire-bench -repo $(CURDIR) -out $(CURDIR)/bench/results -w6-records $(W6_RECORDS) $(BENCH_ARGS)

# Flags of the fault run, e.g. CHAOS_ARGS='-kills 10 -rate 300' (-short: the CI version).
CHAOS_ARGS ?=

.PHONY: chaos
chaos: redis-server ## Faults on a 3-node JetStream cluster stack (separate processes); results in bench/results/chaos.md (CHAOS_ARGS=-h lists flags)
	go build -o $(BIN)/hookwire-bench ./bench
	$(BIN)/hookwire-bench chaos -repo $(CURDIR) -out $(CURDIR)/bench/results $(CHAOS_ARGS)

.PHONY: bench-micro
bench-micro: ## Run the Go micro-benchmarks (match index, delivery client, ingest stream)
	cd services/dispatcher && go test -run '^$$' -bench 'Match$$' -benchmem -benchtime 20000x ./match/
	cd services/dispatcher && go test -run '^$$' -bench IndexMemory -benchtime 1x ./match/
	cd pkg && go test $(BENCH_FLAGS) ./deliver/
	cd services/ingest && go test $(BENCH_FLAGS) -benchtime 3s .

COMPOSE_SECRETS = deploy/secrets/master_key deploy/secrets/pg_password deploy/secrets/delivery_log_url deploy/secrets/grafana_admin_password

.PHONY: up
up: compose-files ## docker compose up (needs a Docker engine); the first run writes deploy/secrets/ and a root token
	docker compose up -d --build

# The files compose reads its secrets from. An older `docker compose up`
# without them left a directory where the tokens file belongs: removed
# here when empty (else make stops and says so).
.PHONY: compose-files
compose-files:
	@if [ -d deploy/tokens.local.json ]; then \
	  rmdir deploy/tokens.local.json 2>/dev/null && echo "Removed the directory deploy/tokens.local.json (left by docker compose up without make up)" || \
	  { echo "deploy/tokens.local.json is a non-empty directory: move it away, then run make up again"; exit 1; }; \
	fi
	@$(MAKE) -s --no-print-directory deploy/tokens.local.json $(COMPOSE_SECRETS)

deploy/secrets:
	@mkdir -p -m 0700 $@

# The master key seals every stored secret: taken from $$HOOKWIRE_MASTER_KEY
# the first time if set (an older install), else new. Back it up.
deploy/secrets/master_key: | deploy/secrets
	@umask 022; if [ -n "$$HOOKWIRE_MASTER_KEY" ]; then printf '%s\n' "$$HOOKWIRE_MASTER_KEY" > $@; echo "Wrote $@ from HOOKWIRE_MASTER_KEY"; \
	else head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $@; echo >> $@; echo "Created $@ (a new master key: back it up; it seals the stored secrets)"; fi

deploy/secrets/pg_password: | deploy/secrets
	@umask 022; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > $@; echo >> $@; echo "Created $@"

deploy/secrets/delivery_log_url: deploy/secrets/pg_password
	@umask 022; printf 'postgres://hookwire:%s@postgres:5432/hookwire?sslmode=disable\n' "$$(cat $<)" > $@; echo "Created $@"

deploy/secrets/grafana_admin_password: | deploy/secrets
	@umask 022; head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > $@; echo >> $@; echo "Created $@ (Grafana user admin)"

# A root token for the local compose stack, made on first `make up` and shown
# once; only its SHA-256 is stored (the file is not committed).
deploy/tokens.local.json:
	@tok=$$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
	sum=$$(printf %s "$$tok" | sha256sum | cut -d' ' -f1); \
	printf '{"tokens": [\n  {"name": "local-root", "sha256": "%s", "scope": "", "permissions": ["manage", "read", "publish"]}\n]}\n' "$$sum" > $@; \
	echo "Created $@. Root token for the compose stack (shown once): $$tok"

.PHONY: down
down: ## docker compose down (volumes kept)
	docker compose down

.PHONY: logs
logs: ## docker compose logs -f
	docker compose logs -f

.PHONY: ps
ps: ## docker compose ps
	docker compose ps
