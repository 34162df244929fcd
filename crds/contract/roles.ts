// Every role of the one `loupe` program; each Deployment or DaemonSet the operator renders runs one.
export const ROLES = [
  'operator', 'pem', 'kelvin', 'query-broker', 'metadata', 'cloud-connector',
  'profile-agent', 'profile-storage', 'symbolizer', 'cloud', 'standalone',
] as const;
export type Role = (typeof ROLES)[number];
