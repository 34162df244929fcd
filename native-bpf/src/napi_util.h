// Node-API helpers shared by addon.cc (profiler, module init) and tracer.cc (socket tracer).
#ifndef LOUPE_NAPI_UTIL_H
#define LOUPE_NAPI_UTIL_H

#include <node_api.h>

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

#endif
