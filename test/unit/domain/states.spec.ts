import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { StateConflictError, ValidationError } from '../../../src/domain/errors';
import { MACHINES, CRL_REASON_CODE, REVOCATION_STATES, type StateMachine } from '../../../src/domain/states';
import { assertInitial, assertTransition, canTransition } from '../../../src/domain/transitions';

const machines = Object.entries(MACHINES) as Array<[string, StateMachine<string>]>;

describe('state machines (spec 000, 003, 004)', () => {
  for (const [table, m] of machines) {
    describe(`${m.object}`, () => {
      for (const from of m.states) {
        for (const to of m.states) {
          const allowed = (m.transitions[from] ?? []).includes(to);
          if (allowed) {
            it(`when '${from}' -> '${to}' is asked, then it is allowed`, () => {
              expect(assertTransition(m, 1, from, to)).to.equal(to);
            });
          } else {
            it(`when '${from}' -> '${to}' is asked, then STATE_CONFLICT names ${m.object}, '${from}' and '${to}'`, () => {
              let caught: unknown;
              try {
                assertTransition(m, 7, from, to);
              } catch (e) {
                caught = e;
              }
              expect(caught).to.be.instanceOf(StateConflictError);
              const err = caught as StateConflictError;
              expect(err.code).to.equal('STATE_CONFLICT');
              expect(err.objectType).to.equal(m.object);
              expect(err.currentState).to.equal(from);
              expect(err.requestedState).to.equal(to);
              expect(err.message).to.contain(`'${from}'`).and.contain(`'${to}'`).and.contain(m.object);
            });
          }
        }
      }

      it('when an unknown state is asked, then it is a validation error listing the states', () => {
        expect(() => assertTransition(m, 1, m.states[0]!, 'Bogus')).to.throw(ValidationError, /not a .* state/);
      });

      it('when created, then only the initial states are accepted', () => {
        for (const s of m.states) {
          if (m.initial.includes(s)) expect(assertInitial(m, s)).to.equal(s);
          else expect(() => assertInitial(m, s)).to.throw(ValidationError);
        }
      });

      it('then every transition target is a known state', () => {
        for (const [from, tos] of Object.entries(m.transitions) as Array<[string, string[]]>) {
          expect(m.states).to.include(from);
          for (const to of tos) expect(m.states, `${from} -> ${to}`).to.include(to);
        }
      });

      it(`then the states in the SQL schema of ${table} are exactly the machine's`, () => {
        const sql = fs.readFileSync(path.join(__dirname, '../../../src/store/migrations/001_workplace.sql'), 'utf8');
        const start = sql.indexOf(`CREATE TABLE ${table} (`);
        const block = sql.slice(start, sql.indexOf('CREATE TABLE', start + 1));
        const check = /CHECK \(state IN \(([\s\S]*?)\)\)/.exec(block);
        expect(check, `state CHECK of ${table}`).to.not.equal(null);
        const sqlStates = [...check![1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]);
        expect(sqlStates).to.have.members([...m.states]);
      });
    });
  }

  it('then revoked certificate states carry their RFC 5280 reason codes', () => {
    expect(REVOCATION_STATES.map((s) => CRL_REASON_CODE[s])).to.deep.equal([1, 4, 5, 9, 3]);
    expect(CRL_REASON_CODE['Certificate hold']).to.equal(6);
  });

  it('then a revoked certificate can never become valid again', () => {
    for (const s of REVOCATION_STATES) expect(canTransition(MACHINES.certificates, s, 'Valid')).to.equal(false);
  });
});
