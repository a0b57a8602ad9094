/**
 * Email goes through an outbox (`mail_outbox`), once per effect key (the job's key): Zeebe may
 * deliver the mail job again, and a retry must not send a second message.
 *
 * No database transaction is open while the SMTP server is talked to (issue 17.9: a server that
 * accepts and never greets held a connection "idle in transaction" for 30 s). The message is
 * written to the outbox and committed first, then a delivery takes a short lease on it, sends,
 * and records that it was sent — each step one statement on its own:
 *   - a retry finds the row sent and sends nothing;
 *   - a delivery that finds another one sending leaves it to that one;
 *   - a failed send clears the lease and records the error.
 *
 * Mail jobs `enqueue` (issue 15.4): the message is committed and tried once at once; when the
 * SMTP server is down the job still completes — the process and the state change its user sees
 * never wait for mail — and the outbox dispatcher (`startOutboxDispatcher`, started beside the
 * workers) sends it when the server is back, exactly once. `sendOnce` (send now or fail) is the
 * same delivery for callers that must know.
 * Only if the database is lost between the SMTP server's acceptance and the record of it does a
 * later delivery (after the lease) send again — with the same Message-ID, so it can be recognised.
 *
 * Retries end: a message the server refuses for good (a 5xx answer to its envelope or data, e.g.
 * 550 mailbox unavailable) is given up at its first refusal, and one that keeps failing for a
 * passing reason (server down, timeout, 4xx) once it is older than MAIL_GIVE_UP_AFTER_HOURS.
 * A given-up message is marked (`given_up_at`, with `last_error`), logged once, never sent again,
 * and listed by `npm run mail:given-up`.
 */
import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { MAIL_DEFAULTS } from '../config';
import { renderMail, type TemplateName } from './templates';
import type { MailTransport } from './transport';

export interface Mailer {
  /** Renders and sends; returns whether it was sent now (false: an earlier delivery sent it). Fails when the send fails. */
  sendOnce(effectKey: string, template: TemplateName, to: string[], data: Record<string, unknown>): Promise<{ sent: boolean; messageId: string }>;
  /**
   * Renders the message into the outbox (committed) and tries to send it once. A send that fails
   * leaves it waiting for the dispatcher (`queued: true`); fails only when the outbox cannot be written.
   */
  enqueue(effectKey: string, template: TemplateName, to: string[], data: Record<string, unknown>): Promise<{ sent: boolean; queued: boolean; messageId: string }>;
  /**
   * Sends the messages waiting in the outbox (oldest first, at most `limit`); stops at the first
   * failed send (the server is likely down for the others too), but not at a permanent refusal of
   * one message (the server answers). Returns how many went out, failed and were given up.
   */
  deliverPending(limit?: number): Promise<{ sent: number; failed: number; givenUp: number }>;
}

export interface MailerOptions {
  /** Age after which a message that still fails for a passing reason is given up (MAIL_GIVE_UP_AFTER_HOURS). */
  giveUpAfterHours?: number;
  /** Where the one line per given-up message goes. */
  log?: (line: string) => void;
}

/** A message the outbox gave up: it will not be sent. */
export class MailGivenUpError extends Error {
  constructor(
    message: string,
    /** The SMTP server refused this message for good (the server itself answers). */
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailGivenUpError';
  }
}

/**
 * A refusal of this message by the server that a retry will not change: a 5xx answer to MAIL
 * FROM, RCPT TO or DATA. Not a 5xx to AUTH (a configuration fault that every message shares).
 */
export function isPermanentRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; responseCode?: unknown };
  return (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
}

export interface GivenUpMail {
  effectKey: string;
  template: string;
  recipients: string[];
  subject: string;
  messageId: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  givenUpAt: Date;
}

/** The messages the outbox gave up, newest first. */
export async function listGivenUpMail(pool: Pool, limit = 200): Promise<GivenUpMail[]> {
  const { rows } = await pool.query<{ effect_key: string; template: string; recipients: string[]; subject: string; message_id: string; attempts: number; last_error: string | null; created_at: Date; given_up_at: Date }>(
    `SELECT effect_key, template, recipients, subject, message_id, attempts, last_error, created_at, given_up_at
       FROM mail_outbox WHERE given_up_at IS NOT NULL ORDER BY given_up_at DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    effectKey: r.effect_key,
    template: r.template,
    recipients: r.recipients,
    subject: r.subject,
    messageId: r.message_id,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    givenUpAt: r.given_up_at,
  }));
}

interface OutboxRow {
  template: string;
  recipients: string[];
  subject: string;
  body_text: string;
  body_html: string | null;
  message_id: string;
  sent_at: Date | null;
  given_up_at: Date | null;
}

/** Time beyond the transport's own timeouts before another delivery may take over a send. */
const LEASE_MARGIN_MS = 5_000;

export function createMailer(pool: Pool, transport: MailTransport, options: MailerOptions = {}): Mailer {
  const leaseMs = transport.sendTimeoutMs + LEASE_MARGIN_MS;
  const giveUpAfterHours = options.giveUpAfterHours ?? MAIL_DEFAULTS.giveUpAfterHours;
  const log = options.log ?? ((line: string) => console.log(line));

  /** 1. The message, committed before anything is sent; the first delivery's content is the one. */
  async function write(effectKey: string, template: TemplateName, to: string[], data: Record<string, unknown>): Promise<void> {
    if (to.length === 0) throw new Error(`no recipient for ${template} (effect ${effectKey})`);
    if (effectKey.length === 0 || effectKey.length > 200) throw new Error(`effect key must be 1..200 characters, got ${effectKey.length}`);
    const mail = renderMail(template, data);
    await pool.query(
      `INSERT INTO mail_outbox (effect_key, template, recipients, subject, body_text, body_html, message_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (effect_key) DO NOTHING`,
      [effectKey, template, to, mail.subject, mail.text, mail.html ?? null, `<${crypto.randomUUID()}@workplace-pki>`],
    );
  }

  /**
   * 2-4. Lease, send, record. Resolves `sent: true` when it went out now, `sent: false` when it
   * had gone out before, `busy` when another delivery holds the lease; rejects when the send fails.
   */
  async function deliver(effectKey: string, template: string | undefined): Promise<{ sent: boolean; busy: boolean; messageId: string }> {
    // 2. The lease: only one delivery talks to SMTP about this message at a time.
    const claimed = await pool.query<OutboxRow>(
      `UPDATE mail_outbox SET sending_until = now() + $2 * interval '1 millisecond', attempts = attempts + 1
        WHERE effect_key = $1 AND ($3::text IS NULL OR template = $3) AND sent_at IS NULL AND given_up_at IS NULL
          AND (sending_until IS NULL OR sending_until < now())
        RETURNING template, recipients, subject, body_text, body_html, message_id, sent_at`,
      [effectKey, leaseMs, template ?? null],
    );
    const row = claimed.rows[0];
    if (!row) {
      const { rows } = await pool.query<OutboxRow>('SELECT template, message_id, sent_at, given_up_at FROM mail_outbox WHERE effect_key = $1', [effectKey]);
      const existing = rows[0];
      if (!existing) throw new Error(`email ${effectKey} vanished from the outbox`);
      if (template !== undefined && existing.template !== template) throw new Error(`effect key ${effectKey} was used for the email '${existing.template}', not '${template}'`);
      if (existing.given_up_at) throw new MailGivenUpError(`email ${effectKey} (${existing.message_id}) was given up; it is not sent`, false);
      return { sent: false, busy: !existing.sent_at, messageId: existing.message_id };
    }

    // 3. Send, with no connection held.
    try {
      await transport.send({ to: row.recipients, subject: row.subject, text: row.body_text, ...(row.body_html ? { html: row.body_html } : {}), messageId: row.message_id });
    } catch (err) {
      const reason = String((err as Error).message ?? err).slice(0, 1000);
      const permanent = isPermanentRefusal(err);
      const recorded = await pool
        .query<{ given_up: boolean }>(
          `UPDATE mail_outbox SET sending_until = NULL, last_error = $2,
                  given_up_at = CASE WHEN $3 OR created_at < now() - $4 * interval '1 hour' THEN now() END
            WHERE effect_key = $1 RETURNING given_up_at IS NOT NULL AS given_up`,
          [effectKey, reason, permanent, giveUpAfterHours],
        )
        .catch(() => undefined); // the lease then runs out on its own
      if (recorded?.rows[0]?.given_up) {
        // One line per message, for the operator: who, what, which message, why — never the body.
        const why = permanent ? 'the SMTP server refused it for good' : `not sent within MAIL_GIVE_UP_AFTER_HOURS (${giveUpAfterHours} h)`;
        log(`[mail] gave up email ${row.message_id} (${row.template}, "${row.subject}") to ${row.recipients.join(', ')}: ${why}: ${reason}`);
        throw new MailGivenUpError(`email ${effectKey} given up: ${why}: ${reason}`, permanent);
      }
      throw err;
    }

    // 4. Sent.
    await pool.query('UPDATE mail_outbox SET sent_at = now(), sending_until = NULL, last_error = NULL WHERE effect_key = $1', [effectKey]);
    return { sent: true, busy: false, messageId: row.message_id };
  }

  return {
    async sendOnce(effectKey, template, to, data) {
      await write(effectKey, template, to, data);
      const r = await deliver(effectKey, template);
      if (r.busy) throw new Error(`email ${effectKey} is being sent by another delivery of this job; retry to learn whether it went out`);
      return { sent: r.sent, messageId: r.messageId };
    },
    async enqueue(effectKey, template, to, data) {
      await write(effectKey, template, to, data);
      try {
        const r = await deliver(effectKey, template);
        return { sent: r.sent, queued: r.busy, messageId: r.messageId };
      } catch (err) {
        if (/vanished|was used for/.test((err as Error).message)) throw err;
        if (err instanceof MailGivenUpError) {
          const { rows } = await pool.query<{ message_id: string }>('SELECT message_id FROM mail_outbox WHERE effect_key = $1', [effectKey]);
          return { sent: false, queued: false, messageId: rows[0]?.message_id ?? '' };
        }
        const { rows } = await pool.query<{ message_id: string }>('SELECT message_id FROM mail_outbox WHERE effect_key = $1', [effectKey]);
        return { sent: false, queued: true, messageId: rows[0]?.message_id ?? '' };
      }
    },
    async deliverPending(limit = 50) {
      const { rows } = await pool.query<{ effect_key: string }>(
        `SELECT effect_key FROM mail_outbox WHERE sent_at IS NULL AND given_up_at IS NULL AND (sending_until IS NULL OR sending_until < now())
          ORDER BY attempts, created_at LIMIT $1`, // one that keeps failing goes behind the others
        [limit],
      );
      let sent = 0;
      let givenUp = 0;
      for (const { effect_key } of rows) {
        try {
          if ((await deliver(effect_key, undefined)).sent) sent++;
        } catch (err) {
          // The server answered and refused this one message: the others may still go out.
          if (err instanceof MailGivenUpError && err.permanent) {
            givenUp++;
            continue;
          }
          return { sent, failed: 1, givenUp: givenUp + (err instanceof MailGivenUpError ? 1 : 0) };
        }
      }
      return { sent, failed: 0, givenUp };
    },
  };
}

export interface OutboxDispatcher {
  stop(): Promise<void>;
}

/**
 * Sends what waits in the outbox every `intervalMs` (MAIL_RETRY_INTERVAL_MS), until stopped: the
 * retries of email that could not go out when its job ran (issue 15.4). One round at a time.
 */
export function startOutboxDispatcher(mailer: Mailer, { intervalMs, log }: { intervalMs: number; log: (line: string) => void }): OutboxDispatcher {
  let round: Promise<void> = Promise.resolve();
  let failing = false;
  const timer = setInterval(() => {
    round = round.then(async () => {
      try {
        const r = await mailer.deliverPending();
        if (r.sent > 0) log(`[mail] sent ${r.sent} email(s) that were waiting in the outbox`);
        if (r.failed > 0 && !failing) log('[mail] the SMTP server refuses or does not answer; email waits in the outbox (retried)');
        failing = r.failed > 0;
      } catch (err) {
        log(`[mail] the outbox could not be read: ${(err as Error).message}`);
      }
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await round;
    },
  };
}
