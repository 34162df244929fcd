/* Structs, map sizes and counter indices shared by profiler.bpf.c and the Node addon. */
#ifndef LOUPE_PROFILER_H
#define LOUPE_PROFILER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Frames kept per stack; equal to the default kernel.perf_event_max_stack. */
#define PROFILER_MAX_STACK_DEPTH 127
/* Distinct stacks per drain slot (user and kernel stacks share one map). */
#define PROFILER_STACK_MAP_ENTRIES 16384
/* Distinct user stacks per drain slot in build-id mode: 32 bytes a frame (struct
 * bpf_stack_build_id) instead of 8, so fewer entries for about the same memory. Unused in ip
 * mode, where the addon shrinks these maps to one entry before load. */
#define PROFILER_BUILD_ID_STACK_MAP_ENTRIES 4096
/* Distinct (tgid, user stack, kernel stack) keys per drain slot. */
#define PROFILER_COUNTS_MAP_ENTRIES 16384
#define PROFILER_COMM_LEN 16

/* Key of the counts maps; pad is always zero so equal keys hash equally. */
struct profiler_sample_key {
	__u32 tgid;
	__s32 user_stack_id; /* negative: -errno from bpf_get_stackid (-EFAULT = no user stack);
				in build-id mode an id in the build-id stack map */
	__s32 kern_stack_id; /* negative: -errno (-EFAULT = sampled in user mode) */
	__u32 pad;
};

struct profiler_sample_value {
	__u64 count;
	__u32 pid; /* thread of the most recent sample */
	char comm[PROFILER_COMM_LEN];
};

/* Indices into the per-CPU stats map. Every path that loses data has its own counter. */
enum profiler_stat {
	PROFILER_STAT_SAMPLES = 0,       /* samples that passed the filter */
	PROFILER_STAT_COUNTS_FULL,       /* dropped: counts map full */
	PROFILER_STAT_USER_STACK_LOST,   /* user stack lost (collision in stack map, or error) */
	PROFILER_STAT_KERN_STACK_LOST,   /* kernel stack lost (collision in stack map, or error) */
	PROFILER_STAT_COUNT
};

#endif
