// Node-API helpers shared by addon.cc (profiler, module init) and tracer.cc (socket tracer).
#ifndef LOUPE_NAPI_UTIL_H
#define LOUPE_NAPI_UTIL_H

#include <node_api.h>

#include <string.h>

#include <cstdint>
#include <string>
#include <vector>

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

// Runs a worker struct W (with `work` and `deferred` members) on libuv's thread pool: `execute`
// there, then `complete` on the loop thread, which settles the promise returned here (nullptr,
// with a pending error, if it could not be queued). `resource` names it in async hooks.
template <typename W>
napi_value queue_work(napi_env env, W* w, const char* resource, napi_async_execute_callback execute,
                      napi_async_complete_callback complete) {
  napi_value promise, name;
  NAPI_CALL(env, napi_create_promise(env, &w->deferred, &promise));
  NAPI_CALL(env, napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &name));
  NAPI_CALL(env, napi_create_async_work(env, nullptr, name, execute, complete, w, &w->work));
  NAPI_CALL(env, napi_queue_async_work(env, w->work));
  return promise;
}

// The end of a start worker W (with `work`, `deferred`, `error_code` and `error`), on the loop
// thread: resolves with a handle around `object` (freed by `finalize` once the handle is
// collected), or rejects with the worker's error when there is no object; then frees the worker.
template <typename W>
void complete_start(napi_env env, W* w, void* object, napi_finalize finalize, const char* noun) {
  napi_value handle;
  if (!object) {
    napi_reject_deferred(env, w->deferred, make_error(env, w->error_code, w->error));
  } else if (napi_create_external(env, object, finalize, nullptr, &handle) == napi_ok) {
    napi_resolve_deferred(env, w->deferred, handle);
  } else {
    finalize(env, object, nullptr);
    napi_reject_deferred(env, w->deferred, make_error(env, "ENAPI", std::string("creating the ") + noun + " handle failed"));
  }
  napi_delete_async_work(env, w->work);
  delete w;
}

// A typed array (of `type`, whose elements are T) over a fresh ArrayBuffer holding a copy of v.
template <typename T>
napi_value typed_copy(napi_env env, napi_typedarray_type type, const std::vector<T>& v) {
  void* data = nullptr;
  napi_value ab, ta;
  if (napi_create_arraybuffer(env, v.size() * sizeof(T), &data, &ab) != napi_ok) return nullptr;
  if (!v.empty()) memcpy(data, v.data(), v.size() * sizeof(T));
  if (napi_create_typedarray(env, type, v.size(), ab, 0, &ta) != napi_ok) return nullptr;
  return ta;
}

// The object behind a handle (a napi_external whose first field is its `magic`) that a start
// function returned; nullptr, with a pending TypeError "<fn>: expected a handle returned by
// <starter>()", for anything else.
template <typename T>
T* unwrap_handle(napi_env env, size_t argc, const napi_value* argv, const char* fn, uint32_t magic, const char* starter) {
  napi_valuetype t;
  void* data = nullptr;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || !data || static_cast<T*>(data)->magic != magic) {
    napi_throw_type_error(env, "EINVAL", (std::string(fn) + ": expected a handle returned by " + starter + "()").c_str());
    return nullptr;
  }
  return static_cast<T*>(data);
}

// Reads an optional integer property in [min, max] (a number or a BigInt); returns false (with a
// pending error naming fn and the property) if invalid. *present says whether it was set.
inline bool get_uint_prop(napi_env env, const char* fn, napi_value obj, const char* name, uint64_t min, uint64_t max,
                          bool required, uint64_t* out, bool* present) {
  napi_value v;
  napi_valuetype t;
  *present = false;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return false;
  std::string bad = std::string(fn) + ": options." + name + " must be ";
  std::string range = min == 0 ? "a non-negative integer <= " + std::to_string(max)
                               : "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (t == napi_undefined) {
    if (required) napi_throw_type_error(env, "EINVAL", (bad + "set").c_str());
    return !required;
  }
  uint64_t x = 0;
  if (t == napi_bigint) {
    bool lossless = false;
    if (napi_get_value_bigint_uint64(env, v, &x, &lossless) != napi_ok || !lossless) {
      napi_throw_range_error(env, "EINVAL", (bad + range).c_str());
      return false;
    }
  } else {
    double d = 0;
    if (t != napi_number || napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 9007199254740991.0 ||
        d != static_cast<double>(static_cast<uint64_t>(d))) {
      napi_throw_range_error(env, "EINVAL", (bad + range).c_str());
      return false;
    }
    x = static_cast<uint64_t>(d);
  }
  if (x < min || x > max) {
    napi_throw_range_error(env, "EINVAL", (bad + range).c_str());
    return false;
  }
  *out = x;
  *present = true;
  return true;
}

// Reads an optional string property; returns false (with a pending error) if it is set and not a
// non-empty string.
inline bool get_string_prop(napi_env env, const char* fn, napi_value obj, const char* name, std::string* out,
                            bool* present) {
  napi_value v;
  napi_valuetype t;
  *present = false;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_undefined) return true;
  size_t len = 0;
  if (t != napi_string || napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok || len == 0) {
    napi_throw_type_error(env, "EINVAL", (std::string(fn) + ": options." + name + " must be a non-empty string").c_str());
    return false;
  }
  out->assign(len, '\0');
  napi_get_value_string_utf8(env, v, out->data(), len + 1, &len);
  *present = true;
  return true;
}

// Optional boolean option obj[name]: leaves *out as it is when absent; throws (and returns
// false) when it is not a boolean.
inline bool get_bool_prop(napi_env env, const char* fn, napi_value obj, const char* name, bool* out) {
  napi_value v;
  napi_valuetype t;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_undefined) return true;
  if (t != napi_boolean) {
    napi_throw_type_error(env, "EINVAL", (std::string(fn) + ": options." + name + " must be a boolean").c_str());
    return false;
  }
  return napi_get_value_bool(env, v, out) == napi_ok;
}

#endif
