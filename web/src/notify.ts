import { t } from './i18n.js';
import { byId } from './view.js';

const BASE_TITLE = document.title;
const announcer = byId<HTMLDivElement>('announcer');
const button = byId<HTMLButtonElement>('notify');
const supported = 'Notification' in window;
let unread = 0;

function showTitle(): void {
  document.title = unread > 0 ? `(${unread}) ${BASE_TITLE}` : BASE_TITLE;
}

/** The enable button shows while the browser has not been asked yet. */
function showButton(): void {
  button.hidden = !supported || Notification.permission !== 'default';
}

/** Reads `text` out through the page's polite live region (a few recent lines are kept). */
export function announce(text: string): void {
  const line = document.createElement('p');
  line.textContent = text;
  announcer.append(line);
  while (announcer.childElementCount > 3) announcer.firstElementChild!.remove();
}

/**
 * A message from another tab or device: announced, and while this tab is
 * hidden counted in the title and shown as a system notification (if allowed).
 */
export function incoming(sessionId: string, text: string): void {
  announce(t('messages.announce', { text }));
  if (!document.hidden) return;
  unread++;
  showTitle();
  if (supported && Notification.permission === 'granted') {
    const notification = new Notification(t('notify.title', { id: sessionId }), { body: text, tag: `websocket-session:${sessionId}` });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
  }
}

export function initNotifications(): void {
  showButton();
  button.addEventListener('click', () => {
    void Notification.requestPermission().then(showButton);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    unread = 0;
    showTitle();
  });
}
