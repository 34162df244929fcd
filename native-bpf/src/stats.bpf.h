/* The per-CPU counters of a BPF program family, BPF side: events seen and every path that drops
 * data, one slot per index of the program's stat enum (profiler.h, socket_tracer.h). User space
 * sums the CPUs (read_percpu_stats in addon_shared.h). The includer defines STATS_ENTRIES, the
 * number of slots (its enum's *_STAT_COUNT), first. */
#ifndef LOUPE_STATS_BPF_H
#define LOUPE_STATS_BPF_H

#ifndef STATS_ENTRIES
#error "define STATS_ENTRIES (the program's number of counters) before including stats.bpf.h"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, STATS_ENTRIES);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);
	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

#endif
