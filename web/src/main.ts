import './styles.scss';
import { createClient, webStorageOutboxStore } from '../../client/src/index.js';
import { store } from './core/store.js';
import { createComposer } from './components/composer.js';
import { createConversation } from './components/conversation.js';
import { createSessionDialog } from './components/session-dialog.js';
import { createHeader } from './components/header.js';
import { createNotifier } from './components/notifier.js';
import { createSearchPanel } from './components/search-panel.js';
import { createSessionMenu } from './components/session-menu.js';
import { createSessionsPanel } from './components/sessions-panel.js';
import { createSettingsMenu } from './components/settings-menu.js';
import { createToasts } from './components/toasts.js';
import type { Component, Panel } from './components/types.js';
import { explain } from './errors.js';
import { asLang, language, loadLanguage, phrase } from './i18n.js';
import { recentSessions } from './session/local.js';
import { createRouter, inviteLink, takeInvite } from './session/router.js';
import { createSessions } from './session/sessions.js';
import { followSystemTheme } from './theme.js';

// Before anything else: an invite link's token leaves the address bar and the history (it is in the fragment, never sent).
const invite = takeInvite();
// The composition root: state, then the components on the shell's elements (web/index.html), then the URL.
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const shell = byId('app');
// boot.js chose the language before first paint; nothing is shown before its texts are here.
const lang = asLang(document.documentElement.lang);
await loadLanguage(lang);
language.set(lang);
followSystemTheme();

const notifications = 'Notification' in window ? Notification : undefined;
const recent = recentSessions();
const panel = store<Panel>('none');
const sessions = createSessions({
  // The HttpOnly cookie authorises (the token never reaches this page); unacknowledged messages survive a reload in the tab's sessionStorage.
  createClient: () => createClient({ baseUrl: location.origin, auth: 'cookie', outboxStore: webStorageOutboxStore(sessionStorage) }),
  recent,
});
const { active } = sessions;
const router = createRouter(sessions);
const toasts = createToasts(byId('toasts'));
const notifier = createNotifier({ region: byId('announcer'), doc: document, notifications });
const dialog = createSessionDialog(byId('dialog'));

// First (components focus what they show): the shell's layout follows the state: which panel is open, and whether a session is (phones show the list without one).
active.subscribe((session) => (shell.dataset.phase = session.phase));
panel.subscribe((open) => (shell.dataset.panel = open));

const mounted = new Map<string, Component>();
function mount<C extends Component>(name: string, create: () => C): C {
  mounted.get(name)?.destroy();
  const component = create();
  mounted.set(name, component);
  return component;
}

const focusComposer = () => composer.focus();
const mountConversation = (create = createConversation) =>
  mount('conversation', () => create(byId('conversation'), { active, router, panel, notifier, toasts, focusComposer }));
const mountComposer = (create = createComposer) => mount('composer', () => create(byId('composer'), { active, onSent: () => conversation.showPending() }));
const mountHeader = (create = createHeader) => mount('header', () => create(byId('header-main'), { active, panel, presence: sessions.presence }));
const mountSessions = (create = createSessionsPanel) => mount('sessions', () => create(byId('sessions'), { active, recent, router, panel }));
const mountSearch = (create = createSearchPanel) =>
  mount('search', () => create(byId('search'), { active, panel, openMessage: (seq) => conversation.openMessage(seq), focusComposer }));
const mountSettings = (create = createSettingsMenu) => mount('settings', () => create(byId('settings'), { notifications }));
const mountMenu = (create = createSessionMenu) =>
  mount('menu', () =>
    create(byId('session-menu'), {
      active,
      ask: (kind, id, returnTo) => {
        const session = active.get();
        if (session.phase !== 'open') return;
        if (kind === 'revoke') return dialog.ask(kind, id, () => session.client.revoke(), returnTo, () => {
          returnTo.focus();
          toasts.show(phrase('revoke.done', { id }));
        });
        dialog.ask(kind, id, () => session.client.delete(), returnTo, () => {
          recent.remove(id);
          router.home({ deleted: id });
          panel.set('sessions');
        });
      },
      invite: (id, returnTo) => {
        const session = active.get();
        if (session.phase !== 'open') return;
        session.client.invite().then(
          (token) => dialog.invite(id, inviteLink(location.origin, id, token), returnTo),
          (err: unknown) => toasts.show(phrase('err.invite', { reason: explain(err) }), 'danger'),
        );
      },
    }),
  );

let conversation = mountConversation();
let composer = mountComposer();
mountHeader();
mountSessions();
mountSearch();
mountSettings();
mountMenu();


// Toasts only for what the person did not cause: the connection lost while open, and back.
let lost = false;
active.subscribe((session) => {
  const status = session.phase === 'open' ? session.connection.status : null;
  if (session.phase === 'open' && session.connection.status === 'reconnecting' && !lost) {
    lost = true;
    toasts.show({ key: 'toast.lost' }, 'warning');
  } else if (status === 'open' && lost) {
    lost = false;
    toasts.show({ key: 'toast.back' });
  } else if (status === null) lost = false;
});

// Shortcuts: "/" or Ctrl+K (Cmd+K) opens the search.
document.addEventListener('keydown', (event) => {
  const typing = event.target instanceof HTMLElement && event.target.closest('input, textarea, select, [contenteditable]');
  const wanted = (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey) || (event.key.toLowerCase() === 'k' && (event.ctrlKey || event.metaKey));
  if (!wanted || active.get().phase !== 'open') return;
  event.preventDefault();
  panel.set('search');
});

router.start(invite);
document.documentElement.dataset.ready = '';

// Development: an edited component is swapped in place (its state lives in the stores), not the whole page reloaded.
if (import.meta.hot) {
  // In the order of the list below (Vite needs the paths as literals).
  const swaps: Array<[string, (create: never) => unknown]> = [
    ['createConversation', (create) => (conversation = mountConversation(create))],
    ['createComposer', (create) => (composer = mountComposer(create))],
    ['createHeader', mountHeader],
    ['createSessionsPanel', mountSessions],
    ['createSearchPanel', mountSearch],
    ['createSettingsMenu', mountSettings],
    ['createSessionMenu', mountMenu],
  ];
  import.meta.hot.accept(
    [
      './components/conversation.ts',
      './components/composer.ts',
      './components/header.ts',
      './components/sessions-panel.ts',
      './components/search-panel.ts',
      './components/settings-menu.ts',
      './components/session-menu.ts',
    ],
    (modules) =>
      modules.forEach((module, i) => {
        const [name, remount] = swaps[i]!;
        if (module) remount((module as unknown as Record<string, never>)[name]!);
      }),
  );
}
