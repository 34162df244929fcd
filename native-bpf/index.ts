// The one TypeScript door to native-bpf: everything outside this folder imports from here.
// addon.ts loads the Node-API addon and declares what crosses it; profiler.ts and
// socket-tracer.ts drive the CPU profiler and the socket tracer; symbols.ts names frames.
export * from './addon.js';
export * from './profiler.js';
export * from './socket-tracer.js';
export * from './symbols.js';
export { demangle, demangleAll } from './demangle.js';
