// Hook: perf_event, one event per CPU: hardware cycles where there is a PMU, else the software
// cpu-clock (timer sampling works without a PMU and sees user and kernel time alike); the addon
// picks and opens the events, the program does not care which.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "profiler.h"
#include "cgroup_filter.bpf.h"
#define STATS_ENTRIES PROFILER_STAT_COUNT
#include "stats.bpf.h"

#define EFAULT 14
#define EEXIST 17

char LICENSE[] SEC("license") = "GPL";

/* Set before load; 0 = no filter. */
const volatile __u32 filter_tgid = 0;
/* 1: user stacks go to the build-id stack maps, where the kernel turns each frame into
 * (build-id, file offset) when it can; kernel stacks stay addresses. */
const volatile __u32 user_build_id = 0;

/* Which of the two slots the program writes; user space flips it, then drains the other. */
__u32 active_slot = 0;

struct stack_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PROFILER_MAX_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, PROFILER_STACK_MAP_ENTRIES);
};

struct build_id_stack_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(map_flags, BPF_F_STACK_BUILD_ID);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PROFILER_MAX_STACK_DEPTH * sizeof(struct bpf_stack_build_id));
	__uint(max_entries, PROFILER_BUILD_ID_STACK_MAP_ENTRIES);
};

struct counts_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct profiler_sample_key);
	__type(value, struct profiler_sample_value);
	__uint(max_entries, PROFILER_COUNTS_MAP_ENTRIES);
};

struct stack_map stacks_0 SEC(".maps");
struct stack_map stacks_1 SEC(".maps");
struct build_id_stack_map user_build_id_stacks_0 SEC(".maps");
struct build_id_stack_map user_build_id_stacks_1 SEC(".maps");
struct counts_map sample_counts_0 SEC(".maps");
struct counts_map sample_counts_1 SEC(".maps");

static __always_inline int record(struct bpf_perf_event_data *ctx, void *stacks, void *build_id_stacks,
				  void *counts, __u32 tgid, __u32 pid)
{
	struct profiler_sample_key key;
	struct profiler_sample_value *val, init;

	__builtin_memset(&key, 0, sizeof(key));
	key.tgid = tgid;
	if (user_build_id)
		key.user_stack_id = bpf_get_stackid(ctx, build_id_stacks, BPF_F_USER_STACK);
	else
		key.user_stack_id = bpf_get_stackid(ctx, stacks, BPF_F_USER_STACK);
	key.kern_stack_id = bpf_get_stackid(ctx, stacks, 0);
	/* -EFAULT only means "no stack of that kind" (kernel thread / sampled in user mode). */
	if (key.user_stack_id < 0 && key.user_stack_id != -EFAULT)
		stat_inc(PROFILER_STAT_USER_STACK_LOST);
	if (key.kern_stack_id < 0 && key.kern_stack_id != -EFAULT)
		stat_inc(PROFILER_STAT_KERN_STACK_LOST);

	val = bpf_map_lookup_elem(counts, &key);
	if (!val) {
		__builtin_memset(&init, 0, sizeof(init));
		init.count = 1;
		init.pid = pid;
		bpf_get_current_comm(init.comm, sizeof(init.comm));
		if (bpf_map_update_elem(counts, &key, &init, BPF_NOEXIST) == 0)
			return 0;
		/* Lost a race with another CPU inserting the same key: add to its entry. */
		val = bpf_map_lookup_elem(counts, &key);
		if (!val) {
			stat_inc(PROFILER_STAT_COUNTS_FULL);
			return 0;
		}
	}
	__sync_fetch_and_add(&val->count, 1);
	val->pid = pid;
	return 0;
}

SEC("perf_event")
int profile_cpu(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if (filter_tgid && tgid != filter_tgid)
		return 0;
	if (filter_by_cgroup && !in_filter_cgroup())
		return 0;
	stat_inc(PROFILER_STAT_SAMPLES);

	if (*(volatile __u32 *)&active_slot)
		return record(ctx, &stacks_1, &user_build_id_stacks_1, &sample_counts_1, tgid, (__u32)id);
	return record(ctx, &stacks_0, &user_build_id_stacks_0, &sample_counts_0, tgid, (__u32)id);
}
