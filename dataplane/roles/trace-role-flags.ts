// The trace-roles settings `loupe pem` and `loupe standalone` take (collectors/trace-roles.ts):
// --trace-roles server|both, --cluster-cidrs LIST, --service-cidrs LIST (or their environment
// variables), checked into TraceRoleSettings; a bad value names the flag or variable it came from.
import { TRACE_ROLES, type TraceRoles, type TraceRoleSettings } from '../collectors/trace-roles.js';
import { CidrError, parseCidrList, type Cidr } from '../metadata/cidr.js';
import { fail, type Setting } from './settings.js';

export interface TraceRoleInputs {
  readonly traceRoles?: Setting;
  readonly clusterCidrs?: Setting;
  readonly serviceCidrs?: Setting;
}

function cidrs(s: Setting): Cidr[] {
  try {
    return parseCidrList(s.value);
  } catch (err) {
    if (!(err instanceof CidrError)) throw err;
    return fail(s, err.input === s.value ? err.problem : `"${err.input}" ${err.problem}`);
  }
}

export function traceRoleSettings(inputs: TraceRoleInputs): TraceRoleSettings {
  const { traceRoles, clusterCidrs, serviceCidrs } = inputs;
  if (traceRoles && !(TRACE_ROLES as readonly string[]).includes(traceRoles.value)) {
    fail(traceRoles, `must be ${TRACE_ROLES.join(' or ')} (server: each request once, on its server's side, plus client sides calling outside the cluster; both: every side)`);
  }
  return {
    ...(traceRoles ? { traceRoles: traceRoles.value as TraceRoles } : {}),
    ...(clusterCidrs ? { clusterCidrs: cidrs(clusterCidrs) } : {}),
    ...(serviceCidrs ? { serviceCidrs: cidrs(serviceCidrs) } : {}),
  };
}
