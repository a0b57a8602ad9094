/**
 * A real SMTP server (npm `smtp-server`) on a free loopback port, started once per run; every
 * message received is parsed with `mailparser` and kept in an inbox that tests read.
 * Recipients at `REFUSED_DOMAIN` are refused for good (550), as a server refuses an unknown mailbox.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { onRunEnd } from './lifecycle';

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface TestSmtp {
  url: string;
  inbox: ReceivedMail[];
  /** Waits until a message matching `match` arrives (default 10 s), and returns it. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
}

let pending: Promise<TestSmtp> | undefined;

/** The server answers RCPT TO for any address at this domain with 550 (mailbox unavailable). */
export const REFUSED_DOMAIN = 'refused.example.test';

function addresses(a: ParsedMail['to']): string[] {
  const list = a === undefined ? [] : Array.isArray(a) ? a : [a];
  return list.flatMap((x) => x.value.map((v) => v.address ?? '')).filter((x) => x !== '');
}

async function start(): Promise<TestSmtp> {
  const inbox: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase().endsWith(`@${REFUSED_DOMAIN}`)) {
        return callback(Object.assign(new Error(`5.1.1 <${address.address}>: mailbox unavailable`), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((m) => {
            inbox.push({
              to: addresses(m.to),
              from: m.from?.value[0]?.address ?? '',
              subject: m.subject ?? '',
              text: m.text ?? '',
              html: typeof m.html === 'string' ? m.html : '',
              raw,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  onRunEnd(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `smtp://127.0.0.1:${port}`,
    inbox,
    async waitFor(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = inbox.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching email within ${timeoutMs} ms (inbox: ${inbox.length})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** The run's SMTP server (started on first use). */
export function testSmtp(): Promise<TestSmtp> {
  pending ??= start();
  return pending;
}
