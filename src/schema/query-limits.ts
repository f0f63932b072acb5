import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Limits on what one GraphQL document may ask for, checked before it runs (HTTP and WebSocket).
 * Without them one request could ask for `conversions(limit: 200)` three thousand times under
 * aliases (the process ran out of memory) or hold the embedded database's one connection with
 * thousands of `reverseGeocode` aliases. The schema's deepest honest query is 4 levels, the web
 * page's largest about 60 fields; the limits leave room above both.
 */
export const QUERY_LIMITS = {
  /** Aliased fields in one document (a client may rename a few fields, not repeat a query). */
  maxAliases: 15,
  maxDepth: 8,
  /** graphql-armor's cost: objects 2, scalars 1, multiplied by depth. */
  maxCost: 50_000,
  /** Tokens the parser reads before giving up (Apollo's parseOptions); well above what the alias limit lets through. */
  maxTokens: 50_000,
} as const;

/** The error's code, for clients: the query was refused as too big, not as malformed. */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

export const queryLimitRules: ValidationRule[] = [
  coded((onReject) => maxAliasesRule({ n: QUERY_LIMITS.maxAliases, exposeLimits: true, propagateOnRejection: false, onReject: [onReject] })),
  coded((onReject) => maxDepthRule({ n: QUERY_LIMITS.maxDepth, exposeLimits: true, propagateOnRejection: false, onReject: [onReject] })),
  coded((onReject) => costLimitRule({ maxCost: QUERY_LIMITS.maxCost, exposeLimits: true, propagateOnRejection: false, onReject: [onReject] })),
];

type Reject = (context: ValidationContext | null, error: GraphQLError) => void;

/** graphql-armor's rule, reporting its rejection with our code in `extensions.code`. */
function coded(make: (onReject: Reject) => (context: ValidationContext) => unknown): ValidationRule {
  return (context) => {
    const rule = make((_ctx, error) => {
      context.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { nodes: error.nodes, extensions: { code: QUERY_TOO_COMPLEX } }));
    });
    return rule(context) as ReturnType<ValidationRule>;
  };
}

/** The parser's own refusal of a document over maxTokens, which Apollo reports as a parse failure. */
export function isTokenLimitError(message: string): boolean {
  return /Document contains more th[ae]n? \d+ tokens/.test(message);
}
