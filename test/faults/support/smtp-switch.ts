/**
 * An SMTP server that can go away and come back on the same address (issue 15.4): `down()`
 * closes the listener (connections are refused, as with a stopped mail server), `up()` listens
 * again. Every message received is kept, parsed, in `inbox`.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { onRunEnd } from '../../support/lifecycle';
import type { ReceivedMail } from '../../support/smtp';

export interface SmtpSwitch {
  url: string;
  inbox: ReceivedMail[];
  up(): Promise<void>;
  down(): Promise<void>;
}

function newServer(inbox: ReceivedMail[]): SMTPServer {
  return new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((m) => {
            const to = (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
            inbox.push({ to, from: m.from?.value[0]?.address ?? '', subject: m.subject ?? '', text: m.text ?? '', html: typeof m.html === 'string' ? m.html : '', raw });
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
}

/** Starts it up; stopped when the run ends. */
export async function smtpSwitch(): Promise<SmtpSwitch> {
  const inbox: ReceivedMail[] = [];
  let server: SMTPServer | undefined = newServer(inbox);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const down = async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  onRunEnd(down);
  return {
    url: `smtp://127.0.0.1:${port}`,
    inbox,
    async up() {
      if (server) return;
      const s = newServer(inbox);
      await new Promise<void>((resolve, reject) => {
        s.server.once('error', reject);
        s.listen(port, '127.0.0.1', resolve);
      });
      server = s;
    },
    down,
  };
}
