// What addon.cc (module init, libbpf log capture, profiler) and tracer.cc (socket tracer) share.
#ifndef LOUPE_ADDON_SHARED_H
#define LOUPE_ADDON_SHARED_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <node_api.h>
#include <string.h>

#include <cstdint>
#include <string>
#include <vector>

// libbpf warnings printed since the last call (addon.cc installs the libbpf print callback).
std::string loupe_take_libbpf_log();

// A failed libbpf or kernel call, for a start worker's error: "<what>: <strerror(err)>", plus the
// libbpf warnings printed since the last loupe_take_libbpf_log().
inline std::string libbpf_error(const std::string& what, int err) {
  std::string log = loupe_take_libbpf_log();
  return what + ": " + strerror(err) + (log.empty() ? "" : " (libbpf: " + log + ")");
}

// Sums the CPUs of a per-CPU stats map (stats.bpf.h) into out[0 .. count).
inline void read_percpu_stats(int map_fd, uint64_t* out, uint32_t count) {
  int ncpus = libbpf_num_possible_cpus();
  std::vector<uint64_t> percpu(ncpus > 0 ? ncpus : 1);
  for (uint32_t i = 0; i < count; i++) {
    out[i] = 0;
    if (bpf_map_lookup_elem(map_fd, &i, percpu.data()) != 0) continue;
    for (uint64_t x : percpu) out[i] += x;
  }
}

// Adds startTracer, drainTracer and stopTracer to the module's exports.
napi_status loupe_register_tracer(napi_env env, napi_value exports);

#endif
