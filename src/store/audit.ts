/** The audit history: every state change of every object — who, when, from, to, process instance, why. */
import type { Queryable } from './db';

export interface AuditEntry {
  objectType: string;
  objectId: string;
  fromState: string | null;
  toState: string;
  actor: string;
  at: Date;
  processInstanceKey: string | null;
  reason: string | null;
}

export interface NewAuditEntry {
  objectType: string;
  objectId: string | number;
  fromState: string | null;
  toState: string;
  actor: string;
  processInstanceKey?: string;
  reason?: string;
}

export async function recordAudit(q: Queryable, e: NewAuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_history (object_type, object_id, from_state, to_state, actor, process_instance_key, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [e.objectType, String(e.objectId), e.fromState, e.toState, e.actor, e.processInstanceKey ?? null, e.reason ?? null],
  );
}

/** The history of one object, oldest first. */
export async function auditHistory(q: Queryable, objectType: string, objectId: string | number): Promise<AuditEntry[]> {
  const { rows } = await q.query<AuditEntry>(
    `SELECT object_type AS "objectType", object_id AS "objectId", from_state AS "fromState", to_state AS "toState",
            actor, at, process_instance_key AS "processInstanceKey", reason
       FROM audit_history WHERE object_type = $1 AND object_id = $2 ORDER BY id`,
    [objectType, String(objectId)],
  );
  return rows;
}
