/**
 * Cards (spec 003, 004): smart cards and virtual smart cards, their holder, their relations to
 * certificates and other objects (each relation with its own state), and the additional
 * commands of each card type that an admin enables.
 */
import { z } from 'zod';
import { NotFoundError } from '../domain/errors';
import { cardMachine, cardRelationMachine, type CardState } from '../domain/states';
import { assertInitial } from '../domain/transitions';
import { atomically, type Queryable } from './db';
import { recordOptionChange } from './option-history';
import { searchTable } from './search';
import { applyTransition, recordCreation } from './transition';
import { email, objectId, parseInput, text, type Page, type SearchParams, type TransitionContext } from './validate';

export const CARD_TYPES = { smartCard: 'smart-card', virtualSmartCard: 'virtual-smart-card' } as const;

export interface Card {
  id: number;
  cardTypeId: string;
  serialNumber: string;
  holderName: string;
  holderEmail: string | null;
  state: CardState;
  createdAt: Date;
  updatedAt: Date;
}

export interface CardRelation {
  id: number;
  cardId: number;
  relatedType: 'certificate' | 'user' | 'device' | 'asset';
  relatedId: string;
  state: CardState;
}

export interface CardTypeCommand {
  cardTypeId: string;
  command: string;
  label: string;
  enabled: boolean;
  updatedBy: string | null;
  updatedAt: Date;
}

const SELECT = `id, card_type_id AS "cardTypeId", serial_number AS "serialNumber", holder_name AS "holderName",
  holder_email AS "holderEmail", state, created_at AS "createdAt", updated_at AS "updatedAt"`;
const RELATION_SELECT = `id, card_id AS "cardId", related_type AS "relatedType", related_id AS "relatedId", state`;
const COMMAND_SELECT = `card_type_id AS "cardTypeId", command, label, enabled, updated_by AS "updatedBy", updated_at AS "updatedAt"`;

const cardTypeId = z.string().regex(/^[a-z][a-z0-9-]{0,49}$/, 'must be a card type id');

export const newCard = z
  .object({
    cardTypeId,
    serialNumber: text(100),
    holderName: text(200),
    holderEmail: email.optional(),
    state: z.string().default('active'),
  })
  .strict();
export type NewCard = z.input<typeof newCard>;

export const newRelation = z
  .object({
    relatedType: z.enum(['certificate', 'user', 'device', 'asset']),
    relatedId: text(200),
    state: z.string().default('active'),
  })
  .strict();
export type NewRelation = z.input<typeof newRelation>;

export async function createCard(q: Queryable, input: NewCard, ctx: TransitionContext): Promise<Card> {
  const c = parseInput(newCard, input, 'card');
  const state = assertInitial(cardMachine, c.state);
  return atomically(q, async (tx) => {
    const type = await tx.query('SELECT 1 FROM card_types WHERE id = $1', [c.cardTypeId]);
    if (type.rowCount === 0) throw new NotFoundError('card type', c.cardTypeId);
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO cards (card_type_id, serial_number, holder_name, holder_email, state) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [c.cardTypeId, c.serialNumber, c.holderName, c.holderEmail ?? null, state],
    );
    const id = rows[0]!.id;
    await recordCreation(tx, cardMachine, id, state, ctx);
    return getCard(tx, id);
  });
}

export async function getCard(q: Queryable, id: number): Promise<Card> {
  const key = parseInput(objectId, id, 'card id');
  const { rows } = await q.query<Card>(`SELECT ${SELECT} FROM cards WHERE id = $1`, [key]);
  if (!rows[0]) throw new NotFoundError('card', key);
  return rows[0];
}

/** Cards, optionally of one type (e.g. only virtual smart cards). */
export function searchCards(q: Queryable, params?: SearchParams & { cardTypeId?: string }): Promise<Page<Card>> {
  const { cardTypeId: type, ...rest } = params ?? {};
  return searchTable<Card>(
    q,
    {
      table: 'cards',
      select: SELECT,
      textColumns: ['serial_number', 'holder_name', 'holder_email'],
      machine: cardMachine,
      where: type === undefined ? undefined : { sql: 'card_type_id = $1', values: [parseInput(cardTypeId, type, 'card type')] },
    },
    rest,
  );
}

export async function transitionCard(q: Queryable, id: number, to: string, ctx: TransitionContext): Promise<Card> {
  return atomically(q, async (tx) => {
    await applyTransition(tx, { table: 'cards', machine: cardMachine, id: parseInput(objectId, id, 'card id'), to, ctx });
    return getCard(tx, id);
  });
}

export async function addCardRelation(q: Queryable, cardId: number, input: NewRelation, ctx: TransitionContext): Promise<CardRelation> {
  const r = parseInput(newRelation, input, 'card relation');
  const state = assertInitial(cardRelationMachine, r.state);
  const card = parseInput(objectId, cardId, 'card id');
  return atomically(q, async (tx) => {
    await getCard(tx, card);
    const { rows } = await tx.query<CardRelation>(
      `INSERT INTO card_relations (card_id, related_type, related_id, state) VALUES ($1, $2, $3, $4) RETURNING ${RELATION_SELECT}`,
      [card, r.relatedType, r.relatedId, state],
    );
    const rel = rows[0]!;
    await recordCreation(tx, cardRelationMachine, rel.id, state, ctx);
    return rel;
  });
}

export async function cardRelations(q: Queryable, cardId: number): Promise<CardRelation[]> {
  const key = parseInput(objectId, cardId, 'card id');
  return (await q.query<CardRelation>(`SELECT ${RELATION_SELECT} FROM card_relations WHERE card_id = $1 ORDER BY id`, [key])).rows;
}

export async function transitionCardRelation(q: Queryable, relationId: number, to: string, ctx: TransitionContext): Promise<void> {
  await applyTransition(q, { table: 'card_relations', machine: cardRelationMachine, id: parseInput(objectId, relationId, 'card relation id'), to, ctx });
}

/** The additional commands of a card type, enabled or not. */
export async function cardTypeCommands(q: Queryable, typeId: string): Promise<CardTypeCommand[]> {
  const key = parseInput(cardTypeId, typeId, 'card type');
  return (await q.query<CardTypeCommand>(`SELECT ${COMMAND_SELECT} FROM card_type_commands WHERE card_type_id = $1 ORDER BY command`, [key])).rows;
}

/**
 * Enables or disables a card type's command: what the admin does without code (spec 003). A
 * change is recorded in the option history with its actor (issue 17.10).
 */
export async function setCardTypeCommandEnabled(
  q: Queryable,
  typeId: string,
  command: string,
  enabled: boolean,
  actor: string,
): Promise<CardTypeCommand> {
  const key = parseInput(cardTypeId, typeId, 'card type');
  const who = parseInput(text(100), actor, 'actor');
  const on = parseInput(z.boolean(), enabled, 'enabled');
  return atomically(q, async (tx) => {
    const before = (await tx.query<{ enabled: boolean }>('SELECT enabled FROM card_type_commands WHERE card_type_id = $1 AND command = $2 FOR UPDATE', [key, command])).rows[0];
    if (!before) throw new NotFoundError('card type command', `${key}/${command}`);
    const { rows } = await tx.query<CardTypeCommand>(
      `UPDATE card_type_commands SET enabled = $3, updated_by = $4, updated_at = now()
        WHERE card_type_id = $1 AND command = $2 RETURNING ${COMMAND_SELECT}`,
      [key, command, on, who],
    );
    await recordOptionChange(tx, { kind: 'card type command', key: `${key}/${command}`, before: { enabled: before.enabled }, after: { enabled: on }, actor: who });
    return rows[0]!;
  });
}
