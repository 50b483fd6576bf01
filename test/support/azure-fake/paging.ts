/**
 * ARM list pages: `{ value: [...], nextLink }`. The next link is absolute (the SDK follows it as is, with
 * no api-version of its own) and carries the api-version, the filter and a `$skiptoken` offset.
 */
import * as errors from './errors.js';

export interface Page<T> {
  readonly value: readonly T[];
  readonly nextLink?: string;
}

/**
 * One page of `items`: from `$skiptoken` (default 0), `$top` items if given and smaller than
 * `pageSize`, else `pageSize`; the next link keeps `$top`.
 */
export function pageOf<T>(
  items: readonly T[],
  query: URLSearchParams,
  pageSize: number,
  baseUrl: string,
): Page<T> {
  const start = Number(query.get('$skiptoken') ?? '0');
  if (!Number.isInteger(start) || start < 0) throw errors.invalidRequestContent("'$skiptoken' is not valid");
  const top = query.get('$top');
  const size = top === null ? pageSize : Math.min(pageSize, Number(top));
  if (!Number.isInteger(size) || size < 1)
    throw errors.invalidRequestContent("'$top' must be a positive integer");
  const value = items.slice(start, start + size);
  if (start + size >= items.length) return { value };
  const next = new URLSearchParams(query);
  next.set('$skiptoken', String(start + size));
  // URLSearchParams writes spaces as '+'; ARM clients and the fake read %20 and '+' alike.
  return { value, nextLink: `${baseUrl}?${next.toString()}` };
}
