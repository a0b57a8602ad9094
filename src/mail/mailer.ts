/**
 * Sends an email at most once per effect key (the job's key): Zeebe may deliver the mail job
 * again, and a retry must not send a second message. The send happens inside the effect's
 * transaction; if the SMTP server refuses, nothing is recorded and the retry sends it.
 */
import type { Pool } from 'pg';
import { applyOnce } from '../store/effects';
import { renderMail, type TemplateName } from './templates';
import type { MailTransport } from './transport';

export interface Mailer {
  /** Renders and sends; returns whether it was sent now (false: an earlier delivery sent it). */
  sendOnce(effectKey: string, template: TemplateName, to: string[], data: Record<string, unknown>): Promise<{ sent: boolean; messageId: string }>;
}

export function createMailer(pool: Pool, transport: MailTransport): Mailer {
  return {
    async sendOnce(effectKey, template, to, data) {
      if (to.length === 0) throw new Error(`no recipient for ${template} (effect ${effectKey})`);
      const outcome = await applyOnce(pool, effectKey, `mail.${template}`, async () => {
        const mail = renderMail(template, data);
        return transport.send({ to, ...mail });
      });
      return { sent: !outcome.replayed, messageId: outcome.result.messageId };
    },
  };
}
