import { phrase, t, type Phrase } from './i18n.js';
import { elements, showMessageError } from './view.js';

const encoder = new TextEncoder();

/** Length of a client message id (16 random bytes in hex). */
export const CLIENT_ID_LENGTH = 32;

/** UTF-8 bytes of the JSON frame that sends `text`: what the server's size limit counts. */
export function frameBytes(text: string): number {
  return encoder.encode(JSON.stringify({ type: 'send', id: '0'.repeat(CLIENT_ID_LENGTH), text })).length;
}

/** Why `text` cannot be sent under `limit`, or null when it fits. */
export function tooLong(text: string, limit: number | null): Phrase | null {
  const bytes = frameBytes(text);
  if (limit === null || bytes <= limit) return null;
  return phrase('composer.tooLong', { bytes, max: limit, over: bytes - limit });
}

/**
 * The message box: Enter sends, Shift+Enter adds a line, and a counter
 * shows the size against the server's limit (known from its ready frame).
 */
export class Composer {
  private limit: number | null = null;
  private tooLongShown = false;

  constructor(private readonly onSend: (text: string) => boolean) {
    const { message, messageForm } = elements;
    message.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      messageForm.requestSubmit();
    });
    message.addEventListener('input', () => this.update());
    messageForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.update();
  }

  setLimit(limit: number | null): void {
    this.limit = limit;
    this.update();
  }

  /** Shows the size and, when over the limit, marks the box invalid. */
  update(): void {
    const { message, counter } = elements;
    const bytes = message.value === '' ? 0 : frameBytes(message.value);
    const over = this.limit !== null && bytes > this.limit;
    counter.textContent = this.limit === null ? t('composer.countNoLimit', { bytes }) : t('composer.count', { bytes, max: this.limit });
    counter.classList.toggle('text-danger', over);
    counter.classList.toggle('fw-semibold', over);
    message.setAttribute('aria-invalid', String(over));
    if (!over && this.tooLongShown) {
      this.tooLongShown = false;
      showMessageError(null);
    }
  }

  private submit(): void {
    const { message } = elements;
    const text = message.value;
    if (text === '') return;
    const problem = tooLong(text, this.limit);
    showMessageError(problem);
    this.tooLongShown = problem !== null;
    if (problem) {
      message.focus();
      return;
    }
    if (!this.onSend(text)) return;
    message.value = '';
    this.update();
    message.focus();
  }
}
