// Node-API addon around the libbpf skeleton of profiler.bpf.c.
// Exposes capabilities(), startProfiler({ frequencyHz, pid?, cgroupPath?, userStackMode?, event? })
// -> Promise<handle>, profilerInfo(handle), drain(handle, { final? }) -> Promise<batch> (final:
// detach first, then read everything), stopProfiler(handle), demangle(names), and nodeHeaders:
// the version of the Node headers it was compiled against. Loading, attaching and draining run on
// libuv's worker threads (napi async work); the event loop only converts finished results into
// typed arrays.
// The socket tracer's functions live in tracer.cc and are registered by Init below.
#include <node_api.h>
#include <node_version.h>

#include <bpf/bpf.h>
#include <cxxabi.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "addon_shared.h"
#include "cgroup_filter.h"
#include "napi_util.h"
#include "profiler.h"
#include "profiler.skel.h"

namespace {

// ---------------------------------------------------------------- libbpf log capture
std::mutex g_log_mu;
std::string g_log;  // recent libbpf warnings, appended to load/attach errors

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), fmt, args);
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log.append(buf, n < 0 ? 0 : std::min<size_t>(n, sizeof(buf) - 1));
  if (g_log.size() > 4096) g_log.erase(0, g_log.size() - 4096);
  return 0;
}

std::string take_libbpf_log() {
  std::lock_guard<std::mutex> lock(g_log_mu);
  std::string out;
  out.swap(g_log);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// ---------------------------------------------------------------- capability check
struct Capabilities {
  bool cap_bpf = false, cap_perfmon = false, cap_sys_admin = false;
  bool btf = false, kernel_ok = false;
  int perf_event_paranoid = -100;
  std::string kernel_release;
  std::vector<std::string> missing;
  std::string message;
  bool ok = false;
};

constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;

Capabilities check_capabilities() {
  Capabilities c;
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) == 0) {
    auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
    c.cap_bpf = has(kCapBpf);
    c.cap_perfmon = has(kCapPerfmon);
    c.cap_sys_admin = has(kCapSysAdmin);
  }
  c.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
  utsname u{};
  if (uname(&u) == 0) c.kernel_release = u.release;
  int major = 0, minor = 0;
  if (sscanf(c.kernel_release.c_str(), "%d.%d", &major, &minor) == 2)
    c.kernel_ok = major > 5 || (major == 5 && minor >= 8);  // CAP_BPF/CAP_PERFMON, ring buffers
  std::ifstream paranoid("/proc/sys/kernel/perf_event_paranoid");
  paranoid >> c.perf_event_paranoid;

  std::vector<std::string> fixes;
  // CAP_SYS_ADMIN implies both on any kernel; on kernels >= 5.8 CAP_BPF + CAP_PERFMON suffice.
  if (!c.cap_sys_admin) {
    if (!c.cap_bpf) c.missing.push_back("CAP_BPF");
    if (!c.cap_perfmon) c.missing.push_back("CAP_PERFMON");
    if (!c.cap_bpf || !c.cap_perfmon)
      fixes.push_back(
          "run as root, or grant the capabilities (Kubernetes: securityContext.capabilities.add: "
          "[\"BPF\", \"PERFMON\"]; a host binary: setcap cap_bpf,cap_perfmon+ep <node binary>)");
  }
  if (!c.btf) {
    c.missing.push_back("BTF");
    fixes.push_back("use a kernel built with CONFIG_DEBUG_INFO_BTF=y (/sys/kernel/btf/vmlinux is absent)");
  }
  if (!c.kernel_ok) {
    c.missing.push_back("kernel>=5.8");
    fixes.push_back("kernel " + c.kernel_release + " is too old: 5.8 or newer is required");
  }
  c.ok = c.missing.empty();
  if (c.ok) {
    c.message = "BPF profiling available (kernel " + c.kernel_release + ")";
  } else {
    c.message = "BPF profiling unavailable: missing ";
    for (size_t i = 0; i < c.missing.size(); i++) c.message += (i ? ", " : "") + c.missing[i];
    c.message += ". Fix: ";
    for (size_t i = 0; i < fixes.size(); i++) c.message += (i ? "; " : "") + fixes[i];
    c.message += ".";
  }
  return c;
}

// ---------------------------------------------------------------- profiler state
constexpr uint32_t kProfilerMagic = 0x4c4f5550;  // "LOUP"

struct Profiler {
  uint32_t magic = kProfilerMagic;
  profiler_bpf* skel = nullptr;
  std::vector<bpf_link*> links;
  std::vector<int> perf_fds;
  std::atomic<bool> draining{false};
  bool stopped = false;
  bool stop_after_drain = false;
  bool detached = false;  // the final drain ran (or is running)
  bool user_build_id = false;  // user stacks as (build-id, file offset) frames
  std::string event;           // the perf event in use: "cycles" or "cpu-clock"
};

void destroy_bpf(Profiler* p) {
  for (bpf_link* l : p->links) bpf_link__destroy(l);
  p->links.clear();
  for (int fd : p->perf_fds) close(fd);
  p->perf_fds.clear();
  if (p->skel) profiler_bpf__destroy(p->skel);
  p->skel = nullptr;
  p->stopped = true;
}

void finalize_profiler(napi_env, void* data, void*) {
  auto* p = static_cast<Profiler*>(data);
  if (!p->stopped) destroy_bpf(p);
  delete p;
}

Profiler* unwrap_profiler(napi_env env, size_t argc, const napi_value* argv, const char* fn) {
  return unwrap_handle<Profiler>(env, argc, argv, fn, kProfilerMagic, "startProfiler");
}

// ---------------------------------------------------------------- capabilities()
napi_value Capabilities_(napi_env env, napi_callback_info) {
  Capabilities c = check_capabilities();
  napi_value obj, missing;
  NAPI_CALL(env, napi_create_object(env, &obj));
  set_bool(env, obj, "ok", c.ok);
  set_bool(env, obj, "capBpf", c.cap_bpf);
  set_bool(env, obj, "capPerfmon", c.cap_perfmon);
  set_bool(env, obj, "capSysAdmin", c.cap_sys_admin);
  set_bool(env, obj, "btf", c.btf);
  set_str(env, obj, "kernelRelease", c.kernel_release);
  set_bool(env, obj, "kernelOk", c.kernel_ok);
  set_num(env, obj, "perfEventParanoid", c.perf_event_paranoid);
  NAPI_CALL(env, napi_create_array_with_length(env, c.missing.size(), &missing));
  for (size_t i = 0; i < c.missing.size(); i++) {
    napi_value s;
    napi_create_string_utf8(env, c.missing[i].c_str(), NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, missing, i, s);
  }
  napi_set_named_property(env, obj, "missing", missing);
  set_str(env, obj, "message", c.message);
  return obj;
}

// ---------------------------------------------------------------- perf events
struct PerfEventKind {
  uint32_t type;
  uint64_t config;
  const char* name;  // as StartOptions.event spells it
  const char* attr;  // as perf_event_open sees it, for error messages
};
constexpr PerfEventKind kCycles{PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, "cycles",
                                "PERF_TYPE_HARDWARE/PERF_COUNT_HW_CPU_CYCLES"};
constexpr PerfEventKind kCpuClock{PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, "cpu-clock",
                                  "PERF_TYPE_SOFTWARE/PERF_COUNT_SW_CPU_CLOCK"};

// How perf_event_open says "no PMU can count this": no PMU claims the type (ENOENT), the PMU
// cannot sample (EOPNOTSUPP), or no CPU has one (ENODEV on every CPU).
bool no_pmu_errno(int err) { return err == ENOENT || err == EOPNOTSUPP || err == ENODEV; }

std::string open_error(const PerfEventKind& kind, int cpu) {
  return std::string("perf_event_open(") + kind.attr + ", " +
         (cpu < 0 ? std::string("every CPU") : "cpu " + std::to_string(cpu)) + ") failed";
}

// Opens a sampling event of `kind` on every online CPU (offline ones, ENODEV, are skipped) and
// appends the fds. On failure closes what it opened, sets *failed_cpu (-1: no CPU took one) and
// returns the errno.
int open_perf_events(const PerfEventKind& kind, uint32_t frequency_hz, int ncpus, std::vector<int>* fds,
                     int* failed_cpu) {
  std::vector<int> opened;
  auto undo = [&](int cpu, int err) {
    for (int fd : opened) close(fd);
    *failed_cpu = cpu;
    return err;
  };
  for (int cpu = 0; cpu < ncpus; cpu++) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = kind.type;
    attr.config = kind.config;
    attr.freq = 1;
    attr.sample_freq = frequency_hz;
    int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
    if (fd >= 0) opened.push_back(fd);
    else if (errno != ENODEV) return undo(cpu, errno);
  }
  if (opened.empty()) return undo(-1, ENODEV);
  fds->insert(fds->end(), opened.begin(), opened.end());
  return 0;
}

// ---------------------------------------------------------------- startProfiler()
struct StartWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  uint32_t frequency_hz = 0;
  uint32_t tgid = 0;
  std::string cgroup_path;  // non-empty: tasks of this cgroup v2 directory and below
  bool user_build_id = false;
  std::string event = "auto";  // "auto", "cpu-clock" or "cycles"
  Profiler* profiler = nullptr;
  std::string error_code, error;
};

void start_execute(napi_env, void* data) {
  auto* w = static_cast<StartWork*>(data);
  Capabilities caps = check_capabilities();
  if (!caps.ok) {
    w->error_code = "EBPF_UNAVAILABLE";
    w->error = caps.message;
    return;
  }
  take_libbpf_log();
  auto* p = new Profiler();
  auto reject = [&](const std::string& code, const std::string& message) {
    w->error_code = code;
    w->error = message;
    destroy_bpf(p);
    delete p;
  };
  auto fail = [&](const std::string& code, const std::string& what, int err) { reject(code, libbpf_error(what, err)); };

  p->skel = profiler_bpf__open();
  if (!p->skel) return fail("EBPF_OPEN", "opening the profiler BPF object failed", errno);
  p->skel->rodata->filter_tgid = w->tgid;
  CgroupDir cgroup(w->cgroup_path);
  if (!cgroup.enable(p->skel)) return reject("ECGROUP", "startProfiler: " + cgroup.error());
  p->skel->rodata->user_build_id = w->user_build_id ? 1 : 0;
  p->user_build_id = w->user_build_id;
  // Stack maps are allocated in full at load: in ip mode the build-id maps are never written.
  if (!w->user_build_id &&
      (bpf_map__set_max_entries(p->skel->maps.user_build_id_stacks_0, 1) != 0 ||
       bpf_map__set_max_entries(p->skel->maps.user_build_id_stacks_1, 1) != 0))
    return fail("EBPF_OPEN", "sizing the build-id stack maps failed", errno);
  if (int err = profiler_bpf__load(p->skel))
    return fail("EBPF_LOAD", "loading the profiler BPF program failed", -err);
  if (int err = cgroup.install(p->skel)) return fail("EBPF_MAP", "installing the cgroup filter failed", -err);

  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return fail("EBPF_CPUS", "counting CPUs failed", -ncpus);
  int failed_cpu = -1;
  if (w->event == "auto" || w->event == "cycles") {
    int err = open_perf_events(kCycles, w->frequency_hz, ncpus, &p->perf_fds, &failed_cpu);
    if (err == 0) {
      p->event = kCycles.name;
    } else if (!no_pmu_errno(err)) {
      return fail("EPERF_OPEN", open_error(kCycles, failed_cpu), err);
    } else if (w->event == "cycles") {
      return reject("EPERF_NO_PMU", "event 'cycles' is unavailable: " + open_error(kCycles, failed_cpu) + ": " +
                                        strerror(err) +
                                        ": this machine has no hardware PMU for CPU cycles (usual in VMs); use event "
                                        "'cpu-clock', or 'auto' to fall back to it");
    }
  }
  if (p->event.empty()) {
    if (int err = open_perf_events(kCpuClock, w->frequency_hz, ncpus, &p->perf_fds, &failed_cpu))
      return fail("EPERF_OPEN", open_error(kCpuClock, failed_cpu), err);
    p->event = kCpuClock.name;
  }
  for (int fd : p->perf_fds) {
    bpf_link* link = bpf_program__attach_perf_event(p->skel->progs.profile_cpu, fd);
    if (!link) return fail("EBPF_ATTACH", "attaching to a " + p->event + " perf event failed", errno);
    p->links.push_back(link);
  }
  w->profiler = p;
}

void start_complete(napi_env env, napi_status, void* data) {
  auto* w = static_cast<StartWork*>(data);
  complete_start(env, w, w->profiler, finalize_profiler, "profiler");
}


// Reads an optional string property that must be one of `allowed` (else a pending TypeError);
// `*out` keeps its default when the property is undefined.
bool get_enum_prop(napi_env env, napi_value obj, const char* name, const std::vector<std::string>& allowed,
                   std::string* out) {
  napi_value v;
  napi_valuetype t;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_undefined) return true;
  std::string value;
  if (t == napi_string) {
    size_t len = 0;
    napi_get_value_string_utf8(env, v, nullptr, 0, &len);
    value.resize(len + 1);
    napi_get_value_string_utf8(env, v, value.data(), len + 1, &len);
    value.resize(len);
    for (const std::string& a : allowed)
      if (value == a) {
        *out = value;
        return true;
      }
  }
  std::string msg = std::string("startProfiler: options.") + name + " must be ";
  for (size_t i = 0; i < allowed.size(); i++)
    msg += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + ("'" + allowed[i] + "'");
  msg += t == napi_string ? ", not '" + value + "'" : "";
  napi_throw_type_error(env, "EINVAL", msg.c_str());
  return false;
}

napi_value StartProfiler(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_valuetype t = napi_undefined;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_object) {
    napi_throw_type_error(env, "EINVAL", "startProfiler: expected an options object { frequencyHz, pid?, cgroupPath?, userStackMode?, event? }");
    return nullptr;
  }
  uint64_t freq = 0, pid = 0;
  bool has_freq, has_pid, has_cgroup;
  std::string cgroup_path;
  if (!get_uint_prop(env, "startProfiler", argv[0], "frequencyHz", 1, 100000, true, &freq, &has_freq)) return nullptr;
  if (!get_uint_prop(env, "startProfiler", argv[0], "pid", 1, UINT32_MAX, false, &pid, &has_pid)) return nullptr;
  if (!get_string_prop(env, "startProfiler", argv[0], "cgroupPath", &cgroup_path, &has_cgroup)) return nullptr;
  std::string user_stack_mode = "ip";
  if (!get_enum_prop(env, argv[0], "userStackMode", {"ip", "build-id"}, &user_stack_mode)) return nullptr;
  std::string event = "auto";
  if (!get_enum_prop(env, argv[0], "event", {"auto", "cpu-clock", "cycles"}, &event)) return nullptr;
  if (has_pid && has_cgroup) {
    napi_throw_type_error(env, "EINVAL", "startProfiler: set options.pid or options.cgroupPath, not both");
    return nullptr;
  }
  auto* w = new StartWork();
  w->frequency_hz = static_cast<uint32_t>(freq);
  w->tgid = static_cast<uint32_t>(pid);
  w->cgroup_path = cgroup_path;
  w->user_build_id = user_stack_mode == "build-id";
  w->event = event;
  return queue_work(env, w, "loupe:startProfiler", start_execute, start_complete);
}

// ---------------------------------------------------------------- drain()
struct DrainWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref handle_ref = nullptr;  // keeps the profiler alive while the worker uses it
  Profiler* profiler = nullptr;
  bool final = false;  // detach first, read both slots; only stopProfiler may follow
  // Results, one row per (tgid, user stack, kernel stack).
  std::vector<uint32_t> tgids, pids;
  std::vector<double> counts;
  std::vector<int32_t> user_ids, kern_ids;
  std::vector<char> comms;
  std::vector<uint32_t> user_starts, kern_starts;  // n + 1 offsets into *_frames
  // User frames are addresses, or in build-id mode file offsets (status VALID) or addresses
  // (status IP), with 20 build-id bytes and a status byte per frame.
  std::vector<uint64_t> user_frames, kern_frames;
  std::vector<uint8_t> user_build_ids, user_status;
  uint64_t stats[PROFILER_STAT_COUNT] = {};
  uint64_t truncated_user = 0, truncated_kern = 0, missing_stacks = 0;
};

// Frames of one stack (the stack map zero-fills beyond the depth). Returns false if absent.
bool read_stack(int fd, int32_t id, std::vector<uint64_t>& out, uint64_t* truncated) {
  uint64_t ips[PROFILER_MAX_STACK_DEPTH];
  uint32_t key = static_cast<uint32_t>(id);
  if (bpf_map_lookup_elem(fd, &key, ips) != 0) return false;
  int depth = 0;
  while (depth < PROFILER_MAX_STACK_DEPTH && ips[depth] != 0) depth++;
  if (depth == PROFILER_MAX_STACK_DEPTH) (*truncated)++;
  out.insert(out.end(), ips, ips + depth);
  return true;
}

// Frames of one build-id stack (zero-filled, so status EMPTY, beyond the depth). False if absent.
bool read_build_id_stack(int fd, int32_t id, DrainWork* w) {
  std::vector<bpf_stack_build_id> frames(PROFILER_MAX_STACK_DEPTH);
  uint32_t key = static_cast<uint32_t>(id);
  if (bpf_map_lookup_elem(fd, &key, frames.data()) != 0) return false;
  int depth = 0;
  while (depth < PROFILER_MAX_STACK_DEPTH && frames[depth].status != BPF_STACK_BUILD_ID_EMPTY) depth++;
  if (depth == PROFILER_MAX_STACK_DEPTH) w->truncated_user++;
  for (int i = 0; i < depth; i++) {
    const bpf_stack_build_id& f = frames[i];
    w->user_frames.push_back(f.status == BPF_STACK_BUILD_ID_VALID ? f.offset : f.ip);
    w->user_status.push_back(static_cast<uint8_t>(f.status));
    w->user_build_ids.insert(w->user_build_ids.end(), f.build_id, f.build_id + BPF_BUILD_ID_SIZE);
  }
  return true;
}

// Reads one slot's counts and stacks into w, then empties that slot.
void drain_slot(DrainWork* w, uint32_t slot) {
  profiler_bpf* skel = w->profiler->skel;
  int counts_fd = bpf_map__fd(slot ? skel->maps.sample_counts_1 : skel->maps.sample_counts_0);
  int stacks_fd = bpf_map__fd(slot ? skel->maps.stacks_1 : skel->maps.stacks_0);
  bool build_id = w->profiler->user_build_id;
  int user_fd = build_id ? bpf_map__fd(slot ? skel->maps.user_build_id_stacks_1 : skel->maps.user_build_id_stacks_0)
                         : stacks_fd;

  std::vector<profiler_sample_key> keys;
  profiler_sample_key key{}, next{};
  bool first = true;
  while (bpf_map_get_next_key(counts_fd, first ? nullptr : &key, &next) == 0) {
    keys.push_back(next);
    key = next;
    first = false;
  }
  std::unordered_set<int32_t> user_stack_ids, kern_stack_ids;
  for (const profiler_sample_key& k : keys) {
    profiler_sample_value v{};
    if (bpf_map_lookup_elem(counts_fd, &k, &v) != 0) continue;
    w->tgids.push_back(k.tgid);
    w->pids.push_back(v.pid);
    w->counts.push_back(static_cast<double>(v.count));
    w->user_ids.push_back(k.user_stack_id);
    w->kern_ids.push_back(k.kern_stack_id);
    w->comms.insert(w->comms.end(), v.comm, v.comm + PROFILER_COMM_LEN);
    if (k.user_stack_id >= 0) {
      user_stack_ids.insert(k.user_stack_id);
      bool found = build_id ? read_build_id_stack(user_fd, k.user_stack_id, w)
                            : read_stack(stacks_fd, k.user_stack_id, w->user_frames, &w->truncated_user);
      if (!found) w->missing_stacks++;
    }
    if (k.kern_stack_id >= 0) {
      kern_stack_ids.insert(k.kern_stack_id);
      if (!read_stack(stacks_fd, k.kern_stack_id, w->kern_frames, &w->truncated_kern)) w->missing_stacks++;
    }
    w->user_starts.push_back(static_cast<uint32_t>(w->user_frames.size()));
    w->kern_starts.push_back(static_cast<uint32_t>(w->kern_frames.size()));
  }
  // Empty the drained slot so it starts fresh when it becomes active again.
  for (const profiler_sample_key& k : keys) bpf_map_delete_elem(counts_fd, &k);
  for (int32_t id : user_stack_ids) {
    uint32_t sid = static_cast<uint32_t>(id);
    bpf_map_delete_elem(user_fd, &sid);
  }
  for (int32_t id : kern_stack_ids) {
    uint32_t sid = static_cast<uint32_t>(id);
    bpf_map_delete_elem(stacks_fd, &sid);
  }
}

void drain_execute(napi_env, void* data) {
  auto* w = static_cast<DrainWork*>(data);
  Profiler* p = w->profiler;
  profiler_bpf* skel = p->skel;
  // Grace period: a sample that read the old slot just before the flip (or ran just before the
  // detach) finishes within microseconds (perf_event programs run with interrupts off).
  timespec grace{0, 5 * 1000 * 1000};
  w->user_starts.push_back(0);
  w->kern_starts.push_back(0);
  uint32_t active = __atomic_load_n(&skel->bss->active_slot, __ATOMIC_SEQ_CST);
  if (w->final) {
    // Last drain: detach first so nothing arrives afterwards, then read both slots.
    for (bpf_link* l : p->links) bpf_link__destroy(l);
    p->links.clear();
    for (int fd : p->perf_fds) close(fd);
    p->perf_fds.clear();
    nanosleep(&grace, nullptr);
    drain_slot(w, active ^ 1u);
    drain_slot(w, active);
  } else {
    __atomic_store_n(&skel->bss->active_slot, active ^ 1u, __ATOMIC_SEQ_CST);
    nanosleep(&grace, nullptr);
    drain_slot(w, active);
  }

  read_percpu_stats(bpf_map__fd(skel->maps.stats), w->stats, PROFILER_STAT_COUNT);
}

void drain_complete(napi_env env, napi_status status, void* data) {
  auto* w = static_cast<DrainWork*>(data);
  Profiler* p = w->profiler;
  p->draining = false;
  if (p->stop_after_drain) destroy_bpf(p);

  napi_value out = nullptr;
  bool ok = status == napi_ok && napi_create_object(env, &out) == napi_ok;
  auto put = [&](const char* name, napi_value v) {
    if (!v || napi_set_named_property(env, out, name, v) != napi_ok) ok = false;
  };
  if (ok) {
    put("tgids", typed_copy(env, napi_uint32_array, w->tgids));
    put("pids", typed_copy(env, napi_uint32_array, w->pids));
    put("counts", typed_copy(env, napi_float64_array, w->counts));
    put("userStackIds", typed_copy(env, napi_int32_array, w->user_ids));
    put("kernStackIds", typed_copy(env, napi_int32_array, w->kern_ids));
    void* buf = nullptr;
    napi_value comms;
    if (napi_create_buffer_copy(env, w->comms.size(), w->comms.data(), &buf, &comms) == napi_ok) put("comms", comms);
    else ok = false;
    put("userFrameStarts", typed_copy(env, napi_uint32_array, w->user_starts));
    put("userFrames", typed_copy(env, napi_biguint64_array, w->user_frames));
    put("userBuildIds", typed_copy(env, napi_uint8_array, w->user_build_ids));
    put("userFrameStatus", typed_copy(env, napi_uint8_array, w->user_status));
    napi_value mode;
    if (napi_create_string_utf8(env, p->user_build_id ? "build-id" : "ip", NAPI_AUTO_LENGTH, &mode) == napi_ok) put("userStackMode", mode);
    else ok = false;
    napi_value event;
    if (napi_create_string_utf8(env, p->event.c_str(), p->event.size(), &event) == napi_ok) put("event", event);
    else ok = false;
    put("kernFrameStarts", typed_copy(env, napi_uint32_array, w->kern_starts));
    put("kernFrames", typed_copy(env, napi_biguint64_array, w->kern_frames));
    napi_value counters;
    if (napi_create_object(env, &counters) == napi_ok) {
      set_num(env, counters, "samples", static_cast<double>(w->stats[PROFILER_STAT_SAMPLES]));
      set_num(env, counters, "lostCountsMapFull", static_cast<double>(w->stats[PROFILER_STAT_COUNTS_FULL]));
      set_num(env, counters, "lostUserStacks", static_cast<double>(w->stats[PROFILER_STAT_USER_STACK_LOST]));
      set_num(env, counters, "lostKernStacks", static_cast<double>(w->stats[PROFILER_STAT_KERN_STACK_LOST]));
      set_num(env, counters, "missingStacks", static_cast<double>(w->missing_stacks));
      set_num(env, counters, "truncatedUserStacks", static_cast<double>(w->truncated_user));
      set_num(env, counters, "truncatedKernStacks", static_cast<double>(w->truncated_kern));
      put("counters", counters);
    } else {
      ok = false;
    }
  }
  if (ok) napi_resolve_deferred(env, w->deferred, out);
  else napi_reject_deferred(env, w->deferred, make_error(env, "ENAPI", "building the drain result failed"));
  napi_delete_reference(env, w->handle_ref);
  napi_delete_async_work(env, w->work);
  delete w;
}

napi_value Drain(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Profiler* p = unwrap_profiler(env, argc, argv, "drain");
  if (!p) return nullptr;
  bool final = false;
  if (argc > 1) {
    napi_valuetype t;
    napi_value v;
    NAPI_CALL(env, napi_typeof(env, argv[1], &t));
    if (t == napi_object) {
      NAPI_CALL(env, napi_get_named_property(env, argv[1], "final", &v));
      NAPI_CALL(env, napi_typeof(env, v, &t));
      if (t == napi_boolean) NAPI_CALL(env, napi_get_value_bool(env, v, &final));
    }
  }
  if (p->stopped || p->stop_after_drain || p->detached) {
    napi_throw_error(env, "ESTOPPED", "drain: the profiler was stopped (or its final drain ran)");
    return nullptr;
  }
  if (p->draining.exchange(true)) {
    napi_throw_error(env, "EBUSY", "drain: a drain of this profiler is already running; await it first");
    return nullptr;
  }
  auto* w = new DrainWork();
  w->profiler = p;
  w->final = final;
  if (final) p->detached = true;
  NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &w->handle_ref));
  return queue_work(env, w, "loupe:drain", drain_execute, drain_complete);
}

// ---------------------------------------------------------------- profilerInfo()
// What startProfiler settled on: { event: "cycles" | "cpu-clock", userStackMode: "ip" | "build-id" }.
napi_value ProfilerInfo(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Profiler* p = unwrap_profiler(env, argc, argv, "profilerInfo");
  if (!p) return nullptr;
  NAPI_CALL(env, napi_create_object(env, &out));
  set_str(env, out, "event", p->event);
  set_str(env, out, "userStackMode", p->user_build_id ? "build-id" : "ip");
  return out;
}

// ---------------------------------------------------------------- stopProfiler()
// Detaches and frees everything; if a drain is running, that happens when it finishes.
napi_value StopProfiler(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Profiler* p = unwrap_profiler(env, argc, argv, "stopProfiler");
  if (!p) return nullptr;
  if (p->draining) p->stop_after_drain = true;
  else if (!p->stopped) destroy_bpf(p);
  return nullptr;
}

// ---------------------------------------------------------------- demangle()
// Itanium C++ ABI names ("_Z...") through libstdc++'s demangler. Anything else comes back as it
// is: C names must not reach __cxa_demangle, which reads "i" as the type encoding "int".
std::string demangle_one(const std::string& name) {
  if (name.size() < 3 || name.compare(0, 2, "_Z") != 0) return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && out ? out : name;
  free(out);
  return result;
}

// demangle(names: string[]): string[]. Synchronous: a name takes microseconds, and callers
// cache, so each distinct symbol is demangled once.
napi_value Demangle(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, "EINVAL", "demangle: expected an array of symbol names (strings)");
    return nullptr;
  }
  uint32_t n = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[0], &n));
  NAPI_CALL(env, napi_create_array_with_length(env, n, &out));
  std::string name;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v, d;
    napi_valuetype t;
    NAPI_CALL(env, napi_get_element(env, argv[0], i, &v));
    NAPI_CALL(env, napi_typeof(env, v, &t));
    if (t != napi_string) {
      napi_throw_type_error(env, "EINVAL", ("demangle: names[" + std::to_string(i) + "] is not a string").c_str());
      return nullptr;
    }
    size_t len = 0;
    NAPI_CALL(env, napi_get_value_string_utf8(env, v, nullptr, 0, &len));
    name.resize(len + 1);
    NAPI_CALL(env, napi_get_value_string_utf8(env, v, name.data(), len + 1, &len));
    name.resize(len);
    std::string r = demangle_one(name);
    NAPI_CALL(env, napi_create_string_utf8(env, r.data(), r.size(), &d));
    NAPI_CALL(env, napi_set_element(env, out, i, d));
  }
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  libbpf_set_print(libbpf_print);
  napi_property_descriptor props[] = {
      {"capabilities", nullptr, Capabilities_, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"startProfiler", nullptr, StartProfiler, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"drain", nullptr, Drain, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stopProfiler", nullptr, StopProfiler, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"profilerInfo", nullptr, ProfilerInfo, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"demangle", nullptr, Demangle, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  NAPI_CALL(env, loupe_register_tracer(env, exports));
  // Node-API would load this addon into another Node too; recording the headers lets a test
  // prove it was built against the Node that runs it (build.sh takes the pinned Node's headers).
  napi_value headers;
  NAPI_CALL(env, napi_create_string_utf8(env, NODE_VERSION_STRING, NAPI_AUTO_LENGTH, &headers));
  NAPI_CALL(env, napi_set_named_property(env, exports, "nodeHeaders", headers));
  return exports;
}

}  // namespace

std::string loupe_take_libbpf_log() { return take_libbpf_log(); }

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
