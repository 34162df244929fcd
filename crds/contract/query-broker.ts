// `loupe query-broker`: the query API.
import { healthAddr, listen, nats, podName, podNamespace, tlsDir } from './common.js';
import { Ports } from './ports.js';
import { defineRole } from './setting.js';

export const QUERY_BROKER_CONTRACT = defineRole({
  role: 'query-broker',
  built: true,
  summary:
    'The query API (`loupe run --server HOST:PORT px/NAME`): keeps the live PEMs and Kelvins from their ' +
    'NATS announcements, compiles against the PEMs\' tables, splits the plan and asks a Kelvin. Ready ' +
    'once it has heard from an agent.',
  notes: 'Logs JSON lines on stdout; once serving, one line {"msg":"listening","address":HOST:PORT,"health":HOST:PORT}. SIGINT/SIGTERM stop it cleanly.',
  settings: {
    nats,
    listen: listen(Ports.queryBroker),
    healthAddr,
    tlsDir,
    podName,
    podNamespace,
  },
});
