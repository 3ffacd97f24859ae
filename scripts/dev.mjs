// `npm run dev [-- --port N]`: the API server (tsx watch) and Vite with HMR, one Ctrl-C stops both.
// The Vite port (--port N, else VITE_PORT, else 5173) goes to both as VITE_PORT: Vite listens on it
// (vite.config.ts) and the server lets that origin in during development.
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const flag = args.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
const port = flag < 0 ? (process.env.VITE_PORT ?? '5173') : args[flag].includes('=') ? args[flag].split('=')[1] : args[flag + 1];
if (!/^\d{1,5}$/.test(port ?? '') || Number(port) > 65535) {
  console.error(`npm run dev: invalid --port "${port}": must be a port number`);
  process.exit(2);
}
const child = spawn(
  process.execPath,
  ['node_modules/concurrently/dist/bin/concurrently.js', '--kill-others', '--names', 'server,web', '--prefix-colors', 'blue,magenta', 'npm:dev:server', 'npm:dev:web'],
  { stdio: 'inherit', env: { ...process.env, VITE_PORT: port } },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
