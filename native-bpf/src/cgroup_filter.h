// The cgroup filter of the profiler and the socket tracer: the BPF programs ask
// bpf_current_task_under_cgroup() about a cgroup v2 directory that user space puts into a
// one-slot BPF_MAP_TYPE_CGROUP_ARRAY. The kernel walks the real hierarchy, so the filter works
// the same inside a cgroup namespace, where the mount's depth is not the cgroup's level.
#ifndef LOUPE_CGROUP_FILTER_H
#define LOUPE_CGROUP_FILTER_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdint>
#include <string>

// An open cgroup v2 directory; closes itself. fd() < 0 for an empty path (no filter), or after a
// failed open, with error() saying why. A skeleton whose program includes cgroup_filter.bpf.h
// takes it in two steps: enable() before load, install() after.
class CgroupDir {
 public:
  explicit CgroupDir(const std::string& path) : requested_(!path.empty()) {
    if (!requested_) return;
    fd_ = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = "cannot open cgroup directory " + path + ": " + strerror(errno);
      return;
    }
    struct statfs st {};
    if (fstatfs(fd_, &st) != 0 || st.f_type != CGROUP2_SUPER_MAGIC) {
      error_ = path + " is not a cgroup v2 directory";
      close(fd_);
      fd_ = -1;
    }
  }
  CgroupDir(const CgroupDir&) = delete;
  CgroupDir& operator=(const CgroupDir&) = delete;
  ~CgroupDir() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  const std::string& error() const { return error_; }

  // Before load: turns the skeleton's filter on when a directory was asked for. False when it could
  // not be opened (error() says why).
  template <typename Skel>
  bool enable(Skel* skel) const {
    if (!requested_) return true;
    if (fd_ < 0) return false;
    skel->rodata->filter_by_cgroup = 1;
    return true;
  }

  // After load: puts the directory into slot 0 of the skeleton's filter_cgroup map (nothing without
  // a filter); 0 or -errno.
  template <typename Skel>
  int install(Skel* skel) const {
    if (fd_ < 0) return 0;
    uint32_t zero = 0;
    return bpf_map_update_elem(bpf_map__fd(skel->maps.filter_cgroup), &zero, &fd_, BPF_ANY) == 0 ? 0 : -errno;
  }

 private:
  bool requested_;
  int fd_ = -1;
  std::string error_;
};

#endif
