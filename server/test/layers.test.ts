import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd });

/** The no-restricted-imports messages `npm run lint` gives for `code` in a file at `filePath`. */
async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${m.severity === 2 ? 'error' : 'warning'}: ${m.message}`);
}

describe('the layers are checked by npm run lint (no-restricted-imports, as errors)', () => {
  it('transport may not import a store or bus adapter, nor a storage engine', async () => {
    for (const [file, code] of [
      ['server/http/routes/x.ts', "import { openStore } from '../../store/index.js';\nvoid openStore;\n"],
      ['server/ws/x.ts', "import type { Db } from '../store/sqlite/database.js';\nexport type X = Db;\n"],
      ['server/ws/x.ts', "import { createLocalBus } from '../bus/local.js';\nvoid createLocalBus;\n"],
      ['server/http/x.ts', "import Database from 'better-sqlite3';\nvoid Database;\n"],
      ['server/auth.ts', "import { openStore } from './store/index.js';\nvoid openStore;\n"],
    ]) {
      expect(await restricted(file!, code!), `${file}: ${code}`).toEqual([expect.stringMatching(/^error: /)]);
    }
  });

  it('transport may import the domain, protocol/, the logger and metrics', async () => {
    const code = [
      "import type { Store } from '../domain/ports.js';",
      "import { SUBPROTOCOL } from '../../protocol/wire.js';",
      "import type { Logger } from '../logger.js';",
      "import type { Metrics } from '../metrics.js';",
      'export type X = [Store, Logger, Metrics, typeof SUBPROTOCOL];',
      '',
    ].join('\n');
    expect(await restricted('server/ws/x.ts', code)).toEqual([]);
  });

  it('the domain imports no I/O module, transport, adapter, logger or config', async () => {
    for (const code of [
      "import { readFileSync } from 'node:fs';\nvoid readFileSync;\n",
      "import { createServer } from 'node:http';\nvoid createServer;\n",
      "import { spawn } from 'node:child_process';\nvoid spawn;\n",
      "import { Worker } from 'node:worker_threads';\nvoid Worker;\n",
      "import Database from 'better-sqlite3';\nvoid Database;\n",
      "import { WebSocket } from 'ws';\nvoid WebSocket;\n",
      "import Koa from 'koa';\nvoid Koa;\n",
      "import { openStore } from '../store/index.js';\nvoid openStore;\n",
      "import type { WsHub } from '../ws/hub.js';\nexport type X = WsHub;\n",
      "import type { Logger } from '../logger.js';\nexport type X = Logger;\n",
    ]) {
      expect(await restricted('server/domain/x.ts', code), code).toEqual([expect.stringMatching(/^error: /)]);
    }
    const allowed = "import { randomBytes } from 'node:crypto';\nimport { echoText } from '../../protocol/wire.js';\nimport type { Store } from './ports.js';\nexport type X = [typeof randomBytes, typeof echoText, Store];\n";
    expect(await restricted('server/domain/x.ts', allowed)).toEqual([]);
  });

  it('adapters may not reach into transport', async () => {
    expect(await restricted('server/store/sqlite/x.ts', "import { writeError } from '../../http/write-error.js';\nvoid writeError;\n")).toEqual([
      expect.stringMatching(/^error: /),
    ]);
  });
});
