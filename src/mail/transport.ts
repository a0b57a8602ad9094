/**
 * Outgoing mail: SMTP when SMTP_URL is configured, else a capture folder where every message
 * is written as an .eml file (the embedded default: nothing leaves the machine).
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { MAIL_DEFAULTS } from '../config';

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  /** The Message-ID header, e.g. `<id@host>`; default: one made up for this send. */
  messageId?: string;
}

export interface MailTransport {
  /** Where mail goes, safe to print (no credentials). */
  readonly description: string;
  /** The longest a send takes before it fails (the SMTP timeouts together). */
  readonly sendTimeoutMs: number;
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export interface MailSettings {
  smtpUrl?: string;
  from: string;
  captureDir: string;
  /** How long to wait for the TCP (and TLS) connection. Default SMTP_CONNECTION_TIMEOUT_MS's. */
  connectionTimeoutMs?: number;
  /** How long to wait for the server's greeting once connected. Default SMTP_GREETING_TIMEOUT_MS's. */
  greetingTimeoutMs?: number;
  /** How long the connection may stay silent during the exchange. Default SMTP_SOCKET_TIMEOUT_MS's. */
  socketTimeoutMs?: number;
}

function smtpDescription(url: string): string {
  const u = new URL(url);
  return `SMTP ${u.protocol}//${u.hostname}:${u.port || (u.protocol === 'smtps:' ? 465 : 25)}`;
}

export function createMailTransport(settings: MailSettings): MailTransport {
  if (settings.smtpUrl) {
    // Short timeouts (nodemailer's defaults are 2 min, 30 s and 10 min): a mail job must fail and
    // be retried well within its job timeout instead of hanging on a server that does not answer.
    const connectionTimeout = settings.connectionTimeoutMs ?? MAIL_DEFAULTS.connectionTimeoutMs;
    const greetingTimeout = settings.greetingTimeoutMs ?? MAIL_DEFAULTS.greetingTimeoutMs;
    const socketTimeout = settings.socketTimeoutMs ?? MAIL_DEFAULTS.socketTimeoutMs;
    const transporter = nodemailer.createTransport({
      url: settings.smtpUrl,
      connectionTimeout,
      greetingTimeout,
      socketTimeout,
      dnsTimeout: connectionTimeout,
    });
    return {
      description: smtpDescription(settings.smtpUrl),
      sendTimeoutMs: connectionTimeout + greetingTimeout + socketTimeout,
      async send(mail) {
        const info = await transporter.sendMail({ from: settings.from, ...mail });
        return { messageId: String(info.messageId) };
      },
      close: () => transporter.close(),
    };
  }
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `capture folder ${settings.captureDir} (.eml files; set SMTP_URL to send)`,
    sendTimeoutMs: 10_000,
    async send(mail) {
      const info = await transporter.sendMail({ from: settings.from, ...mail });
      fs.mkdirSync(settings.captureDir, { recursive: true });
      const id = String(info.messageId).replace(/[<>]/g, '').replace(/[^A-Za-z0-9@._-]/g, '_');
      const file = path.join(settings.captureDir, `${new Date().toISOString().replace(/[:.]/g, '-')}_${id}.eml`);
      fs.writeFileSync(file, info.message as Buffer);
      return { messageId: String(info.messageId) };
    },
    close: () => transporter.close(),
  };
}
