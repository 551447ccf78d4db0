# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow: garbage collection for livepatch shadow variables.
# See README.md. Everything is built under build/ (BUILD=... to move it).

H := harness

.PHONY: all demo check lint kernel source shell deps clean distclean help

all: kernel

help:
	@echo "make demo       build, boot the VM, load livepatches, show the registry"
	@echo "make check      every test; last line: N passed, N failed"
	@echo "make lint       static checks only (after make kernel)"
	@echo "make kernel     prepare the source and build kernel and test modules"
	@echo "make shell      boot the VM to an interactive shell"
	@echo "make clean      remove the kernel build output (keeps the source)"
	@echo "make distclean  remove build/ entirely"

demo:
	@$(H)/demo.sh

check:
	@$(H)/check.sh

deps:
	@$(H)/deps.sh

source: deps
	@$(H)/ksrc.sh

kernel: source
	@$(H)/kbuild.sh

lint:
	@$(H)/lint.sh

shell: kernel
	@$(H)/vm.sh --shell

clean:
	rm -rf build/obj build/results build/vm.*

distclean:
	rm -rf build
