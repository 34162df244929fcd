// What addon.cc (module init, libbpf log capture, profiler) and tracer.cc (socket tracer) share.
#ifndef LOUPE_ADDON_SHARED_H
#define LOUPE_ADDON_SHARED_H

#include <node_api.h>

#include <string>

// libbpf warnings printed since the last call (addon.cc installs the libbpf print callback).
std::string loupe_take_libbpf_log();

// Adds startTracer, drainTracer and stopTracer to the module's exports.
napi_status loupe_register_tracer(napi_env env, napi_value exports);

#endif
