/**
 * The state machines of src/domain held against the specification. The table below is
 * transcribed by hand from `../shared/seeds/000_*.txt` (assets, certificate profiles,
 * certificates, requests), 001 (approval handling), 003 and 004 (cards) — it does not read
 * src/domain, so a wrong transition there fails here (issue 16.1). Where the specification is
 * silent, the line says what an operator would expect and why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { StateConflictError, ValidationError } from '../../../src/domain/errors';
import { CRL_REASON_CODE, MACHINES, type StateMachine } from '../../../src/domain/states';
import { assertInitial, assertTransition } from '../../../src/domain/transitions';

type Move = readonly [from: string, to: string];

interface SpecMachine {
  /** The object's name in messages and in the audit history. */
  object: string;
  /** Every state the specification names for the object. */
  states: readonly string[];
  /** The states a new object may start in. */
  start: readonly string[];
  /** Every move the specification allows; any other move is refused. */
  moves: readonly Move[];
}

// Spec 000, "Certificate", "Certification state / Reason": the five revocation reasons.
const REVOKED = ['Key compromised', 'Superseded', 'Cessation of operation', 'Privilege withdrawn', 'Affiliation changed'];

const SPEC: Record<keyof typeof MACHINES, SpecMachine> = {
  // Spec 000, "Asset".
  assets: {
    object: 'asset',
    states: ['Active', 'Inactive', 'Pending'],
    start: ['Active'], // "The start state. All new created assets will be 'Active'."
    moves: [
      ['Active', 'Inactive'], // "The asset cannot be used temporarily."
      ['Inactive', 'Active'], // temporarily: it is used again
      ['Active', 'Pending'], // Pending goes "back to 'Active'": it was Active before
      ['Pending', 'Active'], // "A valid certificate profile must be assigned ... back to 'Active'."
      ['Pending', 'Inactive'], // silent; an operator may take a pending asset out of use as well
    ],
  },
  // Spec 000, "Certificate profile".
  certificate_profiles: {
    object: 'certificate profile',
    states: ['Active', 'Inactive'],
    start: ['Active'], // "All new created certificate profiles will be 'Active'."
    moves: [
      ['Active', 'Inactive'], // "inactive ... cannot be used temporarily"
      ['Inactive', 'Active'],
    ],
  },
  // Spec 000, "Certificate".
  certificates: {
    object: 'certificate',
    states: [
      'Certificate requested',
      'Issued',
      'Valid',
      'Certificate hold',
      ...REVOKED,
      'Rejected',
      'Certificate expired',
      'Requested',
      'Registered',
      'Deregistered',
    ],
    // P10/P12 data starts as 'Certificate requested', SCEP/ACME data as 'Requested';
    // "Valid: The start state." (a certificate that exists already, e.g. imported).
    start: ['Certificate requested', 'Requested', 'Valid'],
    moves: [
      // "'Certificate requested' until the actual P10/P12 certificate is retrieved"; "Issued: only
      // used for internal processing of the retrieved certificate" — so it may be skipped.
      ['Certificate requested', 'Issued'],
      ['Certificate requested', 'Valid'],
      ['Issued', 'Valid'],
      // "If an enrollment request ... is rejected, the state of the certificate object changes to 'Rejected'."
      ['Certificate requested', 'Rejected'],
      ['Requested', 'Rejected'],
      // "... or a request for locking a certificate is rejected": locking starts on a valid or held certificate.
      ['Valid', 'Rejected'],
      ['Certificate hold', 'Rejected'],
      // "Certificate hold: The certificate is temporarily inactive." — and valid again after.
      ['Valid', 'Certificate hold'],
      ['Certificate hold', 'Valid'],
      // Revoked for one of the reasons: "will no longer be used" — from valid or held, never back.
      ...REVOKED.flatMap((r): Move[] => [['Valid', r], ['Certificate hold', r]]),
      // "Certificate expired: The certificate is no longer valid." — a held one expires too.
      ['Valid', 'Certificate expired'],
      ['Certificate hold', 'Certificate expired'],
      // "'Requested' until the actual SCEP/ACME registration has been executed successfully."
      ['Requested', 'Registered'],
      // "The certificate is deregistered via SCEP."
      ['Registered', 'Deregistered'],
    ],
  },
  // Spec 000, "Request", and 001 (approval handling).
  requests: {
    object: 'request',
    states: ['Registered', 'Requested', 'Approved', 'Rejected', 'Failed', 'Completed'],
    start: ['Registered'], // "The start state. The request is created with initial information."
    moves: [
      ['Registered', 'Requested'], // "The request is sent for approval."
      ['Requested', 'Approved'], // 001: "the end state for the approval is 'approved'"
      ['Requested', 'Rejected'], // 001: "... is 'rejected'"; "On hold: the request remains in the same state"
      ['Approved', 'Completed'], // "The request has been successfully completed."
      // 002: "either an approval for enrollment is required or not": without one, it completes directly.
      ['Registered', 'Completed'],
      // "Something went wrong": at any point before it is decided against or completed.
      ['Registered', 'Failed'],
      ['Requested', 'Failed'],
      ['Approved', 'Failed'],
    ],
  },
  // Spec 004 "Required card state: Active", "End state ... = 'inactive'"; 003 inactive -> "active".
  cards: {
    object: 'card',
    states: ['active', 'inactive'],
    start: ['active'], // a card is issued to be used; 004 deactivates it
    moves: [
      ['active', 'inactive'],
      ['inactive', 'active'],
    ],
  },
  // Spec 004 "All possible relations, which are on the state active, will be deactivated"; 003 brings them back.
  card_relations: {
    object: 'card relation',
    states: ['active', 'inactive'],
    start: ['active', 'inactive'], // a relation may be recorded as it already is, e.g. a former holder
    moves: [
      ['active', 'inactive'],
      ['inactive', 'active'],
    ],
  },
};

const migration = fs.readFileSync(path.join(__dirname, '../../../src/store/migrations/001_workplace.sql'), 'utf8');

/** The states the SQL schema's CHECK constraint allows in `table`. */
function sqlStates(table: string): string[] {
  const start = migration.indexOf(`CREATE TABLE ${table} (`);
  expect(start, `CREATE TABLE ${table}`).to.be.greaterThan(-1);
  const block = migration.slice(start, migration.indexOf('CREATE TABLE', start + 1));
  const check = /CHECK \(state IN \(([\s\S]*?)\)\)/.exec(block);
  expect(check, `state CHECK of ${table}`).to.not.equal(null);
  return [...check![1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
}

/** What the machine answers to `from` -> `to`: 'allowed', or 'refused' with a correct STATE_CONFLICT. */
function ask(m: StateMachine<string>, from: string, to: string): 'allowed' | 'refused' | string {
  try {
    return assertTransition(m, 7, from, to) === to ? 'allowed' : 'allowed but returned another state';
  } catch (e) {
    if (!(e instanceof StateConflictError)) return `threw ${String(e)}`;
    const ok =
      e.code === 'STATE_CONFLICT' &&
      e.objectType === m.object &&
      e.currentState === from &&
      e.requestedState === to &&
      e.message === `${m.object} 7 is in state '${from}' and cannot change to '${to}'`;
    return ok ? 'refused' : `refused with a wrong error: ${e.message}`;
  }
}

describe('state machines against the specification (spec 000, 001, 003, 004)', () => {
  for (const [table, spec] of Object.entries(SPEC) as Array<[keyof typeof MACHINES, SpecMachine]>) {
    const m = MACHINES[table] as StateMachine<string>;

    describe(spec.object, () => {
      it(`then its states are exactly the specification's, and so are the SQL schema's (${table})`, () => {
        expect(m.object).to.equal(spec.object);
        expect([...m.states]).to.have.members([...spec.states]);
        expect(sqlStates(table)).to.have.members([...spec.states]);
      });

      it('when every move between two of its states is asked, then exactly the moves the specification allows pass; every other is STATE_CONFLICT naming both states', () => {
        const wrong: string[] = [];
        for (const from of spec.states) {
          for (const to of spec.states) {
            const expected = spec.moves.some(([f, t]) => f === from && t === to) ? 'allowed' : 'refused';
            const actual = ask(m, from, to);
            if (actual !== expected) wrong.push(`'${from}' -> '${to}': expected ${expected}, got ${actual}`);
          }
        }
        expect(wrong, wrong.join('; ')).to.deep.equal([]);
      });

      it('when a new one is created, then only the specification\'s start states are accepted', () => {
        const wrong = spec.states.filter((s) => {
          let accepted: boolean;
          try {
            accepted = assertInitial(m, s) === s;
          } catch (e) {
            if (!(e instanceof ValidationError)) throw e;
            accepted = false;
          }
          return accepted !== spec.start.includes(s);
        });
        expect(wrong, `start states wrongly accepted or refused: ${wrong.join(', ')}`).to.deep.equal([]);
      });

      it('when a state it does not have is asked, then a validation error lists its states', () => {
        let caught: unknown;
        try {
          assertTransition(m, 1, spec.states[0]!, 'Bogus');
        } catch (e) {
          caught = e;
        }
        expect(caught).to.be.instanceOf(ValidationError);
        expect((caught as Error).message).to.equal(`'Bogus' is not ${/^[aeiou]/.test(spec.object) ? 'an' : 'a'} ${spec.object} state (one of: ${m.states.join(', ')})`);
      });
    });
  }

  it("when the word before the object starts with a vowel, then the message says 'an asset' (issue 16.12)", () => {
    expect(() => assertTransition(MACHINES.assets as StateMachine<string>, 1, 'Active', 'Retired')).to.throw(ValidationError, "'Retired' is not an asset state");
  });

  it('then each revocation state and the hold carry their RFC 5280 CRLReason code (RFC 5280 section 5.3.1)', () => {
    // keyCompromise (1), affiliationChanged (3), superseded (4), cessationOfOperation (5),
    // certificateHold (6), privilegeWithdrawn (9).
    expect(CRL_REASON_CODE).to.deep.equal({
      'Key compromised': 1,
      'Affiliation changed': 3,
      Superseded: 4,
      'Cessation of operation': 5,
      'Certificate hold': 6,
      'Privilege withdrawn': 9,
    });
  });
});
