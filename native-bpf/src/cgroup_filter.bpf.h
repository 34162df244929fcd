/* The cgroup filter of the profiler and the socket tracer, BPF side: user space puts a cgroup v2
 * directory into slot 0 of filter_cgroup (cgroup_filter.h) and sets filter_by_cgroup. */
#ifndef LOUPE_CGROUP_FILTER_BPF_H
#define LOUPE_CGROUP_FILTER_BPF_H

/* 1: only tasks in the cgroup v2 directory of filter_cgroup[0], or below it. */
const volatile __u8 filter_by_cgroup = 0;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1);
} filter_cgroup SEC(".maps");

/* Whether the current task is in that cgroup or below it, in the real hierarchy. */
static __always_inline int in_filter_cgroup(void)
{
	return bpf_current_task_under_cgroup(&filter_cgroup, 0) == 1;
}

#endif
