/**
 * Outgoing mail: SMTP when SMTP_URL is configured, else a capture folder where every message
 * is written as an .eml file (the embedded default: nothing leaves the machine).
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  html?: string;
}

export interface MailTransport {
  /** Where mail goes, safe to print (no credentials). */
  readonly description: string;
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export interface MailSettings {
  smtpUrl?: string;
  from: string;
  captureDir: string;
}

function smtpDescription(url: string): string {
  const u = new URL(url);
  return `SMTP ${u.protocol}//${u.hostname}:${u.port || (u.protocol === 'smtps:' ? 465 : 25)}`;
}

export function createMailTransport(settings: MailSettings): MailTransport {
  if (settings.smtpUrl) {
    const transporter = nodemailer.createTransport(settings.smtpUrl);
    return {
      description: smtpDescription(settings.smtpUrl),
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
