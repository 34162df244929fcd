// Node-API functions around the libbpf skeleton of socket_tracer.bpf.c:
//   startTracer({ pids?, cgroupPath?, maxEventBytes?, connBudgetBytes?, ringBytes?, maxPendingBytes?, hooksOnly?,
//                 measureProgramTime? }) -> Promise<handle>
//   drainTracer(handle) -> batch (synchronous: moves what the poller thread collected)
//   setTracerInsideNets(handle, keys) -> number installed (synchronous: replaces the inside_nets trie)
//   stopTracer(handle) -> Promise<void> (detach, read the ring buffer to the end, free the BPF objects)
// Loading and stopping run on libuv worker threads; one thread per tracer polls the ring buffer
// into a pending batch (and, about once a second, reports closes for connections of processes that
// exited without close()), so the event loop only copies finished columns into typed arrays.
#include <node_api.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "addon_shared.h"
#include "cgroup_filter.h"
#include "napi_util.h"
#include "socket_tracer.h"
#include "socket_tracer.skel.h"

namespace {

constexpr uint32_t kTracerMagic = 0x534f434b;  // "SOCK"
constexpr uint64_t kDefaultMaxPendingBytes = 64ull << 20;
// The kernel wakes the poller only when a quarter of the ring is full (see wakeup_bytes in
// socket_tracer.bpf.c); otherwise the poller consumes on this timer.
constexpr int kPollTimeoutMs = 10;
constexpr auto kSweepInterval = std::chrono::seconds(1);

// Events collected by the poller thread, one column per field (row i = event i).
struct Batch {
  std::vector<uint8_t> kinds, roles, directions, syscalls, no_payload;
  std::vector<uint16_t> families, sock_types, local_ports, remote_ports;
  std::vector<uint32_t> tgids, captured;
  std::vector<int32_t> fds;
  std::vector<double> generations, sizes, positions;
  std::vector<uint64_t> timestamps;
  std::vector<uint8_t> local_addrs, remote_addrs;  // 16 bytes per row
  std::vector<uint8_t> payload;                    // captured bytes of every row, concatenated

  size_t rows() const { return kinds.size(); }
  size_t bytes() const { return rows() * (sizeof(sock_event) + 8) + payload.size(); }

  void append(const sock_event& e, const uint8_t* data) {
    kinds.push_back(e.kind);
    roles.push_back(e.role);
    directions.push_back(e.direction);
    syscalls.push_back(e.syscall);
    no_payload.push_back(e.no_payload);
    families.push_back(e.family);
    sock_types.push_back(e.sock_type);
    local_ports.push_back(e.local_port);
    remote_ports.push_back(e.remote_port);
    tgids.push_back(e.tgid);
    captured.push_back(e.captured);
    fds.push_back(e.fd);
    generations.push_back(static_cast<double>(e.generation));
    sizes.push_back(static_cast<double>(e.size));
    positions.push_back(static_cast<double>(e.pos));
    timestamps.push_back(e.timestamp_ns);
    local_addrs.insert(local_addrs.end(), e.local_addr, e.local_addr + 16);
    remote_addrs.insert(remote_addrs.end(), e.remote_addr, e.remote_addr + 16);
    if (e.captured) payload.insert(payload.end(), data, data + e.captured);
  }
};

struct Tracer {
  uint32_t magic = kTracerMagic;
  socket_tracer_bpf* skel = nullptr;
  ring_buffer* rb = nullptr;
  std::thread poller;
  std::atomic<bool> stop_polling{false};
  uint64_t max_pending_bytes = kDefaultMaxPendingBytes;

  std::mutex mu;  // guards everything below
  Batch pending;
  uint64_t received = 0;          // ring-buffer records taken into `pending`
  uint64_t lost_user_buffer = 0;  // records dropped because nobody drained `pending` in time
  uint64_t malformed = 0;         // records shorter than their header says
  uint64_t exit_closes = 0;       // closes reported for connections of processes that exited
  int poll_error = 0;             // errno of a failed ring_buffer__poll (the poller stops)
  bool stopping = false, stopped = false;
  uint64_t stats[SOCK_STAT_COUNT] = {};  // last read of the kernel counters (final once stopped)
  // measureProgramTime: the fd that keeps the kernel's BPF run-time statistics on (-1: off) and
  // the sys_exit program's run count and total run time as last read.
  bool measure_program_time = false;
  int run_time_stats_fd = -1;
  uint64_t program_runs = 0, program_run_ns = 0;
};

int on_record(void* ctx, void* data, size_t size) {
  auto* t = static_cast<Tracer*>(ctx);
  std::lock_guard<std::mutex> lock(t->mu);
  if (size < sizeof(sock_event)) {
    t->malformed++;
    return 0;
  }
  sock_event e;
  memcpy(&e, data, sizeof(e));
  if (e.captured > size - sizeof(sock_event)) {
    t->malformed++;
    return 0;
  }
  t->received++;
  if (t->pending.bytes() + sizeof(sock_event) + e.captured > t->max_pending_bytes) {
    t->lost_user_buffer++;
    return 0;
  }
  t->pending.append(e, static_cast<const uint8_t*>(data) + sizeof(sock_event));
  return 0;
}

bool process_gone(uint32_t pid) { return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// The BPF side sees pids of the initial pid namespace; kill(pid, 0) means the same pids only when
// this process lives there too (NSpid lists one pid per namespace level).
// /proc/sys/kernel/pid_max, or the 64-bit kernel's ceiling (PID_MAX_LIMIT) when unreadable.
uint32_t read_pid_max() {
  constexpr uint32_t kPidMaxLimit = 4194304;
  std::ifstream in("/proc/sys/kernel/pid_max");
  uint64_t v = 0;
  if (!(in >> v) || v == 0 || v > kPidMaxLimit) return kPidMaxLimit;
  return static_cast<uint32_t>(v);
}

bool in_initial_pid_namespace() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("NSpid:", 0) == 0) return line.find_first_of(" \t", line.find_first_not_of(" \t", 6)) == std::string::npos;
  }
  return true;  // kernels without NSpid have no pid namespaces to worry about here
}

// A process that exits (or is killed) closes its sockets without close(): its connections stay in
// the kernel table. Reports a close (syscall "exit") for each and removes it.
void sweep_exited(Tracer* t) {
  int conns_fd = bpf_map__fd(t->skel->maps.conns);
  std::vector<sock_conn_key> dead;
  sock_conn_key key{}, next{};
  bool first = true;
  std::vector<std::pair<uint32_t, bool>> gone_cache;
  auto gone = [&](uint32_t pid) {
    for (const auto& [p, g] : gone_cache)
      if (p == pid) return g;
    bool g = process_gone(pid);
    gone_cache.emplace_back(pid, g);
    return g;
  };
  while (bpf_map_get_next_key(conns_fd, first ? nullptr : &key, &next) == 0) {
    if (gone(next.tgid)) dead.push_back(next);
    key = next;
    first = false;
  }
  if (dead.empty()) return;
  // Events those processes emitted before exiting come first.
  ring_buffer__consume(t->rb);
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);  // the clock of bpf_ktime_get_ns
  for (const sock_conn_key& k : dead) {
    sock_conn_state c{};
    if (bpf_map_lookup_elem(conns_fd, &k, &c) != 0 || bpf_map_delete_elem(conns_fd, &k) != 0) continue;
    sock_event e{};
    e.timestamp_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
    e.generation = c.generation;
    e.size = c.bytes_sent;
    e.pos = c.bytes_recv;
    e.tgid = k.tgid;
    e.fd = k.fd;
    e.kind = SOCK_EVENT_CLOSE;
    e.role = c.role;
    e.syscall = SOCK_SYS_EXIT;
    std::lock_guard<std::mutex> lock(t->mu);
    t->exit_closes++;
    if (t->pending.bytes() + sizeof(sock_event) > t->max_pending_bytes) t->lost_user_buffer++;
    else t->pending.append(e, nullptr);
  }
}

void poll_loop(Tracer* t) {
  bool sweep = in_initial_pid_namespace();
  auto next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
  while (!t->stop_polling.load()) {
    int n = ring_buffer__poll(t->rb, kPollTimeoutMs);
    if (n >= 0 || n == -EINTR) n = ring_buffer__consume(t->rb);  // a timeout consumes nothing by itself
    if (n < 0 && n != -EINTR) {
      std::lock_guard<std::mutex> lock(t->mu);
      t->poll_error = -n;
      return;
    }
    if (sweep && std::chrono::steady_clock::now() >= next_sweep) {
      sweep_exited(t);
      next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
    }
  }
}

// The sys_exit program's run count and run time (the kernel counts them while statistics are on).
void read_program_time(Tracer* t) {
  if (t->run_time_stats_fd < 0) return;
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(bpf_program__fd(t->skel->progs.socket_sys_exit), &info, &len) != 0) return;
  std::lock_guard<std::mutex> lock(t->mu);
  t->program_runs = info.run_cnt;
  t->program_run_ns = info.run_time_ns;
}

void read_stats(Tracer* t, uint64_t out[SOCK_STAT_COUNT]) {
  read_percpu_stats(bpf_map__fd(t->skel->maps.stats), out, SOCK_STAT_COUNT);
}

// Detaches, takes what is left in the ring buffer, keeps the final counters, frees the BPF objects.
void shutdown_tracer(Tracer* t) {
  if (t->skel) socket_tracer_bpf__detach(t->skel);
  t->stop_polling = true;
  if (t->poller.joinable()) t->poller.join();
  if (t->rb) ring_buffer__consume(t->rb);
  if (t->skel) {
    uint64_t stats[SOCK_STAT_COUNT];
    read_stats(t, stats);
    read_program_time(t);
    std::lock_guard<std::mutex> lock(t->mu);
    memcpy(t->stats, stats, sizeof(stats));
  }
  if (t->run_time_stats_fd >= 0) close(t->run_time_stats_fd);
  t->run_time_stats_fd = -1;
  if (t->rb) ring_buffer__free(t->rb);
  t->rb = nullptr;
  if (t->skel) socket_tracer_bpf__destroy(t->skel);
  t->skel = nullptr;
  std::lock_guard<std::mutex> lock(t->mu);
  t->stopped = true;
}

void finalize_tracer(napi_env, void* data, void*) {
  auto* t = static_cast<Tracer*>(data);
  bool running;
  {
    std::lock_guard<std::mutex> lock(t->mu);
    running = !t->stopped && !t->stopping;
  }
  // A running stop holds a reference to the handle, so it cannot be collected meanwhile.
  if (running) shutdown_tracer(t);
  delete t;
}

Tracer* unwrap_tracer(napi_env env, size_t argc, const napi_value* argv, const char* fn) {
  return unwrap_handle<Tracer>(env, argc, argv, fn, kTracerMagic, "startTracer");
}

// ---------------------------------------------------------------- startTracer()
struct StartWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  std::vector<uint32_t> pids;  // empty: every process (or the cgroup's)
  std::string cgroup_path;     // non-empty: tasks of this cgroup v2 directory and below
  uint64_t max_event_bytes = SOCK_DEFAULT_MAX_EVENT_BYTES;
  uint64_t conn_budget_bytes = SOCK_DEFAULT_CONN_BUDGET_BYTES;
  uint64_t ring_bytes = SOCK_DEFAULT_RING_BYTES;
  uint64_t max_pending_bytes = kDefaultMaxPendingBytes;
  bool hooks_only = false;
  bool measure_program_time = false;
  Tracer* tracer = nullptr;
  std::string error_code, error;
};

void start_execute(napi_env, void* data) {
  auto* w = static_cast<StartWork*>(data);
  loupe_take_libbpf_log();
  auto* t = new Tracer();
  t->max_pending_bytes = w->max_pending_bytes;
  t->measure_program_time = w->measure_program_time;
  auto reject = [&](const std::string& code, const std::string& message) {
    w->error_code = code;
    w->error = message;
    shutdown_tracer(t);
    delete t;
  };
  auto fail = [&](const std::string& code, const std::string& what, int err) { reject(code, libbpf_error(what, err)); };

  t->skel = socket_tracer_bpf__open();
  if (!t->skel) return fail("EBPF_OPEN", "opening the socket tracer BPF object failed", errno);
  if (w->measure_program_time) {
    // System-wide while the fd is open: every BPF program's runs are timed (a few ns each).
    t->run_time_stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (t->run_time_stats_fd < 0) return fail("EBPF_STATS", "turning on BPF run-time statistics failed", errno);
  }
  t->skel->rodata->trace_all_tgids = w->pids.empty() ? 1 : 0;
  t->skel->rodata->hooks_only = w->hooks_only ? 1 : 0;
  CgroupDir cgroup(w->cgroup_path);
  if (!cgroup.enable(t->skel)) return reject("ECGROUP", "startTracer: " + cgroup.error());
  // Only meaningful when this process's pid is the kernel's (initial pid namespace).
  if (in_initial_pid_namespace()) t->skel->rodata->tracer_tgid = static_cast<__u32>(getpid());
  t->skel->rodata->max_event_bytes = static_cast<__u32>(w->max_event_bytes);
  t->skel->rodata->wakeup_bytes = w->ring_bytes / 4;
  t->skel->rodata->conn_budget_bytes = w->conn_budget_bytes;
  if (int err = bpf_map__set_max_entries(t->skel->maps.events, static_cast<__u32>(w->ring_bytes)))
    return fail("EBPF_LOAD", "sizing the ring buffer failed", -err);
  const uint32_t pid_max = read_pid_max();
  for (uint32_t pid : w->pids) {
    if (pid >= pid_max)
      return reject("EINVAL", "pid " + std::to_string(pid) + " is not below the kernel's pid_max (" +
                                  std::to_string(pid_max) + "): no such process can exist");
  }
  if (int err = bpf_map__set_max_entries(t->skel->maps.traced_tgid_bits, (pid_max + 63) / 64))
    return fail("EBPF_LOAD", "sizing the pid filter failed", -err);
  if (int err = socket_tracer_bpf__load(t->skel))
    return fail("EBPF_LOAD", "loading the socket tracer BPF programs failed", -err);

  if (int err = cgroup.install(t->skel)) return fail("EBPF_MAP", "installing the cgroup filter failed", -err);
  int bits_fd = bpf_map__fd(t->skel->maps.traced_tgid_bits);
  for (uint32_t pid : w->pids) {
    uint32_t word = pid / 64;
    uint64_t bits = 0;
    if (bpf_map_lookup_elem(bits_fd, &word, &bits) != 0)
      return fail("EBPF_MAP", "reading the pid filter for pid " + std::to_string(pid) + " failed", errno);
    bits |= uint64_t{1} << (pid % 64);
    if (bpf_map_update_elem(bits_fd, &word, &bits, BPF_ANY) != 0)
      return fail("EBPF_MAP", "adding pid " + std::to_string(pid) + " to the pid filter failed", errno);
  }
  t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_record, t, nullptr);
  if (!t->rb) return fail("EBPF_RINGBUF", "opening the ring buffer failed", errno);
  t->poller = std::thread(poll_loop, t);
  if (int err = socket_tracer_bpf__attach(t->skel))
    return fail("EBPF_ATTACH", "attaching to tp_btf sys_exit failed", -err);
  w->tracer = t;
}

void start_complete(napi_env env, napi_status, void* data) {
  auto* w = static_cast<StartWork*>(data);
  complete_start(env, w, w->tracer, finalize_tracer, "tracer");
}

napi_value StartTracer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_valuetype t = napi_undefined;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_object) {
    napi_throw_type_error(env, "EINVAL",
                          "startTracer: expected an options object { pids?, maxEventBytes?, connBudgetBytes?, ringBytes? }");
    return nullptr;
  }
  auto* w = new StartWork();
  auto bail = [&]() -> napi_value {
    delete w;
    return nullptr;
  };
  bool set;
  if (!get_uint_prop(env, "startTracer", argv[0], "maxEventBytes", 1, SOCK_MAX_PAYLOAD, false, &w->max_event_bytes, &set) ||
      !get_uint_prop(env, "startTracer", argv[0], "connBudgetBytes", 0, 9007199254740991ull, false, &w->conn_budget_bytes, &set) ||
      !get_uint_prop(env, "startTracer", argv[0], "ringBytes", 4096, 1ull << 30, false, &w->ring_bytes, &set) ||
      !get_uint_prop(env, "startTracer", argv[0], "maxPendingBytes", 1ull << 16, 1ull << 34, false, &w->max_pending_bytes, &set))
    return bail();
  if (!get_bool_prop(env, "startTracer", argv[0], "hooksOnly", &w->hooks_only) ||
      !get_bool_prop(env, "startTracer", argv[0], "measureProgramTime", &w->measure_program_time))
    return bail();
  if (w->ring_bytes & (w->ring_bytes - 1)) {
    napi_throw_range_error(env, "EINVAL", "startTracer: options.ringBytes must be a power of two (at least 4096)");
    return bail();
  }
  napi_value pids;
  napi_valuetype pt;
  bool is_array = false;
  if (napi_get_named_property(env, argv[0], "pids", &pids) != napi_ok || napi_typeof(env, pids, &pt) != napi_ok)
    return bail();
  if (pt != napi_undefined) {
    uint32_t n = 0;
    napi_is_array(env, pids, &is_array);
    if (!is_array || napi_get_array_length(env, pids, &n) != napi_ok || n == 0 || n > SOCK_TRACED_TGIDS_ENTRIES) {
      napi_throw_type_error(env, "EINVAL",
                            ("startTracer: options.pids must be a non-empty array of at most " +
                             std::to_string(SOCK_TRACED_TGIDS_ENTRIES) + " pids (omit it to trace every process)")
                                .c_str());
      return bail();
    }
    for (uint32_t i = 0; i < n; i++) {
      napi_value v;
      napi_valuetype vt;
      double d = 0;
      if (napi_get_element(env, pids, i, &v) != napi_ok || napi_typeof(env, v, &vt) != napi_ok || vt != napi_number ||
          napi_get_value_double(env, v, &d) != napi_ok || !(d >= 1) || !(d <= 4294967295.0) ||
          d != static_cast<double>(static_cast<uint32_t>(d))) {
        napi_throw_range_error(env, "EINVAL", ("startTracer: options.pids[" + std::to_string(i) + "] must be a positive integer pid").c_str());
        return bail();
      }
      w->pids.push_back(static_cast<uint32_t>(d));
    }
  }
  bool has_cgroup = false;
  if (!get_string_prop(env, "startTracer", argv[0], "cgroupPath", &w->cgroup_path, &has_cgroup)) return bail();
  if (has_cgroup && !w->pids.empty()) {
    napi_throw_type_error(env, "EINVAL", "startTracer: set options.pids or options.cgroupPath, not both");
    return bail();
  }
  return queue_work(env, w, "loupe:startTracer", start_execute, start_complete);
}

// ---------------------------------------------------------------- drainTracer()
napi_value DrainTracer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Tracer* t = unwrap_tracer(env, argc, argv, "drainTracer");
  if (!t) return nullptr;

  // Kernel counters first, so every record they count as submitted before this point is
  // already in the ring buffer; the stop worker owns the skeleton once stopping is set.
  bool live;
  {
    std::lock_guard<std::mutex> lock(t->mu);
    live = !t->stopping && !t->stopped && t->skel;
  }
  if (live) {
    uint64_t fresh[SOCK_STAT_COUNT];
    read_stats(t, fresh);
    read_program_time(t);
    std::lock_guard<std::mutex> lock(t->mu);
    memcpy(t->stats, fresh, sizeof(fresh));
  }
  Batch b;
  uint64_t stats[SOCK_STAT_COUNT];
  uint64_t received, lost_user, malformed, exit_closes, program_runs, program_run_ns;
  int poll_error;
  bool stopped, measured;
  {
    std::lock_guard<std::mutex> lock(t->mu);
    std::swap(b, t->pending);
    received = t->received;
    lost_user = t->lost_user_buffer;
    malformed = t->malformed;
    exit_closes = t->exit_closes;
    poll_error = t->poll_error;
    stopped = t->stopped;
    memcpy(stats, t->stats, sizeof(stats));
    program_runs = t->program_runs;
    program_run_ns = t->program_run_ns;
    measured = t->measure_program_time;
  }
  if (poll_error) {
    napi_throw_error(env, "ERINGBUF", (std::string("drainTracer: polling the ring buffer failed: ") + strerror(poll_error)).c_str());
    return nullptr;
  }

  size_t n = b.rows();
  std::vector<uint32_t> offsets(n + 1);
  for (size_t i = 0; i < n; i++) offsets[i + 1] = offsets[i] + b.captured[i];

  napi_value out;
  NAPI_CALL(env, napi_create_object(env, &out));
  bool ok = true;
  auto put = [&](const char* name, napi_value v) {
    if (!v || napi_set_named_property(env, out, name, v) != napi_ok) ok = false;
  };
  put("kinds", typed_copy(env, napi_uint8_array, b.kinds));
  put("roles", typed_copy(env, napi_uint8_array, b.roles));
  put("directions", typed_copy(env, napi_uint8_array, b.directions));
  put("syscalls", typed_copy(env, napi_uint8_array, b.syscalls));
  put("noPayload", typed_copy(env, napi_uint8_array, b.no_payload));
  put("families", typed_copy(env, napi_uint16_array, b.families));
  put("sockTypes", typed_copy(env, napi_uint16_array, b.sock_types));
  put("localPorts", typed_copy(env, napi_uint16_array, b.local_ports));
  put("remotePorts", typed_copy(env, napi_uint16_array, b.remote_ports));
  put("tgids", typed_copy(env, napi_uint32_array, b.tgids));
  put("fds", typed_copy(env, napi_int32_array, b.fds));
  put("generations", typed_copy(env, napi_float64_array, b.generations));
  put("sizes", typed_copy(env, napi_float64_array, b.sizes));
  put("positions", typed_copy(env, napi_float64_array, b.positions));
  put("timestamps", typed_copy(env, napi_biguint64_array, b.timestamps));
  put("localAddrs", typed_copy(env, napi_uint8_array, b.local_addrs));
  put("remoteAddrs", typed_copy(env, napi_uint8_array, b.remote_addrs));
  put("payloadOffsets", typed_copy(env, napi_uint32_array, offsets));
  void* buf = nullptr;
  napi_value payload;
  if (napi_create_buffer_copy(env, b.payload.size(), b.payload.empty() ? "" : static_cast<const void*>(b.payload.data()),
                              &buf, &payload) == napi_ok)
    put("payload", payload);
  else
    ok = false;
  napi_value counters;
  if (ok && napi_create_object(env, &counters) == napi_ok) {
    set_num(env, counters, "events", static_cast<double>(stats[SOCK_STAT_EVENTS]));
    set_num(env, counters, "received", static_cast<double>(received));
    set_num(env, counters, "lostRingbufFull", static_cast<double>(stats[SOCK_STAT_LOST_RINGBUF_FULL]));
    set_num(env, counters, "lostUserBuffer", static_cast<double>(lost_user));
    set_num(env, counters, "malformed", static_cast<double>(malformed));
    set_num(env, counters, "exitCloses", static_cast<double>(exit_closes));
    set_num(env, counters, "truncated", static_cast<double>(stats[SOCK_STAT_TRUNCATED]));
    set_num(env, counters, "budgetDrops", static_cast<double>(stats[SOCK_STAT_BUDGET_DROPS]));
    set_num(env, counters, "connTableFull", static_cast<double>(stats[SOCK_STAT_CONN_TABLE_FULL]));
    set_num(env, counters, "readFailed", static_cast<double>(stats[SOCK_STAT_READ_FAILED]));
    set_num(env, counters, "compatSkipped", static_cast<double>(stats[SOCK_STAT_COMPAT_SKIPPED]));
    if (measured) {
      set_num(env, counters, "programRuns", static_cast<double>(program_runs));
      set_num(env, counters, "programRunTimeNs", static_cast<double>(program_run_ns));
    }
    put("counters", counters);
  } else {
    ok = false;
  }
  napi_value stopped_v;
  napi_get_boolean(env, stopped, &stopped_v);
  put("stopped", stopped_v);
  if (!ok) {
    napi_throw_error(env, "ENAPI", "drainTracer: building the batch failed");
    return nullptr;
  }
  return out;
}

// ---------------------------------------------------------------- setTracerInsideNets()
// keys: a Uint8Array of sock_inside_key records (4-byte prefixlen, host order, then 16 address
// bytes). Blocks no longer listed are removed, then the listed ones added, up to the trie's size;
// returns how many are installed. Connections opened while it runs see either set, and user
// space classifies each connection itself anyway (the kernel only saves it the payload copies).
napi_value SetTracerInsideNets(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Tracer* t = unwrap_tracer(env, argc, argv, "setTracerInsideNets");
  if (!t) return nullptr;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (argc < 2 || napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array || length % sizeof(sock_inside_key) != 0) {
    napi_throw_type_error(env, "EINVAL", "setTracerInsideNets: expected a Uint8Array of 20-byte keys (prefix length, 16 address bytes)");
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(t->mu);
    // Stopping is set on this (the JS) thread, so once it is clear here the skeleton stays until return.
    if (t->stopping || t->stopped || !t->skel) {
      napi_throw_error(env, "ESTOPPED", "setTracerInsideNets: the tracer is stopped (or stopping)");
      return nullptr;
    }
  }
  std::vector<sock_inside_key> wanted(length / sizeof(sock_inside_key));
  if (!wanted.empty()) memcpy(wanted.data(), data, length);
  for (const sock_inside_key& k : wanted) {
    if (k.prefixlen > 128) {
      napi_throw_range_error(env, "EINVAL", ("setTracerInsideNets: prefix length " + std::to_string(k.prefixlen) + " is over 128").c_str());
      return nullptr;
    }
  }
  if (wanted.size() > SOCK_INSIDE_NETS_ENTRIES) wanted.resize(SOCK_INSIDE_NETS_ENTRIES);
  auto before = [](const sock_inside_key& a, const sock_inside_key& b) { return memcmp(&a, &b, sizeof(a)) < 0; };
  std::vector<sock_inside_key> sorted = wanted;
  std::sort(sorted.begin(), sorted.end(), before);
  int fd = bpf_map__fd(t->skel->maps.inside_nets);
  std::vector<sock_inside_key> installed;
  sock_inside_key key{}, next{};
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
    installed.push_back(next);
    key = next;
    first = false;
  }
  for (const sock_inside_key& k : installed) {
    if (!std::binary_search(sorted.begin(), sorted.end(), k, before)) bpf_map_delete_elem(fd, &k);
  }
  uint32_t count = 0;
  const uint8_t one = 1;
  for (const sock_inside_key& k : wanted) {
    if (bpf_map_update_elem(fd, &k, &one, BPF_ANY) == 0) count++;
  }
  napi_value out;
  NAPI_CALL(env, napi_create_uint32(env, count, &out));
  return out;
}

// ---------------------------------------------------------------- stopTracer()
struct StopWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref handle_ref = nullptr;  // keeps the tracer alive while the worker uses it
  Tracer* tracer = nullptr;
};

void stop_execute(napi_env, void* data) { shutdown_tracer(static_cast<StopWork*>(data)->tracer); }

void stop_complete(napi_env env, napi_status, void* data) {
  auto* w = static_cast<StopWork*>(data);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_resolve_deferred(env, w->deferred, undefined);
  napi_delete_reference(env, w->handle_ref);
  napi_delete_async_work(env, w->work);
  delete w;
}

napi_value StopTracer(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Tracer* t = unwrap_tracer(env, argc, argv, "stopTracer");
  if (!t) return nullptr;
  {
    std::lock_guard<std::mutex> lock(t->mu);
    if (t->stopping || t->stopped) {
      napi_throw_error(env, "ESTOPPED", "stopTracer: the tracer is already stopped (or stopping)");
      return nullptr;
    }
    t->stopping = true;
  }
  auto* w = new StopWork();
  w->tracer = t;
  NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &w->handle_ref));
  return queue_work(env, w, "loupe:stopTracer", stop_execute, stop_complete);
}

}  // namespace

napi_status loupe_register_tracer(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"startTracer", nullptr, StartTracer, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"drainTracer", nullptr, DrainTracer, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setTracerInsideNets", nullptr, SetTracerInsideNets, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stopTracer", nullptr, StopTracer, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
