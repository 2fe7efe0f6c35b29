/** Types for check-doc-refs.mjs (docs/contributing.md "Citing the docs"). */

export type Reference =
  | { readonly kind: 'section'; readonly number: string; readonly to?: string }
  | { readonly kind: 'heading'; readonly text: string };

export interface Citation {
  /** `docs/<file>.md`, relative to the repository root. */
  readonly file: string;
  readonly anchor?: string;
  readonly refs: readonly Reference[];
  readonly line: number;
  readonly column: number;
  /** The citation as written, on one line. */
  readonly text: string;
}

export interface Heading {
  readonly level: number;
  /** As rendered: inline code marks and link targets removed. */
  readonly text: string;
  /** `3` for `## 3. …` or `#### 3. …`; `null` for an unnumbered heading. */
  readonly number: string | null;
  /** GitHub's anchor. */
  readonly slug: string;
}

export interface Problem {
  /** The file holding the citation or link, relative to the root. */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly citation: string;
  readonly message: string;
}

export interface OldStyleCitation {
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
  /** `CONFIG.md`, `device-contract.md`, `upstream.md`, `STYLE.md` or `FLEET.md`. */
  readonly name: string;
  /** The docs file that replaces it. */
  readonly replacement: string;
  readonly refs: readonly Reference[];
  /** Empty when the references resolve in `replacement`: the citation can simply be repointed. */
  readonly problems: readonly string[];
}

export const DEFAULT_SCAN: readonly string[];
export const OLD_TO_NEW: Readonly<Record<string, string>>;

export function listScannedFiles(root: string, scan?: readonly string[]): string[];
export function parseCitations(text: string, options?: { markdown?: boolean }): Citation[];
export function slugOf(text: string): string;
export function headingsOf(markdown: string): Heading[];
export function missingReference(headings: readonly Heading[], ref: Reference): string | null;
export function checkDocCitations(options: { root: string; scan?: readonly string[] }): {
  citations: (Citation & { readonly path: string })[];
  problems: Problem[];
};
export function checkDocLinks(options: { root: string; dir?: string }): Problem[];
export function findOldStyleCitations(options: {
  root: string;
  scan?: readonly string[];
}): OldStyleCitation[];
