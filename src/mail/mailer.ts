/**
 * Sends an email at most once per effect key (the job's key): Zeebe may deliver the mail job
 * again, and a retry must not send a second message.
 *
 * No database transaction is open while the SMTP server is talked to (issue 17.9: a server that
 * accepts and never greets held a connection "idle in transaction" for 30 s). The message is
 * written to the outbox (`mail_outbox`) and committed first, then a delivery takes a short
 * lease on it, sends, and records that it was sent — each step one statement on its own:
 *   - a retry finds the row sent and sends nothing;
 *   - a delivery that finds another one sending fails and is retried (it will find it sent);
 *   - a failed send clears the lease and fails the job, whose retry sends it.
 * Only if the database is lost between the SMTP server's acceptance and the record of it does
 * the retry (after the lease) send again — with the same Message-ID, so it can be recognised.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { renderMail, type TemplateName } from './templates';
import type { MailTransport } from './transport';

export interface Mailer {
  /** Renders and sends; returns whether it was sent now (false: an earlier delivery sent it). */
  sendOnce(effectKey: string, template: TemplateName, to: string[], data: Record<string, unknown>): Promise<{ sent: boolean; messageId: string }>;
}

interface OutboxRow {
  template: string;
  recipients: string[];
  subject: string;
  body_text: string;
  body_html: string | null;
  message_id: string;
  sent_at: Date | null;
}

/** Time beyond the transport's own timeouts before another delivery may take over a send. */
const LEASE_MARGIN_MS = 5_000;

export function createMailer(pool: Pool, transport: MailTransport): Mailer {
  const leaseMs = transport.sendTimeoutMs + LEASE_MARGIN_MS;
  return {
    async sendOnce(effectKey, template, to, data) {
      if (to.length === 0) throw new Error(`no recipient for ${template} (effect ${effectKey})`);
      if (effectKey.length === 0 || effectKey.length > 200) throw new Error(`effect key must be 1..200 characters, got ${effectKey.length}`);

      // 1. The message, committed before anything is sent; the first delivery's content is the one.
      const mail = renderMail(template, data);
      await pool.query(
        `INSERT INTO mail_outbox (effect_key, template, recipients, subject, body_text, body_html, message_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (effect_key) DO NOTHING`,
        [effectKey, template, to, mail.subject, mail.text, mail.html ?? null, `<${crypto.randomUUID()}@workplace-pki>`],
      );

      // 2. The lease: only one delivery talks to SMTP about this message at a time.
      const claimed = await pool.query<OutboxRow>(
        `UPDATE mail_outbox SET sending_until = now() + $2 * interval '1 millisecond', attempts = attempts + 1
          WHERE effect_key = $1 AND template = $3 AND sent_at IS NULL AND (sending_until IS NULL OR sending_until < now())
          RETURNING template, recipients, subject, body_text, body_html, message_id, sent_at`,
        [effectKey, leaseMs, template],
      );
      const row = claimed.rows[0];
      if (!row) {
        const { rows } = await pool.query<OutboxRow>('SELECT template, message_id, sent_at FROM mail_outbox WHERE effect_key = $1', [effectKey]);
        const existing = rows[0];
        if (!existing) throw new Error(`email ${effectKey} vanished from the outbox`);
        if (existing.template !== template) throw new Error(`effect key ${effectKey} was used for the email '${existing.template}', not '${template}'`);
        if (existing.sent_at) return { sent: false, messageId: existing.message_id };
        throw new Error(`email ${effectKey} is being sent by another delivery of this job; retry to learn whether it went out`);
      }

      // 3. Send, with no connection held.
      try {
        await transport.send({ to: row.recipients, subject: row.subject, text: row.body_text, ...(row.body_html ? { html: row.body_html } : {}), messageId: row.message_id });
      } catch (err) {
        await pool
          .query('UPDATE mail_outbox SET sending_until = NULL, last_error = $2 WHERE effect_key = $1', [effectKey, String((err as Error).message ?? err).slice(0, 1000)])
          .catch(() => undefined); // the lease then runs out on its own
        throw err;
      }

      // 4. Sent.
      await pool.query('UPDATE mail_outbox SET sent_at = now(), sending_until = NULL, last_error = NULL WHERE effect_key = $1', [effectKey]);
      return { sent: true, messageId: row.message_id };
    },
  };
}
