import { formatFieldError } from '../validation/field-errors.js';
import { BINARY_OPERATOR_LIST, compareStrings, type LabelRequirement, labelKeyError, newRequirement, type SelectorOperator } from './label-requirement.js';
import { SelectorParseError } from './selector-parse-error.js';

/**
 * The label selector grammar of apimachinery's `labels.Parse`, with its error messages:
 *
 *   selector    ::= requirement ( "," requirement )*
 *   requirement ::= [ "!" ] KEY [ set-restriction | exact-restriction ]
 *   set-restriction   ::= ( "in" | "notin" ) "(" VALUE ( "," VALUE )* ")"
 *   exact-restriction ::= ( "=" | "==" | "!=" | ">" | "<" ) VALUE
 *
 * Whitespace separates tokens and is otherwise ignored; `in` and `notin` are keywords only where an
 * operator may stand (`in in (in)` is valid). Values of a set are deduplicated and sorted.
 */

type TokenKind = 'eos' | 'identifier' | 'error' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

const SYMBOL_TOKENS: ReadonlySet<string> = new Set([')', ',', '!', '==', '=', '>', '<', '!=', '(']);
const KEYWORDS: ReadonlySet<string> = new Set(['in', 'notin']);

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecialSymbol(ch: string): boolean {
  return ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';
}

/** Splits the text into tokens; the last one is always `eos`. */
function lex(text: string): Token[] {
  // Upstream reads bytes and treats a NUL as the end of the input; so do we.
  const nul = text.indexOf('\0');
  const s = nul >= 0 ? text.slice(0, nul) : text;
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s.charAt(pos))) pos++;
    if (pos >= s.length) {
      tokens.push({ kind: 'eos', text: '' });
      return tokens;
    }
    const start = pos;
    if (isSpecialSymbol(s.charAt(pos))) {
      // Longest run of symbols that still forms a token: `!=` is one token, `=(` two.
      let longest = '';
      while (pos < s.length && isSpecialSymbol(s.charAt(pos))) {
        const candidate = s.slice(start, pos + 1);
        if (SYMBOL_TOKENS.has(candidate)) longest = candidate;
        else if (longest !== '') break;
        pos++;
      }
      if (longest === '') tokens.push({ kind: 'error', text: `error expected: keyword found '${s.slice(start, pos)}'` });
      else {
        pos = start + longest.length;
        tokens.push({ kind: longest as TokenKind, text: longest });
      }
      continue;
    }
    while (pos < s.length && !isSpecialSymbol(s.charAt(pos)) && !isWhitespace(s.charAt(pos))) pos++;
    const word = s.slice(start, pos);
    tokens.push({ kind: KEYWORDS.has(word) ? (word as TokenKind) : 'identifier', text: word });
  }
}

/** Where the parser is: after a key `in`/`notin` are operators; elsewhere they are plain words. */
type Context = 'keyAndOperator' | 'values';

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private kindIn(token: Token, context: Context): TokenKind {
    return context === 'values' && (token.kind === 'in' || token.kind === 'notin') ? 'identifier' : token.kind;
  }

  private lookahead(context: Context): Token {
    const t = this.tokens[this.position] ?? { kind: 'eos', text: '' };
    return { kind: this.kindIn(t, context), text: t.text };
  }

  private consume(context: Context): Token {
    const t = this.lookahead(context);
    if (this.position < this.tokens.length - 1) this.position++;
    return t;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const t = this.lookahead('values');
      if (t.kind === 'eos') return requirements;
      if (t.kind !== 'identifier' && t.kind !== '!') {
        throw new SelectorParseError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      }
      try {
        requirements.push(this.parseRequirement());
      } catch (e) {
        if (e instanceof SelectorParseError) throw new SelectorParseError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const after = this.consume('values');
      if (after.kind === 'eos') return requirements;
      if (after.kind !== ',') throw new SelectorParseError(`found '${after.text}', expected: ',' or 'end of string'`);
      const next = this.lookahead('values');
      if (next.kind !== 'identifier' && next.kind !== '!') {
        throw new SelectorParseError(`found '${next.text}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    let t = this.consume('values');
    const negated = t.kind === '!';
    if (negated) t = this.consume('values');
    if (t.kind !== 'identifier') throw new SelectorParseError(`found '${t.text}', expected: identifier`);
    const key = t.text;
    // Upstream validates the key here with no field path, hence the `<nil>` in its message.
    const keyErr = labelKeyError(key, '<nil>');
    if (keyErr) throw new SelectorParseError(formatFieldError(keyErr));
    // `!key` stands alone: whatever follows it must be a ',' or the end (checked by the caller).
    if (negated) return newRequirement(key, '!', []);
    const next = this.lookahead('values').kind;
    if (next === 'eos' || next === ',') return newRequirement(key, 'exists', []);
    const operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.parseValueSet() : [this.parseExactValue()];
    return newRequirement(key, operator, values);
  }

  private parseOperator(): SelectorOperator {
    const t = this.consume('keyAndOperator');
    switch (t.kind) {
      case 'in':
      case 'notin':
      case '=':
      case '==':
      case '!=':
        return t.kind;
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new SelectorParseError(`found '${t.text}', expected: ${BINARY_OPERATOR_LIST}`);
    }
  }

  private parseValueSet(): string[] {
    const open = this.consume('values');
    if (open.kind !== '(') throw new SelectorParseError(`found '${open.text}' expected: '('`);
    const t = this.lookahead('values');
    if (t.kind === ')') {
      this.consume('values');
      return [''];
    }
    if (t.kind !== 'identifier' && t.kind !== ',') {
      throw new SelectorParseError(`found '${t.text}', expected: ',', ')' or identifier`);
    }
    const values = this.parseIdentifierList();
    this.consume('values'); // the ')' parseIdentifierList stopped at
    return [...values].sort(compareStrings);
  }

  /** A comma-separated list in which empty items are the empty value: `(a,,b)`, `(,a)`, `(a,)`. */
  private parseIdentifierList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const t = this.consume('values');
      if (t.kind === 'identifier') {
        values.add(t.text);
        const next = this.lookahead('values');
        if (next.kind === ',') continue;
        if (next.kind === ')') return values;
        throw new SelectorParseError(`found '${next.text}', expected: ',' or ')'`);
      }
      if (t.kind !== ',') throw new SelectorParseError(`found '${t.text}', expected: ',', or identifier`);
      if (values.size === 0) values.add('');
      const next = this.lookahead('values');
      if (next.kind === ')') {
        values.add('');
        return values;
      }
      if (next.kind === ',') values.add('');
    }
  }

  private parseExactValue(): string {
    const next = this.lookahead('values');
    if (next.kind === 'eos' || next.kind === ',') return '';
    const t = this.consume('values');
    if (t.kind === 'identifier') return t.text;
    throw new SelectorParseError(`found '${t.text}', expected: identifier`);
  }
}

/** Parses selector text into its requirements, in text order; throws SelectorParseError. */
export function parseRequirements(text: string): LabelRequirement[] {
  return new Parser(lex(text)).parse();
}
