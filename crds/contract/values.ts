// The value sets the Vizier spec and the roles share, declared once: the CRD's enums and the
// roles' parsers both use these lists.

/** Who may see payloads: Full; Restricted (no bodies, headers redacted); PIIRestricted (no bodies, personal data redacted). */
export const DATA_ACCESS_MODES = ['Full', 'Restricted', 'PIIRestricted'] as const;
export type DataAccessMode = (typeof DATA_ACCESS_MODES)[number];

/** Protocols a Vizier may ask the socket tracer to parse (dataplane/protocols/ has the built ones). */
export const PROTOCOLS = ['http', 'pgsql', 'mysql', 'dns', 'redis'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

/** What a PEM (or `loupe standalone`) collects. */
export const PEM_SOURCES = ['socket_tracer', 'process_stats', 'network_stats', 'cpu_profiler'] as const;
export type SourceName = (typeof PEM_SOURCES)[number];

/**
 * Which sides of a connection make http_events rows: server (Pixie's rule: each request once, on its
 * server's side, plus client sides whose remote end is outside the cluster) or both.
 */
export const TRACE_ROLES = ['server', 'both'] as const;
export type TraceRoles = (typeof TRACE_ROLES)[number];

/** Where the metadata service keeps its state. */
export const METADATA_STORAGE = ['persistent', 'etcd', 'memory'] as const;
export type MetadataStorage = (typeof METADATA_STORAGE)[number];
