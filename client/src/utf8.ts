import type { SendFrame } from '../../protocol/wire.js';

/** The JSON-mode frame of a message, as written to the wire. */
export function sendFrame(id: string, text: string): string {
  const frame: SendFrame = { type: 'send', id, text };
  return JSON.stringify(frame);
}

/** UTF-8 length of a string in bytes, without encoding it (a lone surrogate counts as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
