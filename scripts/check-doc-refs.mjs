#!/usr/bin/env node
// Checks that the documentation cited in code comments exists (docs/contributing.md "Citing the docs").
//
// A citation is `docs/<file>.md`, optionally followed by `#anchor`, then by zero or more references
// separated by commas, blanks or "and": `§N` (or a range `§N–§M`) names a numbered heading (`## 3. …`,
// `#### 3. …`), `"…"` names a heading — its whole text, or its beginning up to `:`, ` (`, ` —` or `,`.
// A `:` or `;` ends the list: a quotation after a colon is prose. In code, a citation continues onto the
// next line only when that line is a comment line (`//`, `*`, `#`).
//
// Usage: node scripts/check-doc-refs.mjs          check docs/ citations and the links between docs
//        node scripts/check-doc-refs.mjs --old    list citations of the shared files not yet under docs/
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where citations are looked for, relative to the repository root. */
export const DEFAULT_SCAN = ['src', 'test', 'bench', 'eslint.config.js'];

/** File types that carry comments or prose worth scanning. */
const SCANNED_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.md']);
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', '.tmp', 'coverage', '.git']);

/** The shared files the docs replace, and their project copies. */
export const OLD_TO_NEW = {
  'CONFIG.md': 'docs/configuration.md',
  'device-contract.md': 'docs/device-contract.md',
  'upstream.md': 'docs/upstream.md',
  'STYLE.md': 'docs/contributing.md',
  'FLEET.md': 'docs/fleet.md',
};

const MAX_QUOTE_CHARS = 200;

/** A file that holds this near its top is not scanned (the checker's own tests cite missing docs on purpose). */
export const IGNORE_MARKER = 'check-doc-refs: ignore-file';

/** The text of a scanned file, or `null` when it opts out with IGNORE_MARKER. */
function readScanned(root, path) {
  const text = readFileSync(join(root, path), 'utf8');
  return text.slice(0, 500).includes(IGNORE_MARKER) ? null : text;
}

/**
 * Files under `scan` (folders walked recursively) whose extension is scanned, as paths relative to
 * `root` with `/` separators, sorted. Entries that do not exist are skipped.
 */
export function listScannedFiles(root, scan = DEFAULT_SCAN) {
  const out = [];
  const walk = (path) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (!SKIPPED_DIRECTORIES.has(name)) walk(join(path, name));
      }
    } else if (stat.isFile() && SCANNED_EXTENSIONS.has(extname(path))) {
      out.push(relative(root, path).split(sep).join('/'));
    }
  };
  for (const entry of scan) {
    const path = join(root, entry);
    if (existsSync(path)) walk(path);
  }
  return out.sort();
}

/** A span of source as one line: line breaks and the comment prefixes after them become one blank. */
function flatten(span) {
  return span.replace(/\s*\r?\n\s*(?:\/\/+|\*(?!\/)|#)?\s*/g, ' ').replace(/\s+/g, ' ');
}

/** 1-based line and column of `index` in `text`. */
function position(text, index) {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}

/**
 * Skips blanks from `start`, and line breaks when the next line continues the text (any line in
 * markdown; a comment line in code, whose `//`, `*` or `#` prefix is skipped too). Returns the new index.
 */
function skipGap(text, start, markdown) {
  let i = start;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) return i;
    let j = i + (text[i] === '\r' ? 2 : 1);
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (markdown) {
      if (text[j] === '\n' || text[j] === '\r' || j >= text.length) return i; // a blank line ends a paragraph
      i = j;
      continue;
    }
    const rest = text.slice(j, j + 3);
    if (rest.startsWith('//')) {
      j += 2;
      while (text[j] === '/') j++;
    } else if (rest.startsWith('*') && !rest.startsWith('*/')) {
      j += 1;
    } else if (rest.startsWith('#')) {
      j += 1;
    } else {
      return i;
    }
    i = j;
  }
}

const SECTION = /^§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?§?(\d+(?:\.\d+)*))?/;
const QUOTES = { '"': '"', '“': '”' };

/**
 * The references after a citation, from `start`: `§N`, `§N–§M`, `"heading"`. Returns them and where the
 * list ended.
 */
function readReferences(text, start, markdown) {
  const refs = [];
  let i = start;
  for (;;) {
    let j = skipGap(text, i, markdown);
    if (refs.length > 0) {
      if (text[j] === ',') j = skipGap(text, j + 1, markdown);
      else if (/^and\s/.test(text.slice(j, j + 4))) j = skipGap(text, j + 3, markdown);
    }
    const section = SECTION.exec(text.slice(j, j + 40));
    if (section !== null) {
      refs.push(
        section[2] === undefined
          ? { kind: 'section', number: section[1] }
          : { kind: 'section', number: section[1], to: section[2] },
      );
      i = j + section[0].length;
      continue;
    }
    const close = QUOTES[text[j]];
    if (close === undefined) return { refs, end: i };
    let k = j + 1;
    let quoted = '';
    while (k < text.length && text[k] !== close && k - j <= MAX_QUOTE_CHARS) {
      if (text[k] === '\n' || text[k] === '\r') {
        const next = skipGap(text, k, markdown);
        if (next === k) return { refs, end: i }; // the quote does not continue: not a reference
        quoted += ' ';
        k = next;
        continue;
      }
      quoted += text[k];
      k++;
    }
    if (text[k] !== close) return { refs, end: i };
    refs.push({ kind: 'heading', text: quoted.replace(/\s+/g, ' ').trim() });
    i = k + 1;
  }
}

const NEW_CITATION =
  /(?<![A-Za-z0-9_./-])docs\/(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]+\.md(?:#([A-Za-z0-9_-]+))?/g;

/**
 * Every `docs/<file>.md` citation in `text`, with its references. `markdown`: prose lines continue a
 * citation (in code only comment lines do).
 */
export function parseCitations(text, { markdown = false } = {}) {
  const out = [];
  for (const match of text.matchAll(NEW_CITATION)) {
    const index = match.index ?? 0;
    const anchor = match[1];
    const file = anchor === undefined ? match[0] : match[0].slice(0, -(anchor.length + 1));
    const { refs, end } = readReferences(text, index + match[0].length, markdown);
    out.push({
      file,
      ...(anchor === undefined ? {} : { anchor }),
      refs,
      ...position(text, index),
      text: flatten(text.slice(index, end)),
    });
  }
  return out;
}

/** A heading's text as rendered: links to their text, inline code and emphasis marks removed. */
function renderedText(raw) {
  return raw
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** GitHub's anchor for a heading's rendered text (duplicates get -1, -2 … from `headingsOf`). */
export function slugOf(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The ATX headings of a markdown text (outside fenced code): level, rendered text, section number, anchor. */
export function headingsOf(markdown) {
  const out = [];
  const seen = new Map();
  let fence = null;
  for (const line of markdown.split(/\r?\n/)) {
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fenceMatch !== null) {
      const marker = fenceMatch[1] ?? '';
      if (fence === null) fence = marker[0] ?? null;
      else if (marker[0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading === null) continue;
    const text = renderedText(heading[2] ?? '');
    const base = slugOf(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    const number = /^§?\s?(\d+(?:\.\d+)*)(?:[.):]|\s|$)/.exec(text)?.[1] ?? null;
    out.push({
      level: (heading[1] ?? '').length,
      text,
      number,
      slug: count === 0 ? base : `${base}-${count}`,
    });
  }
  return out;
}

const HEADING_PREFIX_ENDS = [':', ' (', ' —', ','];

/** Whether `ref` names a heading among `headings`; `null` when it does, else what is missing. */
export function missingReference(headings, ref) {
  if (ref.kind === 'section') {
    const numbers = new Set(headings.map((h) => h.number).filter((n) => n !== null));
    const wanted = [ref.number];
    if (ref.to !== undefined) {
      const from = Number(ref.number);
      const to = Number(ref.to);
      if (Number.isInteger(from) && Number.isInteger(to) && to >= from && to - from <= 50) {
        for (let n = from + 1; n <= to; n++) wanted.push(String(n));
      } else {
        wanted.push(ref.to);
      }
    }
    const missing = wanted.filter((n) => !numbers.has(n));
    return missing.length === 0 ? null : `no section ${missing.map((n) => `§${n}`).join(', ')}`;
  }
  const wanted = renderedText(ref.text).toLowerCase();
  const found = headings.some((h) => {
    const heading = h.text.toLowerCase();
    if (heading === wanted) return true;
    return (
      heading.startsWith(wanted) &&
      HEADING_PREFIX_ENDS.some((end) => heading.slice(wanted.length).startsWith(end))
    );
  });
  return found ? null : `no heading "${ref.text}"`;
}

/** Reads and caches the headings of the docs files cited, by path relative to `root`. */
function headingReader(root) {
  const cache = new Map();
  return (file) => {
    if (!cache.has(file)) {
      const path = join(root, file);
      cache.set(
        file,
        existsSync(path) && statSync(path).isFile() ? headingsOf(readFileSync(path, 'utf8')) : null,
      );
    }
    return cache.get(file) ?? null;
  };
}

/** What is wrong with one citation against the docs under `root` (empty when it resolves). */
function citationProblems(citation, headings) {
  if (headings === null) return [`${citation.file} does not exist`];
  const problems = [];
  if (citation.anchor !== undefined && !headings.some((h) => h.slug === citation.anchor)) {
    problems.push(`${citation.file} has no anchor #${citation.anchor}`);
  }
  for (const ref of citation.refs) {
    const missing = missingReference(headings, ref);
    if (missing !== null) problems.push(`${citation.file} has ${missing}`);
  }
  return problems;
}

/**
 * Every `docs/…` citation under `scan`, and the problems: a cited file that does not exist, a § number
 * or a quoted heading that the file does not have. Problems are `{ path, line, column, citation, message }`.
 */
export function checkDocCitations({ root, scan = DEFAULT_SCAN }) {
  const headings = headingReader(root);
  const citations = [];
  const problems = [];
  for (const path of listScannedFiles(root, scan)) {
    const text = readScanned(root, path);
    if (text === null) continue;
    for (const citation of parseCitations(text, { markdown: path.endsWith('.md') })) {
      citations.push({ path, ...citation });
      for (const message of citationProblems(citation, headings(citation.file))) {
        problems.push({
          path,
          line: citation.line,
          column: citation.column,
          citation: citation.text,
          message,
        });
      }
    }
  }
  return { citations, problems };
}

const LINK = /\[[^\]]*\]\(([^)\s]+)\)/g;

/**
 * Relative links between the markdown files of `docs/` (and from them to the rest of the repository):
 * the target must exist, and an anchor into a markdown file must be one of its headings.
 */
export function checkDocLinks({ root, dir = 'docs' }) {
  const headings = headingReader(root);
  const problems = [];
  const folder = join(root, dir);
  if (!existsSync(folder)) return problems;
  for (const path of listScannedFiles(root, [dir]).filter((p) => p.endsWith('.md'))) {
    const raw = readFileSync(join(root, path), 'utf8');
    // Code is not a link: blank out fenced blocks and inline code, keeping offsets.
    const text = raw
      .replace(/^(\s{0,3})(`{3,}|~{3,})[\s\S]*?^\s{0,3}\2.*$/gm, (m) => m.replace(/[^\n]/g, ' '))
      .replace(/`[^`\n]*`/g, (m) => ' '.repeat(m.length));
    for (const match of text.matchAll(LINK)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const hash = target.indexOf('#');
      const file = hash === -1 ? target : target.slice(0, hash);
      const anchor = hash === -1 ? null : target.slice(hash + 1);
      const resolved =
        file === ''
          ? path
          : relative(root, resolve(dirname(join(root, path)), file))
              .split(sep)
              .join('/');
      const where = { path, ...position(raw, match.index ?? 0), citation: target };
      if (!existsSync(join(root, resolved))) {
        problems.push({ ...where, message: `${resolved} does not exist` });
        continue;
      }
      if (anchor !== null && resolved.endsWith('.md')) {
        const known = headings(resolved) ?? [];
        if (!known.some((h) => h.slug === anchor)) {
          problems.push({ ...where, message: `${resolved} has no anchor #${anchor}` });
        }
      }
    }
  }
  return problems;
}

const OLD_CITATION =
  /(?<![A-Za-z0-9_./-])(?:(?:\.\.\/)+(?:shared\/(?:reference\/)?)?)?(CONFIG|device-contract|upstream|STYLE|FLEET)\.md/g;

/**
 * Citations of the shared contract files that are not under `docs/` yet (`CONFIG.md "Catalog"`,
 * `../shared/STYLE.md §2`, …): where they are, their references, the docs file that replaces them, and
 * whether those references resolve there (`problems`, empty when the citation can simply be repointed).
 */
export function findOldStyleCitations({ root, scan = DEFAULT_SCAN }) {
  const headings = headingReader(root);
  const out = [];
  for (const path of listScannedFiles(root, scan)) {
    const text = readScanned(root, path);
    if (text === null) continue;
    const markdown = path.endsWith('.md');
    for (const match of text.matchAll(OLD_CITATION)) {
      const index = match.index ?? 0;
      const name = `${match[1]}.md`;
      const replacement = OLD_TO_NEW[name];
      const { refs, end } = readReferences(text, index + match[0].length, markdown);
      const citation = { file: replacement, refs };
      out.push({
        path,
        ...position(text, index),
        text: flatten(text.slice(index, end)),
        name,
        replacement,
        refs,
        problems: citationProblems(citation, headings(replacement)),
      });
    }
  }
  return out;
}

function main(argv) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  if (argv.includes('--old')) {
    const old = findOldStyleCitations({ root });
    for (const c of old) {
      const note = c.problems.length === 0 ? '' : `  [${c.problems.join('; ')}]`;
      console.log(`${c.path}:${c.line}:${c.column}  ${c.text}  → ${c.replacement}${note}`);
    }
    console.log(`${old.length} citation(s) of the shared files outside docs/`);
    return 0;
  }
  const { citations, problems } = checkDocCitations({ root });
  const links = checkDocLinks({ root });
  for (const p of [...problems, ...links])
    console.error(`${p.path}:${p.line}:${p.column}  ${p.citation}: ${p.message}`);
  console.log(`${citations.length} docs/ citation(s) checked, ${problems.length + links.length} problem(s)`);
  return problems.length + links.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
