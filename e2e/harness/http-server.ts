// A small Node HTTP server as a child process, for traffic the tracers see: resolves with its
// pid and port once it listens on 127.0.0.1. The caller stops it (by pid, through `child`).
import { spawn, type ChildProcess } from 'node:child_process';

// Answers with the status its path names (/status/404 → 404) and a short text body.
export const STATUS_SERVER_JS = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const status = Number((/\\/status\\/(\\d{3})/.exec(req.url) || [])[1] || 200);
    const body = 'served ' + req.method + ' ' + req.url;
    res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

export interface HttpServer {
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
}

/** Runs `source`, a Node script that prints its port once listening. */
export async function startHttpServer(source = STATUS_SERVER_JS): Promise<HttpServer> {
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the HTTP server exited with ${code}`)));
  });
  return { pid: child.pid!, port, child };
}
