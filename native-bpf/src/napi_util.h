// Node-API helpers shared by addon.cc (profiler, module init) and tracer.cc (socket tracer).
#ifndef LOUPE_NAPI_UTIL_H
#define LOUPE_NAPI_UTIL_H

#include <node_api.h>

#include <cstdint>
#include <string>

#define NAPI_CALL(env, call)                                                    \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      const napi_extended_error_info* info = nullptr;                           \
      napi_get_last_error_info((env), &info);                                   \
      bool pending = false;                                                     \
      napi_is_exception_pending((env), &pending);                               \
      if (!pending)                                                             \
        napi_throw_error((env), nullptr,                                        \
                         info && info->error_message ? info->error_message      \
                                                     : "Node-API call failed"); \
      return nullptr;                                                           \
    }                                                                           \
  } while (0)

inline napi_value make_error(napi_env env, const std::string& code, const std::string& msg) {
  napi_value c, m, err;
  napi_create_string_utf8(env, code.c_str(), NAPI_AUTO_LENGTH, &c);
  napi_create_string_utf8(env, msg.c_str(), NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, c, m, &err);
  return err;
}

inline void set_bool(napi_env env, napi_value obj, const char* name, bool v) {
  napi_value x;
  napi_get_boolean(env, v, &x);
  napi_set_named_property(env, obj, name, x);
}
inline void set_num(napi_env env, napi_value obj, const char* name, double v) {
  napi_value x;
  napi_create_double(env, v, &x);
  napi_set_named_property(env, obj, name, x);
}
inline void set_str(napi_env env, napi_value obj, const char* name, const std::string& v) {
  napi_value x;
  napi_create_string_utf8(env, v.c_str(), v.size(), &x);
  napi_set_named_property(env, obj, name, x);
}

// Deepest cgroup level a filter may name (the kernel's own limit is far higher than real trees).
constexpr uint64_t kMaxCgroupLevel = 255;

// Reads an optional non-negative integer property (a number or a BigInt); returns false (with a
// pending error naming fn and the property) if invalid.
inline bool get_uint_prop(napi_env env, const char* fn, napi_value obj, const char* name, uint64_t max, bool required,
                          uint64_t* out, bool* present) {
  napi_value v;
  napi_valuetype t;
  *present = false;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return false;
  std::string bad = std::string(fn) + ": options." + name + " must be ";
  if (t == napi_undefined) {
    if (required) napi_throw_type_error(env, "EINVAL", (bad + "set").c_str());
    return !required;
  }
  if (t == napi_bigint) {
    bool lossless = false;
    uint64_t x = 0;
    napi_get_value_bigint_uint64(env, v, &x, &lossless);
    if (!lossless || x > max) {
      napi_throw_range_error(env, "EINVAL", (bad + "a non-negative integer <= " + std::to_string(max)).c_str());
      return false;
    }
    *out = x;
    *present = true;
    return true;
  }
  double d = 0;
  if (t != napi_number || napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d != static_cast<double>(static_cast<uint64_t>(d)) ||
      d > static_cast<double>(max) || d > 9007199254740991.0) {
    napi_throw_range_error(env, "EINVAL", (bad + "a non-negative integer <= " + std::to_string(max)).c_str());
    return false;
  }
  *out = static_cast<uint64_t>(d);
  *present = true;
  return true;
}

#endif
