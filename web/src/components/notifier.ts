import { t } from '../i18n.js';

export interface Notifier {
  /** Reads `text` out through the page's polite live region (a few recent lines are kept). */
  announce(text: string): void;
  /** A message from another tab or device: announced, and while the page is hidden counted in the title and notified (if allowed). */
  incoming(sessionId: string, text: string): void;
  destroy(): void;
}

export interface NotifierDeps {
  /** The live region (aria-live="polite"). */
  region: HTMLElement;
  doc: Document;
  notifications: typeof Notification | undefined;
}

export function createNotifier({ region, doc, notifications }: NotifierDeps): Notifier {
  const baseTitle = doc.title;
  let unread = 0;
  const showTitle = () => (doc.title = unread > 0 ? `(${unread}) ${baseTitle}` : baseTitle);
  const onVisible = () => {
    if (doc.hidden) return;
    unread = 0;
    showTitle();
  };
  doc.addEventListener('visibilitychange', onVisible);

  function announce(text: string): void {
    const line = doc.createElement('p');
    line.textContent = text;
    region.append(line);
    while (region.childElementCount > 3) region.firstElementChild!.remove();
  }

  return {
    announce,
    incoming(sessionId, text) {
      announce(t('messages.announce', { text }));
      if (!doc.hidden) return;
      unread++;
      showTitle();
      if (notifications?.permission !== 'granted') return;
      const notification = new notifications(t('notify.title', { id: sessionId }), { body: text, tag: `websocket-session:${sessionId}` });
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
    },
    destroy: () => doc.removeEventListener('visibilitychange', onVisible),
  };
}
