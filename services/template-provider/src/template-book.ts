/**
 * The templates a TP process has handed out: unique U64 ids (monotonic, never reused in a
 * process), one variant per distinct client constraints per candidate, and the answer to
 * "is this id current, stale or unknown?" for RequestTransactionData and SubmitSolution.
 */
import {
  type BlockCandidate,
  type CoinbaseConstraints,
  fitToConstraints,
  type TemplateVariant,
  templateVariant,
} from "./template.ts";

/** What an id names. */
export type TemplateLookup =
  | { kind: "current"; variant: TemplateVariant }
  /** Built on a tip that is no longer the best block (still submittable: it may win a race). */
  | { kind: "stale"; variant: TemplateVariant | null }
  | { kind: "unknown" };

interface Edition {
  readonly candidate: BlockCandidate;
  readonly variants: Map<string, TemplateVariant>;
}

/** Options of {@link createTemplateBook}. */
export interface TemplateBookOptions {
  /** Editions (tip or fee updates) whose variants stay resolvable. Default 6. */
  keepEditions?: number;
  /** Called when a client's constraints force transactions out (or cannot be met). */
  onFit?: (info: { id: bigint; dropped: number; fits: boolean }) => void;
}

/** The template book of one TP process. */
export interface TemplateBook {
  /** The candidate now served, or null before the first template. */
  current(): BlockCandidate | null;
  /** Serves `candidate` from now on (a new tip or a fee update); old ids stay resolvable a while. */
  publish(candidate: BlockCandidate): void;
  /** The current variant for `constraints` (built and given a new id on first use). */
  variantFor(constraints: CoinbaseConstraints): TemplateVariant | null;
  lookup(id: bigint): TemplateLookup;
  /** Ids handed out so far. */
  issued(): bigint;
}

/** Creates an empty book; ids start at 1. */
export function createTemplateBook(options: TemplateBookOptions = {}): TemplateBook {
  const keep = options.keepEditions ?? 6;
  const editions: Edition[] = [];
  const byId = new Map<bigint, TemplateVariant>();
  let nextId = 1n;
  const head = () => editions[editions.length - 1] ?? null;

  return {
    current: () => head()?.candidate ?? null,
    publish(candidate) {
      editions.push({ candidate, variants: new Map() });
      while (editions.length > keep) {
        for (const v of editions.shift()!.variants.values()) byId.delete(v.id);
      }
    },
    variantFor(constraints) {
      const edition = head();
      if (!edition) return null;
      const key = `${constraints.maxAdditionalSize}/${constraints.maxAdditionalSigops}`;
      let variant = edition.variants.get(key);
      if (!variant) {
        const fitted = fitToConstraints(edition.candidate, constraints);
        variant = templateVariant(nextId++, edition.candidate, fitted);
        if (fitted.dropped > 0 || !fitted.fits) {
          options.onFit?.({ id: variant.id, dropped: fitted.dropped, fits: fitted.fits });
        }
        edition.variants.set(key, variant);
        byId.set(variant.id, variant);
      }
      return variant;
    },
    lookup(id) {
      const variant = byId.get(id);
      const tip = head()?.candidate.prevHash;
      if (variant)
        return variant.candidate.prevHash === tip ? { kind: "current", variant } : { kind: "stale", variant };
      // Ids are monotonic: an id below the next one was issued and has since been dropped.
      if (id >= 1n && id < nextId) return { kind: "stale", variant: null };
      return { kind: "unknown" };
    },
    issued: () => nextId - 1n,
  };
}
