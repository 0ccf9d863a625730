# SPDX-License-Identifier: GPL-2.0
# memcg-lru: see README.md.  Every target is a thin wrapper around one
# script in scripts/; variables (BASE=1, PROFILE=, VM_MEM=, ...) pass
# through the environment and are listed in scripts/lib.sh.

S := scripts
export CMD SCRIPT BASE PROFILE VM_MEM VM_CPUS SCRATCH_SIZE SWAP_SIZE VM_TIMEOUT KVM DRY_RUN JOBS

.PHONY: help deps base apply build kernel module selftests initramfs vm run \
	test bench soak checkpatch bisect clean distclean

help:
	@sed -n 's/^## //p' $(firstword $(MAKEFILE_LIST))

## make run           install, fetch, apply, build, boot: the MGLRU toggle demo
run: build initramfs
	$(S)/vm.sh -n run -s $(S)/guest/demo-toggle.sh

## make test          everything CI runs; ends with "N passed, N failed, N skipped"
test:
	@$(S)/test.sh

deps:
	$(S)/deps.sh

base: deps
	$(S)/base.sh

## make apply [KDIR=/your/linux]  apply the series (git am on a git tree, quilt otherwise)
apply: base
	$(S)/apply.sh $(KDIR)

kernel: apply
	$(S)/build.sh kernel

module: kernel
	$(S)/build.sh module

selftests: apply
	$(S)/build.sh selftests

build: kernel module selftests

initramfs: build
	$(S)/initramfs.sh

## make vm [CMD='...' | SCRIPT=file.sh] [BASE=1]  shell, command or script in the guest
vm: initramfs
	$(S)/vm.sh

## make bench         benchmarks on base and patched, one table of ratios
bench:
	$(S)/bench.sh

## make soak          long runs; SOAK_* counts, PROFILE=kasan for KASAN
soak:
	$(S)/soak.sh

checkpatch: base
	$(S)/checkpatch.sh

bisect: kernel
	$(S)/bisect.sh

clean:
	rm -rf build/obj build/module build/selftests build/initramfs build/logs

distclean:
	rm -rf build
