import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HistoryWindow, type Page, type PageRequest, type ShownMessage } from './history-window.js';

/** A session's log as the server keeps it: seqs 1..n, pages as GET /messages answers them. */
class FakeServer {
  log: ShownMessage[] = [];

  append(): ShownMessage {
    const seq = this.log.length + 1;
    const message = { seq, id: null, body: `m${seq}`, at: new Date(seq * 60_000).toISOString() };
    this.log.push(message);
    return message;
  }

  page(before: number, limit: number): Page {
    const below = this.log.filter((m) => m.seq < before);
    return { messages: below.slice(-limit), hasMore: below.length > limit };
  }
}

function expectConsistent(win: HistoryWindow, server: FakeServer): void {
  const seqs = win.items.map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i], `no gap or duplicate at ${i}: ${seqs.join(',')}`).toBe(seqs[i - 1]! + 1);
  for (const m of win.items) expect(m).toEqual(server.log[m.seq - 1]);
  expect(win.items.length).toBeLessThanOrEqual(win.max);
  if (seqs.length > 0) expect(win.coveredTo).toBe(seqs.at(-1));
  if (win.atLatest) expect(win.coveredTo).toBeGreaterThanOrEqual(win.latestSeq);
  expect(win.hasOlder).toBe((seqs[0] ?? 1) > 1);
}

const ops = fc.array(
  fc.oneof(
    fc.constant('commit' as const),
    fc.constant('deliver' as const),
    fc.constant('older' as const),
    fc.constant('newer' as const),
    fc.constant('newest' as const),
    fc.constant('answer' as const),
    fc.record({ around: fc.nat(400) }),
    fc.boolean().map((stick) => ({ stick })),
  ),
  { maxLength: 200 },
);

describe('HistoryWindow', () => {
  it('loads the newest page, then pages older ones in, dropping the newest beyond the bound', () => {
    const server = new FakeServer();
    for (let i = 0; i < 1000; i++) server.append();
    const win = new HistoryWindow(300, 100);
    win.ready(1000);
    const first = win.jumpRequest();
    win.applyJump(first, server.page(first.before, 100));
    expect(win.items.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 901 + i));
    expect(win.atLatest).toBe(true);
    for (let i = 0; i < 5; i++) {
      const request = win.olderRequest()!;
      expect(win.applyOlder(request, server.page(request.before, 100))).toBe(true);
      expectConsistent(win, server);
    }
    expect(win.items[0]!.seq).toBe(401);
    expect(win.items.at(-1)!.seq).toBe(700);
    expect(win.atLatest).toBe(false);
    // Scrolling back down reloads what was dropped.
    while (!win.atLatest) {
      const request = win.newerRequest()!;
      win.applyNewer(request, server.page(request.before, 100));
      expectConsistent(win, server);
    }
    expect(win.items.at(-1)!.seq).toBe(1000);
  });

  it('takes live echoes at the end, and keeps those that come while it is elsewhere', () => {
    const server = new FakeServer();
    for (let i = 0; i < 500; i++) server.append();
    const win = new HistoryWindow(300, 100);
    win.ready(500);
    expect(win.echo(server.append())).toBe(true); // before the first page: kept aside
    const request = win.jumpRequest();
    win.applyJump(request, server.page(request.before, 100));
    expect(win.items.at(-1)!.seq).toBe(501);
    expect(win.echo(server.log[500]!)).toBe(false); // a replayed duplicate
    const around = win.jumpRequest(100);
    win.applyJump(around, server.page(around.before, 100));
    expect(win.atLatest).toBe(false);
    for (let i = 0; i < 3; i++) win.echo(server.append());
    const back = win.jumpRequest();
    win.applyJump(back, server.page(back.before, 100));
    expect(win.items.at(-1)!.seq).toBe(504);
    expectConsistent(win, server);
  });

  it('says when the server has less than the page saw (deleted and registered again)', () => {
    const win = new HistoryWindow();
    win.ready(3);
    win.applyJump(win.jumpRequest(), { messages: [], hasMore: false });
    expect(win.ready(3)).toBe(true);
    expect(win.ready(0)).toBe(false);
  });

  it('never shows a gap, a duplicate or more than its bound, whatever the order of events', () => {
    fc.assert(
      fc.property(fc.nat(300), ops, (initial, steps) => {
        const server = new FakeServer();
        for (let i = 0; i < initial; i++) server.append();
        const win = new HistoryWindow(40, 10, 25);
        let delivered = server.log.length;
        win.ready(delivered);
        // The server answers when the answer arrives: it may have more messages than when asked.
        let inFlight: { kind: 'older' | 'newer' | 'jump'; request: PageRequest } | null = null;
        const jump = (seq?: number) => {
          inFlight = { kind: 'jump', request: win.jumpRequest(seq) };
        };
        jump();
        for (const step of steps) {
          if (step === 'commit') server.append();
          else if (step === 'deliver' && delivered < server.log.length) {
            const stick = win.atLatest;
            win.echo(server.log[delivered++]!);
            if (stick) win.trimTop();
            else win.trimBottom();
          } else if ((step === 'older' || step === 'newer') && !inFlight) {
            const request = step === 'older' ? win.olderRequest() : win.newerRequest();
            if (request) inFlight = { kind: step, request };
          } else if (step === 'newest') jump();
          else if (typeof step === 'object' && 'around' in step) jump(step.around);
          else if (typeof step === 'object' && 'stick' in step) {
            if (step.stick) win.trimTop();
            else win.trimBottom();
          }
          else if (step === 'answer' && inFlight) {
            const { kind, request } = inFlight as { kind: 'older' | 'newer' | 'jump'; request: PageRequest };
            const page = server.page(request.before, 10);
            inFlight = null;
            if (kind === 'older') win.applyOlder(request, page);
            else if (kind === 'newer') win.applyNewer(request, page);
            else win.applyJump(request, page);
          }
          if (win.loaded) expectConsistent(win, server);
        }
        // Once every echo is in and the newest page is asked for, the window ends at the last message.
        while (delivered < server.log.length) win.echo(server.log[delivered++]!);
        const last = win.jumpRequest();
        win.applyJump(last, server.page(last.before, 10));
        expectConsistent(win, server);
        expect(win.atLatest).toBe(true);
        expect(win.items.at(-1)?.seq ?? 0).toBe(server.log.length);
      }),
      { numRuns: 400 },
    );
  });
});
