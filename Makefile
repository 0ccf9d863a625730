# SPDX-License-Identifier: GPL-2.0
# memcg-lru: see README.md.  Every target is a thin wrapper around one
# script in scripts/; variables (BASE=1, PROFILE=, VM_MEM=, ...) pass
# through the environment and are listed in scripts/lib.sh.

S := scripts
export CMD SCRIPT BASE PROFILE VM_MEM VM_CPUS SCRATCH_SIZE SWAP_SIZE VM_TIMEOUT KVM DRY_RUN JOBS

.PHONY: help deps base apply build kernel module selftests initramfs vm run \
	test bench soak checkpatch bisect clean distclean

help:
	@sed -n 's/^## //p' README.md

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

# make apply                  the harness tree under build/src
# make apply KDIR=/your/linux git am (git tree) or quilt (plain tree)
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

# make vm                     interactive shell in the guest
# make vm CMD='...'           run a command, return its output and status
# make vm SCRIPT=file.sh      run a shell script
vm: initramfs
	$(S)/vm.sh

bench:
	$(S)/bench.sh

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
