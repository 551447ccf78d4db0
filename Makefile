# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow: garbage collection for livepatch shadow variables.
# See README.md. Everything is built under build/ (BUILD=... to move it).

H := harness

.PHONY: all demo check check-debug bench series series-check lint kernel tool source shell deps \
	clean distclean help

all: kernel tool

help:
	@echo "make demo       build, boot the VM, load livepatches, show the registry"
	@echo "make check      every test; last line: N passed, N failed"
	@echo "                (make check STAGES=\"host guest\": only those stages)"
	@echo "make check-debug  only make check's debug stage: our in-guest tests,"
	@echo "                fail-nth sweep and stress on a KASAN/kmemleak/lockdep kernel"
	@echo "make bench      ours against pristine upstream 6.12, in QEMU (see BENCHMARKS.md)"
	@echo "make series     the work as a patch series against linux-source-6.12"
	@echo "                (build/series/patches; split by series/split)"
	@echo "make series-check  apply it patch by patch: build, checkpatch --strict"
	@echo "make lint       static checks only (after make kernel)"
	@echo "make kernel     prepare the source and build kernel and test modules"
	@echo "make tool       build tools/klp-shadow into build/klp-shadow"
	@echo "make shell      boot the VM to an interactive shell"
	@echo "make clean      remove the kernel build output (keeps the source)"
	@echo "make distclean  remove build/ entirely"

demo:
	@$(H)/demo.sh

# make check STAGES="host guest" runs only those (for development); only
# from make's command line, so that nothing in the environment drops a stage.
check:
	@$(H)/check.sh $(if $(filter command line,$(origin STAGES)),$(STAGES))

check-debug:
	@$(H)/check.sh debug

bench:
	@$(H)/bench.sh

series:
	@$(H)/series.sh

series-check: kernel
	@$(H)/series-check.sh

deps:
	@$(H)/deps.sh

source: deps
	@$(H)/ksrc.sh

kernel: source
	@$(H)/kbuild.sh

tool:
	@$(MAKE) -s -C tools/klp-shadow O=$(CURDIR)/build/klp-shadow WERROR=1

lint:
	@$(H)/lint.sh

shell: kernel
	@$(H)/vm.sh --shell

clean:
	rm -rf build/obj build/obj-* build/klp-shadow build/results build/vm.*

distclean:
	rm -rf build
