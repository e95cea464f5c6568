import { EventPatternError, matchesEventPattern, validateEventPattern, type EventPattern } from '../../../local/eventbridge/event-pattern';

// Unit tests of our EventBridge pattern matcher: the exact-value rules of the user guide.

const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'connection.created',
  source: 'latchkey',
  account: '000000000000',
  time: '2030-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:x:::conn/1', 'arn:aws:x:::env/prod'],
  detail: {
    provider: 'GitHub',
    status: 'active',
    attempts: 3,
    ratio: 0.5,
    enabled: true,
    note: null,
    tags: ['oauth', 'beta'],
    owner: { team: 'platform', level: 2 },
    scopes: [{ name: 'repo', write: true }, { name: 'user', write: false }],
    file: 'report.png',
  },
};

function matches(pattern: EventPattern): boolean {
  validateEventPattern(pattern);
  return matchesEventPattern(pattern, event);
}

describe('exact values', () => {
  test.each<[string, EventPattern, boolean]>([
    ['source listed', { source: ['latchkey'] }, true],
    ['one of several', { source: ['other', 'latchkey'] }, true],
    ['not listed', { source: ['other'] }, false],
    ['case-sensitive', { source: ['Latchkey'] }, false],
    ['all keys must match', { source: ['latchkey'], 'detail-type': ['connection.deleted'] }, false],
    ['nested detail field', { detail: { provider: ['GitHub'] } }, true],
    ['deeper nesting', { detail: { owner: { team: ['platform'] } } }, true],
    ['number', { detail: { attempts: [3] } }, true],
    ['number is not its string', { detail: { attempts: ['3'] } }, false],
    ['boolean', { detail: { enabled: [true] } }, true],
    ['null matches a null value', { detail: { note: [null] } }, true],
    ['null does not match a missing field', { detail: { missing: [null] } }, false],
    ['array field: any element', { resources: ['arn:aws:x:::env/prod'] }, true],
    ['array field of strings', { detail: { tags: ['beta'] } }, true],
    ['array of objects: one element matches', { detail: { scopes: { name: ['repo'], write: [true] } } }, true],
    ['array of objects: pairs from different elements do not', { detail: { scopes: { name: ['repo'], write: [false] } } }, false],
    ['objects are not leaves', { detail: { owner: ['platform'] } }, false],
    ['missing field', { detail: { absent: ['x'] } }, false],
  ])('%s', (_, pattern, expected) => expect(matches(pattern)).toBe(expected));
});

describe('validation', () => {
  test.each<[string, unknown, string]>([
    ['not an object', ['latchkey'], 'Pattern must be a JSON object'],
    ['empty pattern', {}, 'Empty pattern'],
    ['bare value', { source: 'latchkey' }, '"latchkey" must be an object or an array (at source)'],
    ['empty list', { source: [] }, 'Empty arrays are not allowed (at source)'],
    ['a content filter', { source: [{ prefix: 'lat' }] }, 'Content filters such as {"prefix":"lat"} are not supported by the local stand-in (at source)'],
    ['a filter after exact values', { detail: { n: [1, { numeric: ['>', 1] }] } }, 'not supported by the local stand-in (at detail.n)'],
    ['$or', { $or: [{ source: ['a'] }, { source: ['b'] }] }, '"$or" is not supported by the local stand-in (at the top level)'],
    ['nested $or', { detail: { $or: [{ a: ['x'] }, { b: ['y'] }] } }, '"$or" is not supported by the local stand-in (at detail)'],
    ['empty nested object', { detail: {} }, 'Empty objects are not allowed (at detail)'],
  ])('%s is refused', (_, pattern, reason) => {
    expect(() => validateEventPattern(pattern)).toThrow(EventPatternError);
    expect(() => validateEventPattern(pattern)).toThrow(reason);
  });

  test('messages use the InvalidEventPatternException wording', () => {
    expect(() => validateEventPattern({ source: 'x' })).toThrow(/^Event pattern is not valid\. Reason: /);
  });
});
