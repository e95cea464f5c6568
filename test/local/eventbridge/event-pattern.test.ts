import { EventPatternError, matchesEventPattern, validateEventPattern, type EventPattern } from '../../../local/eventbridge/event-pattern';

// Unit tests of our EventBridge pattern matcher, one rule of the user guide at a time.

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

describe('content filters', () => {
  test.each<[string, EventPattern, boolean]>([
    ['prefix', { 'detail-type': [{ prefix: 'connection.' }] }, true],
    ['prefix miss', { 'detail-type': [{ prefix: 'session.' }] }, false],
    ['prefix ignoring case', { detail: { provider: [{ prefix: { 'equals-ignore-case': 'git' } }] } }, true],
    ['suffix', { detail: { file: [{ suffix: '.png' }] } }, true],
    ['suffix miss', { detail: { file: [{ suffix: '.jpg' }] } }, false],
    ['suffix ignoring case', { detail: { file: [{ suffix: { 'equals-ignore-case': '.PNG' } }] } }, true],
    ['equals-ignore-case', { detail: { provider: [{ 'equals-ignore-case': 'github' }] } }, true],
    ['equals-ignore-case miss', { detail: { provider: [{ 'equals-ignore-case': 'gitlab' }] } }, false],
    ['anything-but a value', { detail: { status: [{ 'anything-but': 'revoked' }] } }, true],
    ['anything-but the value', { detail: { status: [{ 'anything-but': 'active' }] } }, false],
    ['anything-but a list', { detail: { status: [{ 'anything-but': ['active', 'revoked'] }] } }, false],
    ['anything-but a number', { detail: { attempts: [{ 'anything-but': [1, 2] }] } }, true],
    ['anything-but prefix', { 'detail-type': [{ 'anything-but': { prefix: 'connection.' } }] }, false],
    ['anything-but other prefix', { 'detail-type': [{ 'anything-but': { prefix: 'session.' } }] }, true],
    ['anything-but suffix', { detail: { file: [{ 'anything-but': { suffix: '.png' } }] } }, false],
    ['anything-but ignoring case', { detail: { provider: [{ 'anything-but': { 'equals-ignore-case': ['GITHUB'] } }] } }, false],
    ['anything-but needs the field', { detail: { absent: [{ 'anything-but': 'x' }] } }, false],
    ['anything-but on an array: some element differs', { detail: { tags: [{ 'anything-but': 'oauth' }] } }, true],
    ['exists true', { detail: { provider: [{ exists: true }] } }, true],
    ['exists true on a missing field', { detail: { absent: [{ exists: true }] } }, false],
    ['exists false on a missing field', { detail: { absent: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { provider: [{ exists: false }] } }, false],
    ['exists false under a missing parent', { detail: { nothing: { here: [{ exists: false }] } } }, true],
    ['exists only sees leaves', { detail: { owner: [{ exists: true }] } }, false],
    ['numeric range', { detail: { attempts: [{ numeric: ['>', 0, '<=', 3] }] } }, true],
    ['numeric range excludes', { detail: { attempts: [{ numeric: ['>', 3] }] } }, false],
    ['numeric equals', { detail: { ratio: [{ numeric: ['=', 0.5] }] } }, true],
    ['numeric ignores strings', { detail: { provider: [{ numeric: ['>', 0] }] } }, false],
    ['numeric lower bound inclusive', { detail: { attempts: [{ numeric: ['>=', 3, '<', 4] }] } }, true],
    ['wildcard', { detail: { file: [{ wildcard: 'rep*.png' }] } }, true],
    ['wildcard miss', { detail: { file: [{ wildcard: '*.jpg' }] } }, false],
    ['matchers in one list are OR', { detail: { status: ['revoked', { prefix: 'act' }] } }, true],
  ])('%s', (_, pattern, expected) => expect(matches(pattern)).toBe(expected));
});

describe('$or', () => {
  test.each<[string, EventPattern, boolean]>([
    ['one branch matches', { source: ['latchkey'], $or: [{ detail: { provider: ['GitLab'] } }, { detail: { attempts: [{ numeric: ['>', 2] }] } }] }, true],
    ['no branch matches', { $or: [{ source: ['x'] }, { 'detail-type': ['y'] }] }, false],
    ['nested inside detail', { detail: { $or: [{ status: ['revoked'] }, { enabled: [true] }] } }, true],
    ['other keys still apply', { source: ['other'], $or: [{ source: ['latchkey'] }, { region: ['us-east-1'] }] }, false],
  ])('%s', (_, pattern, expected) => expect(matches(pattern)).toBe(expected));
});

describe('validation', () => {
  test.each<[string, unknown, string]>([
    ['not an object', ['latchkey'], 'Pattern must be a JSON object'],
    ['empty pattern', {}, 'Empty pattern'],
    ['bare value', { source: 'latchkey' }, '"latchkey" must be an object or an array (at source)'],
    ['empty list', { source: [] }, 'Empty arrays are not allowed (at source)'],
    ['unknown operator', { source: [{ regex: '.*' }] }, 'Unsupported operator "regex" (at source)'],
    ['cidr is not implemented', { detail: { ip: [{ cidr: '10.0.0.0/8' }] } }, 'Unsupported operator "cidr" (at detail.ip)'],
    ['two operators in one matcher', { source: [{ prefix: 'a', suffix: 'b' }] }, 'exactly one operator'],
    ['prefix of a number', { source: [{ prefix: 1 }] }, 'prefix must be a string'],
    ['exists of a string', { source: [{ exists: 'yes' }] }, 'exists must be true or false'],
    ['numeric with two lower bounds', { detail: { n: [{ numeric: ['>', 1, '>=', 2] }] } }, 'numeric must be'],
    ['numeric with an unknown operator', { detail: { n: [{ numeric: ['!=', 1] }] } }, 'numeric must be'],
    ['numeric = with a bound', { detail: { n: [{ numeric: ['=', 1, '<', 2] }] } }, 'numeric must be'],
    ['anything-but of an object', { source: [{ 'anything-but': { foo: 'x' } }] }, 'anything-but must be'],
    ['$or with one branch', { $or: [{ source: ['a'] }] }, '"$or" at the top level must be an array of at least two'],
  ])('%s is refused', (_, pattern, reason) => {
    expect(() => validateEventPattern(pattern)).toThrow(EventPatternError);
    expect(() => validateEventPattern(pattern)).toThrow(reason);
  });

  test('messages use the InvalidEventPatternException wording', () => {
    expect(() => validateEventPattern({ source: 'x' })).toThrow(/^Event pattern is not valid\. Reason: /);
  });
});
