import matter from 'gray-matter';
import YAML from 'yaml';
import { yamlErrorReason } from './yaml-error.js';

/**
 * The text of a task file: YAML front matter between `---` lines, then the description.
 * Orchestra edits the front matter surgically (only the values of the keys it changes), so
 * a file a person wrote keeps its comments, key order, quoting and odd spacing, and the
 * description is kept byte for byte.
 */

export type FrontValue = string | number | null;

export interface TaskFileContent {
  /** The front matter as data; unknown keys included. */
  data: Record<string, unknown>;
  /** The description, exactly as it stands after the closing `---` line. */
  body: string;
}

/** Why a task file cannot be read; the store pairs it with the path. */
export class TaskFileError extends Error {}

const BOM = '\uFEFF';
const yamlEngine = { parse: (text: string) => YAML.parse(text) as object };
const matterOptions = { engines: { yaml: yamlEngine } };

export function parseTaskFile(text: string): TaskFileContent {
  // Windows line endings: YAML would keep the \r of the last front-matter line in its value.
  const source = (text.startsWith(BOM) ? text.slice(1) : text).replace(/\r\n/g, '\n');
  if (!source.startsWith('---')) return { data: {}, body: source };
  if (findFrontMatter(source) === undefined) {
    throw new TaskFileError('the front matter has no closing --- line');
  }
  let parsed: { data: unknown; content: string };
  try {
    // Passing options also keeps gray-matter from caching (and sharing) parsed objects.
    parsed = matter(source, matterOptions);
  } catch (error) {
    // gray-matter's front matter text starts with the newline that ends the opening ---, so lines match the file's.
    throw new TaskFileError(`invalid YAML in the front matter at ${yamlErrorReason(error)}`);
  }
  const data = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new TaskFileError('the front matter is not a list of "key: value" lines');
  }
  return { data: data as Record<string, unknown>, body: parsed.content };
}

/** Text of a new task file. */
export function renderTaskFile(front: Record<string, FrontValue>, body: string): string {
  const lines = Object.entries(front).map(([key, value]) => `${key}: ${scalar(value)}`);
  const description = body.endsWith('\n') || body === '' ? body : `${body}\n`;
  return `---\n${lines.join('\n')}\n---\n\n${description}`;
}

/**
 * Applies `changes` to the front matter of `text`: a value replaces the key's value in place
 * (or appends the key), `undefined` removes the key's line. Everything else is kept as it was.
 */
export function updateFrontMatter(text: string, changes: Record<string, FrontValue | undefined>): string {
  const bom = text.startsWith(BOM) ? BOM : '';
  const source = text.slice(bom.length);
  const span = findFrontMatter(source);
  if (span === undefined) {
    // No front matter yet: prepend one and keep the whole text as the description.
    const front = Object.fromEntries(Object.entries(changes).filter((e): e is [string, FrontValue] => e[1] !== undefined));
    return bom + `---\n${Object.entries(front).map(([k, v]) => `${k}: ${scalar(v)}`).join('\n')}\n---\n${source}`;
  }
  const [start, end] = span;
  const updated = editYamlMapping(source.slice(start, end), changes);
  return bom + source.slice(0, start) + updated + source.slice(end);
}

/** [start, end) of the front matter's YAML inside `source`, or undefined when there is none. */
function findFrontMatter(source: string): [number, number] | undefined {
  if (!/^---[ \t]*\r?\n/.test(source)) return undefined;
  const start = source.indexOf('\n') + 1;
  const close = /^---[ \t]*(\r?\n|$)/m;
  const rest = source.slice(start);
  const match = close.exec(rest);
  if (!match) return undefined;
  return [start, start + match.index];
}

function editYamlMapping(yamlText: string, changes: Record<string, FrontValue | undefined>): string {
  const doc = YAML.parseDocument(yamlText);
  // +1: this text starts after the opening --- line.
  if (doc.errors.length > 0) throw new TaskFileError(`invalid YAML in the front matter at ${yamlErrorReason(doc.errors[0], 1)}`);
  const contents = doc.contents;
  const pairs = YAML.isMap(contents) ? contents.items : [];
  if (contents !== null && (!YAML.isMap(contents) || contents.flow)) {
    throw new TaskFileError('the front matter is not a list of "key: value" lines, so Orchestra cannot change it without rewriting it; write one key per line');
  }
  // Edits are collected as [from, to, replacement] and applied back to front so offsets stay valid.
  const edits: Array<[number, number, string]> = [];
  const appended: string[] = [];
  for (const [key, value] of Object.entries(changes)) {
    const pair = pairs.find((p) => YAML.isScalar(p.key) && p.key.value === key);
    if (!pair) {
      if (value !== undefined) appended.push(`${key}: ${scalar(value)}`);
      continue;
    }
    const keyRange = (pair.key as YAML.Scalar).range!;
    const valueNode = pair.value as YAML.Node | null;
    if (value === undefined) {
      const lineStart = yamlText.lastIndexOf('\n', keyRange[0] - 1) + 1;
      const nodeEnd = valueNode?.range?.[2] ?? keyRange[2];
      const lineEnd = yamlText.indexOf('\n', Math.max(nodeEnd - 1, keyRange[1]));
      edits.push([lineStart, lineEnd === -1 ? yamlText.length : lineEnd + 1, '']);
    } else if (valueNode?.range && valueNode.range[1] > valueNode.range[0]) {
      edits.push([valueNode.range[0], valueNode.range[1], scalar(value)]);
    } else {
      // `key:` with nothing after it: put the value right after the colon.
      const colon = yamlText.indexOf(':', keyRange[1]);
      edits.push([colon + 1, colon + 1, ` ${scalar(value)}`]);
    }
  }
  let result = yamlText;
  for (const [from, to, replacement] of edits.sort((a, b) => b[0] - a[0])) {
    result = result.slice(0, from) + replacement + result.slice(to);
  }
  if (appended.length > 0) {
    const body = appended.join('\n');
    if (result === '' || result.endsWith('\n')) result += `${body}\n`;
    else result += `\n${body}\n`;
  }
  // Never write what cannot be read back as intended: a layout the edit did not foresee is refused, not corrupted.
  const check = YAML.parseDocument(result);
  const data = check.errors.length === 0 ? (check.toJS() as Record<string, unknown> | null) ?? {} : undefined;
  if (!data || Object.entries(changes).some(([key, value]) => (value === undefined ? key in data : data[key] !== value))) {
    throw new TaskFileError('Orchestra cannot change this front matter without breaking it; write it as plain "key: value" lines');
  }
  return result;
}

/** One YAML scalar on one line: plain where YAML allows it, double-quoted otherwise. */
function scalar(value: FrontValue): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (/[\u0000-\u001f\u007f]/.test(value)) return JSON.stringify(value);
  return YAML.stringify(value, { lineWidth: 0 }).trimEnd();
}
