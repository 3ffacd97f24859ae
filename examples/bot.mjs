// A bot that joins a session and answers its messages. Run it beside a server:
//   SESSION_ID=0101 SESSION_TOKEN=<the session's token> node examples/bot.mjs
// Without SESSION_TOKEN it rejoins with the token it saved, or creates the session.
import { WebSocket } from 'ws';
import { createClient, fileOutboxStore, fileTokenStore } from 'websocket-session-client/node';

const { BASE_URL = 'http://localhost:8080', SESSION_ID, SESSION_TOKEN, STATE_DIR = '.bot' } = process.env;
if (!SESSION_ID) throw new Error('set SESSION_ID (and SESSION_TOKEN to join a session someone else opened)');

const client = createClient({
  baseUrl: BASE_URL,
  WebSocket,
  tokenStore: fileTokenStore(`${STATE_DIR}/tokens.json`), // rejoins after a restart
  outboxStore: fileOutboxStore(`${STATE_DIR}/outbox`), // answers not yet acknowledged survive a restart
});

const PREFIX = '🤖 ';
const answer = (text) => (/^ping$/i.test(text.trim()) ? 'pong' : `you said "${text}" (${[...text].length} characters)`);

client.on('message', ({ body, own }) => {
  // Never answer itself, nor another bot (two bots would talk forever).
  if (own || body.startsWith(PREFIX)) return;
  client.send(PREFIX + answer(body)).catch((err) => console.error(`answer not sent: ${err.code}`));
});
client.on('state', (state) => state.status === 'closed' && state.code && console.error(`closed: ${state.code} ${state.reason}`));

const { created } = await client.open(SESSION_ID, SESSION_TOKEN ? { token: SESSION_TOKEN } : {});
await client.connect();
console.log(`bot ${created ? 'created' : 'joined'} session ${SESSION_ID}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void client.close().then(() => process.exit(0)));
