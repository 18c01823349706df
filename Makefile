# hrx: `make run` and `make test` are the two commands (README.md).
SHELL    := /bin/bash
#
#   make deps      install missing Debian packages (run + test)
#   make build     hrx-scheduler and the nginx dynamic module
#   make unit      cmocka unit tests, built with ASan/UBSan
#   make valgrind  the single-process unit tests under valgrind
#   make integration  pytest against real nginx + scheduler
#   make integration-san  the same with both processes under ASan/UBSan
#   make integration-both  the two at the same time (what make test runs)
#   make browser   the admin screens in real Chromium (playwright-core)
#   make test      deps, build, unit, valgrind, integration(-san), browser
#   make run       start nginx + scheduler on 127.0.0.1:8080 (data in var/)
#   make bench     wrk benchmarks, ratios against nginx `return 200`
#   make fuzz      every libFuzzer harness for FUZZ_SECONDS (default 600)
#   make info      what was found

BUILD    := build
NGX_SRC  ?= /usr/share/nginx/src
PYTHON   := /usr/bin/python3
CC       ?= cc

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -Ishm
LIBS     := -lsqlite3 -ljansson -lmsgpackc -lpcre2-8 -lcrypto -lcurl -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined

SHM_SRCS    := $(wildcard shm/*.c)
SHM_HDRS    := $(wildcard shm/*.h)
SCHED_SRCS  := $(wildcard scheduler/*.c)
SCHED_HDRS  := $(wildcard scheduler/*.h)
MOD_SRCS    := $(wildcard ngx_hrx_module/*.c)
MOD_HDRS    := $(wildcard ngx_hrx_module/*.h)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

SCHEDULER   := $(BUILD)/hrx-scheduler
MODULE      := $(BUILD)/ngx_http_hrx_module.so
NGX_BUILD   := $(BUILD)/nginx

.PHONY: all deps deps-run build unit valgrind integration integration-san integration-both \
        browser test run bench fuzz fuzz-build fuzz-smoke \
        info clean

all: build

deps:
	@scripts/deps.sh test
deps-run:
	@scripts/deps.sh run

build: $(SCHEDULER) $(MODULE) $(BUILD)/hrx-sql-dump

$(SCHEDULER): $(SCHED_SRCS) $(SCHED_HDRS) $(SHM_SRCS) $(SHM_HDRS) | $(BUILD)/.dir
	$(CC) $(ALL_CFLAGS) -Ischeduler -o $@ $(SCHED_SRCS) $(SHM_SRCS) $(LIBS)

# the statements of the resource descriptors, for the query-plan test
# (tests/integration/test_query_plans.py; docs/performance.md)
%/hrx-sql-dump: tests/integration/sql_dump.c $(SHM_SRCS) $(SHM_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(SHM_SRCS) $(LIBS)

# The module is configured once against Debian's nginx (its own flags, so
# --with-compat and --with-threads match /usr/sbin/nginx); configure runs
# again only when the list of sources changes.
$(BUILD)/module-sources: FORCE | $(BUILD)/.dir
	@echo $(MOD_SRCS) $(MOD_HDRS) $(SHM_SRCS) $(SHM_HDRS) > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@

$(NGX_BUILD)/objs/Makefile: $(BUILD)/module-sources config
	rm -rf $(NGX_BUILD) && mkdir -p $(NGX_BUILD)
	cp -r $(NGX_SRC)/. $(NGX_BUILD)/
	cd $(NGX_BUILD) && . ./conf_flags && ./configure "$${NGX_CONF_FLAGS[@]}" \
	    --with-cc-opt="$(WARN) -O2 -g -D_GNU_SOURCE" \
	    --add-dynamic-module=$(CURDIR) > ../configure.log 2>&1 \
	    || { tail -30 ../configure.log; exit 1; }

$(MODULE): $(NGX_BUILD)/objs/Makefile $(MOD_SRCS) $(MOD_HDRS) $(SHM_SRCS) $(SHM_HDRS)
	$(MAKE) -s -C $(NGX_BUILD) -f objs/Makefile modules
	cp $(NGX_BUILD)/objs/ngx_http_hrx_module.so $@.new && mv -f $@.new $@

$(BUILD)/.dir:
	mkdir -p $(BUILD)/unit && touch $@

# each unit test links only the shm code it tests (all of shm/ is small);
# the search test runs its conditions over the real schema
UNIT_EXTRA :=
$(BUILD)/unit/test_search $(BUILD)/vg/test_search: UNIT_EXTRA := scheduler/schema.c
$(BUILD)/unit/test_search $(BUILD)/vg/test_search: scheduler/schema.c scheduler/schema.h
$(BUILD)/unit/test_bulk $(BUILD)/vg/test_bulk: UNIT_EXTRA := scheduler/schema.c
$(BUILD)/unit/test_bulk $(BUILD)/vg/test_bulk: scheduler/schema.c scheduler/schema.h
$(BUILD)/unit/test_mime $(BUILD)/vg/test_mime: UNIT_EXTRA := scheduler/mime.c
$(BUILD)/unit/test_mime $(BUILD)/vg/test_mime: scheduler/mime.c scheduler/mime.h

$(BUILD)/unit/%: tests/unit/%.c $(SHM_SRCS) $(SHM_HDRS) | $(BUILD)/.dir
	$(CC) $(ALL_CFLAGS) $(SAN) -Ischeduler -o $@ $< $(SHM_SRCS) $(UNIT_EXTRA) $(LIBS) -lcmocka

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# valgrind wants binaries without ASan; the multi-process test is left to ASan
$(BUILD)/vg/%: tests/unit/%.c $(SHM_SRCS) $(SHM_HDRS) | $(BUILD)/.dir
	@mkdir -p $(BUILD)/vg
	$(CC) $(ALL_CFLAGS) -O0 -Ischeduler -o $@ $< $(SHM_SRCS) $(UNIT_EXTRA) $(LIBS) -lcmocka

VG_BINS := $(filter-out $(BUILD)/vg/test_ring_mp,$(patsubst tests/unit/%.c,$(BUILD)/vg/%,$(UNIT_SRCS)))
valgrind: $(VG_BINS)
	@set -e; for t in $(VG_BINS); do echo "== valgrind $$t"; \
	    valgrind -q --error-exitcode=9 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect $$t; done

integration: build
	$(PYTHON) -m pytest -q tests/integration $(PYTEST_ARGS)

# The same integration tests with both processes under ASan/UBSan: the
# scheduler built with the sanitizers, the module built with them and
# libasan preloaded into the stock nginx.  Reports go to files under each
# data dir's logs/ and fail the test that produced them.
SAN_BUILD := $(BUILD)/san
$(SAN_BUILD)/hrx-scheduler: $(SCHED_SRCS) $(SCHED_HDRS) $(SHM_SRCS) $(SHM_HDRS) | $(BUILD)/.dir
	@mkdir -p $(SAN_BUILD)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Ischeduler -o $@ $(SCHED_SRCS) $(SHM_SRCS) $(LIBS)

$(SAN_BUILD)/nginx/objs/Makefile: $(BUILD)/module-sources config
	rm -rf $(SAN_BUILD)/nginx && mkdir -p $(SAN_BUILD)/nginx
	cp -r $(NGX_SRC)/. $(SAN_BUILD)/nginx/
	cd $(SAN_BUILD)/nginx && . ./conf_flags && ./configure "$${NGX_CONF_FLAGS[@]}" \
	    --with-cc-opt="$(WARN) -O1 -g -D_GNU_SOURCE $(SAN)" --with-ld-opt="$(SAN)" \
	    --add-dynamic-module=$(CURDIR) > ../configure.log 2>&1 \
	    || { tail -30 ../configure.log; exit 1; }

$(SAN_BUILD)/ngx_http_hrx_module.so: $(SAN_BUILD)/nginx/objs/Makefile $(MOD_SRCS) $(MOD_HDRS) $(SHM_SRCS) $(SHM_HDRS)
	$(MAKE) -s -C $(SAN_BUILD)/nginx -f objs/Makefile modules
	cp $(SAN_BUILD)/nginx/objs/ngx_http_hrx_module.so $@.new && mv -f $@.new $@

integration-san: $(SAN_BUILD)/hrx-scheduler $(SAN_BUILD)/ngx_http_hrx_module.so \
                 $(SAN_BUILD)/hrx-sql-dump
	HRX_BUILD=$(SAN_BUILD) HRX_SANITIZE=1 $(PYTHON) -m pytest -q tests/integration $(PYTEST_ARGS)

# both at once (scripts/integration-both.sh says why); what `make test` runs
integration-both: build $(SAN_BUILD)/hrx-scheduler $(SAN_BUILD)/ngx_http_hrx_module.so \
                  $(SAN_BUILD)/hrx-sql-dump
	@scripts/integration-both.sh $(BUILD) $(PYTHON) $(PYTEST_ARGS)

# the admin screens in Debian's chromium, driven by playwright-core
# (HRX_SCREENSHOTS=1 also rewrites docs/screenshots/)
browser: build
	node --test --test-concurrency=1 tests/browser/

# libFuzzer harnesses (tests/fuzz/README.md): clang from Debian, the shm
# code built with the fuzzer's coverage and the sanitizers.  clang warns
# about positional initializers that leave trailing fields zero (the
# resource table relies on that, as gcc accepts), hence the one -Wno.
# `make fuzz` runs each FUZZ_SECONDS (default 600); `make fuzz-smoke`
# (part of make test) runs each over its corpus and a few seconds more.
FUZZ_CC      := clang
FUZZ_FLAGS   := -std=gnu11 $(WARN) -g -O1 -D_GNU_SOURCE -Ishm -Ischeduler \
                -Wno-missing-field-initializers \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 600
# the TZif harness includes shm/hrx_tz.c to reach its static reader
FUZZ_SHM_SRCS = $(if $(filter %/fuzz_tz,$@),$(filter-out shm/hrx_tz.c,$(SHM_SRCS)),$(SHM_SRCS))
FUZZ_EXTRA   :=
$(BUILD)/fuzz/fuzz_search: FUZZ_EXTRA := scheduler/schema.c
$(BUILD)/fuzz/fuzz_mime: FUZZ_EXTRA := scheduler/mime.c

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(SHM_SRCS) $(SHM_HDRS) \
                      scheduler/schema.c scheduler/mime.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_SHM_SRCS) \
	    $(FUZZ_EXTRA) $(LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps fuzz-build
	@scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	@scripts/fuzz.sh $(BUILD) 5 $(FUZZ_NAMES)

test: deps
	$(MAKE) build
	$(MAKE) unit
	$(MAKE) valgrind
	$(MAKE) fuzz-smoke
	$(MAKE) integration-both
	$(MAKE) browser

run: deps-run
	$(MAKE) build
	@scripts/run.sh

bench: deps
	$(MAKE) build
	@tests/bench/run.sh

info:
	@echo "nginx:    $$(/usr/sbin/nginx -v 2>&1)"
	@echo "nginx src: $(NGX_SRC) $$(test -f $(NGX_SRC)/conf_flags && echo ok || echo MISSING)"
	@for l in sqlite3 jansson msgpack-c libcrypto libcurl cmocka; do \
	    printf '%-9s %s\n' $$l "$$(pkg-config --modversion $$l 2>/dev/null || echo missing)"; done
	@echo "python:   $$($(PYTHON) -c 'import pytest,requests,aiosmtpd; print("pytest", pytest.__version__)' 2>&1 | tail -1)"
	@echo "wrk:      $$(command -v wrk || echo missing)"

clean:
	rm -rf $(BUILD)

FORCE:
