# SPDX-License-Identifier: GPL-2.0
# memcg-lru: see README.md.  Every target is a thin wrapper around one
# script in scripts/; variables (BASE=1, PROFILE=, VM_MEM=, ...) pass
# through the environment and are listed in README.md ("Settings").

S := scripts
export CMD SCRIPT BASE PROFILE VM_MEM VM_CPUS VM_ICOUNT VM_APPEND SCRATCH_SIZE SLOW_BPS \
	SWAP_SIZE VM_TIMEOUT KVM DRY_RUN JOBS TEST_GROUPS SELFTESTS SELFTEST_TIMEOUT

.PHONY: help deps base apply build kernel module selftests initramfs vm run \
	test compare bench soak checkpatch bisect clean distclean

# DRY_RUN=1 prints what would be done; these targets honour it, the others
# refuse it rather than half-honour it.
DRY_OK := help deps base apply vm run
ifeq ($(DRY_RUN),1)
ifneq ($(filter-out $(DRY_OK),$(or $(MAKECMDGOALS),help)),)
$(error DRY_RUN=1 works with make $(DRY_OK) only)
endif
endif
# With DRY_RUN=1, make vm and make run only print the qemu command.
VM_DEPS := $(if $(filter 1,$(DRY_RUN)),,initramfs)

help:
	@sed -n 's/^## //p' $(firstword $(MAKEFILE_LIST))

## make run           install, fetch, apply, build, boot: the MGLRU toggle demo
run: $(VM_DEPS)
	$(S)/vm.sh -n run -s $(S)/guest/demo-toggle.sh

## make test          everything CI runs; ends with "N passed, N failed, N skipped"
test:
	@$(S)/test.sh

## make compare       the selftests on the base and the patched kernel, one table
compare:
	@$(S)/compare.sh

## make deps          install the host packages that are missing (apt)
deps:
	$(S)/deps.sh

## make base          unpack Debian's linux-source-6.1 under build/src
base: deps
	$(S)/base.sh

## make apply [KDIR=/your/linux]  apply the series (git am on a git tree, quilt otherwise)
# A user's tree needs only git or quilt, not the harness's packages.
apply:
ifeq ($(KDIR),)
	$(S)/deps.sh
	$(S)/base.sh
endif
	$(S)/apply.sh $(KDIR)

## make kernel        configure and build the kernel (BASE=1: the base; PROFILE=)
kernel: apply
	$(S)/build.sh kernel

## make module        build the test module against that kernel
module: kernel
	$(S)/build.sh module

## make selftests     build the selftests (static)
selftests: apply
	$(S)/build.sh selftests

## make build         kernel, module and selftests
build: kernel module selftests

## make initramfs     the guest's initramfs
initramfs: build
	$(S)/initramfs.sh

## make vm [CMD='...' | SCRIPT=file.sh] [BASE=1]  shell, command or script in the guest
vm: $(VM_DEPS)
	$(S)/vm.sh

## make bench         benchmarks on base and patched, one table of ratios
bench:
	$(S)/bench.sh

## make soak          long runs; SOAK_* counts, PROFILE=kasan for KASAN
soak:
	$(S)/soak.sh

## make checkpatch    scripts/checkpatch.pl --strict on every patch
checkpatch: base
	$(S)/checkpatch.sh

## make bisect        every prefix of the series builds what its last patch touches
bisect: kernel
	$(S)/bisect.sh

## make clean         remove objects, initramfs, logs and half-made trees (*.tmp)
clean:
	rm -rf build/obj build/module build/selftests build/initramfs build/logs \
		build/src/*.tmp

## make distclean     remove build/ entirely
distclean:
	rm -rf build
