/*
 * no_uring.c - `no_uring PROGRAM [ARGS...]`: runs PROGRAM where io_uring is
 * refused the way containers refuse it (Docker's and containerd's default
 * seccomp profiles): a seccomp filter makes io_uring_setup, io_uring_enter
 * and io_uring_register fail with EPERM, for this process and everything
 * it starts.  For tests/integration/io_uring.sh (serve's fallback to
 * epoll).  A classic BPF program written out by hand: the architecture is
 * checked first (a system call of another ABI has other numbers: refused
 * outright, as Docker does), then the number.  Exit 77 (a skip) where the
 * architecture is not one this file knows; 126 when the filter cannot be
 * installed; 127 when PROGRAM cannot be run.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define ARCH AUDIT_ARCH_I386
#endif

/* The same numbers on every architecture (the unified table, 5.1). */
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup    425
#define __NR_io_uring_enter    426
#define __NR_io_uring_register 427
#endif

#ifdef __x86_64__
/* x32's numbers are x86_64's with this bit: refused too. */
#define X32_BIT 0x40000000u
#else
#define X32_BIT 0u
#endif

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: no_uring PROGRAM [ARGS...]\n");
		return 2;
	}
#ifndef ARCH
	fprintf(stderr, "no_uring: this architecture is not known here\n");
	return 77;
#else
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* Drops x32's bit: its io_uring calls are refused as well. */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_BIT),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	/* Without privileges a filter needs no_new_privs (and it is what
	 * container runtimes set). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		fprintf(stderr, "no_uring: seccomp: %s\n", strerror(errno));
		return 126;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no_uring: %s: %s\n", argv[1], strerror(errno));
	return 127;
#endif
}
