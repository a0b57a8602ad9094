/**
 * The README's count and list of use cases against the code (issue 16.13: it said "ten use
 * cases", which matched neither the lint count, the options list nor the API).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/config';
import { USE_CASES } from '../../src/domain/use-cases';

const NUMBERS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15 };

describe('README: what a use case is', () => {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const definition = /A \*use case\* is[\s\S]*?They call (\w+) sub-processes[\s\S]*?(\w+) scheduled process[\s\S]*?(\w+) models in `bpmn\/`/.exec(readme);

  it('when the README lists the use cases, then they are exactly those the API offers and the options configure', () => {
    expect(definition, 'the README says what a use case is').to.not.equal(null);
    const listed = [...definition![0]!.split('They call')[0]!.matchAll(/`([A-Z][A-Za-z]+)`/g)].map((m) => m[1]);
    expect(listed).to.deep.equal(USE_CASES.map((u) => u.symbolicName));
    expect(definition![0]).to.contain(`There are ${Object.keys(NUMBERS).find((k) => NUMBERS[k] === USE_CASES.length)} `);
  });

  it('when the README counts the models, then the count is the number of processes in bpmn/, use cases, sub-processes and scheduled processes together', () => {
    const models = fs.readdirSync(path.join(PROJECT_ROOT, 'bpmn')).filter((f) => f.endsWith('.bpmn'));
    // A scheduled process has a timer start event (issue 18.9: the expiry watch).
    const scheduled = models.filter((f) => /<bpmn:startEvent\b[^>]*>(?:(?!<\/bpmn:startEvent>)[\s\S])*<bpmn:timerEventDefinition/.test(fs.readFileSync(path.join(PROJECT_ROOT, 'bpmn', f), 'utf8')));
    expect(NUMBERS[definition![3]!.toLowerCase()]).to.equal(models.length);
    expect(NUMBERS[definition![2]!.toLowerCase()]).to.equal(scheduled.length);
    expect(NUMBERS[definition![1]!]).to.equal(models.length - USE_CASES.length - scheduled.length);
    expect(readme).to.not.match(/\bten use cases\b/);
  });
});
