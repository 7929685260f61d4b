/**
 * Amazon EventBridge event-pattern matching for the local cloud.
 *
 * Pure and dependency-free. Mirrors the semantics described in the EventBridge user guide ("Amazon
 * EventBridge event patterns", "Arrays in event patterns", "Matching null values and empty strings",
 * "Content filtering" / "Comparison operators") and implemented by aws/event-ruler, the engine behind
 * EventBridge:
 *
 * - every field named in the pattern must match (AND); a leaf is an array of alternatives (OR);
 * - an array in the event matches if any of its elements matches (intersection semantics); arrays of
 *   objects are matched element by element, so two fields of one sub-pattern must come from the same
 *   element ("array-consistent" matching);
 * - exact matching is type-sensitive (`"5"` never matches `5`), numbers compare numerically;
 * - content filters: prefix, suffix, equals-ignore-case, anything-but, numeric, exists, cidr, wildcard;
 * - `$or` at any object level.
 *
 * `matchesEventPattern` assumes a pattern that `validateEventPattern` accepts; on malformed input it
 * never throws and simply does not match.
 */

type JsonObject = { [key: string]: unknown };

const OR_KEY = '$or';

const OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'wildcard',
] as const;

const ANYTHING_BUT_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'] as const;

const LOWER_BOUND_OPERATORS = ['>', '>='];
const UPPER_BOUND_OPERATORS = ['<', '<='];
const SINGLE_NUMERIC_OPERATORS = ['=', '<', '<=', '>', '>='];

const PARSE_FAILED: unique symbol = Symbol('parse-failed');

// ---------------------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------------------

/**
 * Does `event` (a full EventBridge event: `{ version, id, 'detail-type', source, account, time, region,
 * resources, detail }`) match `pattern` (the parsed EventPattern object from an AWS::Events::Rule, or its
 * JSON text)?
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  const parsedPattern = parseIfString(pattern);
  const parsedEvent = parseIfString(event);
  if (!isPlainObject(parsedPattern) || parsedEvent === PARSE_FAILED) return false;
  return matchObject(parsedPattern, parsedEvent);
}

function matchObject(pattern: JsonObject, value: unknown): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === OR_KEY && Array.isArray(sub)) {
      if (!sub.some((alternative) => isPlainObject(alternative) && matchObject(alternative, value)))
        return false;
      continue;
    }
    const fieldValue = getField(value, key);
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, fieldValue)) return false;
    } else if (isPlainObject(sub)) {
      // Array-consistent: the whole sub-pattern must match within one element of an event array.
      if (!objectCandidates(fieldValue).some((candidate) => matchObject(sub, candidate))) return false;
    } else {
      return false;
    }
  }
  return true;
}

function getField(value: unknown, key: string): unknown {
  if (!isPlainObject(value) || !Object.hasOwn(value, key)) return undefined;
  return value[key];
}

/** The values a nested sub-pattern is tried against: each element of an (arbitrarily nested) array. */
function objectCandidates(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [value];
  const elements = flattenArray(value);
  // An empty array has no fields at all, which matters for `exists: false` below it.
  return elements.length > 0 ? elements : [undefined];
}

/** The leaf values of an event field: missing → none, array → its non-object elements, object → none. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? flattenArray(value) : [value];
  return values.filter((v) => v !== undefined && !isPlainObject(v));
}

function flattenArray(values: readonly unknown[]): unknown[] {
  return values.flatMap((v) => (Array.isArray(v) ? flattenArray(v) : [v]));
}

function matchLeaf(patternValues: readonly unknown[], fieldValue: unknown): boolean {
  const values = leafValues(fieldValue);
  return patternValues.some((patternValue) => matchPatternValue(patternValue, values));
}

function matchPatternValue(patternValue: unknown, values: readonly unknown[]): boolean {
  if (!isPlainObject(patternValue)) return values.some((v) => exactEquals(patternValue, v));
  const entries = Object.entries(patternValue);
  if (entries.length !== 1) return false;
  const [operator, argument] = entries[0]!;
  if (operator === 'exists') {
    if (argument === true) return values.length > 0;
    if (argument === false) return values.length === 0;
    return false;
  }
  return values.some((v) => matchOperator(operator, argument, v));
}

function exactEquals(patternValue: unknown, value: unknown): boolean {
  if (typeof patternValue === 'number') return typeof value === 'number' && patternValue === value;
  return patternValue === value;
}

function matchOperator(operator: string, argument: unknown, value: unknown): boolean {
  switch (operator) {
    case 'prefix':
      return matchAffix(argument, value, (v, affix) => v.startsWith(affix));
    case 'suffix':
      return matchAffix(argument, value, (v, affix) => v.endsWith(affix));
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof argument === 'string' && equalsIgnoreCase(value, argument);
    case 'anything-but':
      return !isExcluded(argument, value);
    case 'numeric':
      return typeof value === 'number' && Array.isArray(argument) && matchNumeric(argument, value);
    case 'cidr':
      return typeof value === 'string' && typeof argument === 'string' && cidrContains(argument, value);
    case 'wildcard':
      return typeof value === 'string' && typeof argument === 'string' && wildcardMatches(argument, value);
    default:
      return false;
  }
}

/** `prefix`/`suffix` take a string or `{ "equals-ignore-case": string }`; they only apply to strings. */
function matchAffix(
  argument: unknown,
  value: unknown,
  test: (value: string, affix: string) => boolean,
): boolean {
  if (typeof value !== 'string') return false;
  if (typeof argument === 'string') return test(value, argument);
  if (isPlainObject(argument) && typeof argument['equals-ignore-case'] === 'string') {
    return test(foldCase(value), foldCase(argument['equals-ignore-case']));
  }
  return false;
}

/**
 * Is `value` one of the values an `anything-but` excludes? A value of another type than the excluded
 * ones (e.g. a number or null against string exclusions) is never excluded, so anything-but matches it.
 */
function isExcluded(argument: unknown, value: unknown): boolean {
  if (Array.isArray(argument)) return argument.some((excluded) => exactEquals(excluded, value));
  if (!isPlainObject(argument)) return exactEquals(argument, value);
  const entries = Object.entries(argument);
  if (entries.length !== 1) return true;
  const [operator, operand] = entries[0]!;
  const list = (Array.isArray(operand) ? operand : [operand]).filter(
    (x): x is string => typeof x === 'string',
  );
  if (typeof value !== 'string') return false;
  switch (operator) {
    case 'prefix':
      return list.some((prefix) => value.startsWith(prefix));
    case 'suffix':
      return list.some((suffix) => value.endsWith(suffix));
    case 'equals-ignore-case':
      return list.some((candidate) => equalsIgnoreCase(value, candidate));
    case 'wildcard':
      return list.some((wildcard) => wildcardMatches(wildcard, value));
    default:
      return true;
  }
}

function matchNumeric(comparisons: readonly unknown[], value: number): boolean {
  if (comparisons.length === 0 || comparisons.length % 2 !== 0) return false;
  for (let i = 0; i < comparisons.length; i += 2) {
    const operator = comparisons[i];
    const operand = comparisons[i + 1];
    if (typeof operand !== 'number') return false;
    if (!compare(operator, value, operand)) return false;
  }
  return true;
}

function compare(operator: unknown, value: number, operand: number): boolean {
  switch (operator) {
    case '=':
      return value === operand;
    case '!=':
      return value !== operand;
    case '<':
      return value < operand;
    case '<=':
      return value <= operand;
    case '>':
      return value > operand;
    case '>=':
      return value >= operand;
    default:
      return false;
  }
}

function foldCase(s: string): string {
  return s.toLowerCase();
}

function equalsIgnoreCase(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
}

// ---------------------------------------------------------------------------------------------------------
// Wildcards: `*` matches any run of characters (including none), `\*` is a literal star, `\\` a backslash.
// ---------------------------------------------------------------------------------------------------------

type WildcardToken = string | typeof STAR;
const STAR: unique symbol = Symbol('star');

function tokenizeWildcard(pattern: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      tokens.push(pattern[i + 1]!);
      i++;
    } else if (c === '*') {
      tokens.push(STAR);
    } else {
      tokens.push(c);
    }
  }
  return tokens;
}

/** Greedy glob matching with backtracking to the last star: O(pattern × value), no regex blow-up. */
function wildcardMatches(pattern: string, value: string): boolean {
  const tokens = tokenizeWildcard(pattern);
  let t = 0;
  let v = 0;
  let starToken = -1;
  let starValue = 0;
  while (v < value.length) {
    const token = tokens[t];
    if (t < tokens.length && token !== STAR && token === value[v]) {
      t++;
      v++;
    } else if (t < tokens.length && token === STAR) {
      starToken = t++;
      starValue = v;
    } else if (starToken >= 0) {
      t = starToken + 1;
      v = ++starValue;
    } else {
      return false;
    }
  }
  while (t < tokens.length && tokens[t] === STAR) t++;
  return t === tokens.length;
}

function wildcardProblem(pattern: string): string | undefined {
  let previousWasWildcard = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') return `backslash at position ${i} may only escape "*" or "\\"`;
      i++;
      previousWasWildcard = false;
    } else if (c === '*') {
      if (previousWasWildcard) return `consecutive wildcard characters at position ${i} are not allowed`;
      previousWasWildcard = true;
    } else {
      previousWasWildcard = false;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks (IPv4 and IPv6)
// ---------------------------------------------------------------------------------------------------------

interface ParsedAddress {
  bits: 32 | 128;
  value: bigint;
}

function parseIPv4(s: string): bigint | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!match) return undefined;
  let result = 0n;
  for (const part of match.slice(1)) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    result = (result << 8n) | BigInt(octet);
  }
  return result;
}

function parseIPv6Groups(part: string, allowTrailingIPv4: boolean): number[] | undefined {
  if (part === '') return [];
  const groups = part.split(':');
  const out: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (allowTrailingIPv4 && i === groups.length - 1 && group.includes('.')) {
      const v4 = parseIPv4(group);
      if (v4 === undefined) return undefined;
      out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) {
      out.push(Number.parseInt(group, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

function parseIPv6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseIPv6Groups(halves[0]!, false);
    const tail = parseIPv6Groups(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseIPv6Groups(s, true);
    if (all?.length !== 8) return undefined;
    groups = all;
  }
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

function parseAddress(s: string): ParsedAddress | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { bits: 32, value: v4 };
  const v6 = s.includes(':') ? parseIPv6(s) : undefined;
  if (v6 !== undefined) return { bits: 128, value: v6 };
  return undefined;
}

interface ParsedCidr extends ParsedAddress {
  prefixLength: number;
}

function parseCidr(cidr: string): ParsedCidr | undefined {
  const slash = cidr.lastIndexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(cidr.slice(0, slash));
  const lengthText = cidr.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(lengthText)) return undefined;
  const prefixLength = Number(lengthText);
  if (prefixLength > address.bits) return undefined;
  return { ...address, prefixLength };
}

function cidrContains(cidr: string, ip: string): boolean {
  const block = parseCidr(cidr);
  const address = parseAddress(ip);
  if (!block || !address || block.bits !== address.bits) return false;
  const hostBits = BigInt(block.bits - block.prefixLength);
  return block.value >> hostBits === address.value >> hostBits;
}

// ---------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------

/**
 * Human-readable problems with an event pattern, modelled on what EventBridge's PutRule rejects
 * (Event Ruler's rule compiler); empty when the pattern is acceptable.
 */
export function validateEventPattern(pattern: unknown): string[] {
  const parsed = parseIfString(pattern);
  if (parsed === PARSE_FAILED) return ['Event pattern is not valid JSON'];
  if (!isPlainObject(parsed)) return [`Event pattern must be a JSON object, got ${describe(parsed)}`];
  if (Object.keys(parsed).length === 0) return ['Event pattern is empty: it must name at least one field'];
  const problems: string[] = [];
  validateObject(parsed, '', false, problems);
  return problems;
}

function validateObject(object: JsonObject, path: string, insideOr: boolean, problems: string[]): void {
  const keys = Object.keys(object);
  if (keys.length === 0) {
    problems.push(`${label(path)}: empty objects are not allowed`);
    return;
  }
  for (const key of keys) {
    const value = object[key];
    const childPath = path === '' ? key : `${path}.${key}`;
    if (key === OR_KEY) {
      validateOr(value, childPath, problems);
      continue;
    }
    if (insideOr && (OPERATORS as readonly string[]).includes(key)) {
      problems.push(
        `${childPath}: "${key}" is an operator name and cannot be used as a field name inside $or`,
      );
      continue;
    }
    if (Array.isArray(value)) {
      validateLeaf(value, childPath, problems);
    } else if (isPlainObject(value)) {
      validateObject(value, childPath, insideOr, problems);
    } else {
      problems.push(
        `${childPath}: must be an array of match values or a nested object, got ${describe(value)}` +
          (value !== null && typeof value !== 'object' ? ` (did you mean [${JSON.stringify(value)}]?)` : ''),
      );
    }
  }
}

function validateOr(value: unknown, path: string, problems: string[]): void {
  if (!Array.isArray(value)) {
    problems.push(`${path}: must be an array of at least two objects, got ${describe(value)}`);
    return;
  }
  if (value.length < 2) problems.push(`${path}: must contain at least two objects, got ${value.length}`);
  value.forEach((alternative, i) => {
    const altPath = `${path}[${i}]`;
    if (isPlainObject(alternative)) {
      // Fields inside an $or alternative live at the same level as the $or itself.
      validateObject(alternative, altPath, true, problems);
    } else {
      problems.push(`${altPath}: only objects are allowed in $or, got ${describe(alternative)}`);
    }
  });
}

function validateLeaf(values: readonly unknown[], path: string, problems: string[]): void {
  if (values.length === 0) {
    problems.push(`${path}: empty arrays are not allowed`);
    return;
  }
  values.forEach((value, i) => {
    const itemPath = `${path}[${i}]`;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) problems.push(`${itemPath}: numbers must be finite`);
      return;
    }
    if (isPlainObject(value)) {
      validateMatchExpression(value, itemPath, problems);
      return;
    }
    problems.push(`${itemPath}: match values must be strings, numbers, booleans, null or an operator object`);
  });
}

function validateMatchExpression(expression: JsonObject, path: string, problems: string[]): void {
  const keys = Object.keys(expression);
  if (keys.length !== 1) {
    problems.push(
      keys.length === 0
        ? `${path}: empty match expression`
        : `${path}: only one operator is allowed per match expression, got ${keys.join(', ')}`,
    );
    return;
  }
  const operator = keys[0]!;
  const argument = expression[operator];
  const at = `${path}.${operator}`;
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (typeof argument === 'string') return;
      if (isPlainObject(argument)) {
        const inner = Object.keys(argument);
        if (inner.length === 1 && inner[0] === 'equals-ignore-case') {
          if (typeof argument['equals-ignore-case'] !== 'string') {
            problems.push(`${at}.equals-ignore-case: must be a string`);
          }
          return;
        }
        problems.push(`${at}: only { "equals-ignore-case": "..." } may be nested in ${operator}`);
        return;
      }
      problems.push(`${at}: must be a string or { "equals-ignore-case": "..." }, got ${describe(argument)}`);
      return;
    case 'equals-ignore-case':
      if (typeof argument !== 'string') problems.push(`${at}: must be a string, got ${describe(argument)}`);
      return;
    case 'wildcard':
      validateWildcard(argument, at, problems);
      return;
    case 'cidr':
      if (typeof argument !== 'string' || !parseCidr(argument)) {
        problems.push(
          `${at}: must be an IPv4 or IPv6 CIDR block such as "10.0.0.0/24", got ${describe(argument)}`,
        );
      }
      return;
    case 'exists':
      if (typeof argument !== 'boolean')
        problems.push(`${at}: must be true or false, got ${describe(argument)}`);
      return;
    case 'numeric':
      validateNumeric(argument, at, problems);
      return;
    case 'anything-but':
      validateAnythingBut(argument, at, problems);
      return;
    default:
      problems.push(`${path}: unknown operator "${operator}" (supported: ${OPERATORS.join(', ')})`);
  }
}

function validateWildcard(argument: unknown, path: string, problems: string[]): void {
  if (typeof argument !== 'string') {
    problems.push(`${path}: must be a string, got ${describe(argument)}`);
    return;
  }
  const problem = wildcardProblem(argument);
  if (problem) problems.push(`${path}: ${problem}`);
}

function validateNumeric(argument: unknown, path: string, problems: string[]): void {
  if (!Array.isArray(argument) || (argument.length !== 2 && argument.length !== 4)) {
    problems.push(
      `${path}: must be [operator, number] or [">"|">=", number, "<"|"<=", number], got ${describe(argument)}`,
    );
    return;
  }
  for (let i = 1; i < argument.length; i += 2) {
    const operand = argument[i];
    if (typeof operand !== 'number' || !Number.isFinite(operand)) {
      problems.push(`${path}[${i}]: comparison value must be a number, got ${describe(operand)}`);
    }
  }
  const first = argument[0];
  if (argument.length === 2) {
    if (first === '!=') {
      problems.push(`${path}[0]: EventBridge has no "!=" numeric operator; use { "anything-but": number }`);
    } else if (typeof first !== 'string' || !SINGLE_NUMERIC_OPERATORS.includes(first)) {
      problems.push(
        `${path}[0]: unknown numeric operator ${describe(first)} (supported: ${SINGLE_NUMERIC_OPERATORS.join(' ')})`,
      );
    }
    return;
  }
  const second = argument[2];
  if (typeof first !== 'string' || !LOWER_BOUND_OPERATORS.includes(first)) {
    problems.push(`${path}[0]: a numeric range must start with ">" or ">=", got ${describe(first)}`);
  }
  if (typeof second !== 'string' || !UPPER_BOUND_OPERATORS.includes(second)) {
    problems.push(`${path}[2]: a numeric range must end with "<" or "<=", got ${describe(second)}`);
  }
}

function validateAnythingBut(argument: unknown, path: string, problems: string[]): void {
  if (typeof argument === 'string') return;
  if (typeof argument === 'number') {
    if (!Number.isFinite(argument)) problems.push(`${path}: numbers must be finite`);
    return;
  }
  if (Array.isArray(argument)) {
    if (argument.length === 0) {
      problems.push(`${path}: the list must not be empty`);
      return;
    }
    const allStrings = argument.every((x) => typeof x === 'string');
    const allNumbers = argument.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!allStrings && !allNumbers) {
      problems.push(
        `${path}: the list must contain only strings or only numbers (no null, booleans or objects)`,
      );
    }
    return;
  }
  if (isPlainObject(argument)) {
    const keys = Object.keys(argument);
    const operator = keys[0];
    if (
      keys.length !== 1 ||
      !(ANYTHING_BUT_OPERATORS as readonly (string | undefined)[]).includes(operator)
    ) {
      problems.push(
        `${path}: may only nest one of ${ANYTHING_BUT_OPERATORS.join(', ')}, got ${keys.join(', ') || 'nothing'}`,
      );
      return;
    }
    const operand = argument[operator!];
    const at = `${path}.${operator}`;
    const list = Array.isArray(operand) ? operand : [operand];
    if (list.length === 0 || !list.every((x) => typeof x === 'string')) {
      problems.push(`${at}: must be a string or a non-empty list of strings, got ${describe(operand)}`);
      return;
    }
    if ((operator === 'prefix' || operator === 'suffix') && list.some((x) => x === '')) {
      problems.push(`${at}: an empty ${operator} is not allowed`);
    }
    if (operator === 'wildcard') {
      for (const wildcard of list as string[]) {
        const problem = wildcardProblem(wildcard);
        if (problem) problems.push(`${at}: ${problem}`);
      }
    }
    return;
  }
  problems.push(
    `${path}: must be a string, a number, a list of either, or a nested operator, got ${describe(argument)}`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

function parseIfString(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return PARSE_FAILED;
  }
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === PARSE_FAILED) return 'invalid JSON';
  if (Array.isArray(value)) return `an array (${JSON.stringify(value)})`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${JSON.stringify(value)})`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

function label(path: string): string {
  return path === '' ? 'Event pattern' : path;
}
